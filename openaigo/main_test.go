package openaigo_test

import (
	"testing"

	"github.com/gentrace/gentrace-go/internal/benchkit"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	benchkit.ServeSinkIfChild() // a benchmark's backend, in a process of its own
	goleak.VerifyTestMain(m)
}
