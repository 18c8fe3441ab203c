package main

import (
	"bytes"
	"strings"
	"testing"
)

// The example runs offline and shows the worked example of the merge rule:
// R {a: r, b: r}, S1 {a: 1, c: 1}, S2 {b: 2} give {a: r, b: 2, c: 1}, on the
// runner and on the wire.
func TestRunOffline(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("GENTRACE_API_KEY", "")
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"running offline",
		`refused: gentrace: invalid metadata: key "docs"`,
		`after Start:  a="r" b="r" c=(unset) cacheHit=false`,
		`after step 1: a="1" b="r" c="1" cacheHit=false`,
		`after step 2: a="r" b="2" c="1" cacheHit=true`,
		`  a         {"type":"string","value":"r"}`,
		`  b         {"type":"string","value":"2"}`,
		`  c         {"type":"string","value":"1"}`,
		`  cacheHit  {"type":"boolean","value":true}`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out.String())
	}
}
