package openaihttp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/pricing"
)

// DefaultMaxBodyBytes is how much of one request or response body a step
// keeps by default. Beyond it the record keeps the start and the last 64
// KiB (where OpenAI puts the model and the usage) and says how much was
// left out; the caller's bytes are never cut.
const DefaultMaxBodyBytes = 8 << 20

// StreamUsage says when a recorder asks OpenAI for the exact token usage of
// a chat completion stream (stream_options.include_usage), so that nothing
// needs estimating. The extra usage-only chunk OpenAI then sends is hidden
// from a caller whose request did not ask for it.
type StreamUsage int

const (
	// StreamUsageAuto asks when the request goes to OpenAI's own API
	// (api.openai.com), and estimates elsewhere (Azure, compatible
	// servers), which may not support the option. It is the default.
	StreamUsageAuto StreamUsage = iota
	// StreamUsageAlways asks on every endpoint.
	StreamUsageAlways
	// StreamUsageNever never changes the request; usage a stream does not
	// carry is estimated with a tokenizer.
	StreamUsageNever
)

// Option configures a Recorder.
type Option func(*config)

type config struct {
	prices    *pricing.Table
	usage     StreamUsage
	maxBody   int
	retryHold time.Duration
}

// WithPrices sets the price table costs come from (default
// pricing.Default(), the embedded dated table).
func WithPrices(t *pricing.Table) Option {
	return func(c *config) {
		if t != nil {
			c.prices = t
		}
	}
}

// WithStreamUsage sets when streams ask for their exact usage (default
// StreamUsageAuto).
func WithStreamUsage(u StreamUsage) Option { return func(c *config) { c.usage = u } }

// WithMaxBodyBytes sets how much of one body a step keeps (default
// DefaultMaxBodyBytes); n <= 0 keeps the default.
func WithMaxBodyBytes(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxBody = n
		}
	}
}

// Recorder records the OpenAI API calls that pass through it as steps of
// the run their request's context carries (see gentrace.Pipeline.Start),
// or as one-step runs when the context names a pipeline
// (gentrace.WithPipeline). Calls made under a context with neither pass
// through untouched. A Recorder is safe for concurrent use; make one and
// share it.
type Recorder struct {
	cfg        config
	warned     sync.Map     // models without a price, warned about once
	streamSize atomic.Int64 // bytes of the last stream, to size the next one's copy
	held       heldAttempts
}

// New returns a Recorder configured by opts.
func New(opts ...Option) *Recorder {
	r := &Recorder{cfg: config{prices: pricing.Default(), maxBody: DefaultMaxBodyBytes, retryHold: DefaultRetryHold}}
	for _, opt := range opts {
		opt(&r.cfg)
	}
	return r
}

// Next sends a request on; it is what Do wraps: an http.RoundTripper's
// RoundTrip, an HTTP client's Do, or openai-go's middleware chain.
type Next = func(*http.Request) (*http.Response, error)

