package contract_test

import (
	"testing"

	"github.com/gentrace/gentrace-go/internal/contract"
	"github.com/gentrace/gentrace-go/internal/contract/contracttest"
)

func BenchmarkParseRun(b *testing.B) {
	body := contracttest.RunJSON()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := contract.ParseRun(body); err != nil {
			b.Fatal(err)
		}
	}
}
