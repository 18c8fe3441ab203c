package main

import (
	"bytes"
	"strings"
	"testing"
)

// The example runs offline: the user and session IDs of the context reach
// every run, in simple and in advanced mode, and RunContext wins over the
// context's metadata.
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
		"refused: gentrace: invalid context attribute: empty session ID",
		`received run support-escalation: userId "user-1017", sessionId support-session-88, plan enterprise`,
		"3 run(s) submitted, 3 delivered",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if n := strings.Count(got, `received run support-chat: userId "user-1017", sessionId support-session-88, plan pro`); n != 2 {
		t.Errorf("%d simple-mode runs carry the context's user, session and plan, want 2", n)
	}
	if t.Failed() {
		t.Log(got)
	}
}
