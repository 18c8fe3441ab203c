package openaigo_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(sinkEnv) == "1" {
		serveSink() // a benchmark's backend, in a process of its own
	}
	goleak.VerifyTestMain(m)
}
