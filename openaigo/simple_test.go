package openaigo_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/openaigo"
	"github.com/gentrace/gentrace-go/openaihttp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

const previousRun = "6f9619ff-8b86-4011-b42d-00cf4fc964ff"

func TestSimpleModePerRequest(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// Each run follows the one before in a thread (threads are
	// singly-linked: each previous run ID is used once).
	prev := previousRun
	simple := func(runID *string) []option.RequestOption {
		rc := gentrace.RunContext{UserID: "u-9", SessionID: "s-1", PreviousRunID: prev,
			Metadata: gentrace.Metadata{"plan": gentrace.String("pro")}}
		return []option.RequestOption{
			openaigo.WithRunID(runID), // before WithPipeline: it reads the ID when the call returns
			openaigo.WithPipeline(w.pipeline("simple"), rc),
			openaigo.WithStepMetadata(gentrace.Metadata{"step": gentrace.Bool(true)}),
		}
	}
	check := func(name, id, wantPrev string) {
		t.Helper()
		if id == "" {
			t.Fatalf("%s: no run ID", name)
		}
		run := w.stored(id)
		s := oneStep(t, run)
		if run.Slug != "simple" || run.PreviousRunID != wantPrev || run.Metadata["plan"].Value != "pro" ||
			run.Metadata["sessionId"].Value != "s-1" || run.Metadata["step"].Value != true || s.Context.UserID != "u-9" {
			t.Errorf("%s: run = %+v", name, run)
		}
	}
	for _, tt := range []struct {
		name   string
		client openai.Client
	}{
		{"a recording client", w.client(nil)},
		{"a client without a recorder", w.bare()},
		{"a recorder per request", w.bare(option.WithMiddleware(openaigo.Middleware(openaihttp.New())))},
	} {
		var chatID, streamID string
		if _, err := tt.client.Chat.Completions.New(context.Background(), userMessage("Hi"), simple(&chatID)...); err != nil {
			t.Fatal(err)
		}
		check(tt.name+", chat", chatID, prev)
		prev = chatID
		stream := tt.client.Chat.Completions.NewStreaming(context.Background(), userMessage("Hi"), simple(&streamID)...)
		if streamID == "" {
			t.Errorf("%s: the stream's run ID is not known when it opens", tt.name)
		}
		for stream.Next() {
		}
		stream.Close()
		check(tt.name+", stream", streamID, prev)
		prev = streamID
	}
	if errs := w.errs.Errors(); len(errs) != 0 {
		t.Errorf("errors: %v", errs)
	}
}

func TestRunIDAndStepMetadataInOtherModes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.client(nil)
	// A context that names a pipeline: a one-step run, whose ID WithRunID
	// receives.
	ctx, err := gentrace.WithPipeline(context.Background(), w.pipeline("by-context"), gentrace.RunContext{UserID: "u-2"})
	if err != nil {
		t.Fatal(err)
	}
	var id string
	if _, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: openai.EmbeddingModelTextEmbedding3Small,
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}}, openaigo.WithRunID(&id)); err != nil {
		t.Fatal(err)
	}
	if run := w.stored(id); run.Slug != "by-context" || oneStep(t, run).Invocation != "openai_createEmbedding" {
		t.Errorf("run = %+v", run)
	}
	// Under a run: no run ID of its own, and the step metadata merged.
	rctx, r := w.start()
	id = "stale"
	if _, err := c.Chat.Completions.New(rctx, userMessage("Hi"), openaigo.WithRunID(&id),
		openaigo.WithStepMetadata(gentrace.Metadata{"a": gentrace.String("1")}),
		openaigo.WithStepMetadata(gentrace.Metadata{"a": gentrace.String("2"), "b": gentrace.String("3")})); err != nil {
		t.Fatal(err)
	}
	if id != "" {
		t.Errorf("run ID under a run = %q", id)
	}
	if run := w.end(r); run.Metadata["a"].Value != "2" || run.Metadata["b"].Value != "3" {
		t.Errorf("metadata = %v", run.Metadata)
	}
	// Outside both: nothing recorded, no ID.
	id = "stale"
	if _, err := c.Chat.Completions.New(context.Background(), userMessage("Hi"), openaigo.WithRunID(&id)); err != nil || id != "" {
		t.Errorf("unrecorded call: %q, %v", id, err)
	}
	if err := w.gc.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(w.backend.Runs()); n != 2 {
		t.Errorf("%d runs stored, want 2", n)
	}
}

