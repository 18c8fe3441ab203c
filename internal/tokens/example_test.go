package tokens_test

import (
	"encoding/json"
	"fmt"

	"github.com/gentrace/gentrace-go/internal/tokens"
)

func ExampleEncodingForModel() {
	fmt.Println(tokens.EncodingForModel("gpt-4-turbo"))
	fmt.Println(tokens.EncodingForModel("ft:gpt-4o-mini-2024-07-18:acme::abc123"))
	fmt.Println(tokens.EncodingForModel("some-future-model"))
	// Output:
	// cl100k_base
	// o200k_base
	// o200k_base
}

func ExampleCount() {
	// Special-token strings are ordinary text.
	fmt.Println(tokens.Count(tokens.O200kBase, "tiktoken is great!"))
	fmt.Println(tokens.Count(tokens.O200kBase, "<|endoftext|>"))
	// Output:
	// 6
	// 7
}

// A wire recorder decodes the request body it forwarded and counts it.
func ExampleChatPrompt() {
	body := []byte(`{
	  "model": "gpt-4o",
	  "messages": [
	    {"role": "system", "content": "You are a helpful assistant that can answer to questions about the weather."},
	    {"role": "user", "content": "What's the weather like in San Francisco?"}
	  ],
	  "tools": [{"type": "function", "function": {
	    "name": "get_current_weather",
	    "description": "Get the current weather in a given location",
	    "parameters": {"type": "object", "properties": {
	      "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
	      "unit": {"type": "string", "description": "The unit of temperature to return", "enum": ["celsius", "fahrenheit"]}},
	      "required": ["location"]}}}]
	}`)
	var req tokens.ChatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		fmt.Println(err)
		return
	}
	est := tokens.ChatPrompt("", &req)
	fmt.Println(est.Tokens, est.Complete())
	// Output: 101 true
}

func ExampleChatCompletion() {
	// Two parallel calls, as a stream without usage delivered them.
	choice := tokens.ChatMessage{Role: "assistant", ToolCalls: []tokens.ToolCall{
		{ID: "call_1", Type: "function", Function: tokens.FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris","unit":"celsius"}`}},
		{ID: "call_2", Type: "function", Function: tokens.FunctionCall{Name: "get_time", Arguments: `{"timezone":"Europe/Paris"}`}},
	}}
	fmt.Println(tokens.ChatCompletion("gpt-4o", []tokens.ChatMessage{choice}).Tokens)
	// Output: 48
}

func ExampleEstimate() {
	body := []byte(`{"model": "gpt-4o", "messages": [{"role": "user", "content": [
	  {"type": "text", "text": "What is in this image?"},
	  {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}]}]}`)
	var req tokens.ChatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		fmt.Println(err)
		return
	}
	est := tokens.ChatPrompt("", &req)
	fmt.Println(est.Tokens, est.Complete())
	fmt.Println(est.Unmeasured[0])
	// Output:
	// 98 false
	// remote image counted at the low-detail cost of 85 tokens (its size is unknown)
}

func ExampleImageTokens() {
	fmt.Println(tokens.ImageTokens("gpt-4o", "high", 1024, 1024))
	fmt.Println(tokens.ImageTokens("gpt-4o", "low", 1024, 1024))
	fmt.Println(tokens.ImageTokens("gpt-4.1-mini", "", 1024, 1024))
	// Output:
	// 765
	// 85
	// 1659
}
