package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// The example runs offline: three calls with a slug become three one-step
// runs (the follow-up linked to the first), and the call without a slug is
// not recorded.
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
		`unrecorded: OK. (run ID "")`,
		"3 run(s) submitted, 3 delivered",
		`"beta": {`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, re := range []string{
		`received run \S+: travel-chat, openai_createChatCompletion, user "user-42", \d+ ms, cost \$0\.\d+, previous run ""`,
		`received run \S+: travel-chat, openai_createChatCompletion, user "user-42", \d+ ms, cost \$0\.\d+, previous run "[0-9a-f-]{36}"`,
		`received run \S+: travel-embeddings, openai_createEmbedding, user "", \d+ ms, cost \$0\.\d+`,
	} {
		if !regexp.MustCompile(re).MatchString(got) {
			t.Errorf("output lacks a line matching %s", re)
		}
	}
	if t.Failed() {
		t.Log(got)
	}
}
