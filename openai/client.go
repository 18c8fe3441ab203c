package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/openaihttp"
	goopenai "github.com/sashabaranov/go-openai"
)

// ErrRunOption reports a run-level call option (pipeline slug, previous run
// ID or run metadata) on a call made under a run: those belong to
// Pipeline.Start.
var ErrRunOption = errors.New("gentrace: pipeline slug, previous run ID and run metadata are set at Pipeline.Start, not on a call made under a run")

// Record returns cfg with its HTTP client wrapped by a recorder, so that an
// unmodified *goopenai.Client made from it records its calls: those made
// under a context carrying a run (gentrace.Pipeline.Start) become steps of
// that run, those under gentrace.WithPipeline one-step runs, the others
// nothing. Its types stay go-openai's own, so code written against
// go-openai's client keeps compiling:
//
//	client := goopenai.NewClientWithConfig(openai.Record(goopenai.DefaultConfig(key)))
//
// A nil cfg.HTTPClient is a new http.Client. The recorder options set its
// prices and stream usage (see package openaihttp).
func Record(cfg goopenai.ClientConfig, opts ...openaihttp.Option) goopenai.ClientConfig {
	return recordWith(cfg, openaihttp.New(opts...))
}

func recordWith(cfg goopenai.ClientConfig, rec *openaihttp.Recorder) goopenai.ClientConfig {
	next := cfg.HTTPClient
	if next == nil {
		next = &http.Client{}
	}
	cfg.HTTPClient = doer{rec: rec, next: next}
	return cfg
}

// doer is go-openai's HTTP client with the recorder in front.
type doer struct {
	rec  *openaihttp.Recorder
	next goopenai.HTTPDoer
}

func (d doer) Do(req *http.Request) (*http.Response, error) { return d.rec.Do(req, d.next.Do) }

// Client is a go-openai client that records its calls as Gentrace steps,
// with simple-mode options, Mustache templates and the PipelineRunID of
// one-step runs. It embeds *goopenai.Client, so every go-openai method is
// available; the methods below keep go-openai's names and parameters, take
// optional CallOptions, and return go-openai's responses with the
// PipelineRunID added. Calls record like those of a client made with
// Record: into the run the context carries, or, with WithPipelineSlug, as a
// one-step run. A Client is safe for concurrent use.
type Client struct {
	*goopenai.Client
	gentrace *gentrace.Client // nil: gentrace.Default() at call time
	recorder *openaihttp.Recorder
	defaults []CallOption
	escape   bool // HTML-escape template values
}

// Option configures a Client.
type Option func(*Client)

// WithGentrace sets the Gentrace client that delivers simple-mode runs
// (WithPipelineSlug). The default is gentrace.Default() at call time.
func WithGentrace(c *gentrace.Client) Option { return func(o *Client) { o.gentrace = c } }

// WithRecorder sets the recorder the client's calls go through, to share
// one or to set its prices and stream usage (default openaihttp.New()).
func WithRecorder(r *openaihttp.Recorder) Option {
	return func(o *Client) {
		if r != nil {
			o.recorder = r
		}
	}
}

// WithDefaultCallOptions sets call options applied before each call's own.
// Run-level defaults (pipeline slug, user ID, previous run ID, run metadata)
// are ignored for calls made under a run, so that a client set up for
// simple mode also works inside runs.
func WithDefaultCallOptions(opts ...CallOption) Option {
	return func(o *Client) { o.defaults = append(o.defaults, opts...) }
}

// WithHTMLEscaping makes {{x}} in templates HTML-escape its value, as
// Mustache does by default and the other Gentrace SDKs do. Without it,
// values reach the model as written: prompts are not HTML, and
// "if a < b && c" must not become "if a &lt; b &amp;&amp; c". {{{x}}} never
// escapes.
func WithHTMLEscaping() Option { return func(o *Client) { o.escape = true } }

// NewClient returns a recording client for the OpenAI API with the given
// key, like go-openai's NewClient.
func NewClient(authToken string, opts ...Option) *Client {
	return NewClientWithConfig(goopenai.DefaultConfig(authToken), opts...)
}

