//go:build go1.25

package openaihttp_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/openaihttp"
)

// okTransport answers every Gentrace POST, in memory, so that a client can
// live in a synctest bubble.
type okTransport struct{}

func (okTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"pipelineRunId":"` + runIDPlaceholder + `"}`)), Request: req}, nil
}

// answer is a next that answers without a network, for synctest.
func answer(status int, header http.Header, body string) openaihttp.Next {
	return func(req *http.Request) (*http.Response, error) {
		h := http.Header{"Content-Type": {"application/json"}}
		for k, v := range header {
			h[k] = v
		}
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)),
			ContentLength: int64(len(body)), Request: req}, nil
	}
}

func TestAHeldAttemptIsRecordedWhenNoRetryFollows(t *testing.T) {
	tests := []struct {
		name   string
		rec    *openaihttp.Recorder
		header http.Header
		date   time.Duration // Retry-After as an HTTP date this far ahead
		cancel bool
		wait   time.Duration // when the step is recorded
	}{
		{"after the default hold", openaihttp.New(), nil, 0, false, openaihttp.DefaultRetryHold},
		{"after a hold set by WithRetryHold", openaihttp.New(openaihttp.WithRetryHold(time.Minute)), nil, 0, false, time.Minute},
		{"after the answer's Retry-After", openaihttp.New(), http.Header{"Retry-After": {"30"}}, 0, false, 32 * time.Second},
		{"after its Retry-After-Ms", openaihttp.New(), http.Header{"Retry-After-Ms": {"20000"}}, 0, false, 22 * time.Second},
		{"after its Retry-After date", openaihttp.New(), nil, 40 * time.Second, false, 42 * time.Second},
		{"after the default hold for a Retry-After it cannot read", openaihttp.New(), http.Header{"Retry-After": {"soon"}}, 0, false, openaihttp.DefaultRetryHold},
		{"after the default hold for a Retry-After shorter than it", openaihttp.New(), http.Header{"Retry-After": {"1"}}, 0, false, openaihttp.DefaultRetryHold},
		{"when the call's context ends", openaihttp.New(), nil, 0, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				gc, err := gentrace.New(gentrace.WithAPIKey("k"), gentrace.WithBaseURL("http://gentrace.test/api"),
					gentrace.WithHTTPClient(&http.Client{Transport: okTransport{}}),
					gentrace.WithLogger(slog.New(slog.DiscardHandler)))
				if err != nil {
					t.Fatal(err)
				}
				defer gc.Shutdown(context.Background())
				p, _ := gc.NewPipeline("held")
				ctx, r, _ := p.Start(context.Background(), gentrace.RunContext{})
				ctx, cancel := context.WithCancel(ctx)
				defer cancel()
				start := time.Now()
				header := tt.header
				if tt.date > 0 {
					header = http.Header{"Retry-After": {start.Add(tt.date).UTC().Format(http.TimeFormat)}}
				}
				retried(attempt(t, tt.rec, ctx, "http://api.test/v1/chat/completions", 0, chatRequest,
					answer(503, header, `{"error":{"message":"overloaded"}}`)))
				if tt.cancel {
					cancel()
				} else {
					time.Sleep(tt.wait - time.Millisecond)
				}
				synctest.Wait()
				if n := len(r.Steps()); tt.wait > 0 && n != 0 {
					t.Fatalf("recorded after %v", time.Since(start))
				}
				time.Sleep(time.Millisecond)
				synctest.Wait()
				steps := r.Steps()
				if len(steps) != 1 || steps[0].Error != "503 Service Unavailable" {
					t.Fatalf("steps = %+v", steps)
				}
				r.End(nil)
			})
		})
	}
}
