package gentracetest

import (
	"testing"

	"github.com/gentrace/gentrace-go/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }
