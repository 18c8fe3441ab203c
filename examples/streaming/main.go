// Streaming shows streamed chat completions through the recording client:
// chunks reach the caller unchanged and at once, the step is recorded when
// the stream ends, with its time to first token, and the token usage is
// OpenAI's own or, where the stream carries none, an estimate.
//
//	go run ./examples/streaming
//
// Three streams run in one Gentrace run, each through a client whose
// recorder asks for usage differently:
//
//  1. openaihttp.StreamUsageNever: the request is sent as written, without
//     usage; the tokens are counted with tiktoken and marked estimated.
//  2. openaihttp.StreamUsageAlways: the recorder adds
//     stream_options.include_usage, OpenAI (or a compatible server) reports
//     the usage, and the extra usage-only chunk is hidden from the caller,
//     who did not ask for it.
//  3. The default, openaihttp.StreamUsageAuto: exact usage from OpenAI's own
//     API (api.openai.com), an estimate from other endpoints, such as the
//     in-process fake server or Azure. This stream is closed by the caller
//     after three chunks and recorded as closed early.
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
	"os"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/examples/internal/exampleenv"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/gentrace/gentrace-go/openaihttp"
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
	defer func() { err = errors.Join(err, env.Close()) }()
	ctx := context.Background()

	pipeline, err := env.Gentrace.NewPipeline("haiku-writer")
	if err != nil {
		return err
	}
	clients := clients{
		estimating: env.OpenAI(openai.WithRecorder(openaihttp.New(openaihttp.WithStreamUsage(openaihttp.StreamUsageNever)))),
		exact:      env.OpenAI(openai.WithRecorder(openaihttp.New(openaihttp.WithStreamUsage(openaihttp.StreamUsageAlways)))),
		byDefault:  env.OpenAI(),
	}
	haikus, err := clients.write(ctx, out, pipeline)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "Recorded steps:")
	for i, s := range haikus.Steps() {
		fmt.Fprintf(out, "  %d. %s\n", i+1, exampleenv.DescribeStep(s))
	}
	fmt.Fprintln(out)

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := env.Gentrace.Flush(ctx); err != nil {
		return err
	}
	if srv := env.FakeGentrace(); srv != nil {
		if r, ok := srv.Run(haikus.ID()); ok {
			fmt.Fprintln(out, "What the fake backend received, per step:")
			for i, s := range r.StepRuns {
				usage, _ := s.Outputs["usage"].(map[string]any)
				fmt.Fprintf(out, "  %d. usage %v+%v tokens, usageEstimated %v, closedEarly %v, timeToFirstTokenMs %v, cost %s\n",
					i+1, usage["prompt_tokens"], usage["completion_tokens"],
					s.Outputs["usageEstimated"] == true, s.Outputs["closedEarly"] == true,
					s.Outputs["timeToFirstTokenMs"], exampleenv.OutputCost(s.Outputs))
			}
			fmt.Fprintln(out)
		}
	}
	return nil
}

// clients are OpenAI clients whose recorders ask for stream usage in
// different ways.
type clients struct {
	estimating, exact, byDefault *openai.Client
}

// write streams three haikus in one run, which the deferred End submits.
func (c clients) write(ctx context.Context, out io.Writer, pipeline *gentrace.Pipeline) (run *gentrace.Runner, err error) {
	ctx, run, err = pipeline.Start(ctx, gentrace.RunContext{UserID: "poet-7"})
	if err != nil {
		return nil, err
	}
	defer run.End(&err)

	fmt.Fprintln(out, "1. StreamUsageNever (tokens estimated):")
	if err := stream(ctx, out, c.estimating, "Write a haiku about Go's garbage collector.", -1); err != nil {
		return run, err
	}
	fmt.Fprintln(out, "2. StreamUsageAlways (tokens reported by the server):")
	if err := stream(ctx, out, c.exact, "Write a haiku about goroutines.", -1); err != nil {
		return run, err
	}
	fmt.Fprintln(out, "3. The default, closed by the caller after three chunks:")
	if err := stream(ctx, out, c.byDefault, "Write a haiku about channels.", 3); err != nil {
		return run, err
	}
	return run, nil
}

// stream sends prompt as a streamed chat completion and prints the chunks as
// they arrive. With stopAfter >= 0 it closes the stream after that many
// chunks. Closing the stream ends its step.
func stream(ctx context.Context, out io.Writer, client *openai.Client, prompt string, stopAfter int) error {
	start := time.Now()
	s, err := client.CreateChatCompletionStream(ctx, goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: prompt}},
	})
	if err != nil {
		return err
	}
	defer s.Close()
	var first time.Duration
	fmt.Fprint(out, "   ")
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
			// Never printed here: the recorder hides the usage-only chunk
			// it asked for from a caller whose request did not ask for it.
			fmt.Fprint(out, "[usage-only chunk]")
		}
		for _, ch := range chunk.Choices {
			fmt.Fprint(out, ch.Delta.Content)
		}
	}
	fmt.Fprintf(out, "\n   (first chunk after %v)\n\n", first.Round(time.Millisecond))
	return nil
}

func script(srv *openaitest.Server) {
	srv.Enqueue(openaitest.RouteChatCompletions,
		exampleenv.Reply("Quiet sweeper runs / while the program keeps on / nothing left to free"),
		// The usage the fake server reports when the request asks for it
		// (without WithUsage it would estimate about four bytes a token).
		exampleenv.Reply("Ten thousand small threads / each one waiting on a chan / the scheduler hums").
			WithUsage(goopenai.Usage{PromptTokens: 15, CompletionTokens: 19, TotalTokens: 34}),
		exampleenv.Reply("A value passes / from one goroutine to the next / no lock in between"),
	)
}
