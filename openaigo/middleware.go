package openaigo

import (
	"context"
	"log/slog"
	"net/http"
	"sync"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/openaihttp"
	"github.com/openai/openai-go/v3/option"
)

// Record returns a client option that records the OpenAI API calls made
// through the client with a new recorder configured by opts (prices,
// stream usage, body cap, retry hold: see package openaihttp):
//
//	client := openai.NewClient(option.WithAPIKey(key), openaigo.Record())
//
// It is option.WithMiddleware(Middleware(openaihttp.New(opts...))).
func Record(opts ...openaihttp.Option) option.RequestOption {
	return option.WithMiddleware(Middleware(openaihttp.New(opts...)))
}

// Middleware returns an openai-go middleware that records through rec (a
// new openaihttp.Recorder when nil) the OpenAI API calls it sees: those
// made under a context that carries a run (gentrace.Pipeline.Start)
// become steps of that run, those under a context that names a pipeline
// (gentrace.WithPipeline) one-step runs, and the others are not recorded
// unless the call has a per-request WithPipeline. Install it for a client
// (option.WithMiddleware in openai.NewClient) or for one request.
//
// The middleware passes the request and the response on unchanged (see
// openaihttp.Recorder.Do for the one exception, a chat stream's usage),
// and openai-go's errors reach the caller as they were. openai-go calls
// its middleware once per attempt; the attempts of one call make one step
// when they share the context openai-go gives the first gentrace
// middleware of its chain (see openaihttp.Recorder.Do), which holds unless
// a middleware before it, or option.WithRequestTimeout, makes a context
// per attempt. The middleware is safe for concurrent use.
func Middleware(rec *openaihttp.Recorder) option.Middleware {
	if rec == nil {
		rec = openaihttp.New()
	}
	return func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		if req.Method != http.MethodPost {
			return next(req) // every call the recorder records is a POST
		}
		req, st := attach(req)
		if st.rec != nil {
			return next(req) // a recorder before this one has the call
		}
		st.rec = rec
		return rec.Do(req, next)
	}
}

// state is what the gentrace middleware of one attempt share, in its
// request's context: made by the first of them in openai-go's chain, read
// and completed by those after it (per-request options come after the
// client's own).
type state struct {
	origin context.Context // the context openai-go gave the attempt
	call   openaihttp.Call
	// rec is the recorder that has the call (which records it, or passes
	// it on for a later WithPipeline); nil before any.
	rec *openaihttp.Recorder
	// pipeline is set by the WithPipeline that made the call a one-step
	// run.
	pipeline bool
}

type stateKey struct{}

// attach returns req with the attempt's state, making it when req has none.
func attach(req *http.Request) (*http.Request, *state) {
	ctx := req.Context()
	if st, ok := ctx.Value(stateKey{}).(*state); ok {
		return req, st
	}
	st := &state{origin: ctx}
	ctx = openaihttp.WithCall(ctx, &st.call)
	return req.WithContext(context.WithValue(ctx, stateKey{}, st)), st
}

// recording reports whether a recorder before the caller records the
// call into a run the context carries, or a one-step run its context
// names.
func (st *state) recording() bool {
	return gentrace.RunnerFromContext(st.origin).IsRecording() || st.call.RunID != ""
}

// defaultRecorder serves per-request options on clients without a
// recording middleware.
var defaultRecorder = sync.OnceValue(func() *openaihttp.Recorder { return openaihttp.New() })

// reportOnce reports a mistake in a per-request option on the first
// attempt of a call only: openai-go's retries would repeat it.
func reportOnce(req *http.Request, err error) {
	if n := req.Header.Get("X-Stainless-Retry-Count"); n != "" && n != "0" {
		return
	}
	report(req.Context(), err)
}

// report sends a mistake in a per-request option to the Gentrace client
// of the run the call's context carries, else to the default client
// (gentrace.Init), else to slog.Default(): recording never fails the call.
func report(ctx context.Context, err error) {
	if gc := gentrace.RunnerFromContext(ctx).Client(); gc != nil {
		gc.HandleError(err)
		return
	}
	if gc := gentrace.Default(); gc != nil {
		gc.HandleError(err)
		return
	}
	slog.Default().Error(err.Error())
}
