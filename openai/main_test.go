package openai_test

import (
	"testing"

	"github.com/gentrace/gentrace-go/internal/benchkit"
	"github.com/gentrace/gentrace-go/internal/leakcheck"
)

func TestMain(m *testing.M) {
	benchkit.ServeSinkIfChild() // a benchmark's backend, in a process of its own
	leakcheck.Main(m)
}
