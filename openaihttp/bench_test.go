package openaihttp_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/internal/benchkit"
	"github.com/gentrace/gentrace-go/openaihttp"
)

// discard is a Gentrace backend in memory: it answers every run at once,
// so that a benchmark measures the SDK's work and not a network.
type discard struct{}

func (discard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"pipelineRunId":"00000000-0000-4000-8000-000000000000"}`)), Request: req}, nil
}

// canned answers every call from memory with body.
func canned(contentType, body string) openaihttp.Next {
	return func(req *http.Request) (*http.Response, error) {
		if req.Body != nil {
			_, _ = io.Copy(io.Discard, req.Body)
		}
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {contentType}},
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req}, nil
	}
}

// benchChatRequest is about 1.5 KB of conversation.
var benchChatRequest = `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a support assistant for an online bookshop. Answer in a friendly, concise tone. When the customer asks about an order, ask for the order number if they have not given it. Never promise refunds; explain the returns policy instead: books can be returned within 30 days in their original condition, and e-books cannot be returned once downloaded."},{"role":"user","content":"Hi, I ordered two books last week and only one has arrived. What should I do?"},{"role":"assistant","content":"I'm sorry to hear that only one of your books has arrived. Could you tell me your order number so I can look into it?"},{"role":"user","content":"Sure, it's 48213-B. The missing one is a hardcover atlas, it was supposed to ship together with the novel."},{"role":"assistant","content":"Thank you. Large hardcover items sometimes ship separately from our second warehouse. Let me explain what usually happens next."},{"role":"user","content":"Okay, and if it doesn't come by Friday? Can I get my money back or a replacement?"}],"temperature":0.2,"user":"user-1234"}`

var benchAnswerText = strings.Repeat("If the atlas has not arrived by Friday, please reply and we will open a carrier investigation. ", 10)

func benchStreamBody(chunks int) string {
	var b strings.Builder
	b.WriteString(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}` + "\n\n")
	words := strings.Fields(benchAnswerText)
	for i := range chunks - 2 {
		b.WriteString(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":" ` + words[i%len(words)] + `"},"logprobs":null,"finish_reason":null}]}` + "\n\n")
	}
	b.WriteString(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n")
	return b.String()
}

// BenchmarkRecorder measures the SDK's own work for one recorded call, with
// no network on either side: the caller's path (request copy, body
// pass-through, the step) and, every 20 calls, ending the run and
// delivering it (completion: parsing, cost, estimation; encoding; the
// POST through the delivery queue and go-retryablehttp to an in-memory
// backend). The answer comes from memory too.
func BenchmarkRecorder(b *testing.B) {
	chat := `{"id":"chatcmpl-1","object":"chat.completion","created":1741000000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"` + benchAnswerText + `","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":300,"completion_tokens":200,"total_tokens":500,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_1"}`
	cases := []struct {
		name, body, contentType, request string
	}{
		{"chat", chat, "application/json", benchChatRequest},
		{"stream200", benchStreamBody(200), "text/event-stream", strings.Replace(benchChatRequest, `"model":"gpt-4o-mini"`, `"model":"gpt-4o-mini","stream":true`, 1)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			gc, err := gentrace.New(gentrace.WithAPIKey("bench"), gentrace.WithBaseURL("http://gentrace.invalid/api"),
				gentrace.WithHTTPClient(&http.Client{Transport: discard{}}), gentrace.WithQueueSize(1<<16),
				gentrace.WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				b.Fatal(err)
			}
			defer gc.Shutdown(context.Background())
			p, _ := gc.NewPipeline("bench")
			rec := openaihttp.New()
			next := canned(c.contentType, c.body)
			buf := make([]byte, 4096)
			var ctx context.Context
			var run *gentrace.Runner
			call := func(i int) {
				if i%20 == 0 {
					if run != nil {
						run.End(nil)
					}
					ctx, run, _ = p.Start(context.Background(), gentrace.RunContext{UserID: "u"})
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://openai.test/v1/chat/completions", bytes.NewReader([]byte(c.request)))
				resp, err := rec.Do(req, next)
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := resp.Body.Read(buf); err != nil {
						break
					}
				}
				resp.Body.Close()
			}
			call(0) // warm the tokenizer
			run.End(nil)
			_ = gc.Flush(context.Background())
			run = nil
			b.ReportAllocs()
			start := benchkit.ProcessCPU()
			for i := 0; b.Loop(); i++ {
				call(i)
			}
			run.End(nil)
			if err := gc.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
			// CPU per call, delivery included (the loop ends before the
			// last runs are delivered; Flush waits for them).
			b.ReportMetric(float64((benchkit.ProcessCPU()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
