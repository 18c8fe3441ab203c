package main

import (
	"bytes"
	"strings"
	"testing"
)

// The example runs offline, against the in-process fake services, records
// a one-step run and a three-step run, and prints what the backend got.
func TestRunOffline(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("GENTRACE_API_KEY", "")
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"running offline",
		"reply:  tracego",
		"topic:  Concurrency",
		"step 1: openai/openai_createChatCompletion",
		"step 2: openai/openai_createChatCompletion",
		"first token after",
		"step 3: app/render_html",
		`"userId": "user-42"`,
		"2 run(s) submitted, 2 delivered",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out.String())
	}
}
