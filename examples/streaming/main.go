// Streaming shows streamed chat completions through the recording client:
// chunks reach the caller unchanged and at once, the step is recorded when
// the stream ends, and token usage is estimated when OpenAI sends none.
//
//	go run ./examples/streaming
//
// Three streams run in one Gentrace run: one without usage (tokens are
// counted with tiktoken and marked estimated), one with openai.WithExactUsage
// (OpenAI reports the usage; the extra usage-only chunk is hidden from the
// caller), and one closed after a few chunks (recorded as closed early).
//
// Without OPENAI_API_KEY and GENTRACE_API_KEY it talks to in-process fake
// services; with them it uses the real OpenAI API and Gentrace.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/examples/internal/exampleenv"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	env, err := exampleenv.Start(exampleenv.Options{ScriptOpenAI: script})
	if err != nil {
		return err
	}
	defer env.Close()
	ctx := context.Background()

	pipeline, err := env.Gentrace.NewPipeline("haiku-writer")
	if err != nil {
		return err
	}
	runner, err := pipeline.Start(ctx, gentrace.RunContext{UserID: "poet-7"})
	if err != nil {
		return err
	}
	// openai.WithExactStreamUsage() on the client would ask for exact usage
	// on every stream; here one call asks with openai.WithExactUsage().
	llm := env.OpenAI().ForRunner(runner)

	fmt.Println("1. Without usage in the stream (tokens estimated):")
	if err := stream(ctx, llm, "Write a haiku about Go's garbage collector.", -1); err != nil {
		return err
	}
	fmt.Println("2. With openai.WithExactUsage() (tokens reported by OpenAI):")
	if err := stream(ctx, llm, "Write a haiku about goroutines.", -1, openai.WithExactUsage()); err != nil {
		return err
	}
	fmt.Println("3. Closed by the caller after three chunks:")
	if err := stream(ctx, llm, "Write a haiku about channels.", 3); err != nil {
		return err
	}

	if _, err := runner.Submit(ctx); err != nil {
		return err
	}
	fmt.Println("Recorded steps:")
	for i, s := range runner.Steps() {
		fmt.Printf("  %d. %s\n", i+1, exampleenv.DescribeStep(s))
	}
	fmt.Println()

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := env.Gentrace.Flush(ctx); err != nil {
		return err
	}
	if srv := env.FakeGentrace(); srv != nil {
		if r, ok := srv.Run(runner.ID()); ok {
			fmt.Println("What the fake backend received, per step:")
			for i, s := range r.StepRuns {
				usage, _ := s.Outputs["usage"].(map[string]any)
				fmt.Printf("  %d. usage %v+%v tokens, usageEstimated %v, closedEarly %v, cost %s\n",
					i+1, usage["prompt_tokens"], usage["completion_tokens"],
					s.Outputs["usageEstimated"] == true, s.Outputs["closedEarly"] == true, exampleenv.OutputCost(s.Outputs))
			}
			fmt.Println()
		}
	}
	return nil
}

// stream sends prompt as a streamed chat completion and prints the chunks as
// they arrive. With stopAfter >= 0 it closes the stream after that many
// chunks.
func stream(ctx context.Context, llm *openai.Client, prompt string, stopAfter int, opts ...openai.CallOption) error {
	start := time.Now()
	s, err := llm.CreateChatCompletionStream(ctx, goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: prompt}},
	}, opts...)
	if err != nil {
		return err
	}
	defer s.Close()
	var first time.Duration
	fmt.Print("   ")
	for n := 0; n != stopAfter; n++ {
		chunk, err := s.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if first == 0 {
			first = time.Since(start)
		}
		if len(chunk.Choices) == 0 {
			// Never printed here: WithExactUsage hides the usage-only
			// chunk from a caller whose request did not ask for it.
			fmt.Print("[usage-only chunk]")
		}
		for _, ch := range chunk.Choices {
			fmt.Print(ch.Delta.Content)
		}
	}
	fmt.Printf("\n   (first chunk after %v)\n\n", first.Round(time.Millisecond))
	return nil
}

func script(srv *openaitest.Server) {
	usage := goopenai.Usage{PromptTokens: 15, CompletionTokens: 19, TotalTokens: 34}
	srv.Enqueue(openaitest.RouteChatCompletions,
		exampleenv.StreamReply("Quiet sweeper runs / while the program keeps on / nothing left to free"),
		// The usage the fake server sends when the request asks for it.
		exampleenv.StreamReply("Ten thousand small threads / each one waiting on a chan / the scheduler hums").WithUsage(usage),
		exampleenv.StreamReply("A value passes / from one goroutine to the next / no lock in between"),
	)
}
