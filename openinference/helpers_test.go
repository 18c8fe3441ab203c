package openinference_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"math"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/gentrace/gentrace-go/openinference"
	goopenai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// env is one test's world: a fake OpenAI server, a fake Gentrace backend,
// a Gentrace client with the Observer under test, and a tracer provider
// that keeps ended spans in memory.
type env struct {
	t        *testing.T
	spans    *spanSink
	tp       *sdktrace.TracerProvider
	backend  *gentracetest.Server
	fakeAI   *openaitest.Server
	gentrace *gentrace.Client
	openai   *openai.Client   // the wrapper; simple mode needs WithPipelineSlug
	plain    *goopenai.Client // an unmodified go-openai client that records
}

func setup(t *testing.T, opts ...openinference.Option) *env {
	t.Helper()
	e := &env{t: t, spans: newSpanSink()}
	e.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(e.spans))
	e.backend = gentracetest.Start(t)
	e.fakeAI = openaitest.NewServer()
	t.Cleanup(e.fakeAI.Close)
	gc, err := gentrace.New(
		gentrace.WithAPIKey(e.backend.APIKey),
		gentrace.WithBaseURL(e.backend.URL),
		// Models without a price (images, whisper, tts) are warned about.
		gentrace.WithLogger(slog.New(slog.DiscardHandler)),
		gentrace.WithObserver(openinference.New(append([]openinference.Option{openinference.WithTracerProvider(e.tp)}, opts...)...)),
	)
	if err != nil {
		t.Fatal(err)
	}
	e.gentrace = gc
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := gc.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := e.tp.Shutdown(ctx); err != nil {
			t.Errorf("TracerProvider.Shutdown: %v", err)
		}
	})
	e.openai = openai.NewClientWithConfig(e.fakeAI.ClientConfig(), openai.WithGentrace(gc))
	e.plain = goopenai.NewClientWithConfig(openai.Record(e.fakeAI.ClientConfig()))
	return e
}

// start begins a run of the pipeline slug and returns the context that
// carries it.
func (e *env) start(ctx context.Context, slug string, rc gentrace.RunContext) (context.Context, *gentrace.Runner) {
	e.t.Helper()
	p, err := e.gentrace.NewPipeline(slug)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, run, err := p.Start(ctx, rc)
	if err != nil {
		e.t.Fatal(err)
	}
	return ctx, run
}

// spanSink is a span processor that keeps ended spans and tells waiters
// when one ends.
type spanSink struct {
	mu      sync.Mutex
	ended   []sdktrace.ReadOnlySpan
	changed chan struct{} // closed and replaced at each span's end
}

func newSpanSink() *spanSink { return &spanSink{changed: make(chan struct{})} }

func (s *spanSink) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (s *spanSink) Shutdown(context.Context) error                  { return nil }
func (s *spanSink) ForceFlush(context.Context) error                { return nil }

func (s *spanSink) OnEnd(span sdktrace.ReadOnlySpan) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = append(s.ended, span)
	close(s.changed)
	s.changed = make(chan struct{})
}

// wait returns the ended spans once there are at least n, failing t when
// they do not come within ten seconds.
func (s *spanSink) wait(t *testing.T, n int) []sdktrace.ReadOnlySpan {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		got, changed := slices.Clone(s.ended), s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("%d spans ended, want %d", len(got), n)
		}
	}
}

// flush delivers every submitted run, waits for n spans to end and returns
// them, run spans before their steps.
func (e *env) flush(n int) []sdktrace.ReadOnlySpan {
	e.t.Helper()
	// A generous bound: estimating a stream's tokens loads a tokenizer
	// vocabulary, which takes seconds under the race detector.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.gentrace.Flush(ctx); err != nil {
		e.t.Fatalf("Flush: %v", err)
	}
	spans := e.spans.wait(e.t, n)
	if len(spans) != n {
		e.t.Fatalf("got %d spans, want %d", len(spans), n)
	}
	// Step spans end before their run span; put the run spans (those
	// whose parent is not among the spans) first, keeping the end order.
	ids := map[trace.SpanID]bool{}
	for _, s := range spans {
		ids[s.SpanContext().SpanID()] = true
	}
	var roots, children []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if ids[s.Parent().SpanID()] {
			children = append(children, s)
		} else {
			roots = append(roots, s)
		}
	}
	return append(roots, children...)
}

// run returns the single run the backend stored.
func (e *env) run() gentracetest.Run {
	e.t.Helper()
	runs := e.backend.Runs()
	if len(runs) != 1 {
		e.t.Fatalf("backend has %d runs, want 1", len(runs))
	}
	return runs[0]
}

// parentSpan starts a span to be the parent of a run, in ctx.
func (e *env) parentSpan(ctx context.Context) (context.Context, trace.Span) {
	return e.tp.Tracer("test").Start(ctx, "request")
}

// positive is an expected attribute value: any float64 above zero.
type positive struct{}

// jsonText is an expected attribute value that is compared as JSON, not
// as text.
type jsonText string

// jsonOf encodes v as a jsonText.
func jsonOf(t *testing.T, v any) jsonText {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return jsonText(data)
}

