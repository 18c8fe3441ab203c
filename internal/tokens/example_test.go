package tokens_test

import (
	"fmt"

	openai "github.com/sashabaranov/go-openai"

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

func ExampleChatPrompt() {
	msgs := []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: "You are a helpful assistant."},
		{Role: openai.ChatMessageRoleUser, Content: "What is the weather in Paris?"},
	}
	// (3 + 1 + 6) + (3 + 1 + 7) + 3 for priming the reply.
	fmt.Println(tokens.ChatPrompt("gpt-4o", msgs, nil))
	// Output: 24
}

func ExampleCount() {
	// Special-token strings are ordinary text.
	fmt.Println(tokens.Count(tokens.O200kBase, "tiktoken is great!"))
	fmt.Println(tokens.Count(tokens.O200kBase, "<|endoftext|>"))
	// Output:
	// 6
	// 7
}
