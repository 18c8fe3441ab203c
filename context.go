package gentrace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ErrInvalidAttribute reports a context value that cannot be recorded: an
// empty or blank session or user ID, an empty tag, or template variables
// that cannot be encoded as JSON.
var ErrInvalidAttribute = errors.New("gentrace: invalid context attribute")

// Attributes are request-scoped values that a context carries to every run
// started and every step recorded under it, in the OpenInference model
// (metadata, tag.tags, llm.prompt_template.*). User and session IDs travel
// beside them (WithUser, WithSession). The zero value carries nothing.
type Attributes struct {
	// Metadata is merged into the metadata of runs started under the
	// context; the run's own metadata wins for the same key.
	Metadata Metadata
	// Tags label the work, for tracing (tag.tags).
	Tags []string
	// PromptTemplate, PromptTemplateVersion and PromptTemplateVariables
	// describe the prompt in use, for tracing.
	PromptTemplate          string
	PromptTemplateVersion   string
	PromptTemplateVariables map[string]any
}

// scope is everything a context carries for recording. It is stored as one
// value so that a lookup costs one ctx.Value walk.
type scope struct {
	userID    string
	sessionID string
	attrs     Attributes
	// call is where model calls made under the context record: a *Runner
	// (the run of Pipeline.Start or ContextWithRunner) or a *simpleRun
	// (WithPipeline); nil for neither. The innermost setting wins.
	call any
}

type scopeKey struct{}

func scopeOf(ctx context.Context) *scope {
	if ctx == nil {
		return &noScope
	}
	if s, ok := ctx.Value(scopeKey{}).(*scope); ok {
		return s
	}
	return &noScope
}

var noScope scope

// with returns a copy of ctx whose scope is the current one changed by edit.
func with(ctx context.Context, edit func(*scope)) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	s := *scopeOf(ctx)
	edit(&s)
	return context.WithValue(ctx, scopeKey{}, &s)
}

// WithUser returns a copy of ctx carrying a user ID, which becomes the user
// ID of every run started under it unless RunContext sets one. An empty or
// blank ID returns ctx unchanged and an error wrapping ErrInvalidAttribute,
// so that a bad value is never silently recorded.
func WithUser(ctx context.Context, id string) (context.Context, error) {
	if err := nonBlank("user ID", id); err != nil {
		return orBackground(ctx), err
	}
	return with(ctx, func(s *scope) { s.userID = id }), nil
}

// WithSession returns a copy of ctx carrying a session ID, recorded as the
// run metadata "sessionId" (type string) of every run started under it
// unless the run sets one. An empty or blank ID returns ctx unchanged and
// an error wrapping ErrInvalidAttribute.
func WithSession(ctx context.Context, id string) (context.Context, error) {
	if err := nonBlank("session ID", id); err != nil {
		return orBackground(ctx), err
	}
	return with(ctx, func(s *scope) { s.sessionID = id }), nil
}

// WithAttributes returns a copy of ctx carrying attrs on top of those ctx
// already carries: each field overrides only when set (metadata key by key;
// tags and template variables as a whole). Values are copied, so later
// changes by the caller do not reach the record. Invalid metadata, a blank
// tag, a blank template version or variables that cannot be encoded as JSON
// return ctx unchanged and an error naming the value.
func WithAttributes(ctx context.Context, attrs Attributes) (context.Context, error) {
	set, err := attrs.snapshot()
	if err != nil {
		return orBackground(ctx), err
	}
	return with(ctx, func(s *scope) {
		a := &s.attrs
		if set.Metadata != nil {
			merged := maps.Clone(a.Metadata)
			if merged == nil {
				merged = Metadata{}
			}
			maps.Copy(merged, set.Metadata)
			a.Metadata = merged
		}
		if set.Tags != nil {
			a.Tags = set.Tags
		}
		if set.PromptTemplate != "" {
			a.PromptTemplate = set.PromptTemplate
		}
		if set.PromptTemplateVersion != "" {
			a.PromptTemplateVersion = set.PromptTemplateVersion
		}
		if set.PromptTemplateVariables != nil {
			a.PromptTemplateVariables = set.PromptTemplateVariables
		}
	}), nil
}