// attributesOf returns a span's attributes by key, with Go values.
func attributesOf(s sdktrace.ReadOnlySpan) map[string]any {
	m := map[string]any{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

// checkAttributes asserts that span has exactly the want attributes. Values
// of type jsonText are compared as JSON; ints may be given as int.
func checkAttributes(t *testing.T, span sdktrace.ReadOnlySpan, want map[string]any) {
	t.Helper()
	got := attributesOf(span)
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			t.Errorf("span %q: unexpected attribute %s = %#v", span.Name(), k, got[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[k]
		if !ok {
			t.Errorf("span %q: missing attribute %s (want %#v)", span.Name(), k, want[k])
			continue
		}
		w := want[k]
		switch wv := w.(type) {
		case jsonText:
			s, isString := g.(string)
			var gj, wj any
			if !isString || json.Unmarshal([]byte(s), &gj) != nil || json.Unmarshal([]byte(wv), &wj) != nil || !reflect.DeepEqual(gj, wj) {
				t.Errorf("span %q: %s =\n\t%v\nwant JSON\n\t%s", span.Name(), k, g, wv)
			}
			continue
		case positive:
			if f, ok := g.(float64); !ok || f <= 0 {
				t.Errorf("span %q: %s = %#v, want a positive float64", span.Name(), k, g)
			}
			continue
		case int:
			w = int64(wv)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("span %q: %s = %#v, want %#v", span.Name(), k, g, w)
		}
	}
}

// checkFamily asserts that the spans form one trace: the run span first,
// a child of parent (or a root when parent is invalid), and every other
// span a child of the run span.
func checkFamily(t *testing.T, spans []sdktrace.ReadOnlySpan, parent trace.SpanContext) {
	t.Helper()
	if len(spans) == 0 {
		t.Fatal("no spans")
	}
	run := spans[0]
	if parent.IsValid() {
		if run.Parent().SpanID() != parent.SpanID() || run.SpanContext().TraceID() != parent.TraceID() {
			t.Errorf("run span parent = %v in trace %v, want %v in trace %v",
				run.Parent().SpanID(), run.SpanContext().TraceID(), parent.SpanID(), parent.TraceID())
		}
	} else if run.Parent().IsValid() {
		t.Errorf("run span has parent %v, want a root span", run.Parent().SpanID())
	}
	for _, s := range spans[1:] {
		if s.Parent().SpanID() != run.SpanContext().SpanID() {
			t.Errorf("span %q: parent %v, want the run span %v", s.Name(), s.Parent().SpanID(), run.SpanContext().SpanID())
		}
		if s.SpanContext().TraceID() != run.SpanContext().TraceID() {
			t.Errorf("span %q: trace %v, want the run's %v", s.Name(), s.SpanContext().TraceID(), run.SpanContext().TraceID())
		}
	}
}

// checkTimes asserts that a span has the times Gentrace received for the
// step, which are truncated to milliseconds.
func checkTimes(t *testing.T, span sdktrace.ReadOnlySpan, step gentracetest.StepRun) {
	t.Helper()
	ms := func(tm time.Time) time.Time { return tm.UTC().Truncate(time.Millisecond) }
	if !ms(span.StartTime()).Equal(step.StartTime) || !ms(span.EndTime()).Equal(step.EndTime) {
		t.Errorf("span %q: %v – %v, want the step's %v – %v", span.Name(), span.StartTime(), span.EndTime(), step.StartTime, step.EndTime)
	}
}

// costOf returns the dollar cost Gentrace received in a step's outputs.
func costOf(t *testing.T, step gentracetest.StepRun) float64 {
	t.Helper()
	c, ok := step.Outputs["cost"].(map[string]any)
	if !ok || c["type"] != "dollars" {
		t.Fatalf("step outputs have no dollar cost: %v", step.Outputs["cost"])
	}
	return c["value"].(float64)
}

// usageOf returns the token usage Gentrace received in a step's outputs.
func usageOf(t *testing.T, step gentracetest.StepRun) (prompt, completion, total int) {
	t.Helper()
	u, ok := step.Outputs["usage"].(map[string]any)
	if !ok {
		t.Fatalf("step outputs have no usage: %v", step.Outputs)
	}
	return int(u["prompt_tokens"].(float64)), int(u["completion_tokens"].(float64)), int(u["total_tokens"].(float64))
}

// checkStatus asserts a span's status and, for an error, its exception
// event.
func checkStatus(t *testing.T, span sdktrace.ReadOnlySpan, code codes.Code, description string) {
	t.Helper()
	if got := span.Status(); got.Code != code || got.Description != description {
		t.Errorf("span %q: status %v %q, want %v %q", span.Name(), got.Code, got.Description, code, description)
	}
	var exceptions []string
	for _, ev := range span.Events() {
		if ev.Name == "exception" {
			for _, kv := range ev.Attributes {
				if kv.Key == "exception.message" {
					exceptions = append(exceptions, kv.Value.AsString())
				}
			}
		}
	}
	switch {
	case code == codes.Error && (len(exceptions) != 1 || exceptions[0] != description):
		t.Errorf("span %q: exception events %q, want one with %q", span.Name(), exceptions, description)
	case code != codes.Error && len(exceptions) != 0:
		t.Errorf("span %q: unexpected exception events %q", span.Name(), exceptions)
	}
}

// checkFirstToken asserts the first_token event lies at the start plus the
// time to first token the span records.
func checkFirstToken(t *testing.T, span sdktrace.ReadOnlySpan) {
	t.Helper()
	ms, _ := attributesOf(span)["gentrace.time_to_first_token_ms"].(float64)
	var events []sdktrace.Event
	for _, ev := range span.Events() {
		if ev.Name == "first_token" {
			events = append(events, ev)
		}
	}
	if len(events) != 1 {
		t.Fatalf("span %q: %d first_token events, want 1", span.Name(), len(events))
	}
	at := events[0].Time
	if got := float64(at.Sub(span.StartTime())) / float64(time.Millisecond); math.Abs(got-ms) > 0.001 {
		t.Errorf("first_token event %.3fms after start, attribute says %.3fms", got, ms)
	}
	if at.After(span.EndTime()) {
		t.Errorf("first_token event %v after the span's end %v", at, span.EndTime())
	}
}