// Do sends req with next and records the call when it is one of the OpenAI
// API calls the recorder knows (POST to /chat/completions, /completions,
// /embeddings, /moderations, /responses, /images/generations,
// /audio/transcriptions, /audio/translations, /audio/speech, under any
// base path, Azure's included) and its context carries a run or names a
// pipeline. The response is returned as next returned it, its body passing
// through chunk by chunk; the step is recorded when the body has been read
// to its end, fails, or is closed. Errors are returned unchanged.
//
// The one change Do may make to a request is asking a chat stream for its
// exact usage (see StreamUsage); the chunk that adds is then hidden.
//
// # Retries
//
// A client that retries sends each attempt of a call through Do, as
// openai-go does with its middleware. The attempts of one call record one
// step when Do can tell them apart: they number themselves with the
// X-Stainless-Retry-Count header (openai-go's do), share the context the
// call's Call was attached to (or the request's context without one), the
// path and the body. An attempt that failed with an answer the client may
// retry (408, 409, 429, 5xx, or X-Should-Retry: true), whose body the
// client closed unread, is held until the next attempt starts; that
// attempt's step then starts where the first one did and its outputs count
// the attempts ("attempt") and list the errors of the earlier ones
// ("attemptErrors"). A held attempt that no attempt follows within the
// hold (WithRetryHold; the answer's Retry-After when longer), or whose
// context ends, is recorded as a step of its own. An attempt that failed
// without an answer (a transport error) is recorded at once, since nothing
// tells whether the client will try again; a later attempt is then a step
// of its own with its "attempt" number.
func (r *Recorder) Do(req *http.Request, next Next) (*http.Response, error) {
	rt := routeOf(req)
	if rt == nil {
		return next(req)
	}
	ctx := req.Context()
	call := callFrom(ctx)
	retry := retryCount(req)
	var c *capture
	sent := req
	var err error
	if retry > 0 && req.GetBody != nil && r.held.count.Load() > 0 {
		// The request may continue a failed attempt held for it: read a
		// copy of its body first, to tell which. The caller's body is
		// left as it is, in case the call is not recorded.
		c = &capture{rec: r, route: rt, call: call, ctx: ctx, retry: retry, choices: 1}
		if sent, err = c.readRequest(req); err != nil {
			return nil, err
		}
		if prev := r.held.take(c); prev != nil {
			c.resume(prev)
		}
	}
	if c == nil || c.run == nil {
		run, simple := startRun(ctx, call)
		if run == nil {
			return next(req)
		}
		if c == nil {
			c = &capture{rec: r, route: rt, call: call, ctx: ctx, retry: retry, choices: 1}
			if sent, err = c.readRequest(req); err != nil {
				return nil, err
			}
		}
		c.run, c.simple, c.start = run, simple, run.Now()
		if call != nil {
			call.attempts++
			c.attempt = call.attempts
		}
		// A retrying client numbers its attempts: a retry that continues
		// no held attempt is still counted.
		c.attempt = max(c.attempt, retry+1)
	}
	c.platform, c.attrs = platformOf(req), gentrace.AttributesFromContext(ctx)
	resp, err := next(sent)
	if err != nil {
		c.finish(err)
		return resp, err
	}
	c.status = resp.StatusCode
	c.contentType = resp.Header.Get("Content-Type")
	c.respLength = resp.ContentLength
	if c.retry >= 0 && c.status >= 400 {
		c.shouldRetry, c.retryAfter = resp.Header.Get("X-Should-Retry"), retryAfter(resp.Header)
	}
	if resp.Body == nil || resp.Body == http.NoBody {
		c.finish(errBodyEnd)
		return resp, nil
	}
	resp.Body = c.wrap(resp.Body)
	return resp, nil
}

// startRun returns the run a call records into, and whether it is a
// one-step run made for the call: the run its Call already has (a retry
// of a call already started), the one its context carries, or a new
// one-step run in simple mode. It returns nil when the call is not
// recorded.
func startRun(ctx context.Context, call *Call) (run *gentrace.Runner, simple bool) {
	if call != nil && call.run != nil {
		return call.run, call.RunID != ""
	}
	run = gentrace.StartCall(ctx)
	if !run.IsRecording() {
		return nil, false
	}
	simple = run != gentrace.RunnerFromContext(ctx)
	if call != nil {
		call.run = run
		call.RunID = ""
		if simple {
			call.RunID = run.ID()
		}
	}
	return run, simple
}

// transport is an http.RoundTripper that records through a Recorder.
type transport struct {
	rec  *Recorder
	base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.rec.Do(req, t.base.RoundTrip)
}

// Transport returns an http.RoundTripper that sends requests with base and
// records them (see Do). A nil base is a new http.Transport cloned from
// http.DefaultTransport, which itself is never changed.
func (r *Recorder) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	return transport{rec: r, base: base}
}

// NewTransport returns an http.RoundTripper that records the OpenAI API
// calls made through it with a new Recorder (see Recorder.Transport), as
// otelhttp.NewTransport does for spans:
//
//	hc := &http.Client{Transport: openaihttp.NewTransport(nil)}
func NewTransport(base http.RoundTripper, opts ...Option) http.RoundTripper {
	return New(opts...).Transport(base)
}

// Call carries what a wrapper knows about one model call beyond its HTTP
// request, and receives what the recorder learns. Put it in the call's
// context with WithCall. A Call is for one logical call: the attempts a
// client makes for it (its retries) record one step (see Do for clients
// that send each attempt through the recorder).
type Call struct {
	// Metadata is merged into the run's metadata as the step's metadata.
	Metadata gentrace.Metadata
	// Inputs and ModelParams are added to the step's inputs and model
	// params, replacing request fields of the same name (for example the
	// templates and template inputs of the OpenAI wrapper).
	Inputs      map[string]json.RawMessage
	ModelParams map[string]json.RawMessage

	// RunID is set by the recorder to the ID of the one-step run the call
	// made in simple mode (gentrace.WithPipeline); "" otherwise.
	RunID string

	run      *gentrace.Runner
	attempts int
	origin   context.Context // the context given to WithCall: the call's identity across attempts
}

