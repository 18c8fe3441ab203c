//go:build !unix

package benchkit

import "time"

func processCPU() time.Duration { return 0 }
