package main

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The example runs offline, against the in-process fake services, and
// prints the spans of both runs.
func TestRunOffline(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("GENTRACE_API_KEY", "")
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"running offline",
		`"Name": "POST /chat"`,
		`"Name": "greeter"`,
		`"Name": "order-status"`,
		`"Name": "lookup_order"`,
		`"Name": "ChatCompletion"`,
		`"Key": "openinference.span.kind"`,
		`"Value": "LLM"`,
		`"Value": "CHAIN"`,
		`"Key": "session.id"`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %s", want)
		}
	}
	if t.Failed() {
		t.Log(out.String())
	}
}
