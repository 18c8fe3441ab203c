package tokens

import (
	"encoding/json"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

// Per-string counts the expectations below are built from (equal in
// o200k_base and cl100k_base unless both are given):
//
//	"system", "user", "assistant", "tool"                  1 each
//	"You are a helpful assistant."                         6
//	"What is the weather in Paris?"                        7
//	"example_user"                                         2
//	"Hi"                                                   1
//	"call_abc123"                                          4
//	"get_weather"                                          2
//	`{"city":"Paris"}`                                     5
//	"It is 18°C and sunny."                                8
//	"Describe this image:"                                 4
//	"I can't help with that."                              6 (o200k), 7 (cl100k)
//	"thinking..."                                          2
//	"Hello! How can I help?"                               7
var (
	system        = openai.ChatCompletionMessage{Role: "system", Content: "You are a helpful assistant."}
	userQuestion  = openai.ChatCompletionMessage{Role: "user", Content: "What is the weather in Paris?"}
	weatherCall   = openai.ToolCall{ID: "call_abc123", Type: openai.ToolTypeFunction, Function: openai.FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris"}`}}
	weatherCallFn = openai.FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris"}`}
)

func TestChatPromptMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		model string
		msgs  []openai.ChatCompletionMessage
		want  int
	}{
		{"no messages", "gpt-4o", nil, 3},
		{
			// (3+1+6) + (3+1+7) + 3
			"system and user", "gpt-4o",
			[]openai.ChatCompletionMessage{system, userQuestion}, 24,
		},
		{
			// (3+1+6) + (3+1+1 + 2 name + 1 for the name) + 3
			"named message", "gpt-4o",
			[]openai.ChatCompletionMessage{system, {Role: "user", Name: "example_user", Content: "Hi"}}, 21,
		},
		{
			// (3+1+7) + (3+1 + 2+5 tool call) + (3+1 + 4 id + 8) + 3;
			// the tool call's own ID is not counted.
			"tool round trip", "gpt-4o",
			[]openai.ChatCompletionMessage{
				userQuestion,
				{Role: "assistant", ToolCalls: []openai.ToolCall{weatherCall}},
				{Role: "tool", ToolCallID: "call_abc123", Content: "It is 18°C and sunny."},
			}, 41,
		},
		{
			// (3+1 + 2+5 function call) + 3
			"legacy function call", "gpt-4o",
			[]openai.ChatCompletionMessage{{Role: "assistant", FunctionCall: &weatherCallFn}}, 14,
		},
		{
			// (3+1 + 4 text part + 0 image part) + 3
			"multi-content", "gpt-4o",
			[]openai.ChatCompletionMessage{{Role: "user", MultiContent: []openai.ChatMessagePart{
				{Type: openai.ChatMessagePartTypeText, Text: "Describe this image:"},
				{Type: openai.ChatMessagePartTypeImageURL, ImageURL: &openai.ChatMessageImageURL{URL: "https://example.com/cat.png"}},
			}}}, 11,
		},
		{
			// (3+1 + 6 refusal + 2 reasoning) + 3
			"refusal and reasoning o200k", "gpt-4o",
			[]openai.ChatCompletionMessage{{Role: "assistant", Refusal: "I can't help with that.", ReasoningContent: "thinking..."}}, 15,
		},
		{
			// (3+1 + 7 refusal + 2 reasoning) + 3
			"refusal and reasoning cl100k", "gpt-4",
			[]openai.ChatCompletionMessage{{Role: "assistant", Refusal: "I can't help with that.", ReasoningContent: "thinking..."}}, 16,
		},
	}
	for _, tt := range tests {
		if got := ChatPrompt(tt.model, tt.msgs, nil); got != tt.want {
			t.Errorf("%s: ChatPrompt = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestChatPromptCookbook checks the message formula against the prompt
// tokens the OpenAI API itself reported for the example conversation of
// OpenAI's guide "How to count tokens with tiktoken".
func TestChatPromptCookbook(t *testing.T) {
	t.Parallel()
	msgs := []openai.ChatCompletionMessage{
		{Role: "system", Content: "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
		{Role: "system", Name: "example_user", Content: "New synergies will help drive top-line growth."},
		{Role: "system", Name: "example_assistant", Content: "Things working well together will increase revenue."},
		{Role: "system", Name: "example_user", Content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
		{Role: "system", Name: "example_assistant", Content: "Let's talk later when we're less busy about how to do better."},
		{Role: "user", Content: "This late pivot means we don't have time to boil the ocean for the client deliverable."},
	}
	for model, want := range map[string]int{"gpt-3.5-turbo-0613": 129, "gpt-4-0613": 129, "gpt-4o": 124, "gpt-4o-mini": 124} {
		if got := ChatPrompt(model, msgs, nil); got != want {
			t.Errorf("ChatPrompt(%s) = %d, want %d", model, got, want)
		}
	}
}

// Tool definitions and the counts of their text in o200k_base:
// name + description + compact parameters JSON.
var (
	// 2 + 8 + 19 = 29
	weatherTool = openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name:        "get_weather",
		Description: "Get the current weather for a city.",
		Parameters:  json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`),
	}}
	// 2 + 9 + 29 = 40, with the schema compacted and "<", ">" unescaped.
	timeTool = openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name:        "get_time",
		Description: "Get the current time in a time zone.",
		Strict:      true,
		Parameters: json.RawMessage(`{
			"type": "object",
			"properties": {"tz": {"type": "string", "description": "IANA zone, e.g. <Europe/Paris>"}}
		}`),
	}}
	// 1 + 4 + 14 = 19
	searchTool = openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name:        "search",
		Description: "Search the web.",
		Parameters:  json.RawMessage(`{"type":"object","properties":{"q":{"type":"string"}}}`),
	}}
)

func TestChatPromptTools(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		tools []openai.Tool
		want  int
	}{
		{"no tools", nil, 3},
		{"empty tools", []openai.Tool{}, 3},
		// 3 priming + 29 + 19
		{"one tool", []openai.Tool{weatherTool}, 51},
		// 3 priming + 29 + 40 + 19 + 35
		{"two tools", []openai.Tool{weatherTool, timeTool}, 126},
		// 3 priming + 29 + 40 + 19 + 19 + 35 + 12
		{"three tools", []openai.Tool{weatherTool, timeTool, searchTool}, 157},
		// 3 priming + 1 "function" type + 19: no definition, no text.
		{"function tool without definition", []openai.Tool{{Type: openai.ToolTypeFunction}}, 23},
		// 3 priming + 2 name + 8 description + 0 unrenderable schema + 19
		{
			"unrenderable schema",
			[]openai.Tool{{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
				Name: "get_weather", Description: "Get the current weather for a city.", Parameters: func() {},
			}}},
			32,
		},
		// 3 priming + 3 type + 7 `{"search_context_size":"low"}` + 19
		{
			"non-function tool",
			[]openai.Tool{{Type: "web_search_preview", Parameters: map[string]any{"search_context_size": "low"}}},
			32,
		},
	}
	for _, tt := range tests {
		if got := ChatPrompt("gpt-4o", nil, tt.tools); got != tt.want {
			t.Errorf("%s: ChatPrompt = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestChatPromptToolSchemaMap checks that a map schema counts as its JSON
// with sorted keys.
func TestChatPromptToolSchemaMap(t *testing.T) {
	t.Parallel()
	withMap := openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name: "get_weather",
		Parameters: map[string]any{
			"type":       "object",
			"required":   []string{"city"},
			"properties": map[string]any{"city": map[string]any{"type": "string"}},
		},
	}}
	withRaw := withMap
	withRaw.Function = &openai.FunctionDefinition{
		Name:       "get_weather",
		Parameters: json.RawMessage(`{"properties":{"city":{"type":"string"}},"required":["city"],"type":"object"}`),
	}
	got := ChatPrompt("gpt-4o", nil, []openai.Tool{withMap})
	if want := ChatPrompt("gpt-4o", nil, []openai.Tool{withRaw}); got != want {
		t.Errorf("ChatPrompt(map schema) = %d, want %d (the sorted JSON's)", got, want)
	}
}

func TestCompletionPrompt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		model, prompt string
		want          int
	}{
		{"gpt-3.5-turbo-instruct", "I can't help with that.", 7},
		{"davinci-002", "I can't help with that.", 7},
		{"gpt-4o", "I can't help with that.", 6},
		{"gpt-4o", "", 0},
	}
	for _, tt := range tests {
		if got := CompletionPrompt(tt.model, tt.prompt); got != tt.want {
			t.Errorf("CompletionPrompt(%s, %q) = %d, want %d", tt.model, tt.prompt, got, tt.want)
		}
	}
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		model     string
		text      string
		toolCalls []openai.ToolCall
		want      int
	}{
		{"text", "gpt-4o", "Hello! How can I help?", nil, 7},
		{"empty", "gpt-4o", "", nil, 0},
		{"tool call only", "gpt-4o", "", []openai.ToolCall{weatherCall}, 7},
		{"text and parallel tool calls", "gpt-4o", "Hello! How can I help?", []openai.ToolCall{weatherCall, weatherCall}, 21},
		{"cl100k", "gpt-4", "I can't help with that.", nil, 7},
	}
	for _, tt := range tests {
		if got := Completion(tt.model, tt.text, tt.toolCalls...); got != tt.want {
			t.Errorf("%s: Completion = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestCompletionMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msg  openai.ChatCompletionMessage
		want int
	}{
		{"empty", openai.ChatCompletionMessage{Role: "assistant"}, 0},
		// The role is not counted.
		{"content", openai.ChatCompletionMessage{Role: "assistant", Content: "Hello! How can I help?"}, 7},
		// 7 + 2+5
		{"content and tool call", openai.ChatCompletionMessage{Role: "assistant", Content: "Hello! How can I help?", ToolCalls: []openai.ToolCall{weatherCall}}, 14},
		// 2+5
		{"function call", openai.ChatCompletionMessage{Role: "assistant", FunctionCall: &weatherCallFn}, 7},
		// 6 + 2
		{"refusal and reasoning", openai.ChatCompletionMessage{Role: "assistant", Refusal: "I can't help with that.", ReasoningContent: "thinking..."}, 8},
	}
	for _, tt := range tests {
		if got := CompletionMessage("gpt-4o", tt.msg); got != tt.want {
			t.Errorf("%s: CompletionMessage = %d, want %d", tt.name, got, tt.want)
		}
	}
}
