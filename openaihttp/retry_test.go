package openaihttp_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/openaihttp"
)

// attempt sends one attempt of a call the way openai-go does: a body that
// can be sent again, numbered with X-Stainless-Retry-Count, through the
// recorder to next.
func attempt(t *testing.T, rec *openaihttp.Recorder, ctx context.Context, url string, n int, body string, next openaihttp.Next) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Stainless-Retry-Count", strconv.Itoa(n))
	resp, err := rec.Do(req, next)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// retried closes an answer unread, as openai-go does before retrying.
func retried(resp *http.Response) { resp.Body.Close() }

// returned reads an answer to its end, as openai-go does with the one it
// returns.
func returned(resp *http.Response) []byte {
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return data
}

func TestAttemptsOfARetryingClientAreOneStep(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.wire.enqueue(errorReply(500, `{"error":{"message":"boom","type":"server_error"}}`),
		errorReply(503, `{"error":{"message":"busy","type":"server_error"}}`), jsonReply(chatAnswer))
	ctx, r := w.start(gentrace.RunContext{})
	url, next := w.wire.srv.URL+"/v1/chat/completions", w.wire.srv.Client().Do
	retried(attempt(t, w.rec, ctx, url, 0, chatRequest, next))
	retried(attempt(t, w.rec, ctx, url, 1, chatRequest, next))
	if n := len(r.Steps()); n != 0 {
		t.Fatalf("%d steps recorded while the call was being retried", n)
	}
	if got := returned(attempt(t, w.rec, ctx, url, 2, chatRequest, next)); !strings.Contains(string(got), "Paris.") {
		t.Fatalf("caller got %s", got)
	}
	steps := r.Steps()
	if len(steps) != 1 {
		t.Fatalf("%d steps, want 1", len(steps))
	}
	s := step(t, w.end(r))
	if s.Error != "" || s.Outputs["id"] != "chatcmpl-Bx1" || s.Outputs["attempt"] != 3.0 ||
		raw(t, s.Outputs["attemptErrors"]) != `["500 Internal Server Error","503 Service Unavailable"]` {
		t.Errorf("step = %q %v", s.Error, s.Outputs)
	}
	// The step spans the three attempts: the step clock moves 7 ms a read,
	// and a single attempt reads it twice.
	if s.ElapsedTime <= 7 {
		t.Errorf("elapsed %d ms: the step starts at the last attempt", s.ElapsedTime)
	}
	if _, ok := costOf(t, s.Outputs); !ok {
		t.Errorf("no cost: %v", s.Outputs)
	}
}

func TestRetriedSimpleModeCallIsOneRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.wire.enqueue(errorReply(429, `{"error":{"message":"slow down","type":"requests"}}`), jsonReply(chatAnswer))
	p, _ := w.gc.NewPipeline("simple-retry")
	ctx, err := gentrace.WithPipeline(context.Background(), p, gentrace.RunContext{UserID: "u-3"})
	if err != nil {
		t.Fatal(err)
	}
	url, next := w.wire.srv.URL+"/v1/chat/completions", w.wire.srv.Client().Do
	// A middleware makes a Call per attempt and derives the attempt's
	// context from the call's: WithCall's context is the call's identity.
	first, second := &openaihttp.Call{}, &openaihttp.Call{}
	retried(attempt(t, w.rec, openaihttp.WithCall(ctx, first), url, 0, chatRequest, next))
	returned(attempt(t, w.rec, openaihttp.WithCall(ctx, second), url, 1, chatRequest, next))
	if first.RunID == "" || second.RunID != first.RunID {
		t.Fatalf("run IDs %q, %q: want the same one-step run", first.RunID, second.RunID)
	}
	if err := w.gc.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if runs := w.backend.Runs(); len(runs) != 1 {
		t.Fatalf("%d runs stored, want 1", len(runs))
	}
	run, _ := w.backend.Run(first.RunID)
	s := step(t, run)
	if s.Error != "" || s.Outputs["attempt"] != 2.0 || run.StepRuns[0].Context.UserID != "u-3" {
		t.Errorf("step = %q %v", s.Error, s.Outputs)
	}
	if errs := w.errs.Errors(); len(errs) != 0 {
		t.Errorf("errors: %v", errs)
	}
}

