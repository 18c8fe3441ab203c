// Dropin records an unmodified *goopenai.Client: openai.Record makes its
// configuration record, and the client keeps go-openai's own types, so code
// written against an interface that *goopenai.Client satisfies records
// without a change.
//
//	go run ./examples/dropin
//
// What a call records into comes from its context:
//
//   - under pipeline.Start, the run the context carries (a step of it);
//   - under gentrace.WithPipeline, a one-step run of its own (simple mode);
//   - under neither, nothing: the call goes out as it would without
//     Gentrace.
//
// Without OPENAI_API_KEY and GENTRACE_API_KEY it talks to in-process fake
// services; with them it uses the real OpenAI API and Gentrace.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/examples/internal/exampleenv"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// Model is the part of an OpenAI client that the triage code needs, as a
// program declares it for its own tests. *goopenai.Client satisfies it.
type Model interface {
	CreateChatCompletion(ctx context.Context, req goopenai.ChatCompletionRequest) (goopenai.ChatCompletionResponse, error)
	CreateEmbeddings(ctx context.Context, conv goopenai.EmbeddingRequestConverter) (goopenai.EmbeddingResponse, error)
}

// Triage is application code: it knows go-openai and its own interface,
// not Gentrace.
type Triage struct {
	Model Model
}

// Summarize returns a one-line summary of a support ticket.
func (t Triage) Summarize(ctx context.Context, ticket string) (string, error) {
	resp, err := t.Model.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model: goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{
			{Role: goopenai.ChatMessageRoleSystem, Content: "Summarize the support ticket in one line."},
			{Role: goopenai.ChatMessageRoleUser, Content: ticket},
		},
	})
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(resp.Choices[0].Message.Content), nil
}

// Similarity returns the cosine similarity of two tickets' embeddings, to
// spot duplicates.
func (t Triage) Similarity(ctx context.Context, a, b string) (float64, error) {
	resp, err := t.Model.CreateEmbeddings(ctx, goopenai.EmbeddingRequest{
		Model: goopenai.SmallEmbedding3,
		Input: []string{a, b},
	})
	if err != nil {
		return 0, err
	}
	if len(resp.Data) != 2 {
		return 0, fmt.Errorf("embeddings: %d vectors for 2 inputs", len(resp.Data))
	}
	return cosine(resp.Data[0].Embedding, resp.Data[1].Embedding), nil
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range min(len(a), len(b)) {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

var tickets = []string{
	"I was charged twice for my March invoice, please refund one of the payments.",
	"My March invoice appears two times on my card statement.",
	"How do I export my data as CSV?",
}

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

	// The one line that adds recording: the configuration, not the client.
	// In a program: goopenai.NewClientWithConfig(openai.Record(goopenai.DefaultConfig(key))).
	client := goopenai.NewClientWithConfig(openai.Record(env.OpenAIConfig))
	triage := Triage{Model: client}

	// 1. A run: the calls made with its context are its steps.
	pipeline, err := env.Gentrace.NewPipeline("ticket-triage")
	if err != nil {
		return err
	}
	if err := triageTwo(ctx, out, pipeline, triage, tickets[0], tickets[1]); err != nil {
		return err
	}

	// 2. Simple mode: under a context that names a pipeline, every call is a
	// one-step run of it, with the RunContext's user ID and metadata.
	summaries, err := env.Gentrace.NewPipeline("ticket-summary")
	if err != nil {
		return err
	}
	simple, err := gentrace.WithPipeline(ctx, summaries, gentrace.RunContext{
		UserID:   "agent-12",
		Metadata: gentrace.Metadata{"queue": gentrace.String("billing")},
	})
	if err != nil {
		return err
	}
	for _, ticket := range tickets[1:] {
		summary, err := triage.Summarize(simple, ticket)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "simple mode:", summary)
	}

	// 3. Neither: the call is not recorded.
	summary, err := triage.Summarize(ctx, tickets[2])
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "unrecorded: ", summary)

	flushCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := env.Gentrace.Flush(flushCtx); err != nil {
		return err
	}
	if srv := env.FakeGentrace(); srv != nil {
		printRuns(out, srv.Runs())
	}
	fmt.Fprintln(out)
	return nil
}

// triageTwo summarizes a ticket and compares it with another in one run.
// The run travels in ctx, through Triage and its interface, to the
// recording client; the deferred End submits it.
func triageTwo(ctx context.Context, out io.Writer, pipeline *gentrace.Pipeline, triage Triage, ticket, other string) (err error) {
	ctx, run, err := pipeline.Start(ctx, gentrace.RunContext{UserID: "agent-12"})
	if err != nil {
		return err
	}
	defer run.End(&err)
	summary, err := triage.Summarize(ctx, ticket)
	if err != nil {
		return err
	}
	similarity, err := triage.Similarity(ctx, ticket, other)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "run:         %s (similarity to the next ticket %.2f)\n", summary, similarity)
	for i, s := range run.Steps() {
		fmt.Fprintf(out, "  step %d: %s\n", i+1, exampleenv.DescribeStep(s))
	}
	return nil
}

// printRuns lists the runs the fake backend received, by pipeline and start.
func printRuns(out io.Writer, runs []gentracetest.Run) {
	slices.SortFunc(runs, func(a, b gentracetest.Run) int {
		if c := cmp.Compare(a.Slug, b.Slug); c != 0 {
			return c
		}
		return a.StepRuns[0].StartTime.Compare(b.StepRuns[0].StartTime)
	})
	fmt.Fprintf(out, "\nThe fake backend received %d run(s):\n", len(runs))
	for _, r := range runs {
		steps := make([]string, len(r.StepRuns))
		for i, s := range r.StepRuns {
			steps[i] = s.Invocation
		}
		queue := "none"
		if v, ok := r.Metadata["queue"]; ok {
			queue = fmt.Sprint(v.Value)
		}
		fmt.Fprintf(out, "  %s: user %q, queue %s, steps %s\n",
			r.Slug, r.StepRuns[0].Context.UserID, queue, strings.Join(steps, ", "))
	}
}

// script gives the fake OpenAI server the chat answers, in order; the
// embeddings get its built-in answer.
func script(srv *openaitest.Server) {
	srv.Enqueue(openaitest.RouteChatCompletions,
		exampleenv.Reply("Customer charged twice for the March invoice; asks for a refund."),
		exampleenv.Reply("Customer sees the March invoice twice on the card statement."),
		exampleenv.Reply("Customer asks how to export data as CSV."),
		exampleenv.Reply("Customer asks how to export data as CSV."),
	)
	srv.SetDefault(openaitest.RouteEmbeddings, openaitest.Response{}.WithDelay(exampleenv.ReplyDelay/3))
}
