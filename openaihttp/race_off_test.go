//go:build !race

package openaihttp_test

const raceEnabled = false
