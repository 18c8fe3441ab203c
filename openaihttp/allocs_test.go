package openaihttp_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/openaihttp"
)

// callerAllocs returns the allocations of one call on the caller's path:
// building the request, the round trip through do and reading the body to
// its end, with a run in the context that is not ended while measuring
// (completion and delivery are not the caller's).
func callerAllocs(t *testing.T, request, contentType, answer string, do func(*http.Request, openaihttp.Next) (*http.Response, error)) float64 {
	t.Helper()
	gc, err := gentrace.New(gentrace.WithAPIKey("k"), gentrace.WithBaseURL("http://gentrace.invalid/api"),
		gentrace.WithHTTPClient(&http.Client{Transport: discard{}}), gentrace.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gc.Shutdown(context.Background()) })
	p, _ := gc.NewPipeline("allocs")
	ctx, run, _ := p.Start(context.Background(), gentrace.RunContext{})
	defer func() {
		// Delivered before the next measurement, which would otherwise
		// count the completion's allocations on other goroutines.
		run.End(nil)
		if err := gc.Flush(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	next := canned(contentType, answer)
	buf := make([]byte, 32<<10)
	data := []byte(request)
	call := func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://openai.test/v1/chat/completions", bytes.NewReader(data))
		resp, err := do(req, next)
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := resp.Body.Read(buf); err != nil {
				break
			}
		}
		resp.Body.Close()
	}
	call()
	return testing.AllocsPerRun(200, call)
}

func bareDo(req *http.Request, next openaihttp.Next) (*http.Response, error) { return next(req) }

// The caller's path of a recorded call allocates little beyond the bare
// call (the step, the copy of the request, the body's wrapper and its
// cleanup), and nothing per stream chunk: splitting, parsing and
// estimating wait for the step's completion.
func TestCallerPathAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	rec := openaihttp.New()
	chat := `{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"` + benchAnswerText + `"},"finish_reason":"stop"}],"usage":{"prompt_tokens":300,"completion_tokens":200,"total_tokens":500}}`
	bare := callerAllocs(t, benchChatRequest, "application/json", chat, bareDo)
	recorded := callerAllocs(t, benchChatRequest, "application/json", chat, rec.Do)
	t.Logf("chat: bare %.0f, recorded %.0f allocations", bare, recorded)
	if extra := recorded - bare; extra > 10 {
		t.Errorf("a recorded chat call allocates %.0f times beyond the bare call's %.0f, want at most 10", extra, bare)
	}

	streamReq := strings.Replace(benchChatRequest, `"model":"gpt-4o-mini"`, `"model":"gpt-4o-mini","stream":true`, 1)
	short := callerAllocs(t, streamReq, "text/event-stream", benchStreamBody(20), rec.Do)
	long := callerAllocs(t, streamReq, "text/event-stream", benchStreamBody(200), rec.Do)
	t.Logf("stream: 20 chunks %.0f, 200 chunks %.0f allocations", short, long)
	if long > short+2 {
		t.Errorf("a 200-chunk stream allocates %.0f times on the caller's path, a 20-chunk one %.0f: chunks allocate", long, short)
	}
}
