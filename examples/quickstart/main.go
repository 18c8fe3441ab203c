// Quickstart records OpenAI calls with Gentrace, first in simple mode (one
// call, one run) and then in advanced mode (a run that collects a chat call,
// a streamed call and a step of your own).
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
	"os"
	"strings"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/examples/internal/exampleenv"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(out io.Writer) (err error) {
	env, err := exampleenv.Start(exampleenv.Options{ScriptOpenAI: script, Out: out})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.Close()) }() // client.Shutdown: delivers what is still pending
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
	fmt.Fprintln(out, "Simple mode")
	fmt.Fprintln(out, "  reply: ", resp.Choices[0].Message.Content)
	fmt.Fprintln(out, "  run ID:", resp.PipelineRunID)

	// Advanced mode: a run collects several steps.
	pipeline, err := gc.NewPipeline("quickstart")
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "\nAdvanced mode")
	handled, err := answer(ctx, out, pipeline, client, "How do I stop a goroutine that is waiting on a slow network call?")
	if err != nil {
		return err
	}

	// The run was submitted when answer returned; Flush waits until it is
	// delivered.
	flushCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := gc.Flush(flushCtx); err != nil {
		return err
	}
	fmt.Fprintln(out, "  run ID:", handled.ID())
	for i, step := range handled.Steps() {
		fmt.Fprintf(out, "  step %d: %s\n", i+1, exampleenv.DescribeStep(step))
	}
	total, _ := handled.Cost()
	fmt.Fprintf(out, "  run: cost %s, %v\n\n", exampleenv.USD(total), handled.Elapsed().Round(time.Millisecond))

	env.PrintPayloads(handled.ID())
	return nil
}

// answer is a request handler of your program: one run of the pipeline with
// three steps. The run travels in ctx, so the OpenAI client and Measure
// record into it, and the deferred End submits it on every path, recording
// the error if there is one.
func answer(ctx context.Context, out io.Writer, pipeline *gentrace.Pipeline, client *openai.Client, question string) (run *gentrace.Runner, err error) {
	ctx, run, err = pipeline.Start(ctx, gentrace.RunContext{UserID: "user-42"})
	if err != nil {
		return nil, err
	}
	defer run.End(&err)

	// Step 1: a chat call.
	topic, err := client.CreateChatCompletion(ctx, chat("Give the topic of this Go question in one word: "+question))
	if err != nil {
		return run, err
	}
	fmt.Fprintln(out, "  topic: ", topic.Choices[0].Message.Content)

	// Step 2: a streamed call; chunks arrive as the model writes them.
	stream, err := client.CreateChatCompletionStream(ctx, chat("Answer in two sentences: "+question))
	if err != nil {
		return run, err
	}
	fmt.Fprint(out, "  answer: ")
	text, err := printStream(out, stream)
	if err != nil {
		return run, err
	}

	// Step 3: your own code, timed and recorded with its inputs and outputs;
	// Gentrace shows the "html" output as a page.
	_, err = gentrace.Measure(ctx, map[string]any{"answer": text},
		func(context.Context) (map[string]string, error) {
			return map[string]string{"html": "<p>" + html.EscapeString(text) + "</p>"}, nil
		},
		gentrace.WithProvider("app", "render_html"), gentrace.WithRender("html"))
	return run, err
}

// printStream prints a stream's text as it arrives and returns it. Closing
// the stream ends its step.
func printStream(out io.Writer, stream *openai.ChatCompletionStream) (string, error) {
	defer stream.Close()
	var text strings.Builder
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			fmt.Fprintln(out)
			return text.String(), nil
		}
		if err != nil {
			return text.String(), err
		}
		if len(chunk.Choices) > 0 {
			fmt.Fprint(out, chunk.Choices[0].Delta.Content)
			text.WriteString(chunk.Choices[0].Delta.Content)
		}
	}
}

// chat is a one-message request to a small model.
func chat(prompt string) goopenai.ChatCompletionRequest {
	return goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: prompt}},
	}
}

// script gives the fake OpenAI server the replies of this example's calls,
// in order. A reply streams when the request asks for a stream.
func script(srv *openaitest.Server) {
	srv.Enqueue(openaitest.RouteChatCompletions,
		exampleenv.Reply("tracego"),
		exampleenv.Reply("Concurrency"),
		exampleenv.Reply("Pass a context.Context to the call and cancel it when you want the goroutine to stop. "+
			"The call returns ctx.Err() and the goroutine can exit cleanly."),
	)
}
