package main

// This file is the only one whose tests use gentrace-go's public API (and
// its openai wrapper): the browser test and the ingest benchmark submit
// their runs through the SDK's real delivery, and everything they need from
// the SDK is here, so that a change of the SDK's API is adapted in one
// place.

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// sdk is a gentrace-go client delivering to a gentrace-dev API, with a fake
// OpenAI server for the OpenAI steps.
type sdk struct {
	client *gentrace.Client
	oa     *openaitest.Server

	mu        sync.Mutex
	pipelines map[string]*gentrace.Pipeline
}

// newSDK makes a client for the API at apiBase (ending in /api), with the
// given number of delivery workers (0: the SDK's default). Cleanup shuts
// it down.
func newSDK(tb testing.TB, apiBase string, workers int) *sdk {
	tb.Helper()
	opts := []gentrace.Option{gentrace.WithAPIKey("dev"), gentrace.WithBaseURL(apiBase)}
	if workers > 0 {
		opts = append(opts, gentrace.WithWorkers(workers), gentrace.WithQueueSize(100_000))
	}
	c, err := gentrace.New(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	s := &sdk{client: c, oa: openaitest.NewServer(), pipelines: make(map[string]*gentrace.Pipeline)}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Shutdown(ctx); err != nil {
			tb.Errorf("gentrace Shutdown: %v", err)
		}
		s.oa.Close()
	})
	return s
}

// flush waits until every run submitted so far is delivered.
func (s *sdk) flush(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.client.Flush(ctx); err != nil {
		tb.Fatalf("gentrace Flush: %v", err)
	}
}

func (s *sdk) start(tb testing.TB, ctx context.Context, slug string, rc gentrace.RunContext) (context.Context, *gentrace.Runner) {
	tb.Helper()
	s.mu.Lock()
	p, ok := s.pipelines[slug]
	if !ok {
		var err error
		if p, err = s.client.NewPipeline(slug); err != nil {
			s.mu.Unlock()
			tb.Fatal(err)
		}
		s.pipelines[slug] = p
	}
	s.mu.Unlock()
	ctx, r, err := p.Start(ctx, rc)
	if err != nil {
		tb.Fatal(err)
	}
	return ctx, r
}

func (s *sdk) submit(tb testing.TB, r *gentrace.Runner) string {
	tb.Helper()
	id, err := r.Submit(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// turn is one question and answer of a conversation.
type turn struct{ question, answer string }

// thread submits a conversation as runs linked by their previous run IDs,
// each with one checkpoint shaped as a chat call, for a user and session.
// It returns the run IDs in order.
func (s *sdk) thread(tb testing.TB, user, session string, turns []turn) []string {
	tb.Helper()
	ctx, err := gentrace.WithSession(context.Background(), session)
	if err != nil {
		tb.Fatal(err)
	}
	var ids []string
	prev := ""
	for _, t := range turns {
		_, r := s.start(tb, ctx, "support-chat", gentrace.RunContext{UserID: user, PreviousRunID: prev})
		err := r.Checkpoint(
			map[string]any{"messages": []map[string]any{{"role": "user", "content": t.question}}},
			map[string]any{"choices": []map[string]any{{"index": 0, "message": map[string]any{"role": "assistant", "content": t.answer}}}},
			gentrace.WithProvider("app", "answer"))
		if err != nil {
			tb.Fatal(err)
		}
		prev = s.submit(tb, r)
		ids = append(ids, prev)
	}
	return ids
}

// htmlRender submits a run with one measured step whose output page is
// rendered as HTML, and typed metadata.
func (s *sdk) htmlRender(tb testing.TB, page string) string {
	tb.Helper()
	ctx, r := s.start(tb, context.Background(), "report-builder", gentrace.RunContext{
		UserID: "user-42",
		Metadata: gentrace.Metadata{
			"docs":    gentrace.URL("https://example.com/docs?page=1", "Design doc"),
			"beta":    gentrace.Bool(true),
			"channel": gentrace.String("email"),
		},
	})
	_, err := gentrace.Measure(ctx, map[string]any{"orderId": "A-1017"}, func(context.Context) (map[string]any, error) {
		return map[string]any{"page": page, "cost": gentrace.Cents(0.4)}, nil
	}, gentrace.WithProvider("app", "render_report"), gentrace.WithRender("page"))
	if err != nil {
		tb.Fatal(err)
	}
	return s.submit(tb, r)
}

// estimatedAndFailing submits a run with an OpenAI stream that sends no
// usage (so the SDK estimates it), a step of the caller's whose output
// holds hostile HTML, and a step that fails. It returns the run ID and its
// number of steps.
func (s *sdk) estimatedAndFailing(tb testing.TB, hostile string) (string, int) {
	tb.Helper()
	ctx, r := s.start(tb, context.Background(), "support-chat", gentrace.RunContext{UserID: "user-7"})
	// The fake answers after 120 ms and sends a chunk every 25 ms, as a
	// model streaming tokens would, so that the waterfall looks like one.
	s.oa.Enqueue(openaitest.RouteChatCompletions, openaitest.ChatStream(openaitest.ChatChunks(12,
		openaitest.Choice{Content: "Cancel the context you passed to the call; the call returns ctx.Err() and your goroutine can exit."})...).
		WithDelay(120*time.Millisecond).WithChunkDelay(25*time.Millisecond))
	llm := openai.NewClientWithConfig(s.oa.ClientConfig(), openai.WithGentrace(s.client))
	stream, err := llm.CreateChatCompletionStream(ctx, goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "How do I stop a goroutine stuck on a slow call?"}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := stream.Recv(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			tb.Fatal(err)
		}
	}
	stream.Close()
	if err := r.Checkpoint(map[string]any{"draft": "ok"}, map[string]any{"html": hostile}, gentrace.WithProvider("app", "format_answer")); err != nil {
		tb.Fatal(err)
	}
	_, err = gentrace.Measure(ctx, map[string]any{"ticket": 1017}, func(context.Context) (string, error) {
		return "", errors.New("ticket service: 503 Service Unavailable")
	}, gentrace.WithProvider("app", "update_ticket"))
	if err == nil {
		tb.Fatal("the failing step did not fail")
	}
	r.SetError(errors.New("could not update the ticket"))
	return s.submit(tb, r), len(r.Steps())
}

// threeStepRun submits one run of three checkpoints, as the ingest
// benchmark sends them.
func (s *sdk) threeStepRun(tb testing.TB, i int) {
	_, r := s.start(tb, context.Background(), "bench", gentrace.RunContext{UserID: "bench-user"})
	for step := range 3 {
		err := r.Checkpoint(
			map[string]any{"question": "What is the capital of France?", "step": step, "i": i},
			map[string]any{"answer": "Paris", "cost": gentrace.Dollars(0.00012)},
			gentrace.WithProvider("app", "step"))
		if err != nil {
			tb.Fatal(err)
		}
	}
	s.submit(tb, r)
}

// delivered returns how many runs the client has delivered.
func (s *sdk) delivered() uint64 { return s.client.Stats().Delivered }
