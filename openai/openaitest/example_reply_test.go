package openaitest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// A scripted text answer for code that calls chat completions.
func ExampleTextReply() {
	srv := openaitest.NewServer()
	defer srv.Close()
	srv.Enqueue(openaitest.RouteChatCompletions, openaitest.TextReply("Paris is the capital of France."))

	resp, err := srv.Client().CreateChatCompletion(context.Background(), goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Capital of France?"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Choices[0].Message.Content)
	fmt.Println(resp.Choices[0].FinishReason, resp.ServiceTier)
	// Output:
	// Paris is the capital of France.
	// stop default
}

// The same reply answers a streaming request, one word per chunk after the
// role-only chunk that opens every streamed choice.
func ExampleTextReply_stream() {
	srv := openaitest.NewServer()
	defer srv.Close()
	srv.Enqueue(openaitest.RouteChatCompletions, openaitest.TextReply("Paris, of course."))

	stream, err := srv.Client().CreateChatCompletionStream(context.Background(), goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Capital of France?"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stream.Close()
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		c := chunk.Choices[0]
		fmt.Printf("role=%q content=%q finish=%q\n", c.Delta.Role, c.Delta.Content, c.FinishReason)
	}
	// Output:
	// role="assistant" content="" finish=""
	// role="" content="Paris," finish=""
	// role="" content=" of" finish=""
	// role="" content=" course." finish=""
	// role="" content="" finish="stop"
}

// The model asks for one function call.
func ExampleToolCallReply() {
	srv := openaitest.NewServer()
	defer srv.Close()
	srv.Enqueue(openaitest.RouteChatCompletions,
		openaitest.ToolCallReply(openaitest.ToolCall{Name: "get_weather", Arguments: `{"city":"Paris"}`}))

	resp, err := srv.Client().CreateChatCompletion(context.Background(), goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Weather in Paris?"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, tc := range resp.Choices[0].Message.ToolCalls {
		fmt.Println(tc.ID, tc.Function.Name, tc.Function.Arguments)
	}
	fmt.Println(resp.Choices[0].FinishReason)
	// Output:
	// call_0_0 get_weather {"city":"Paris"}
	// tool_calls
}

// The model asks for two function calls in parallel; a streamed answer sends
// each whole, in turn.
func ExampleToolCallReply_parallel() {
	srv := openaitest.NewServer()
	defer srv.Close()
	srv.Enqueue(openaitest.RouteChatCompletions, openaitest.ToolCallReply(
		openaitest.ToolCall{ID: "call_weather", Name: "get_weather", Arguments: `{"city":"Paris"}`},
		openaitest.ToolCall{ID: "call_time", Name: "get_time", Arguments: `{"tz":"CET"}`},
	))

	stream, err := srv.Client().CreateChatCompletionStream(context.Background(), goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Weather and time in Paris?"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stream.Close()
	var calls []goopenai.ToolCall
	for {
		chunk, err := stream.Recv()
		if err != nil {
			break // io.EOF after [DONE]
		}
		for _, d := range chunk.Choices[0].Delta.ToolCalls {
			if d.ID != "" {
				calls = append(calls, d)
				continue
			}
			calls[*d.Index].Function.Arguments += d.Function.Arguments
		}
	}
	for _, tc := range calls {
		fmt.Println(tc.ID, tc.Function.Name, tc.Function.Arguments)
	}
	// Output:
	// call_weather get_weather {"city":"Paris"}
	// call_time get_time {"tz":"CET"}
}

// A Responses API answer with reasoning, text and a function call, and exact
// usage with cached and reasoning tokens.
func ExampleReply() {
	srv := openaitest.NewServer()
	defer srv.Close()
	srv.Enqueue(openaitest.RouteResponses, openaitest.Reply(openaitest.Answer{
		Reasoning: []string{"The user wants the weather; I should call the tool."},
		Text:      "Let me check.",
		ToolCalls: []openaitest.ToolCall{{Name: "get_weather", Arguments: `{"city":"Paris"}`}},
	}).WithUsage(goopenai.Usage{PromptTokens: 1200, CompletionTokens: 80, TotalTokens: 1280,
		PromptTokensDetails:     &goopenai.PromptTokensDetails{CachedTokens: 1024},
		CompletionTokensDetails: &goopenai.CompletionTokensDetails{ReasoningTokens: 64}}))

	resp, err := srv.Client().CreateResponse(context.Background(), goopenai.CreateResponseRequest{
		Model: "gpt-5", Input: "Weather in Paris?",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.ID, resp.Status)
	for _, o := range resp.Output {
		b, _ := json.Marshal(o)
		var item goopenai.ResponseOutputItem
		_ = json.Unmarshal(b, &item)
		if item.Type == "function_call" {
			fmt.Println(item.Type, item.ID, item.CallID, item.Name, item.Arguments)
			continue
		}
		fmt.Println(item.Type, item.ID)
	}
	fmt.Println(resp.GetOutputText())
	u := resp.Usage
	fmt.Println(u.InputTokens, u.InputTokensDetails.CachedTokens, u.OutputTokens, u.OutputTokensDetails.ReasoningTokens)
	// Output:
	// resp_openaitest_1 completed
	// reasoning rs_openaitest_1_0
	// message msg_openaitest_1_1
	// function_call fc_openaitest_1_2 call_0_0 get_weather {"city":"Paris"}
	// Let me check.
	// 1200 1024 80 64
}

// A streamed Responses API answer arrives as OpenAI's typed events.
func ExampleReply_stream() {
	srv := openaitest.NewServer()
	defer srv.Close()
	srv.Enqueue(openaitest.RouteResponses, openaitest.TextReply("Sunny and warm."))

	stream, err := srv.Client().CreateResponseStream(context.Background(), goopenai.CreateResponseRequest{
		Model: "gpt-4.1", Input: "Weather in Paris?",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stream.Close()
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return // the stream ends after response.completed, without [DONE]
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%d %s %q\n", ev.SequenceNumber, ev.Type, ev.Delta)
	}
	// Output:
	// 0 response.created ""
	// 1 response.in_progress ""
	// 2 response.output_item.added ""
	// 3 response.content_part.added ""
	// 4 response.output_text.delta "Sunny"
	// 5 response.output_text.delta " and"
	// 6 response.output_text.delta " warm."
	// 7 response.output_text.done ""
	// 8 response.content_part.done ""
	// 9 response.output_item.done ""
	// 10 response.completed ""
}
