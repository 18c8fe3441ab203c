package openai_test

import (
	"context"
	"fmt"
	"io"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	gogpt "github.com/sashabaranov/go-openai"
)

// Simple mode: a call with a pipeline slug becomes a one-step run of its
// own, submitted in the background; the response carries its ID.
func ExampleWithPipelineSlug() {
	ai := openaitest.NewServer() // a fake OpenAI; use openai.NewClient(key) for the real one
	defer ai.Close()
	backend := gentracetest.NewServer() // a fake Gentrace
	defer backend.Close()
	gc, _ := gentrace.New(gentrace.WithAPIKey(backend.APIKey), gentrace.WithBaseURL(backend.URL))
	defer gc.Shutdown(context.Background())

	client := openai.NewClientWithConfig(ai.ClientConfig(), openai.WithGentrace(gc))
	resp, err := client.CreateChatCompletion(context.Background(), gogpt.ChatCompletionRequest{
		Model:    gogpt.GPT4oMini,
		Messages: []gogpt.ChatCompletionMessage{{Role: gogpt.ChatMessageRoleUser, Content: "Hello!"}},
	}, openai.WithPipelineSlug("greeter"), openai.WithUserID("user-1"))
	if err != nil {
		panic(err)
	}
	_ = gc.Flush(context.Background())

	run, _ := backend.Run(resp.PipelineRunID)
	step := run.StepRuns[0]
	fmt.Println(run.Slug, step.Invocation, step.Context.UserID)
	fmt.Println("cost recorded:", step.Outputs["cost"] != nil)
	// Output:
	// greeter openai_createChatCompletion user-1
	// cost recorded: true
}

// Advanced mode: a client bound to a runner adds a step per call; a stream
// without usage gets estimated token counts, and the runner sums the cost.
func ExampleClient_ForRunner() {
	ai := openaitest.NewServer()
	defer ai.Close()
	backend := gentracetest.NewServer()
	defer backend.Close()
	gc, _ := gentrace.New(gentrace.WithAPIKey(backend.APIKey), gentrace.WithBaseURL(backend.URL))
	defer gc.Shutdown(context.Background())
	client := openai.NewClientWithConfig(ai.ClientConfig())

	ctx := context.Background()
	pipeline, _ := gc.NewPipeline("support-bot")
	runner, _ := pipeline.Start(ctx, gentrace.RunContext{UserID: "user-7"})
	bound := client.ForRunner(runner)

	request := gogpt.ChatCompletionRequest{
		Model:    gogpt.GPT4oMini,
		Messages: []gogpt.ChatCompletionMessage{{Role: gogpt.ChatMessageRoleUser, Content: "Where is my order?"}},
	}
	if _, err := bound.CreateChatCompletion(ctx, request); err != nil {
		panic(err)
	}
	stream, err := bound.CreateChatCompletionStream(ctx, request)
	if err != nil {
		panic(err)
	}
	for {
		if _, err := stream.Recv(); err == io.EOF {
			break
		} else if err != nil {
			panic(err)
		}
	}
	stream.Close()

	for _, s := range runner.Steps() {
		_, priced := s.Cost()
		fmt.Printf("%s: tokens estimated %v, priced %v\n", s.Invocation, s.Usage.Estimated, priced)
	}
	total, _ := runner.Cost()
	fmt.Println("run cost > 0:", total > 0)
	if _, err := runner.Submit(ctx, gentrace.WaitForServer()); err != nil {
		panic(err)
	}
	// Output:
	// openai_createChatCompletion: tokens estimated false, priced true
	// openai_createChatCompletion: tokens estimated true, priced true
	// run cost > 0: true
}
