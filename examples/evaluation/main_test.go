package main

import (
	"bytes"
	"strings"
	"testing"
)

// The example runs offline: RunTest submits one test result with a run per
// case, the wrong answer flagged, the failed case sent with its error, and
// each case's run delivered.
func TestRunOffline(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("GENTRACE_API_KEY", "")
	t.Setenv("GENTRACE_RESULT_NAME", "")
	t.Setenv("GENTRACE_RUN_NAME", "")
	t.Setenv("GENTRACE_BRANCH", "")
	t.Setenv("GENTRACE_COMMIT", "")
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"running offline",
		"europe-1   Portugal   Lisbon     cost $0.",
		`oceania-1  Australia  Sydney     cost $0.`,
		`expected "Canberra"`,
		"africa-1   Kenya      failed: error, status code: 503",
		`"capital": "Tokyo",`,
		`"type": "dollars",`,
		`"error": "error, status code: 503`,
		"4 run(s) submitted, 4 delivered",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out.String())
	}
}
