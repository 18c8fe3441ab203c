package openinference_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openinference"
	goopenai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// A run with Measure steps and a model call under a traced request: one
// trace, the run span under the request's span, every step span under the
// run span in order; failed steps and a failed run have status Error; the
// context's session, user, tags and metadata reach every span.
func TestRunnerSpans(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, err := gentrace.WithSession(context.Background(), "session-2")
	if err != nil {
		t.Fatal(err)
	}
	ctx, err = gentrace.WithAttributes(ctx, gentrace.Attributes{
		Metadata: gentrace.Metadata{"tier": gentrace.String("free")},
		Tags:     []string{"rag"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, request := e.parentSpan(ctx)
	defer request.End()
	ctx, run := e.start(ctx, "rag", gentrace.RunContext{UserID: "user-2"})
	docs, err := gentrace.Measure(ctx, map[string]any{"query": "capital of France"},
		func(context.Context) (map[string]any, error) {
			return map[string]any{"docs": []string{"Paris is the capital."}}, nil
		},
		gentrace.WithProvider("vectordb", "search"),
		gentrace.WithStepMetadata(gentrace.Metadata{"index": gentrace.String("wiki")}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.openai.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: docs["docs"].([]string)[0]}},
	}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("ranker unavailable")
	if _, err := gentrace.Measure(ctx, nil, func(context.Context) (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("Measure returned %v, want %v", err, boom)
	}
	runErr := errors.New("pipeline failed")
	run.End(&runErr)

	spans := e.flush(4)
	checkFamily(t, spans, request.SpanContext())
	stored := e.run()
	type shape struct{ name, kind string }
	want := []shape{{"rag", "CHAIN"}, {"search", "CHAIN"}, {"ChatCompletion", "LLM"}, {"step", "CHAIN"}}
	for i, s := range spans {
		if got := (shape{s.Name(), attributesOf(s)["openinference.span.kind"].(string)}); got != want[i] {
			t.Errorf("span %d is %v, want %v", i, got, want[i])
		}
		if i > 0 {
			checkTimes(t, s, stored.StepRuns[i-1])
		}
	}
	checkAttributes(t, spans[0], map[string]any{
		"openinference.span.kind": "CHAIN",
		"gentrace.run_id":         run.ID(),
		"gentrace.pipeline_slug":  "rag",
		"session.id":              "session-2",
		"user.id":                 "user-2",
		"tag.tags":                []string{"rag"},
		"metadata":                jsonText(`{"tier":"free","sessionId":"session-2","index":"wiki"}`),
	})
	checkStatus(t, spans[0], codes.Error, "pipeline failed")
	// A Measure step has no context of its own: it takes the run's.
	checkAttributes(t, spans[1], map[string]any{
		"openinference.span.kind": "CHAIN",
		"input.value":             jsonText(`{"query":"capital of France"}`),
		"input.mime_type":         "application/json",
		"output.value":            jsonText(`{"docs":["Paris is the capital."]}`),
		"output.mime_type":        "application/json",
		"gentrace.run_id":         run.ID(),
		"gentrace.provider_name":  "vectordb",
		"gentrace.invocation":     "search",
		"session.id":              "session-2",
		"user.id":                 "user-2",
		"tag.tags":                []string{"rag"},
		"metadata":                jsonText(`{"tier":"free","index":"wiki"}`),
	})
	checkStatus(t, spans[1], codes.Unset, "")
	if got := attributesOf(spans[2]); got["session.id"] != "session-2" || got["user.id"] != "user-2" {
		t.Errorf("chat span session %v, user %v: want the run's", got["session.id"], got["user.id"])
	}
	checkStatus(t, spans[2], codes.Unset, "")
	checkAttributes(t, spans[3], map[string]any{
		"openinference.span.kind": "CHAIN",
		"gentrace.run_id":         run.ID(),
		"gentrace.provider_name":  "undeclared",
		"gentrace.invocation":     "undeclared",
		"session.id":              "session-2",
		"user.id":                 "user-2",
		"tag.tags":                []string{"rag"},
		"metadata":                jsonText(`{"tier":"free"}`),
	})
	checkStatus(t, spans[3], codes.Error, "ranker unavailable")
	// The run span covers its steps.
	if spans[0].StartTime().After(spans[1].StartTime()) || spans[0].EndTime().Before(spans[3].EndTime()) {
		t.Errorf("run span %v – %v does not cover its steps %v – %v",
			spans[0].StartTime(), spans[0].EndTime(), spans[1].StartTime(), spans[3].EndTime())
	}
}

// A call's own context attributes win over the run's for its span, except
// the user and session, which belong to the whole run.
func TestStepContextAttributes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, err := gentrace.WithUser(context.Background(), "user-run")
	if err != nil {
		t.Fatal(err)
	}
	ctx, err = gentrace.WithAttributes(ctx, gentrace.Attributes{
		Tags:                  []string{"run"},
		PromptTemplate:        "run template",
		PromptTemplateVersion: "v1",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, run := e.start(ctx, "scoped", gentrace.RunContext{SessionID: "session-run"})
	callCtx, err := gentrace.WithUser(ctx, "user-call")
	if err != nil {
		t.Fatal(err)
	}
	callCtx, err = gentrace.WithSession(callCtx, "session-call")
	if err != nil {
		t.Fatal(err)
	}
	callCtx, err = gentrace.WithAttributes(callCtx, gentrace.Attributes{
		Tags:                    []string{"call"},
		PromptTemplateVersion:   "v2",
		PromptTemplateVariables: map[string]any{"n": 1},
		Metadata:                gentrace.Metadata{"step": gentrace.Bool(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.plain.CreateChatCompletion(callCtx, goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Hi"}},
	}); err != nil {
		t.Fatal(err)
	}
	run.End(nil)
	spans := e.flush(2)
	checkAttributes(t, spans[0], map[string]any{
		"openinference.span.kind":      "CHAIN",
		"gentrace.run_id":              run.ID(),
		"gentrace.pipeline_slug":       "scoped",
		"session.id":                   "session-run",
		"user.id":                      "user-run",
		"tag.tags":                     []string{"run"},
		"llm.prompt_template.template": "run template",
		"llm.prompt_template.version":  "v1",
		"metadata":                     jsonText(`{"sessionId":"session-run"}`),
	})
	got := attributesOf(spans[1])
	for key, want := range map[string]any{
		"session.id":                    "session-run",
		"user.id":                       "user-run",
		"tag.tags":                      []string{"call"},
		"llm.prompt_template.template":  "run template",
		"llm.prompt_template.version":   "v2",
		"llm.prompt_template.variables": `{"n":1}`,
		"metadata":                      `{"step":true}`,
	} {
		if !reflect.DeepEqual(got[key], want) {
			t.Errorf("step span %s = %#v, want %#v", key, got[key], want)
		}
	}
}

// Runs recorded concurrently under different requests each join their own
// request's trace.
func TestConcurrentRuns(t *testing.T) {
	t.Parallel()
	e := setup(t)
	const n = 16
	parents := make([]trace.SpanContext, n)
	var wg sync.WaitGroup
	for i := range n {
		ctx, request := e.parentSpan(context.Background())
		parents[i] = request.SpanContext()
		wg.Go(func() {
			defer request.End()
			if _, err := e.openai.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
				Model:    goopenai.GPT4oMini,
				Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Hi"}},
			}, openai.WithPipelineSlug("concurrent")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.gentrace.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	byTrace := map[trace.TraceID][]sdktrace.ReadOnlySpan{}
	for _, s := range e.spans.wait(t, 3*n) {
		byTrace[s.SpanContext().TraceID()] = append(byTrace[s.SpanContext().TraceID()], s)
	}
	for _, parent := range parents {
		spans := byTrace[parent.TraceID()]
		var run, chat sdktrace.ReadOnlySpan
		for _, s := range spans {
			switch s.Name() {
			case "concurrent":
				run = s
			case "ChatCompletion":
				chat = s
			}
		}
		if len(spans) != 3 || run == nil || chat == nil {
			t.Errorf("trace %v has %d spans, want the request, a run and a chat span", parent.TraceID(), len(spans))
			continue
		}
		if run.Parent().SpanID() != parent.SpanID() || chat.Parent().SpanID() != run.SpanContext().SpanID() {
			t.Errorf("trace %v: wrong parents", parent.TraceID())
		}
	}
}

// The Observer never changes the global tracer provider, and without
// WithTracerProvider it uses the global one, looked up when the spans are
// made. Not parallel: it sets the global provider for its duration.
func TestGlobalTracerProvider(t *testing.T) {
	before := otel.GetTracerProvider()

	// An explicit provider: the global one is left alone.
	e := setup(t)
	if _, err := e.openai.CreateChatCompletion(context.Background(), goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Hi"}},
	}, openai.WithPipelineSlug("explicit")); err != nil {
		t.Fatal(err)
	}
	e.flush(2)
	if otel.GetTracerProvider() != before {
		t.Fatal("the global tracer provider changed")
	}

	// No provider given: the global one, installed after New, is used.
	observer := openinference.New()
	sink := newSpanSink()
	global := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sink))
	otel.SetTracerProvider(global)
	t.Cleanup(func() {
		otel.SetTracerProvider(before)
		_ = global.Shutdown(context.Background())
	})
	backend := gentracetest.Start(t)
	gc, err := gentrace.New(gentrace.WithAPIKey(backend.APIKey), gentrace.WithBaseURL(backend.URL), gentrace.WithObserver(observer))
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Shutdown(context.Background())
	p, err := gc.NewPipeline("global")
	if err != nil {
		t.Fatal(err)
	}
	_, run, err := p.Start(context.Background(), gentrace.RunContext{})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Checkpoint(map[string]any{"a": 1}, map[string]any{"b": 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := run.Submit(context.Background(), gentrace.WaitForServer()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := gc.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, s := range sink.wait(t, 2) {
		names = append(names, s.Name())
	}
	if len(names) != 2 || names[0] != "step" || names[1] != "global" {
		t.Errorf("global provider recorded %q, want [step global]", names)
	}
	if otel.GetTracerProvider() != global {
		t.Error("the global tracer provider changed")
	}
}

// The zero Observer works as New() does, and an EndRun without a StartRun
// state (an observer added by a wrapper) makes a root span.
func TestZeroObserver(t *testing.T) {
	before := otel.GetTracerProvider()
	recorder := tracetest.NewSpanRecorder()
	global := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	otel.SetTracerProvider(global)
	t.Cleanup(func() {
		otel.SetTracerProvider(before)
		_ = global.Shutdown(context.Background())
	})
	var o openinference.Observer
	now := time.Now()
	o.EndRun(nil, gentrace.RunRecord{ID: "r-1", Start: now, End: now.Add(time.Second)})
	spans := recorder.Ended()
	if len(spans) != 1 || spans[0].Name() != "run" || spans[0].Parent().IsValid() {
		t.Fatalf("spans %v, want one root span named run", spans)
	}
	checkAttributes(t, spans[0], map[string]any{
		"openinference.span.kind": "CHAIN",
		"gentrace.run_id":         "r-1",
	})
}
