package openai

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"sync"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/pricing"
	openai "github.com/sashabaranov/go-openai"
)

// ErrRunOption reports a run-level call option (pipeline slug, previous run
// ID or run metadata) on a client bound to a runner: those belong to
// Pipeline.Start.
var ErrRunOption = errors.New("gentrace: pipeline slug, previous run ID and run metadata are set at Pipeline.Start for a runner-bound client")

// Client is a go-openai client that records every call as a Gentrace step.
// Its methods have go-openai's names, parameters and errors, plus optional
// CallOptions; responses embed go-openai's and add the PipelineRunID.
//
// A Client records nothing unless it is bound to a runner (ForRunner:
// advanced mode, each call adds a step to the runner) or a call names a
// pipeline (WithPipelineSlug: simple mode, each call becomes a one-step run
// that is submitted on its own). A Client is safe for concurrent use.
type Client struct {
	oc       *openai.Client
	gentrace *gentrace.Client // nil: gentrace.Default() at call time
	prices   *pricing.Table
	usage    bool // ask for exact stream usage
	runner   *gentrace.Runner
	defaults []CallOption
	warned   *sync.Map // models without a price, warned about once
	// capturing is set when the client made go-openai's client itself and
	// wrapped its HTTP client to capture request and answer bodies.
	capturing bool
}

// Option configures a Client.
type Option func(*Client)

// WithGentrace sets the Gentrace client that delivers simple-mode runs and
// receives diagnostics. The default is gentrace.Default() at call time.
func WithGentrace(c *gentrace.Client) Option { return func(o *Client) { o.gentrace = c } }

// WithPriceTable sets the prices used for cost (default pricing.Default(),
// the embedded dated table). Add or override prices with the table's With
// method.
func WithPriceTable(t *pricing.Table) Option { return func(o *Client) { o.prices = t } }

// WithExactStreamUsage makes every stream ask OpenAI for its exact token
// usage (stream_options.include_usage), so nothing needs estimating. The
// extra usage-only chunk is hidden from callers who did not ask for it.
func WithExactStreamUsage() Option { return func(o *Client) { o.usage = true } }

// WithDefaultCallOptions sets call options applied before each call's own.
// On a client bound to a runner (ForRunner), run-level defaults (pipeline
// slug, user ID, previous run ID, run metadata) are ignored: the run was
// configured at Pipeline.Start, so a client set up for simple mode can be
// bound without failing every call.
func WithDefaultCallOptions(opts ...CallOption) Option {
	return func(o *Client) { o.defaults = append(o.defaults, opts...) }
}

// NewClient returns a recording client for the OpenAI API with the given
// key, like go-openai's NewClient.
func NewClient(authToken string, opts ...Option) *Client {
	return NewClientWithConfig(openai.DefaultConfig(authToken), opts...)
}

// NewClientWithConfig returns a recording client with a go-openai
// configuration, like go-openai's NewClientWithConfig.
func NewClientWithConfig(config openai.ClientConfig, opts ...Option) *Client {
	if config.HTTPClient == nil {
		config.HTTPClient = &http.Client{}
	}
	config.HTTPClient = capturing{next: config.HTTPClient}
	c := Wrap(openai.NewClientWithConfig(config), opts...)
	c.capturing = true
	return c
}