// NewClientWithConfig returns a recording client with a go-openai
// configuration (Azure's included), like go-openai's NewClientWithConfig.
func NewClientWithConfig(cfg goopenai.ClientConfig, opts ...Option) *Client {
	c := &Client{}
	for _, opt := range opts {
		opt(c)
	}
	if c.recorder == nil {
		c.recorder = openaihttp.New()
	}
	c.Client = goopenai.NewClientWithConfig(recordWith(cfg, c.recorder))
	return c
}

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
}

// WithPipelineSlug makes the call a one-step run of the pipeline, submitted
// on its own (simple mode); the response carries its PipelineRunID. Under a
// run (gentrace.Pipeline.Start) it is ErrRunOption.
func WithPipelineSlug(slug string) CallOption { return func(c *callConfig) { c.slug = slug } }

// WithUserID sets the user ID of a simple-mode run. Under a run it must
// equal the run's, since a user ID belongs to the whole run
// (gentrace.ErrStepUserID).
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
// are sent; the templates are recorded in modelParams.contentTemplates and
// the inputs in inputs.contentInputs, one entry per message. The caller's
// request is not changed.
func WithContentInputs(inputs ...map[string]any) CallOption {
	return func(c *callConfig) { c.contentInputs = inputs }
}

// WithPromptInputs treats a completion's Prompt as a Mustache template
// rendered with inputs, recorded in modelParams.promptTemplate, with the
// inputs as inputs.prompt and inputs.promptInputs (as the other Gentrace
// SDKs record them).
func WithPromptInputs(inputs map[string]any) CallOption {
	return func(c *callConfig) { c.promptInputs, c.hasPrompt = inputs, true }
}

func (c *Client) config(ctx context.Context, opts []CallOption) callConfig {
	var cc callConfig
	for _, opt := range c.defaults {
		opt(&cc)
	}
	if gentrace.RunnerFromContext(ctx).IsRecording() {
		cc.slug, cc.userID, cc.previousRunID, cc.metadata = "", "", "", nil
	}
	for _, opt := range opts {
		opt(&cc)
	}
	return cc
}

// begin prepares a call's context: simple mode when the call names a
// pipeline, and the recorder's Call for templates, step metadata and the
// run ID. Mistakes in the options are returned before anything is sent.
func (c *Client) begin(ctx context.Context, cc callConfig) (context.Context, *openaihttp.Call, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := cc.stepMetadata.Validate(); err != nil {
		return nil, nil, err
	}
	if run := gentrace.RunnerFromContext(ctx); run.IsRecording() {
		if cc.slug != "" || cc.previousRunID != "" || cc.metadata != nil {
			return nil, nil, ErrRunOption
		}
		if cc.userID != "" && cc.userID != run.UserID() {
			return nil, nil, fmt.Errorf("%w: call user ID %q, run user ID %q", gentrace.ErrStepUserID, cc.userID, run.UserID())
		}
	} else if cc.slug != "" {
		gc := c.gentrace
		if gc == nil {
			gc = gentrace.Default()
		}
		if gc == nil {
			// Gentrace's configuration must not fail an OpenAI call.
			slog.Default().Error("gentrace: call not recorded: simple mode needs a Gentrace client (openai.WithGentrace or gentrace.Init)",
				"pipeline", cc.slug)
			call := &openaihttp.Call{}
			return openaihttp.WithCall(ctx, call), call, nil
		}
		p, err := gc.NewPipeline(cc.slug)
		if err != nil {
			return nil, nil, err
		}
		ctx, err = gentrace.WithPipeline(ctx, p, gentrace.RunContext{UserID: cc.userID, Metadata: cc.metadata, PreviousRunID: cc.previousRunID})
		if err != nil {
			return nil, nil, err
		}
	}
	call := &openaihttp.Call{Metadata: cc.stepMetadata}
	return openaihttp.WithCall(ctx, call), call, nil
}

// invoke runs one go-openai call with the call's context.
func invoke[T any](c *Client, ctx context.Context, opts []CallOption, fn func(context.Context) (T, error)) (T, string, error) {
	ctx, call, err := c.begin(ctx, c.config(ctx, opts))
	if err != nil {
		var zero T
		return zero, "", err
	}
	resp, err := fn(ctx)
	return resp, call.RunID, err
}

func rawJSON(v any) json.RawMessage {
	data, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return data
}