type callKey struct{}

// WithCall returns a copy of ctx carrying c for the call made with it.
// The attempts of a retrying client that derives a context per attempt
// from ctx (adding a pipeline with gentrace.WithPipeline, say) are known
// as one call by ctx; see Do.
func WithCall(ctx context.Context, c *Call) context.Context {
	if c != nil {
		c.origin = ctx
	}
	return context.WithValue(ctx, callKey{}, c)
}

func callFrom(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}

// route is one kind of OpenAI call.
type route struct {
	suffix     string
	invocation string
	inputs     []string // request fields recorded as inputs; the rest are model params
	stream     streamKind
}

type streamKind uint8

const (
	noStream streamKind = iota
	chatStream
	completionStream
	responseStream
)

// Invocations recorded for each call, following the Gentrace SDKs'
// pattern.
const (
	ProviderName             = "openai"
	InvocationChatCompletion = "openai_createChatCompletion"
	InvocationCompletion     = "openai_createCompletion"
	InvocationEmbedding      = "openai_createEmbedding"
	InvocationModeration     = "openai_createModeration"
	InvocationResponse       = "openai_createResponse"
	InvocationImage          = "openai_createImage"
	InvocationTranscription  = "openai_createTranscription"
	InvocationTranslation    = "openai_createTranslation"
	InvocationSpeech         = "openai_createSpeech"
)

var (
	routeChat          = &route{"/chat/completions", InvocationChatCompletion, []string{"messages", "user", "tools"}, chatStream}
	routeCompletion    = &route{"/completions", InvocationCompletion, []string{"prompt", "user"}, completionStream}
	routeEmbedding     = &route{"/embeddings", InvocationEmbedding, []string{"input"}, noStream}
	routeModeration    = &route{"/moderations", InvocationModeration, []string{"input"}, noStream}
	routeResponse      = &route{"/responses", InvocationResponse, []string{"input", "instructions", "tools", "previous_response_id"}, responseStream}
	routeImage         = &route{"/images/generations", InvocationImage, []string{"prompt"}, noStream}
	routeTranscription = &route{"/audio/transcriptions", InvocationTranscription, []string{"file", "prompt"}, noStream}
	routeTranslation   = &route{"/audio/translations", InvocationTranslation, []string{"file", "prompt"}, noStream}
	routeSpeech        = &route{"/audio/speech", InvocationSpeech, []string{"input", "instructions"}, noStream}
	// Longer suffixes first: "/chat/completions" also ends in
	// "/completions".
	routes = []*route{routeChat, routeCompletion, routeEmbedding, routeModeration, routeResponse,
		routeImage, routeTranscription, routeTranslation, routeSpeech}
)

// routeOf returns the call kind of req, or nil for anything not recorded.
func routeOf(req *http.Request) *route {
	if req.Method != http.MethodPost || req.URL == nil {
		return nil
	}
	p := strings.TrimSuffix(req.URL.Path, "/")
	for _, rt := range routes {
		if strings.HasSuffix(p, rt.suffix) {
			return rt
		}
	}
	return nil
}

// platformOf tells Azure OpenAI apart from OpenAI's own API: Azure's hosts,
// its deployment paths, or its api-key header.
func platformOf(req *http.Request) string {
	host := strings.ToLower(req.URL.Hostname())
	if strings.HasSuffix(host, ".openai.azure.com") || strings.HasSuffix(host, ".cognitiveservices.azure.com") ||
		strings.HasSuffix(host, ".services.ai.azure.com") || strings.Contains(req.URL.Path, "/openai/deployments/") ||
		req.Header.Get("Api-Key") != "" {
		return "azure"
	}
	return ""
}

// isOpenAI reports whether req goes to OpenAI's own API.
func isOpenAI(req *http.Request) bool {
	return strings.EqualFold(req.URL.Hostname(), "api.openai.com")
}

// report sends a recording problem to the run's client, never to the
// caller of the OpenAI API.
func report(run *gentrace.Runner, format string, args ...any) {
	if gc := run.Client(); gc != nil {
		gc.HandleError(fmt.Errorf("gentrace: "+format, args...))
	}
}
