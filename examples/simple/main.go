// Simple shows simple mode: one-shot OpenAI calls that each become a
// one-step Gentrace run, submitted on their own, when given a pipeline slug.
//
//	go run ./examples/simple
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
	client := env.OpenAI()

	// A chat call with a pipeline slug: recorded with its cost and latency
	// and submitted in the background. The per-call user ID and metadata
	// belong to the run.
	first, err := client.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model: goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{
			{Role: goopenai.ChatMessageRoleSystem, Content: "You are a concise travel assistant."},
			{Role: goopenai.ChatMessageRoleUser, Content: "One thing to see in Lisbon?"},
		},
	},
		openai.WithPipelineSlug("travel-chat"),
		openai.WithUserID("user-42"),
		openai.WithMetadata(gentrace.Metadata{
			"channel": gentrace.String("web"),
			"beta":    gentrace.Bool(true),
		}),
	)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "chat:      ", first.Choices[0].Message.Content)
	fmt.Fprintln(out, "  run ID:  ", first.PipelineRunID)

	// The next turn of the conversation points at the previous run, so
	// Gentrace shows the two runs as one thread.
	second, err := client.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model: goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{
			{Role: goopenai.ChatMessageRoleSystem, Content: "You are a concise travel assistant."},
			{Role: goopenai.ChatMessageRoleUser, Content: "One thing to see in Lisbon?"},
			first.Choices[0].Message,
			{Role: goopenai.ChatMessageRoleUser, Content: "And where should I eat nearby?"},
		},
	},
		openai.WithPipelineSlug("travel-chat"),
		openai.WithUserID("user-42"),
		openai.WithPreviousRunID(first.PipelineRunID),
	)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "follow-up: ", second.Choices[0].Message.Content)
	fmt.Fprintln(out, "  run ID:  ", second.PipelineRunID, "(previous run", first.PipelineRunID+")")

	// Embeddings are recorded the same way (inputs: the input; model
	// params: every other request field).
	emb, err := client.CreateEmbeddings(ctx, goopenai.EmbeddingRequest{
		Model: goopenai.SmallEmbedding3,
		Input: []string{"Belém Tower", "Time Out Market"},
	}, openai.WithPipelineSlug("travel-embeddings"))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "embeddings: %d vectors of %d dimensions, %d tokens\n",
		len(emb.Data), len(emb.Data[0].Embedding), emb.Usage.TotalTokens)
	fmt.Fprintln(out, "  run ID:  ", emb.PipelineRunID)

	// Without a slug, and without a run in the context, nothing is recorded
	// and the response has no run ID: the client behaves like go-openai's.
	plain, err := client.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Say OK."}},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "unrecorded: %s (run ID %q)\n\n", plain.Choices[0].Message.Content, plain.PipelineRunID)

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := env.Gentrace.Flush(ctx); err != nil {
		return err
	}
	if srv := env.FakeGentrace(); srv != nil {
		for _, r := range srv.Runs() {
			step := r.StepRuns[0]
			fmt.Fprintf(out, "received run %s: %s, %s, user %q, %d ms, cost %s, previous run %q\n",
				r.ID, r.Slug, step.Invocation, step.Context.UserID, step.ElapsedTime,
				exampleenv.OutputCost(step.Outputs), r.PreviousRunID)
		}
		fmt.Fprintln(out)
	}
	env.PrintPayloads(first.PipelineRunID)
	return nil
}

func script(srv *openaitest.Server) {
	srv.Enqueue(openaitest.RouteChatCompletions,
		exampleenv.Reply("Take tram 28 up to the Alfama district and watch the sunset from Miradouro de Santa Luzia."),
		exampleenv.Reply("Try the grilled sardines at a tasca in Alfama, such as Pateo 13."),
		exampleenv.Reply("OK."),
	)
	// Embeddings get the server's built-in answer (deterministic unit
	// vectors), after a realistic delay.
	srv.SetDefault(openaitest.RouteEmbeddings, openaitest.Response{}.WithDelay(exampleenv.ReplyDelay/3))
}
