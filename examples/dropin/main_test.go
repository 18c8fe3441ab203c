package main

import (
	"bytes"
	"strings"
	"testing"

	goopenai "github.com/sashabaranov/go-openai"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// An unmodified go-openai client satisfies the program's own interface:
// recording changes its configuration, not its type.
var _ Model = (*goopenai.Client)(nil)

// The example runs offline: the run gets the chat and embedding calls made
// with its context, each simple-mode call becomes a run of its own with the
// RunContext's user and metadata, and the call under neither records
// nothing.
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
		"step 1: openai/openai_createChatCompletion",
		"step 2: openai/openai_createEmbedding",
		"unrecorded:  Customer asks how to export data as CSV.",
		"The fake backend received 3 run(s):",
		`ticket-triage: user "agent-12", queue none, steps openai_createChatCompletion, openai_createEmbedding`,
		"3 run(s) submitted, 3 delivered",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if n := strings.Count(got, `ticket-summary: user "agent-12", queue billing, steps openai_createChatCompletion`+"\n"); n != 2 {
		t.Errorf("%d one-step simple-mode runs, want 2", n)
	}
	if t.Failed() {
		t.Log(got)
	}
}
