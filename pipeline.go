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

// NewPipeline returns a pipeline of the default client set by Init, or
// ErrNotInitialized.
func NewPipeline(slug string, opts ...PipelineOption) (*Pipeline, error) {
	c := Default()
	if c == nil {
		return nil, ErrNotInitialized
	}
	return c.NewPipeline(slug, opts...)
}

// Slug returns the pipeline's slug.
func (p *Pipeline) Slug() string { return p.slug }

// Client returns the client that delivers the pipeline's runs.
func (p *Pipeline) Client() *Client { return p.client }

// RunContext is what a run knows before its first step.
type RunContext struct {
	// UserID is the end user the run served; it is sent on every step.
	// Empty means the user ID from the context (WithUser), if any.
	UserID string
	// Metadata is the run's metadata, merged with its steps' metadata.
	Metadata Metadata
	// PreviousRunID links the run to the one before it in a thread. It
	// must be a UUID, such as the ID of an earlier run.
	PreviousRunID string
}

// Start begins a run and returns its Runner, with a new UUID v4 run ID. The
// context supplies the user, session and metadata set with WithUser,
// WithSession and WithAttributes; explicit RunContext values win. Start
// fails with ErrClientClosed after Shutdown, ErrInvalidMetadata for
// malformed metadata and ErrInvalidRunID for a PreviousRunID that is not a
// UUID. Recording into the runner never depends on ctx staying alive.
func (p *Pipeline) Start(ctx context.Context, rc RunContext) (*Runner, error) {
	if p.client.closed() {
		return nil, ErrClientClosed
	}
	if err := rc.Metadata.Validate(); err != nil {
		return nil, err
	}
	prev := ""
	if rc.PreviousRunID != "" {
		id, err := uuid.Parse(rc.PreviousRunID)
		if err != nil {
			return nil, fmt.Errorf("%w: previous run ID %q is not a UUID", ErrInvalidRunID, rc.PreviousRunID)
		}
		prev = id.String()
	}
	attrs := attributesFromContext(ctx)
	var meta Metadata // stays nil when there is none
	if len(attrs.Metadata)+len(p.metadata)+len(rc.Metadata) > 0 || attrs.SessionID != "" {
		meta = Metadata{}
		maps.Copy(meta, attrs.Metadata)
		if attrs.SessionID != "" {
			meta["sessionId"] = String(attrs.SessionID)
		}
		maps.Copy(meta, p.metadata)
		maps.Copy(meta, rc.Metadata)
	}
	userID := rc.UserID
	if userID == "" {
		userID = attrs.UserID
	}
	now := p.client.now()
	r := &Runner{
		client:        p.client,
		slug:          p.slug,
		id:            uuid.NewString(),
		userID:        userID,
		previousRunID: prev,
		metadata:      meta,
		attrs:         attrs,
		start:         now,
		lastEnd:       now,
	}
	if obs := p.client.cfg.observers; len(obs) > 0 {
		r.observed = make([]any, len(obs))
		for i, o := range obs {
			r.observed[i] = o.StartRun(ctx, r.id)
		}
	}
	return r, nil
}
