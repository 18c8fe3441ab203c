package main

import (
	"bytes"
	"strings"
	"testing"
)

// The example runs offline, against the in-process fake services, and
// records what it says it records.
func TestRunOffline(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("GENTRACE_API_KEY", "")
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"step 1: openai_createChatCompletion",
		"step 2: openai_createResponse",
		"step 3: openai_createEmbedding",
		"the model calls get_weather({\"city\":\"Paris\"})",
		"with 3 step(s): openai_createChatCompletion openai_createResponse openai_createEmbedding",
		`of "openaigo-example" (user "user-2") with 1 step(s): openai_createChatCompletion`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
