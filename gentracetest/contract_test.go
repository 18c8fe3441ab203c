package gentracetest

import (
	"testing"

	"github.com/gentrace/gentrace-go/internal/contract/contracttest"
)

// TestContract runs the contract suite that gentrace-dev passes too.
func TestContract(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	contracttest.Run(t, contracttest.Backend{
		URL:    srv.URL,
		APIKey: srv.APIKey,
		Client: srv.Client(),
		AddTestCases: func(_ testing.TB, slug string, ids ...string) {
			cases := make([]Case, len(ids))
			for i, id := range ids {
				cases[i] = Case{ID: id, Name: "case " + id[:8]}
			}
			srv.AddTestCases(slug, cases...)
		},
	})
}