// snapshot validates a and returns a copy that shares nothing mutable with
// the caller.
func (a Attributes) snapshot() (Attributes, error) {
	if err := a.Metadata.Validate(); err != nil {
		return Attributes{}, err
	}
	for i, t := range a.Tags {
		if strings.TrimSpace(t) == "" {
			return Attributes{}, fmt.Errorf("%w: tag %d is empty", ErrInvalidAttribute, i)
		}
	}
	if a.PromptTemplateVersion != "" {
		if err := nonBlank("prompt template version", a.PromptTemplateVersion); err != nil {
			return Attributes{}, err
		}
	}
	out := Attributes{
		Metadata:              maps.Clone(a.Metadata),
		Tags:                  slices.Clone(a.Tags),
		PromptTemplate:        a.PromptTemplate,
		PromptTemplateVersion: a.PromptTemplateVersion,
	}
	if a.PromptTemplateVariables != nil {
		data, err := json.Marshal(a.PromptTemplateVariables)
		if err != nil {
			return Attributes{}, fmt.Errorf("%w: prompt template variables: %v", ErrInvalidAttribute, err)
		}
		var vars map[string]any
		if err := json.Unmarshal(data, &vars); err != nil || vars == nil {
			vars = map[string]any{}
		}
		out.PromptTemplateVariables = vars
	}
	return out, nil
}

// UserFromContext returns the user ID ctx carries, and false if none.
func UserFromContext(ctx context.Context) (string, bool) {
	id := scopeOf(ctx).userID
	return id, id != ""
}

// SessionFromContext returns the session ID ctx carries, and false if none.
func SessionFromContext(ctx context.Context) (string, bool) {
	id := scopeOf(ctx).sessionID
	return id, id != ""
}

// AttributesFromContext returns a copy of the attributes ctx carries; the
// zero Attributes when it carries none (or ctx is nil).
func AttributesFromContext(ctx context.Context) Attributes {
	a := scopeOf(ctx).attrs
	a.Metadata = maps.Clone(a.Metadata)
	a.Tags = slices.Clone(a.Tags)
	a.PromptTemplateVariables = maps.Clone(a.PromptTemplateVariables)
	return a
}

// ContextWithRunner returns a copy of ctx carrying r, so that model calls
// made with it through a recording client, and Measure, record into r. Use
// it to hand a run to code that starts from another context (a queue
// worker, a goroutine given context.WithoutCancel); Pipeline.Start already
// returns a context carrying its run. A nil r returns ctx unchanged.
func ContextWithRunner(ctx context.Context, r *Runner) context.Context {
	if r == nil {
		return orBackground(ctx)
	}
	return with(ctx, func(s *scope) { s.call = r })
}

// RunnerFromContext returns the run ctx carries (see Pipeline.Start and
// ContextWithRunner). It never returns nil: without a run it returns a
// runner that records nothing, whose IsRecording is false, so code deep in a
// call chain can record without checking, as with
// trace.SpanFromContext.
func RunnerFromContext(ctx context.Context) *Runner {
	if r, ok := scopeOf(ctx).call.(*Runner); ok {
		return r
	}
	return noRunner
}

// simpleRun is the simple mode a context names: every model call becomes a
// one-step run of the pipeline.
type simpleRun struct {
	pipeline *Pipeline
	rc       RunContext
}

// WithPipeline returns a copy of ctx in which every model call recorded
// under it (by the OpenAI wrapper, a recording go-openai or openai-go
// client, or any wrapper that uses StartCall) becomes a one-step run of p
// with rc's user ID, session ID, metadata and previous run ID: simple
// mode. It fails, returning ctx unchanged, when rc is invalid (see
// Pipeline.Start). A run carried by ctx (Pipeline.Start) is replaced for
// calls made under the returned context, and the reverse.
func WithPipeline(ctx context.Context, p *Pipeline, rc RunContext) (context.Context, error) {
	if p == nil {
		return orBackground(ctx), fmt.Errorf("%w: WithPipeline(nil pipeline)", ErrInvalidOption)
	}
	rc, err := rc.snapshot()
	if err != nil {
		return orBackground(ctx), err
	}
	return with(ctx, func(s *scope) { s.call = &simpleRun{pipeline: p, rc: rc} }), nil
}

// StartCall returns the run that one model call made under ctx records
// into, for wrappers of model providers: the run ctx carries, or, in simple
// mode (WithPipeline), a new run that is ended as soon as its one step is
// recorded (its ID is the call's PipelineRunID). Without either, or when a
// simple-mode run cannot start (its client is shut down, reported to the
// client's error handler), it returns a runner that records nothing.
func StartCall(ctx context.Context) *Runner {
	switch c := scopeOf(ctx).call.(type) {
	case *Runner:
		return c
	case *simpleRun:
		_, r, err := c.pipeline.start(ctx, c.rc, true)
		if err != nil {
			c.pipeline.client.report(fmt.Errorf("gentrace: model call of pipeline %q not recorded: %w", c.pipeline.slug, err))
			return noRunner
		}
		return r
	}
	return noRunner
}

func orBackground(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}

func nonBlank(kind, id string) error {
	if strings.TrimSpace(id) == "" {
		return fmt.Errorf("%w: empty %s", ErrInvalidAttribute, kind)
	}
	return nil
}
