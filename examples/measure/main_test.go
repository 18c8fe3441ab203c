package main

import (
	"bytes"
	"strings"
	"testing"
)

// The example runs offline: the steps search records from its context come
// before the Measure step around it, the failing step keeps its error, the
// malformed cost is refused, and the manual costs add up.
func TestRunOffline(t *testing.T) {
	t.Setenv("GENTRACE_API_KEY", "")
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"running offline",
		"  1. search/embed_query: ",
		"  2. search/billing: ",
		"  3. search/vector_query: ",
		"  4. translator/translate: ",
		`  5. translator/translate: `,
		`error "translation quota exceeded, retry in 1m0s"`,
		"  6. app/render_results: ",
		"refused: gentrace: invalid cost",
		"total cost $0.00174 ",
		`"render": {`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out.String(), "bad_cost") {
		t.Error("the step with a malformed cost was recorded")
	}
	if t.Failed() {
		t.Log(out.String())
	}
}
