package openaitest_test

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// A stream of three content chunks and a finish chunk; because the request
// asks for include_usage, a usage-only chunk follows before [DONE].
func ExampleChatStream() {
	srv := openaitest.NewServer()
	defer srv.Close()

	srv.Enqueue(openaitest.RouteChatCompletions, openaitest.ChatStream(
		openaitest.ChatChunks(3, openaitest.Choice{Content: "Hello, world!"})...,
	).WithUsage(goopenai.Usage{PromptTokens: 9, CompletionTokens: 4, TotalTokens: 13}))

	client := srv.Client()
	stream, err := client.CreateChatCompletionStream(context.Background(), goopenai.ChatCompletionRequest{
		Model:         goopenai.GPT4o,
		Messages:      []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Greet the world"}},
		StreamOptions: &goopenai.StreamOptions{IncludeUsage: true},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stream.Close()
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		if len(chunk.Choices) == 0 {
			fmt.Printf("usage: %d tokens\n", chunk.Usage.TotalTokens)
			continue
		}
		c := chunk.Choices[0]
		fmt.Printf("%q %q\n", c.Delta.Content, c.FinishReason)
	}
	// Output:
	// "" ""
	// "Hello" ""
	// ", wo" ""
	// "rld!" ""
	// "" "stop"
	// usage: 13 tokens
}

// Two parallel tool calls: each comes whole, in turn, opened by a header
// with its id and name; a consumer groups the deltas by Index.
func ExampleChatChunks() {
	srv := openaitest.NewServer()
	defer srv.Close()

	srv.Enqueue(openaitest.RouteChatCompletions, openaitest.ChatStream(openaitest.ChatChunks(2,
		openaitest.Choice{ToolCalls: []openaitest.ToolCall{
			{Name: "get_weather", Arguments: `{"city":"Paris"}`},
			{Name: "get_time", Arguments: `{"tz":"CET"}`},
		}},
	)...))

	stream, err := srv.Client().CreateChatCompletionStream(context.Background(), goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4o,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Weather and time?"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stream.Close()
	for {
		chunk, err := stream.Recv()
		if err != nil {
			break // io.EOF after [DONE]
		}
		c := chunk.Choices[0]
		for _, tc := range c.Delta.ToolCalls {
			fmt.Printf("index %d: id=%q name=%q arguments+=%q\n", *tc.Index, tc.ID, tc.Function.Name, tc.Function.Arguments)
		}
		if c.FinishReason != "" {
			fmt.Println("finish:", c.FinishReason)
		}
	}
	// Output:
	// index 0: id="call_0_0" name="get_weather" arguments+=""
	// index 0: id="" name="" arguments+="{\"city\":"
	// index 0: id="" name="" arguments+="\"Paris\"}"
	// index 1: id="call_0_1" name="get_time" arguments+=""
	// index 1: id="" name="" arguments+="{\"tz\":"
	// index 1: id="" name="" arguments+="\"CET\"}"
	// finish: tool_calls
}

// A stream that fails midway: three chunks (the role-only one and two
// pieces), then the connection drops.
func ExampleResponse_CutAfter() {
	srv := openaitest.NewServer()
	defer srv.Close()

	srv.Enqueue(openaitest.RouteChatCompletions, openaitest.ChatStream(
		openaitest.ChatChunks(4, openaitest.Choice{Content: "Interrupted"})...,
	).CutAfter(3))

	stream, err := srv.Client().CreateChatCompletionStream(context.Background(), goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4o,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Talk"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stream.Close()
	for {
		chunk, err := stream.Recv()
		if err != nil {
			fmt.Println("error:", err, errors.Is(err, io.ErrUnexpectedEOF))
			return
		}
		fmt.Printf("%q\n", chunk.Choices[0].Delta.Content)
	}
	// Output:
	// ""
	// "Int"
	// "err"
	// error: unexpected EOF true
}
