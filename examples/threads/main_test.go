package main

import "testing"

// The example runs offline, against the in-process fake services, and
// succeeds.
func TestRunOffline(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("GENTRACE_API_KEY", "")
	if err := run(); err != nil {
		t.Fatal(err)
	}
}