func TestAttemptsThatAreNotHeld(t *testing.T) {
	t.Parallel()
	const url = "/v1/chat/completions"
	tests := []struct {
		name  string
		reply reply
		n     int  // X-Stainless-Retry-Count; -1 sends none
		read  bool // the client reads the answer (it returns it)
	}{
		{"the answer the client returns", errorReply(500, `{"error":{"message":"boom"}}`), 2, true},
		{"an error the client does not retry", errorReply(400, `{"error":{"message":"bad"}}`), 0, false},
		{"X-Should-Retry: false", withHeader(errorReply(503, `{}`), "X-Should-Retry", "false"), 0, false},
		{"a client that does not number its attempts", errorReply(500, `{}`), -1, false},
		{"a success closed early", jsonReply(chatAnswer), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.wire.enqueue(tt.reply)
			ctx, r := w.start(gentrace.RunContext{})
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.wire.srv.URL+url, strings.NewReader(chatRequest))
			if tt.n >= 0 {
				req.Header.Set("X-Stainless-Retry-Count", strconv.Itoa(tt.n))
			}
			resp, err := w.rec.Do(req, w.wire.srv.Client().Do)
			if err != nil {
				t.Fatal(err)
			}
			if tt.read {
				returned(resp)
			} else {
				retried(resp)
			}
			if n := len(r.Steps()); n != 1 {
				t.Errorf("%d steps recorded at once, want 1", n)
			}
			r.End(nil)
		})
	}
	t.Run("X-Should-Retry: true on a 400 is held", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.wire.enqueue(withHeader(errorReply(400, `{}`), "X-Should-Retry", "true"), jsonReply(chatAnswer))
		ctx, r := w.start(gentrace.RunContext{})
		retried(attempt(t, w.rec, ctx, w.wire.srv.URL+url, 0, chatRequest, w.wire.srv.Client().Do))
		if n := len(r.Steps()); n != 0 {
			t.Errorf("%d steps, want the attempt held", n)
		}
		returned(attempt(t, w.rec, ctx, w.wire.srv.URL+url, 1, chatRequest, w.wire.srv.Client().Do))
		if s := step(t, w.end(r)); s.Outputs["attempt"] != 2.0 {
			t.Errorf("outputs = %v", s.Outputs)
		}
	})
}

func withHeader(r reply, k, v string) reply {
	r.header = http.Header{k: {v}}
	return r
}

func TestAnotherCallIsNotARetry(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.wire.enqueue(errorReply(500, `{}`), jsonReply(chatAnswer), jsonReply(chatAnswer), jsonReply(chatAnswer))
	ctx, r := w.start(gentrace.RunContext{})
	url, next := w.wire.srv.URL+"/v1/chat/completions", w.wire.srv.Client().Do
	retried(attempt(t, w.rec, ctx, url, 0, chatRequest, next))
	// Another body, and another context: neither continues the held
	// attempt.
	other := strings.Replace(chatRequest, "Capital of France?", "Capital of Italy?", 1)
	returned(attempt(t, w.rec, ctx, url, 1, other, next))
	returned(attempt(t, w.rec, gentrace.ContextWithRunner(context.Background(), r), url, 1, chatRequest, next))
	steps := r.Steps()
	if len(steps) != 2 {
		t.Fatalf("%d steps, want the two other calls (the failed attempt still held)", len(steps))
	}
	for _, s := range steps {
		if raw(t, s.Outputs["attempt"]) != "2" || s.Outputs["attemptErrors"] != nil {
			t.Errorf("outputs = %v", keys(s.Outputs))
		}
	}
	// The retry of the held attempt takes it over.
	returned(attempt(t, w.rec, ctx, url, 1, chatRequest, next))
	run := w.end(r)
	if len(run.StepRuns) != 3 || raw(t, run.StepRuns[2].Outputs["attemptErrors"]) != `["500 Internal Server Error"]` {
		t.Errorf("steps = %+v", run.StepRuns)
	}
}

func TestTransportErrorsAreRecordedAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.wire.enqueue(jsonReply(chatAnswer))
	ctx, r := w.start(gentrace.RunContext{})
	url := w.wire.srv.URL + "/v1/chat/completions"
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(chatRequest))
	req.Header.Set("X-Stainless-Retry-Count", "0")
	if _, err := w.rec.Do(req, func(*http.Request) (*http.Response, error) { return nil, io.ErrUnexpectedEOF }); err != io.ErrUnexpectedEOF {
		t.Fatalf("err = %v", err)
	}
	returned(attempt(t, w.rec, ctx, url, 1, chatRequest, w.wire.srv.Client().Do))
	run := w.end(r)
	if len(run.StepRuns) != 2 || run.StepRuns[0].Error != "unexpected EOF" || run.StepRuns[1].Outputs["attempt"] != 2.0 {
		t.Errorf("steps = %+v", run.StepRuns)
	}
}
