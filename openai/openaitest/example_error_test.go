package openaitest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// A scripted rate-limit error reaches the caller as go-openai's
// *goopenai.APIError, with OpenAI's type and code for a 429.
func ExampleError() {
	srv := openaitest.NewServer()
	defer srv.Close()

	srv.Enqueue(openaitest.RouteChatCompletions,
		openaitest.Error(429, "Rate limit reached for gpt-4o").WithHeader("Retry-After", "1"))

	_, err := srv.Client().CreateChatCompletion(context.Background(), goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4o,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Hi"}},
	})
	var apiErr *goopenai.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.HTTPStatusCode, apiErr.Type, apiErr.Code)
		fmt.Println(apiErr.Message)
	}
	// Output:
	// 429 requests rate_limit_exceeded
	// Rate limit reached for gpt-4o
}

// An error event in the middle of a stream, as OpenAI sends when a
// generation fails after it started.
func ExampleResponse_ErrorAfter() {
	srv := openaitest.NewServer()
	defer srv.Close()

	srv.Enqueue(openaitest.RouteChatCompletions, openaitest.ChatStream(
		openaitest.ChatChunks(3, openaitest.Choice{Content: "Hello there"})...,
	).ErrorAfter(2, goopenai.APIError{Message: "The server had an error while processing your request."}))

	stream, err := srv.Client().CreateChatCompletionStream(context.Background(), goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4o,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Hi"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stream.Close()
	for {
		chunk, err := stream.Recv()
		var apiErr *goopenai.APIError
		if errors.As(err, &apiErr) {
			fmt.Println("error:", apiErr.Type, "-", apiErr.Message)
			return
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%q\n", chunk.Choices[0].Delta.Content)
	}
	// Output:
	// ""
	// "Hell"
	// error: server_error - The server had an error while processing your request.
}
