package gentrace

import (
	"context"
	"fmt"
	"maps"

	"github.com/google/uuid"
)

// Pipeline names a Gentrace pipeline by its slug and starts its runs. It is
// safe for concurrent use; make one per pipeline and reuse it.
type Pipeline struct {
	client   *Client
	slug     string
	metadata Metadata
}

// PipelineOption configures a Pipeline.
type PipelineOption func(*Pipeline)

// WithPipelineMetadata sets metadata given to every run of the pipeline.
// A run's own RunContext.Metadata wins for the same key.
func WithPipelineMetadata(m Metadata) PipelineOption {
	return func(p *Pipeline) { p.metadata = maps.Clone(m) }
}

// NewPipeline returns the pipeline with the given slug, whose runs the
// client delivers. An empty slug is ErrEmptySlug; invalid metadata is
// ErrInvalidMetadata.
func (c *Client) NewPipeline(slug string, opts ...PipelineOption) (*Pipeline, error) {
	if slug == "" {
		return nil, ErrEmptySlug
	}
	p := &Pipeline{client: c, slug: slug}
	for _, opt := range opts {
		opt(p)
	}
	if err := p.metadata.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Slug returns the pipeline's slug.
func (p *Pipeline) Slug() string { return p.slug }

// String returns the pipeline's slug, for logs.
func (p *Pipeline) String() string { return "gentrace.Pipeline(" + p.slug + ")" }

// RunContext is what a run knows before its first step. Empty fields mean
// none, or the value the context carries (WithUser, WithSession).
type RunContext struct {
	// UserID is the end user the run served; it is sent on every step.
	UserID string
	// SessionID groups runs of one conversation or task; it is sent as the
	// run metadata "sessionId" (type string) unless Metadata sets that key.
	SessionID string
	// Metadata is the run's metadata, merged with its steps' metadata.
	Metadata Metadata
	// PreviousRunID links the run to the one before it in a thread. It
	// must be a UUID, such as the ID of an earlier run.
	PreviousRunID string
}

// snapshot validates rc and returns a copy whose metadata the caller can
// no longer change, with PreviousRunID in canonical form.
func (rc RunContext) snapshot() (RunContext, error) {
	if err := rc.Metadata.Validate(); err != nil {
		return RunContext{}, err
	}
	if rc.PreviousRunID != "" {
		id, err := uuid.Parse(rc.PreviousRunID)
		if err != nil {
			return RunContext{}, fmt.Errorf("%w: previous run ID %q is not a UUID", ErrInvalidRunID, rc.PreviousRunID)
		}
		rc.PreviousRunID = id.String()
	}
	rc.Metadata = maps.Clone(rc.Metadata)
	return rc, nil
}

// Start begins a run of the pipeline with a new UUID v4 run ID and returns
// a copy of ctx carrying it, so that Measure and model calls made with that
// context through a recording client record into the run. End the run on
// every path, typically with defer run.End(&err).
//
// The context supplies the user and session IDs and the attributes set with
// WithUser, WithSession and WithAttributes; RunContext's values win. Run
// metadata is built from, later winning: context metadata, the session ID,
// pipeline metadata, RunContext.Metadata.
//
// Start fails, returning ctx and a nil runner, with ErrClientClosed after
// Shutdown, ErrInvalidMetadata for malformed metadata and ErrInvalidRunID
// for a PreviousRunID that is not a UUID. Recording into the run never
// depends on ctx staying alive.
func (p *Pipeline) Start(ctx context.Context, rc RunContext) (context.Context, *Runner, error) {
	rc, err := rc.snapshot()
	if err != nil {
		return orBackground(ctx), nil, err
	}
	return p.start(ctx, rc, false)
}

// start begins a run from a validated RunContext. A one-step run ends as
// soon as its step is recorded (simple mode).
func (p *Pipeline) start(ctx context.Context, rc RunContext, oneStep bool) (context.Context, *Runner, error) {
	ctx = orBackground(ctx)
	if p.client.closed() {
		return ctx, nil, ErrClientClosed
	}
	sc := scopeOf(ctx)
	session := rc.SessionID
	if session == "" {
		session = sc.sessionID
	}
	var meta Metadata // stays nil when there is none
	if len(sc.attrs.Metadata)+len(p.metadata)+len(rc.Metadata) > 0 || session != "" {
		meta = make(Metadata, len(sc.attrs.Metadata)+len(p.metadata)+len(rc.Metadata)+1)
		maps.Copy(meta, sc.attrs.Metadata)
		if session != "" {
			meta["sessionId"] = String(session)
		}
		maps.Copy(meta, p.metadata)
		maps.Copy(meta, rc.Metadata)
	}
	userID := rc.UserID
	if userID == "" {
		userID = sc.userID
	}
	now := p.client.now()
	st := &runState{
		client:        p.client,
		slug:          p.slug,
		id:            uuid.NewString(),
		userID:        userID,
		sessionID:     session,
		previousRunID: rc.PreviousRunID,
		metadata:      meta,
		attrs:         sc.attrs,
		oneStep:       oneStep,
		start:         now,
		lastEnd:       now,
	}
	if obs := p.client.cfg.observers; len(obs) > 0 {
		st.observed = make([]any, len(obs))
		for i, o := range obs {
			st.observed[i] = o.StartRun(ctx, st.id)
		}
	}
	r := newRunner(st)
	return with(ctx, func(s *scope) { s.call = r }), r, nil
}