func TestWithPipelineUnderARunIsReportedAndRecordsIntoTheRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, c := range []openai.Client{w.client(nil), w.bare()} {
		ctx, r := w.start()
		var id string
		if _, err := c.Chat.Completions.New(ctx, userMessage("Hi"),
			openaigo.WithPipeline(w.pipeline("other"), gentrace.RunContext{}), openaigo.WithRunID(&id)); err != nil {
			t.Fatal(err)
		}
		if id != "" {
			t.Errorf("run ID = %q", id)
		}
		if run := w.end(r); len(run.StepRuns) != 1 {
			t.Errorf("run %+v", run)
		}
	}
	errs := w.errs.Errors()
	if len(errs) != 2 || !errors.Is(errs[0], openaigo.ErrRunOption) || !strings.Contains(errs[0].Error(), `"other"`) {
		t.Errorf("errors: %v", errs)
	}
	if err := w.gc.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(w.backend.Runs()); n != 2 {
		t.Errorf("%d runs stored, want the 2 runs", n)
	}
}

// TestOptionMistakesAreReportedNotReturned swaps slog's default logger, so
// it does not run in parallel.
func TestOptionMistakesAreReportedNotReturned(t *testing.T) {
	w := newWorld(t)
	var logs bytes.Buffer
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	c := w.client(nil)
	for _, tt := range []struct {
		name string
		opt  option.RequestOption
		want string
	}{
		{"a previous run ID that is not a UUID",
			openaigo.WithPipeline(w.pipeline("p"), gentrace.RunContext{PreviousRunID: "run-1"}), "not a UUID"},
		{"malformed run metadata",
			openaigo.WithPipeline(w.pipeline("p"), gentrace.RunContext{Metadata: gentrace.Metadata{"k": gentrace.URL("nope", "x")}}), "metadata"},
		{"a nil pipeline", openaigo.WithPipeline(nil, gentrace.RunContext{}), "nil pipeline"},
		{"malformed step metadata", openaigo.WithStepMetadata(gentrace.Metadata{"k": gentrace.URL("nope", "x")}), "WithStepMetadata"},
	} {
		logs.Reset()
		var id string
		resp, err := c.Chat.Completions.New(context.Background(), userMessage("Hi"), tt.opt, openaigo.WithRunID(&id))
		if err != nil || len(resp.Choices) != 1 || id != "" {
			t.Errorf("%s: call = %v, run ID %q", tt.name, err, id)
		}
		if !strings.Contains(logs.String(), "gentrace: openaigo.With") || !strings.Contains(logs.String(), tt.want) {
			t.Errorf("%s: logged %q", tt.name, logs.String())
		}
	}
	// Under a run, the report goes to the run's client, and the call
	// records into the run without the malformed metadata.
	ctx, r := w.start()
	if _, err := c.Chat.Completions.New(ctx, userMessage("Hi"),
		openaigo.WithStepMetadata(gentrace.Metadata{"k": gentrace.URL("nope", "x")})); err != nil {
		t.Fatal(err)
	}
	if run := w.end(r); len(run.StepRuns) != 1 || run.Metadata["k"].Type != "" {
		t.Errorf("run %+v", run)
	}
	if errs := w.errs.Errors(); len(errs) != 1 || !errors.Is(errs[0], gentrace.ErrInvalidMetadata) {
		t.Errorf("errors: %v", errs)
	}
}

// TestOneRecorderPerCall installs a recorder on the client and another on
// the request: the call is recorded once.
func TestOneRecorderPerCall(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.client(nil, option.WithMiddleware(openaigo.Middleware(nil)))
	ctx, r := w.start()
	if _, err := c.Chat.Completions.New(ctx, userMessage("Hi"), option.WithMiddleware(openaigo.Middleware(nil))); err != nil {
		t.Fatal(err)
	}
	oneStep(t, w.end(r))
}

// TestWithPipelineAndAPipelineNamedByTheContext: the client's recorder
// sees the call first, so the context's pipeline wins; on a client
// without one, WithPipeline replaces it, as gentrace.WithPipeline does.
func TestWithPipelineAndAPipelineNamedByTheContext(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, err := gentrace.WithPipeline(context.Background(), w.pipeline("by-context"), gentrace.RunContext{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		client openai.Client
		want   string
	}{
		{"a recording client", w.client(nil), "by-context"},
		{"a client without a recorder", w.bare(), "per-request"},
	} {
		var id string
		if _, err := tt.client.Chat.Completions.New(ctx, userMessage("Hi"),
			openaigo.WithPipeline(w.pipeline("per-request"), gentrace.RunContext{}), openaigo.WithRunID(&id)); err != nil {
			t.Fatal(err)
		}
		if run := w.stored(id); run.Slug != tt.want {
			t.Errorf("%s: recorded in %q, want %q", tt.name, run.Slug, tt.want)
		}
	}
	if errs := w.errs.Errors(); len(errs) != 0 {
		t.Logf("reported: %v", errs) // the context's pipeline has no run to report to
	}
}
