package gentrace_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

type collected struct {
	mu   sync.Mutex
	errs []error
}

func (c *collected) add(err error) { c.mu.Lock(); c.errs = append(c.errs, err); c.mu.Unlock() }
func (c *collected) list() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.errs...)
}

func newClients(t *testing.T, opts ...gentrace.Option) (*gentrace.Client, *gentracetest.Server, *openai.Client, *openaitest.Server) {
	t.Helper()
	srv := gentracetest.Start(t)
	gc, err := gentrace.New(append([]gentrace.Option{
		gentrace.WithAPIKey(srv.APIKey), gentrace.WithBaseURL(srv.URL),
		gentrace.WithRetry(3, time.Millisecond, 5*time.Millisecond),
		gentrace.WithLogger(slog.New(slog.DiscardHandler)),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gc.Shutdown(context.Background()) })
	ai := openaitest.NewServer()
	t.Cleanup(ai.Close)
	return gc, srv, openai.NewClientWithConfig(ai.ClientConfig(), openai.WithGentrace(gc)), ai
}

func chat(text string) goopenai.ChatCompletionRequest {
	return goopenai.ChatCompletionRequest{Model: "gpt-4o-mini", Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: text}}}
}

// A three-turn conversation is a thread: each turn names the run before it.
// A fourth run reusing a link is rejected with a typed error when waiting,
// and logged and counted otherwise.
func TestThreadOfThreeRunsAndARejectedFork(t *testing.T) {
	t.Parallel()
	var reported collected
	gc, srv, oc, _ := newClients(t, gentrace.WithErrorHandler(reported.add))
	ctx := context.Background()
	p, _ := gc.NewPipeline("support-chat")

	var ids []string
	prev := ""
	for turn, text := range []string{"Hi", "My order is late", "Thanks"} {
		runCtx, r, err := p.Start(ctx, gentrace.RunContext{UserID: "u-7", PreviousRunID: prev})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := oc.CreateChatCompletion(runCtx, chat(text)); err != nil {
			t.Fatal(err)
		}
		id, err := r.Submit(ctx, gentrace.WaitForServer())
		if err != nil {
			t.Fatalf("turn %d: %v", turn, err)
		}
		ids = append(ids, id)
		prev = id
	}
	runs := srv.Runs()
	if len(runs) != 3 {
		t.Fatalf("stored %d runs", len(runs))
	}
	for i, run := range runs {
		if run.ID != ids[i] {
			t.Errorf("run %d is %s, want %s (arrival order)", i, run.ID, ids[i])
		}
		want := ""
		if i > 0 {
			want = ids[i-1]
		}
		if run.PreviousRunID != want {
			t.Errorf("run %d previousRunId = %q, want %q", i, run.PreviousRunID, want)
		}
	}

	// A fourth run forking from the second turn: waiting gives the typed error.
	_, fork, _ := p.Start(ctx, gentrace.RunContext{PreviousRunID: ids[1]})
	_, err := fork.Submit(ctx, gentrace.WaitForServer())
	var apiErr *gentrace.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest {
		t.Fatalf("fork Submit = %v, want a 400 *APIError", err)
	}
	// Simple mode without waiting: reported to the handler and counted.
	resp, err := oc.CreateChatCompletion(ctx, chat("again"), openai.WithPipelineSlug("support-chat"), openai.WithPreviousRunID(ids[1]))
	if err != nil || resp.PipelineRunID == "" {
		t.Fatalf("simple-mode call = %v, %q; the OpenAI call must not fail", err, resp.PipelineRunID)
	}
	if err := gc.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	errs := reported.list()
	if len(errs) != 1 || !errors.As(errs[0], &apiErr) || apiErr.StatusCode != 400 {
		t.Errorf("reported = %v, want one 400", errs)
	}
	if s := gc.Stats(); s.Failed != 2 || s.Delivered != 3 {
		t.Errorf("stats = %+v, want 3 delivered and 2 failed", s)
	}
}

// Simple-mode calls read user, session and metadata from the context;
// per-call options win over the context.
func TestSimpleModePrecedence(t *testing.T) {
	t.Parallel()
	gc, srv, oc, _ := newClients(t)
	ctx, _ := gentrace.WithUser(context.Background(), "ctx-user")
	ctx, _ = gentrace.WithSession(ctx, "sess-9")
	ctx, err := gentrace.WithAttributes(ctx, gentrace.Attributes{
		Metadata: gentrace.Metadata{"plan": gentrace.String("ctx"), "region": gentrace.String("eu")}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := oc.CreateChatCompletion(ctx, chat("one"), openai.WithPipelineSlug("p"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := oc.CreateChatCompletion(ctx, chat("two"), openai.WithPipelineSlug("p"),
		openai.WithUserID("call-user"), openai.WithMetadata(gentrace.Metadata{"plan": gentrace.String("call")}),
		openai.WithPreviousRunID(a.PipelineRunID))
	if err != nil {
		t.Fatal(err)
	}
	if err := gc.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	ra, _ := srv.Run(a.PipelineRunID)
	rb, ok := srv.Run(b.PipelineRunID)
	if !ok || len(ra.StepRuns) != 1 || len(rb.StepRuns) != 1 {
		t.Fatalf("runs not stored: %+v %+v", ra, rb)
	}
	check := func(name string, run gentracetest.Run, user, plan string) {
		t.Helper()
		if got := run.StepRuns[0].Context.UserID; got != user {
			t.Errorf("%s: userId %q, want %q", name, got, user)
		}
		if v := run.Metadata["plan"].Value; v != plan {
			t.Errorf("%s: plan %v, want %q", name, v, plan)
		}
		if v := run.Metadata["sessionId"]; v.Type != "string" || v.Value != "sess-9" {
			t.Errorf("%s: sessionId %+v", name, v)
		}
		if v := run.Metadata["region"].Value; v != "eu" {
			t.Errorf("%s: region %v", name, v)
		}
	}
	check("context only", ra, "ctx-user", "ctx")
	check("call options", rb, "call-user", "call")
	if rb.PreviousRunID != a.PipelineRunID {
		t.Errorf("previousRunId %q, want %q", rb.PreviousRunID, a.PipelineRunID)
	}
}

// A user ID on one call made under a run is refused before OpenAI is
// called; the context and Start are the places to set it.
func TestUserIDOnAStepOfARunner(t *testing.T) {
	t.Parallel()
	gc, _, oc, ai := newClients(t)
	p, _ := gc.NewPipeline("p")
	ctx, r, _ := p.Start(context.Background(), gentrace.RunContext{UserID: "u-1"})
	defer r.End(nil)
	_, err := oc.CreateChatCompletion(ctx, chat("x"), openai.WithUserID("u-2"))
	if !errors.Is(err, gentrace.ErrStepUserID) {
		t.Fatalf("err = %v, want ErrStepUserID", err)
	}
	if n := len(ai.Requests()); n != 0 {
		t.Errorf("OpenAI received %d requests", n)
	}
	if _, err := oc.CreateChatCompletion(ctx, chat("x"), openai.WithUserID("u-1")); err != nil {
		t.Errorf("the run's own user ID refused: %v", err)
	}
}
