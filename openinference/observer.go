package openinference

import (
	"context"
	"maps"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationName names the tracer the spans are made with.
const instrumentationName = "github.com/gentrace/gentrace-go/openinference"

// Observer turns every run a gentrace.Client delivers into OpenTelemetry
// spans that follow the OpenInference conventions: one CHAIN span for the
// run and one child span per step (see the package documentation). Pass
// it to gentrace.WithObserver. Make one with New; the zero value behaves
// as New() does. An Observer is safe for concurrent use and holds no state
// between runs.
type Observer struct {
	cfg config
}

var _ gentrace.Observer = (*Observer)(nil)

// New returns an Observer configured by opts. Without WithTracerProvider
// it uses the global tracer provider, looked up when spans are made.
func New(opts ...Option) *Observer {
	o := &Observer{}
	for _, opt := range opts {
		opt(&o.cfg)
	}
	return o
}

// runState is what StartRun captures for EndRun.
type runState struct {
	parent trace.SpanContext
}

// StartRun implements gentrace.Observer. It captures the span context
// current in ctx (a value; ctx itself is not kept), which becomes the
// parent of the run's span, so that a run recorded while handling a traced
// request joins that request's trace. It does not start a span: spans are
// made with their recorded timestamps when the run ends.
func (o *Observer) StartRun(ctx context.Context, runID string) any {
	return runState{parent: trace.SpanContextFromContext(ctx)}
}

// EndRun implements gentrace.Observer. It makes the run's spans with the
// recorded start and end times; the client calls it off the caller's path
// (see gentrace.Observer). A state that StartRun did not return (nil) makes
// the run span a root span.
func (o *Observer) EndRun(state any, run gentrace.RunRecord) {
	st, _ := state.(runState)
	ctx := context.Background()
	if st.parent.IsValid() {
		ctx = trace.ContextWithSpanContext(ctx, st.parent)
	}
	tp := o.cfg.provider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	tracer := tp.Tracer(instrumentationName, trace.WithInstrumentationVersion(gentrace.Version))

	var a attrs
	a.str(keySpanKind, kindChain)
	a.str(keyRunID, run.ID)
	a.str(keyPipelineSlug, run.Slug)
	a.str(keyPreviousRunID, run.PreviousRunID)
	o.contextAttributes(&a, &run, nil, run.Metadata)
	name := run.Slug
	if name == "" {
		name = "run"
	}
	ctx, span := tracer.Start(ctx, name, trace.WithTimestamp(run.Start), trace.WithAttributes(a...))
	for i := range run.Steps {
		o.stepSpan(ctx, tracer, &run, &run.Steps[i])
	}
	fail(span, run.Error, run.End)
	span.End(trace.WithTimestamp(run.End))
}

// stepSpan makes the span of one step, a child of the run's span.
func (o *Observer) stepSpan(ctx context.Context, tracer trace.Tracer, run *gentrace.RunRecord, s *gentrace.Step) {
	var a attrs
	name := s.Invocation
	if name == "" || name == gentrace.Undeclared {
		name = "step"
	}
	if s.ProviderName == openAIProvider {
		name = o.openAIStep(&a, s)
	}
	if len(a) == 0 { // not a model call: a Measure, Checkpoint or other step
		a.str(keySpanKind, kindChain)
		if !o.cfg.hideInputs {
			a.object(keyInputValue, keyInputMimeType, s.Inputs)
		}
		if !o.cfg.hideOutputs {
			a.object(keyOutputValue, keyOutputMimeType, s.Outputs)
		}
	}
	a.str(keyRunID, run.ID)
	a.str(keyProviderName, s.ProviderName)
	a.str(keyInvocation, s.Invocation)
	meta := s.Attributes.Metadata
	if meta == nil {
		meta = run.Attributes.Metadata
	}
	if len(s.Metadata) > 0 {
		meta = maps.Clone(meta)
		if meta == nil {
			meta = gentrace.Metadata{}
		}
		maps.Copy(meta, s.Metadata)
	}
	o.contextAttributes(&a, run, &s.Attributes, meta)

	start := s.StartTime
	_, span := tracer.Start(ctx, name, trace.WithTimestamp(start), trace.WithAttributes(a...))
	if ttft := s.TimeToFirstToken; ttft > 0 {
		span.SetAttributes(attribute.Float64(keyTimeToFirstToken, float64(ttft)/float64(time.Millisecond)))
		span.AddEvent(eventFirstToken, trace.WithTimestamp(start.Add(ttft)))
	}
	fail(span, s.Error, s.EndTime)
	span.End(trace.WithTimestamp(s.EndTime))
}

// fail marks a span as failed with the error text, as status and as an
// exception event, when there is one.
func fail(span trace.Span, errText string, at time.Time) {
	if errText == "" {
		return
	}
	span.AddEvent(eventException, trace.WithTimestamp(at),
		trace.WithAttributes(attribute.String(keyExceptionMessage, errText)))
	span.SetStatus(codes.Error, errText)
}