// Wrap returns a recording client that sends its calls through oc.
func Wrap(oc *openai.Client, opts ...Option) *Client {
	c := &Client{oc: oc, prices: pricing.Default(), warned: new(sync.Map)}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// ForRunner returns a copy of the client bound to a runner: each call adds
// a step to r and submits nothing (advanced mode). The runner's client
// delivers it when r.Submit is called. ForRunner(nil) returns an unbound
// copy. Binding is cheap (a struct copy): bind once per run.
func (c *Client) ForRunner(r *gentrace.Runner) *Client {
	bound := *c
	bound.runner = r
	if r != nil {
		bound.gentrace = r.Client()
	}
	return &bound
}

// OpenAI returns the underlying go-openai client, for calls the wrapper
// does not record.
func (c *Client) OpenAI() *openai.Client { return c.oc }

// CallOption configures one call.
type CallOption func(*callConfig)

type callConfig struct {
	slug          string
	userID        string
	previousRunID string
	metadata      gentrace.Metadata
	stepMetadata  gentrace.Metadata
	contentInputs []map[string]any
	promptInputs  map[string]any
	hasPrompt     bool
	exactUsage    bool
}

// WithPipelineSlug makes the call a one-step run of the pipeline, submitted
// on its own (simple mode). Ignored by a runner-bound client, which fails
// the call with ErrRunOption instead.
func WithPipelineSlug(slug string) CallOption { return func(c *callConfig) { c.slug = slug } }

// WithUserID sets the user ID of a simple-mode run. On a runner-bound
// client it must equal the runner's (see gentrace.ErrStepUserID).
func WithUserID(id string) CallOption { return func(c *callConfig) { c.userID = id } }

// WithPreviousRunID links a simple-mode run to the run before it in a
// thread.
func WithPreviousRunID(id string) CallOption { return func(c *callConfig) { c.previousRunID = id } }

// WithMetadata sets the metadata of a simple-mode run.
func WithMetadata(m gentrace.Metadata) CallOption {
	return func(c *callConfig) { c.metadata = maps.Clone(m) }
}

// WithStepMetadata sets the metadata of the call's step, merged into the
// run's metadata.
func WithStepMetadata(m gentrace.Metadata) CallOption {
	return func(c *callConfig) { c.stepMetadata = maps.Clone(m) }
}

// WithContentInputs treats chat message contents as Mustache templates:
// inputs[i] renders message i's Content (nil leaves a message as it is; a
// message with MultiContent cannot be a template). The rendered messages
// are sent; the templates and inputs are recorded. The caller's request is
// not changed.
func WithContentInputs(inputs ...map[string]any) CallOption {
	return func(c *callConfig) { c.contentInputs = inputs }
}

// WithPromptInputs treats a completion's Prompt as a Mustache template
// rendered with inputs.
func WithPromptInputs(inputs map[string]any) CallOption {
	return func(c *callConfig) { c.promptInputs, c.hasPrompt = inputs, true }
}

// WithExactUsage asks OpenAI for the exact usage of this stream (see
// WithExactStreamUsage).
func WithExactUsage() CallOption { return func(c *callConfig) { c.exactUsage = true } }

func (c *Client) config(opts []CallOption) callConfig {
	var cc callConfig
	for _, opt := range c.defaults {
		opt(&cc)
	}
	if c.runner != nil {
		cc.slug, cc.userID, cc.previousRunID, cc.metadata = "", "", "", nil
	}
	for _, opt := range opts {
		opt(&cc)
	}
	cc.exactUsage = cc.exactUsage || c.usage
	return cc
}

// call is one recorded call in progress.
type call struct {
	client *Client
	runner *gentrace.Runner
	simple bool
	cfg    callConfig
	attrs  gentrace.Attributes // of the call's context, for observers
}

// begin finds the runner a call records into: the bound one, a new
// one-step run in simple mode, or none. Errors are the caller's mistakes
// and are returned before anything is sent.
func (c *Client) begin(ctx context.Context, cc callConfig) (*call, error) {
	if c.runner != nil {
		if cc.slug != "" || cc.previousRunID != "" || cc.metadata != nil {
			return nil, ErrRunOption
		}
		if cc.userID != "" && cc.userID != c.runner.UserID() {
			return nil, fmt.Errorf("%w: call user ID %q, run user ID %q", gentrace.ErrStepUserID, cc.userID, c.runner.UserID())
		}
		if err := cc.stepMetadata.Validate(); err != nil {
			return nil, err
		}
		return &call{client: c, runner: c.runner, cfg: cc, attrs: gentrace.AttributesFromContext(ctx)}, nil
	}
	if cc.slug == "" {
		return nil, nil
	}
	gc := c.gentraceClient()
	if gc == nil {
		slog.Default().Error("gentrace: call not recorded: no Gentrace client (use gentrace.Init or openai.WithGentrace)",
			"pipeline", cc.slug)
		return nil, nil
	}
	if err := cc.stepMetadata.Validate(); err != nil {
		return nil, err
	}
	p, err := gc.NewPipeline(cc.slug)
	if err != nil {
		return nil, err
	}
	r, err := p.Start(ctx, gentrace.RunContext{UserID: cc.userID, Metadata: cc.metadata, PreviousRunID: cc.previousRunID})
	if errors.Is(err, gentrace.ErrClientClosed) {
		// Gentrace being shut down must not fail the OpenAI call.
		gc.Logger().Error("gentrace: call not recorded: Gentrace client is shut down", "pipeline", cc.slug)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &call{client: c, runner: r, simple: true, cfg: cc, attrs: gentrace.AttributesFromContext(ctx)}, nil
}

func (c *Client) gentraceClient() *gentrace.Client {
	if c.gentrace != nil {
		return c.gentrace
	}
	return gentrace.Default()
}

// runID is the PipelineRunID a call returns: only simple-mode calls have
// their own run.
func (k *call) runID() string {
	if k == nil || !k.simple {
		return ""
	}
	return k.runner.ID()
}

// record adds the step and, in simple mode, submits the run. Failures are
// reported to the Gentrace client, never to the OpenAI caller.
func (k *call) record(s gentrace.Step) {
	s.Metadata = k.cfg.stepMetadata
	s.Attributes = k.attrs
	gc := k.runner.Client()
	if err := k.runner.Record(s); err != nil {
		gc.HandleError(fmt.Errorf("gentrace: OpenAI step of run %s not recorded: %w", k.runner.ID(), err))
		return
	}
	if k.simple {
		// A full queue is counted and reported by the client itself.
		if _, err := k.runner.Submit(context.Background()); err != nil && !errors.Is(err, gentrace.ErrQueueFull) {
			gc.HandleError(fmt.Errorf("gentrace: run %s not submitted: %w", k.runner.ID(), err))
		}
	}
}
