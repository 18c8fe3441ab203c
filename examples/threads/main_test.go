package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// The example runs offline: three turns linked by their previous run IDs are
// delivered, and the fork is refused with an *APIError.
func TestRunOffline(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("GENTRACE_API_KEY", "")
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	ids := regexp.MustCompile(`run ([0-9a-f-]{36}), previous run "([0-9a-f-]*)"`).FindAllStringSubmatch(got, -1)
	if len(ids) != 3 {
		t.Fatalf("%d turns printed, want 3:\n%s", len(ids), got)
	}
	for i, m := range ids {
		want := ""
		if i > 0 {
			want = ids[i-1][1]
		}
		if m[2] != want {
			t.Errorf("turn %d names previous run %q, want %q", i+1, m[2], want)
		}
	}
	for _, want := range []string{
		"a second run after turn 2 is refused: 400 ",
		"delivered 3 runs, 1 refused",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(got)
	}
}
