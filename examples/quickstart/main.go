// Quickstart records OpenAI calls with Gentrace, first in simple mode (one
// call, one run) and then in advanced mode (a runner that collects a chat
// call, a streamed call and a step of your own into one run).
//
//	go run ./examples/quickstart
//
// Without OPENAI_API_KEY and GENTRACE_API_KEY it talks to in-process fake
// services and prints the payload Gentrace would receive; with them it uses
// the real OpenAI API and Gentrace.
package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log"
	"strings"
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
	defer env.Close() // client.Shutdown: delivers what is still pending
	ctx := context.Background()

	// In your program: gc, err := gentrace.New() and
	// client := openai.NewClient(os.Getenv("OPENAI_API_KEY"), openai.WithGentrace(gc)).
	gc, client := env.Gentrace, env.OpenAI()

	// Simple mode: a call with a pipeline slug is a one-step run, submitted
	// in the background. The response carries the run's ID.
	resp, err := client.CreateChatCompletion(ctx,
		chat("Suggest a name for a Go library that records LLM calls. Answer with the name only."),
		openai.WithPipelineSlug("quickstart-simple"))
	if err != nil {
		return err
	}
	fmt.Println("Simple mode")
	fmt.Println("  reply: ", resp.Choices[0].Message.Content)
	fmt.Println("  run ID:", resp.PipelineRunID)

	// Advanced mode: a runner collects several steps into one run.
	pipeline, err := gc.NewPipeline("quickstart")
	if err != nil {
		return err
	}
	runner, err := pipeline.Start(ctx, gentrace.RunContext{UserID: "user-42"})
	if err != nil {
		return err
	}
	llm := client.ForRunner(runner) // every call is a step of this run
	question := "How do I stop a goroutine that is waiting on a slow network call?"

	// Step 1: a chat call.
	topic, err := llm.CreateChatCompletion(ctx, chat("Give the topic of this Go question in one word: "+question))
	if err != nil {
		return err
	}
	fmt.Println("\nAdvanced mode")
	fmt.Println("  topic: ", topic.Choices[0].Message.Content)

	// Step 2: a streamed call; chunks arrive as the model writes them.
	stream, err := llm.CreateChatCompletionStream(ctx, chat("Answer in two sentences: "+question))
	if err != nil {
		return err
	}
	var answer strings.Builder
	fmt.Print("  answer: ")
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			stream.Close()
			return err
		}
		if len(chunk.Choices) > 0 {
			fmt.Print(chunk.Choices[0].Delta.Content)
			answer.WriteString(chunk.Choices[0].Delta.Content)
		}
	}
	stream.Close()
	fmt.Println()

	// Step 3: your own code, timed and recorded with its inputs and outputs.
	_, err = gentrace.Measure(runner, map[string]any{"answer": answer.String()},
		func() (map[string]string, error) {
			return map[string]string{"html": "<p>" + html.EscapeString(answer.String()) + "</p>"}, nil
		},
		gentrace.WithProvider("app", "render_html"), gentrace.WithRender("html"))
	if err != nil {
		return err
	}

	// Submit returns the run's ID at once; Flush waits for the delivery.
	runID, err := runner.Submit(ctx)
	if err != nil {
		return err
	}
	flushCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := gc.Flush(flushCtx); err != nil {
		return err
	}
	fmt.Println("  run ID:", runID)

	for i, step := range runner.Steps() {
		fmt.Printf("  step %d: %s/%s, latency %v", i+1, step.ProviderName, step.Invocation, step.Elapsed().Round(time.Millisecond))
		if cost, ok := step.Cost(); ok {
			fmt.Printf(", cost %s", exampleenv.USD(cost.USD()))
		} else {
			fmt.Print(", no cost (not a priced model call)")
		}
		if u := step.Usage; u != nil {
			fmt.Printf(", tokens %d prompt + %d completion", u.PromptTokens, u.CompletionTokens)
			if u.Estimated {
				fmt.Print(" (estimated: the stream sent no usage)")
			}
		}
		fmt.Println()
	}
	total, _ := runner.Cost()
	fmt.Printf("  run: cost %s, %v\n\n", exampleenv.USD(total), runner.Elapsed().Round(time.Millisecond))

	env.PrintPayloads(runID)
	return nil
}

// chat is a one-message request to a small model.
func chat(prompt string) goopenai.ChatCompletionRequest {
	return goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: prompt}},
	}
}

// script gives the fake OpenAI server the replies of this example's calls,
// in order.
func script(srv *openaitest.Server) {
	srv.Enqueue(openaitest.RouteChatCompletions,
		exampleenv.Reply("tracego"),
		exampleenv.Reply("Concurrency"),
		exampleenv.StreamReply("Pass a context.Context to the call and cancel it when you want the goroutine to stop. "+
			"The call returns ctx.Err() and the goroutine can exit cleanly."),
	)
}
