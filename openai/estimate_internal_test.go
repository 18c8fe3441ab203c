package openai

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/gentrace/gentrace-go/internal/tokens"
	openai "github.com/sashabaranov/go-openai"
)

// TestChatPromptTokensMatchesTokens checks that counting messages one at a
// time through the cache gives tokens.ChatPrompt's total, cold and warm,
// for both encodings and for messages the cache skips.
func TestChatPromptTokensMatchesTokens(t *testing.T) {
	msgs := []openai.ChatCompletionMessage{
		{Role: "system", Content: "You are terse."},
		{Role: "user", Content: "Hello there, how are you?", Name: "alice"},
		{Role: "assistant", ToolCalls: []openai.ToolCall{{ID: "c1", Type: "function",
			Function: openai.FunctionCall{Name: "f", Arguments: `{"a":1}`}}}},
		{Role: "tool", ToolCallID: "c1", Content: "42"},
		{Role: "user", MultiContent: []openai.ChatMessagePart{{Type: "text", Text: "Look at this"},
			{Type: "image_url", ImageURL: &openai.ChatMessageImageURL{URL: "https://example.com/x.png"}}}},
		{Role: "assistant", Refusal: "I can't", ReasoningContent: "because"},
		{Role: "assistant", FunctionCall: &openai.FunctionCall{Name: "g", Arguments: "{}"}},
	}
	tools := []openai.Tool{
		{Type: "function", Function: &openai.FunctionDefinition{Name: "f", Description: "d", Parameters: map[string]any{"type": "object"}}},
		{Type: "function", Function: &openai.FunctionDefinition{Name: "g"}},
	}
	for _, model := range []string{"gpt-4o", "gpt-3.5-turbo", "unknown-model"} {
		for _, n := range []int{0, 1, 3, len(msgs)} {
			for _, tl := range [][]openai.Tool{nil, tools[:1], tools} {
				want := tokens.ChatPrompt(model, msgs[:n], tl)
				for pass := range 2 {
					if got := chatPromptTokens(model, msgs[:n], tl); got != want {
						t.Errorf("%s, %d messages, %d tools, pass %d: %d tokens, want %d", model, n, len(tl), pass, got, want)
					}
				}
			}
		}
	}
	// A message too large for the cache is counted every time.
	long := append(msgs[:1:1], openai.ChatCompletionMessage{Role: "user", Content: strings.Repeat("long text ", cacheMaxMessage/10+1)})
	want := tokens.ChatPrompt("gpt-4o", long, nil)
	for range 2 {
		if got := chatPromptTokens("gpt-4o", long, nil); got != want {
			t.Errorf("long message: %d tokens, want %d", got, want)
		}
	}
}

// TestTokenCacheBounds checks that the cache keeps at most two generations
// and that a recently used entry survives a generation change.
func TestTokenCacheBounds(t *testing.T) {
	var c tokenCache
	keep := messageKey{encoding: "e", content: "keep"}
	c.put(keep, 1)
	for i := range 3 * cacheEntries {
		c.put(messageKey{encoding: "e", content: fmt.Sprint(i)}, i)
		if i%100 == 0 {
			if n, ok := c.get(keep); !ok || n != 1 {
				t.Fatalf("entry in use lost after %d puts", i)
			}
		}
	}
	if n := len(c.cur) + len(c.old); n > 2*cacheEntries {
		t.Errorf("%d entries, want at most %d", n, 2*cacheEntries)
	}
	big := messageKey{content: strings.Repeat("x", cacheBytes/2+1)}
	c.put(big, 1)
	c.put(messageKey{content: strings.Repeat("y", cacheBytes/2+1)}, 2)
	if c.curBytes > cacheBytes {
		t.Errorf("%d bytes in the current generation, want at most %d", c.curBytes, cacheBytes)
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

// TestRememberReply checks that a reply's count, stored when its stream is
// completed, is what ChatPrompt gives for it as a history message.
func TestRememberReply(t *testing.T) {
	reply := openai.ChatCompletionMessage{Role: "assistant", Content: "A reply that the next turn resends, unique: 7f3a."}
	rememberReply("gpt-4o", reply, tokens.CompletionMessage("gpt-4o", reply))
	k := messageKey{encoding: tokens.EncodingForModel("gpt-4o"), role: reply.Role, content: reply.Content}
	got, ok := messageCounts.get(k)
	if !ok {
		t.Fatal("reply not remembered")
	}
	want := tokens.ChatPrompt("gpt-4o", []openai.ChatCompletionMessage{reply}, nil) - tokens.ChatPrompt("gpt-4o", nil, nil)
	if got != want {
		t.Errorf("remembered %d tokens, want %d", got, want)
	}
	history := []openai.ChatCompletionMessage{{Role: "user", Content: "q"}, reply}
	if got, want := chatPromptTokens("gpt-4o", history, nil), tokens.ChatPrompt("gpt-4o", history, nil); got != want {
		t.Errorf("history counted %d, want %d", got, want)
	}
}
