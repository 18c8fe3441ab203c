package openai

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/gentrace/gentrace-go/internal/tokens"
	openai "github.com/sashabaranov/go-openai"
)

// TestChatPromptTokensWireForm checks that a go-openai request is counted
// as its JSON body: tools, the legacy functions, tool_choice, parts with
// images, tool calls and tool messages all reach internal/tokens.
func TestChatPromptTokensWireForm(t *testing.T) {
	req := openai.ChatCompletionRequest{
		Model: "gpt-4o",
		Messages: []openai.ChatCompletionMessage{
			{Role: "system", Content: "You are terse."},
			{Role: "user", Content: "Hello there, how are you?", Name: "alice"},
			{Role: "assistant", ToolCalls: []openai.ToolCall{{ID: "c1", Type: "function",
				Function: openai.FunctionCall{Name: "f", Arguments: `{"a":1}`}}}},
			{Role: "tool", ToolCallID: "c1", Content: "42"},
			{Role: "user", MultiContent: []openai.ChatMessagePart{{Type: "text", Text: "Look at this"},
				{Type: "image_url", ImageURL: &openai.ChatMessageImageURL{URL: "https://example.com/x.png", Detail: "high"}}}},
		},
		Tools: []openai.Tool{
			{Type: "function", Function: &openai.FunctionDefinition{Name: "f", Description: "d",
				Parameters: map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "integer"}}}}},
		},
		ToolChoice: "none",
	}
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var wire tokens.ChatRequest
	if err := json.Unmarshal(body, &wire); err != nil {
		t.Fatal(err)
	}
	want := tokens.ChatPrompt("gpt-4o", &wire)
	got := chatPromptTokens("gpt-4o", &req)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("chatPromptTokens = %+v, want %+v", got, want)
	}
	if got.Complete() {
		t.Errorf("a remote image must be reported as unmeasured: %+v", got)
	}
	// Without the tools, the image and tool_choice the count is smaller.
	plain := req
	plain.Tools, plain.ToolChoice, plain.Messages = nil, nil, req.Messages[:2]
	if p := chatPromptTokens("gpt-4o", &plain); p.Tokens >= got.Tokens {
		t.Errorf("plain prompt %d tokens, full %d", p.Tokens, got.Tokens)
	}
}

// TestChatCompletionTokensCalls checks that generated tool calls are
// counted with their framing, more than their names and arguments.
func TestChatCompletionTokensCalls(t *testing.T) {
	msg := openai.ChatCompletionMessage{Role: "assistant", ToolCalls: []openai.ToolCall{
		{ID: "a", Type: "function", Function: openai.FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris"}`}},
	}}
	got := chatCompletionTokens("gpt-4o", []openai.ChatCompletionMessage{msg}).Tokens
	text := tokens.Count(tokens.O200kBase, "get_weather") + tokens.Count(tokens.O200kBase, `{"city":"Paris"}`)
	if got <= text {
		t.Errorf("one call: %d tokens, want more than its text's %d", got, text)
	}
	if n := completionPromptTokens("gpt-4o", []int{1, 2, 3}).Tokens; n != 3 {
		t.Errorf("token prompt: %d tokens, want 3", n)
	}
	if n := completionPromptTokens("gpt-4o", []string{"a b", "c"}).Tokens; n != 3 {
		t.Errorf("string prompts: %d tokens, want 3", n)
	}
}

// TestMembersMatchesUnmarshal checks the object splitter against
// encoding/json on the encodings of go-openai's types and odd values.
func TestMembersMatchesUnmarshal(t *testing.T) {
	seed := 3
	values := []any{
		openai.ChatCompletionRequest{Model: "m", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: `quote " brace } bracket ] \ backslash`}},
			Seed: &seed, Stop: []string{",", "}"}, LogitBias: map[string]int{"1": 2}},
		openai.ChatCompletionResponse{ID: "x", Choices: []openai.ChatCompletionChoice{{Message: openai.ChatCompletionMessage{Role: "assistant", Content: "{[,]}"}}}},
		openai.CompletionRequest{Prompt: []string{"a", "b"}},
		openai.EmbeddingRequest{Input: [][]int{{1, 2}, {3}}, Model: "e"},
		map[string]any{"weird \"key\"": 1, "ünïcode": "\u2028", "nested": map[string]any{"a": []any{nil, true, 1.5e300}}, "": ""},
		map[string]any{},
	}
	for i, v := range values {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		got := map[string]json.RawMessage{}
		if !members(data, func(k string, raw json.RawMessage) { got[k] = raw }) {
			t.Fatalf("value %d: members refused %s", i, data)
		}
		if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("value %d: members = %v, want %v", i, got, want)
		}
	}
	for _, bad := range []string{`{`, `{"a"}`, `{"a":}`, `{"a":1`, `{"a":1,}x`, `{"a":"unterminated}`, `{1:2}`, `{"a":1}}`} {
		called := false
		if members([]byte(bad), func(string, json.RawMessage) { called = true }) || called {
			t.Errorf("members accepted %s", bad)
		}
	}
}

// TestObjectAndSplit checks the outputs and split helpers on values that do
// not encode to objects or cannot be encoded.
func TestObjectAndSplit(t *testing.T) {
	if got := object([]int{1}); string(got["value"].(json.RawMessage)) != "[1]" {
		t.Errorf("object([1]) = %v", got)
	}
	if got := object(make(chan int)); got["encodingError"] == nil {
		t.Errorf("object(chan) = %v", got)
	}
	in, params := split(map[string]any{"a": 1, "b": 2}, "a")
	if len(in) != 1 || len(params) != 1 || in["a"] == nil || params["b"] == nil {
		t.Errorf("split = %v, %v", in, params)
	}
}

// TestEstimateReportsUnmeasured checks that what the estimate could not
// measure reaches the caller of chatRecord.estimate, which records it under
// outputs.usageUnmeasured: a reasoning model's hidden tokens, a remote
// image.
func TestEstimateReportsUnmeasured(t *testing.T) {
	reply := streamedChat{Choices: []streamedChoice{{Message: openai.ChatCompletionMessage{Role: "assistant", Content: "42"}}}}
	plain := &chatRecord{request: openai.ChatCompletionRequest{Model: "gpt-4o",
		Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "hi"}}}}
	if u, notes := plain.estimate("gpt-4o", reply); len(notes) != 0 || !u.Estimated || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("plain chat: %+v, %q", u, notes)
	}
	if _, notes := plain.estimate("o3-mini", reply); len(notes) != 1 || !strings.Contains(notes[0], "reasoning") {
		t.Errorf("reasoning model: notes %q, want the hidden reasoning tokens", notes)
	}
	image := &chatRecord{request: openai.ChatCompletionRequest{Model: "gpt-4o", Messages: []openai.ChatCompletionMessage{{Role: "user",
		MultiContent: []openai.ChatMessagePart{{Type: "image_url", ImageURL: &openai.ChatMessageImageURL{URL: "https://example.com/a.png"}}}}}}}
	if _, notes := image.estimate("gpt-4o", reply); len(notes) != 1 || !strings.Contains(notes[0], "image") {
		t.Errorf("remote image: notes %q", notes)
	}
}
