package openai_test

import (
	"os"
	"testing"

	"github.com/gentrace/gentrace-go/internal/leakcheck"
)

func TestMain(m *testing.M) {
	if os.Getenv(sinkEnv) == "1" {
		serveSink() // a benchmark's backend, in a process of its own
	}
	leakcheck.Main(m)
}
