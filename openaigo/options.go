package openaigo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/openai/openai-go/v3/option"
)

// ErrRunOption reports a per-request WithPipeline on a call that already
// records elsewhere: into the run its context carries, as a one-step run
// its context names (gentrace.WithPipeline), or through another
// WithPipeline. The call records there, and the option is reported to the
// Gentrace client's error handler.
var ErrRunOption = errors.New("gentrace: WithPipeline on a call that records elsewhere (the run its context carries, or a pipeline named before); the call records there")

// WithPipeline returns a request option that makes the call a one-step run
// of p (simple mode) with rc's user ID, session ID, metadata and previous
// run ID, submitted as soon as the call ends; WithRunID receives its ID:
//
//	var runID string
//	resp, err := client.Chat.Completions.New(ctx, params,
//		openaigo.WithPipeline(pipeline, gentrace.RunContext{UserID: "user-1"}),
//		openaigo.WithRunID(&runID))
//
// It records through the client's recorder (Record, Middleware) when the
// client has one, else through a recorder with openaihttp's defaults.
//
// openai-go runs the client's middleware before a request's, so the
// client's recorder sees a call first: a call whose context carries a run,
// or names a pipeline, records there, and WithPipeline is reported as
// ErrRunOption. (On a client without a recorder, a context's run still
// wins, while WithPipeline replaces a pipeline the context names, as
// gentrace.WithPipeline does.) Mistakes in rc (gentrace.ErrInvalidMetadata,
// gentrace.ErrInvalidRunID) are reported too, and the call is then
// recorded as if the option were not given. Reports go to the error
// handler of the Gentrace client of the context's run, else of
// gentrace.Default(), else to slog.Default(); an option never fails the
// call.
func WithPipeline(p *gentrace.Pipeline, rc gentrace.RunContext) option.RequestOption {
	_, invalid := gentrace.WithPipeline(context.Background(), p, rc)
	slug := ""
	if p != nil {
		slug = p.Slug()
	}
	if invalid != nil {
		invalid = fmt.Errorf("gentrace: openaigo.WithPipeline(%q): %w", slug, invalid)
	}
	return option.WithMiddleware(func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		if req.Method != http.MethodPost {
			return next(req)
		}
		req, st := attach(req)
		ctx := req.Context()
		switch {
		case invalid != nil:
			reportOnce(req, invalid)
		case st.pipeline || st.recording():
			// On a retry, the recorder before this option may have taken
			// over the attempt this option recorded before (see
			// openaihttp.Recorder.Do): no mistake there.
			reportOnce(req, fmt.Errorf("%w: pipeline %q ignored", ErrRunOption, slug))
		default:
			rec := st.rec
			if rec == nil {
				rec = defaultRecorder()
			}
			st.rec, st.pipeline = rec, true
			simple, err := gentrace.WithPipeline(ctx, p, rc)
			if err != nil { // cannot happen: rc was valid above
				report(ctx, err)
				return next(req)
			}
			return rec.Do(req.WithContext(simple), next)
		}
		// Recorded as without the option: by the context.
		if st.rec != nil {
			return next(req)
		}
		st.rec = defaultRecorder()
		return st.rec.Do(req, next)
	})
}

// WithStepMetadata returns a request option that sets the metadata of the
// call's step, merged into its run's metadata after the run's own (see
// gentrace.MergeMetadata). Given several times, later keys win. Invalid
// metadata (gentrace.ErrInvalidMetadata) is reported as WithPipeline's
// mistakes are, and left out.
func WithStepMetadata(m gentrace.Metadata) option.RequestOption {
	m = maps.Clone(m)
	invalid := m.Validate()
	if invalid != nil {
		invalid = fmt.Errorf("gentrace: openaigo.WithStepMetadata: %w", invalid)
	}
	return option.WithMiddleware(func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		if req.Method != http.MethodPost {
			return next(req)
		}
		req, st := attach(req)
		if invalid != nil {
			reportOnce(req, invalid)
			return next(req)
		}
		merged := make(gentrace.Metadata, len(st.call.Metadata)+len(m))
		maps.Copy(merged, st.call.Metadata)
		maps.Copy(merged, m)
		st.call.Metadata = merged
		return next(req)
	})
}

// WithRunID returns a request option that stores in *dst the PipelineRunID
// of the one-step run the call made in simple mode (WithPipeline, or a
// context from gentrace.WithPipeline), and "" for a call that made none.
// It is set when the call returns (a stream's when it opens), after every
// attempt; use one dst per call. A nil dst is ignored.
func WithRunID(dst *string) option.RequestOption {
	return option.WithMiddleware(func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		if req.Method != http.MethodPost || dst == nil {
			return next(req)
		}
		req, st := attach(req)
		resp, err := next(req)
		*dst = st.call.RunID
		return resp, err
	})
}
