package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// The example runs offline: the first stream's usage is estimated, the
// second's is the server's (and its usage-only chunk never reaches the
// caller), and the third is recorded as closed early.
func TestRunOffline(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("GENTRACE_API_KEY", "")
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"running offline",
		"Quiet sweeper runs / while the program keeps on / nothing left to free",
		"2. usage 15+19 tokens, usageEstimated false, closedEarly false", // the scripted usage
		"1 run(s) submitted, 1 delivered",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, re := range []string{
		`1\. usage [1-9]\d*\+[1-9]\d* tokens, usageEstimated true, closedEarly false, timeToFirstTokenMs [1-9]\d*, cost \$0\.\d+`,
		`3\. usage [1-9]\d*\+[1-9]\d* tokens, usageEstimated true, closedEarly true, timeToFirstTokenMs [1-9]\d*, cost \$0\.\d+`,
	} {
		if !regexp.MustCompile(re).MatchString(got) {
			t.Errorf("output lacks a line matching %s", re)
		}
	}
	if strings.Contains(got, "[usage-only chunk]") {
		t.Error("the usage-only chunk the recorder asked for reached the caller")
	}
	if t.Failed() {
		t.Log(got)
	}
}
