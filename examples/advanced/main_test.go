package main

import (
	"bytes"
	"strings"
	"testing"
)

// The example runs offline: turn 1 records a Measure step and a chat call,
// turn 2 a checkpoint, a tool call and two Measure steps, the second
// failing, and its run carries the error.
func TestRunOffline(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("GENTRACE_API_KEY", "")
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"running offline",
		"turn 1 reply: Your order A-1017 has shipped",
		"  1. shop/lookup_order",
		"  2. openai/openai_createChatCompletion",
		"refused as expected: gentrace:",
		`turn 2 tool call: cancel_order({"order_id":"A-1017"})`,
		"  1. rules/classify_intent",
		`  4. shop/cancel_order: `,
		`error "order already shipped: it cannot be cancelled"`,
		`"previousRunId": "`,
		`"error": "order already shipped: it cannot be cancelled"`,
		`"service": {`,
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
