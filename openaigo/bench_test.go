package openaigo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/internal/benchkit"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/gentrace/gentrace-go/openaigo"
	"github.com/gentrace/gentrace-go/openaihttp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// The benchmarks below mirror BenchmarkOverhead of package
// github.com/gentrace/gentrace-go/openai (openai/bench_test.go): the same
// loopback server, request, answer, runs of 20 calls and discarding
// backend in a child process, with openai-go as the client.

// benchStepsPerRun is how many calls a benchmark records into one run
// before ending it and starting the next.
const benchStepsPerRun = 20

// benchParams is the chat request of openai/bench_test.go: a system prompt
// and a few turns of conversation, about 1.5 KB of text.
func benchParams() openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:       "gpt-4o-mini",
		Temperature: openai.Float(0.2),
		User:        openai.String("user-1234"),
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("You are a support assistant for an online bookshop. " +
				"Answer in a friendly, concise tone. When the customer asks about an order, ask for the order " +
				"number if they have not given it. Never promise refunds; explain the returns policy instead: " +
				"books can be returned within 30 days in their original condition, and e-books cannot be returned " +
				"once downloaded."),
			openai.UserMessage("Hi, I ordered two books last week and only one has arrived. What should I do?"),
			openai.AssistantMessage("I'm sorry to hear that only one of your books has arrived. Could you tell " +
				"me your order number so I can look into it?"),
			openai.UserMessage("Sure, it's 48213-B. The missing one is a hardcover atlas, it was supposed to " +
				"ship together with the novel."),
			openai.AssistantMessage("Thank you. Large hardcover items sometimes ship separately from our second " +
				"warehouse. Let me explain what usually happens next."),
			openai.UserMessage("Okay, and if it doesn't come by Friday?"),
		},
	}
}

// nextQuestion makes the request's last message unique to call i, as a
// conversation's newest message is new.
func nextQuestion(p *openai.ChatCompletionNewParams, i int) {
	p.Messages[len(p.Messages)-1] = openai.UserMessage("Okay, and if it doesn't come by Friday? Can I get my " +
		"money back or a replacement? (message " + strconv.Itoa(i) + ")")
}

// benchReply is the assistant answer of openai/bench_test.go, about 1 KB.
var benchReply = strings.TrimSpace(strings.Repeat("If the atlas has not arrived by Friday, please reply to "+
	"this message and we will open a carrier investigation straight away. ", 2) +
	"In most cases a separately shipped item turns up within two working days of the first parcel. " +
	"Should the carrier confirm it as lost, we send a replacement at no cost, and if the atlas is out of " +
	"stock we will offer you the choice of waiting for the next print run or cancelling that item. " +
	"For reference, our returns policy lets you send books back within 30 days in their original " +
	"condition, while e-books cannot be returned once downloaded. You can track both parcels from the " +
	"Orders page of your account, where the tracking numbers appear as soon as each one leaves the " +
	"warehouse. Is there anything else I can help you with today?")

// benchEnv is one fake OpenAI server, a bare and a recording openai-go
// client, and a Gentrace client delivering to a discarding backend in
// another process.
type benchEnv struct {
	oai      *openaitest.Server
	clients  map[string]openai.Client
	pipeline *gentrace.Pipeline
	gc       *gentrace.Client
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	oai := openaitest.NewServer(openaitest.WithoutRecording())
	b.Cleanup(oai.Close)
	gc, err := gentrace.New(gentrace.WithAPIKey("bench"), gentrace.WithBaseURL(benchkit.StartSink(b)),
		gentrace.WithQueueSize(1<<16), gentrace.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = gc.Shutdown(context.Background()) })
	p, err := gc.NewPipeline("bench")
	if err != nil {
		b.Fatal(err)
	}
	base := []option.RequestOption{option.WithBaseURL(oai.URL() + "/"), option.WithAPIKey("test-key"),
		option.WithHTTPClient(oai.HTTPClient()), option.WithMaxRetries(0)}
	return &benchEnv{
		oai: oai,
		clients: map[string]openai.Client{
			"bare":     openai.NewClient(base...),
			"recorded": openai.NewClient(append(base, openaigo.Record())...),
		},
		pipeline: p,
		gc:       gc,
	}
}

// rotator hands out a context carrying a run and, every benchStepsPerRun
// calls, ends that run and starts the next. With settle, each ended run is
// delivered before the next call with the clock stopped: the wall time is
// what a caller waits for, while cpu-ns/op still counts the delivery.
type rotator struct {
	b      *testing.B
	env    *benchEnv
	ctx    context.Context
	run    *gentrace.Runner
	calls  int
	settle bool
}

func (r *rotator) next() context.Context {
	if r.run == nil || r.calls == benchStepsPerRun {
		r.end()
		ctx, run, err := r.env.pipeline.Start(context.Background(), gentrace.RunContext{UserID: "user-1234"})
		if err != nil {
			r.b.Fatal(err)
		}
		r.ctx, r.run, r.calls = ctx, run, 0
	}
	r.calls++
	return r.ctx
}

func (r *rotator) end() {
	if r.run == nil {
		return
	}
	r.run.End(nil)
	r.run = nil
	if r.settle {
		r.b.StopTimer()
		r.flush()
		r.b.StartTimer()
	}
}

func (r *rotator) flush() {
	if err := r.env.gc.Flush(context.Background()); err != nil {
		r.b.Fatal(err)
	}
}

var clientOrder = []string{"bare", "recorded"}

// BenchmarkOverhead compares a chat completion and a 200-chunk stream made
// through a bare openai-go client and through one that records
// (openaigo.Record), against the same loopback server with the same
// requests and answers. The recording client records into runs of 20
// calls, delivered to a backend in another process that discards them;
// the stream carries no usage, so its tokens are estimated.
//
// ns/op is the caller-visible latency: each run is delivered between
// calls with the clock stopped. cpu-ns/op is the process's CPU per call,
// delivery included: the SDK's own CPU per call is recorded's cpu-ns/op
// minus bare's.
func BenchmarkOverhead(b *testing.B) {
	env := newBenchEnv(b)
	b.Run("chat", func(b *testing.B) {
		env.oai.SetDefault(openaitest.RouteChatCompletions,
			openaitest.JSON(openaitest.ChatResponse(openaitest.Choice{Content: benchReply})))
		for _, name := range clientOrder {
			b.Run(name, func(b *testing.B) { benchChat(b, env, env.clients[name], name != "bare", true) })
		}
	})
	b.Run("stream", func(b *testing.B) {
		chunks := openaitest.ChatChunks(200, openaitest.Choice{Content: benchReply})
		env.oai.SetDefault(openaitest.RouteChatCompletions, openaitest.ChatStream(chunks...))
		for _, name := range clientOrder {
			b.Run(name, func(b *testing.B) { benchStream(b, env, env.clients[name], name != "bare", true, len(chunks)) })
		}
	})
}

// BenchmarkOverheadConcurrent is BenchmarkOverhead with delivery running
// during the measurement, competing with the calls for the CPU.
func BenchmarkOverheadConcurrent(b *testing.B) {
	env := newBenchEnv(b)
	b.Run("chat", func(b *testing.B) {
		env.oai.SetDefault(openaitest.RouteChatCompletions,
			openaitest.JSON(openaitest.ChatResponse(openaitest.Choice{Content: benchReply})))
		for _, name := range clientOrder {
			b.Run(name, func(b *testing.B) { benchChat(b, env, env.clients[name], name != "bare", false) })
		}
	})
	b.Run("stream", func(b *testing.B) {
		chunks := openaitest.ChatChunks(200, openaitest.Choice{Content: benchReply})
		env.oai.SetDefault(openaitest.RouteChatCompletions, openaitest.ChatStream(chunks...))
		for _, name := range clientOrder {
			b.Run(name, func(b *testing.B) { benchStream(b, env, env.clients[name], name != "bare", false, len(chunks)) })
		}
	})
}

func benchChat(b *testing.B, env *benchEnv, client openai.Client, recorded, settle bool) {
	params := benchParams()
	rot := &rotator{b: b, env: env, settle: settle}
	ctx := func() context.Context {
		if recorded {
			return rot.next()
		}
		return context.Background()
	}
	if _, err := client.Chat.Completions.New(ctx(), params); err != nil { // warm: connections
		b.Fatal(err)
	}
	rot.end()
	rot.flush()
	b.ReportAllocs()
	report := benchkit.ReportCPU(b)
	for i := 0; b.Loop(); i++ {
		nextQuestion(&params, i)
		resp, err := client.Chat.Completions.New(ctx(), params)
		if err != nil || len(resp.Choices) != 1 {
			b.Fatal(err)
		}
	}
	rot.end()
	rot.flush()
	report()
}

func benchStream(b *testing.B, env *benchEnv, client openai.Client, recorded, settle bool, want int) {
	params := benchParams()
	rot := &rotator{b: b, env: env, settle: settle}
	ctx := func() context.Context {
		if recorded {
			return rot.next()
		}
		return context.Background()
	}
	run := func(i int) {
		nextQuestion(&params, i)
		stream := client.Chat.Completions.NewStreaming(ctx(), params)
		n := 0
		for stream.Next() {
			n++
		}
		if err := stream.Err(); err != nil {
			b.Fatal(err)
		}
		stream.Close()
		if n != want {
			b.Fatalf("%d chunks, want %d", n, want)
		}
	}
	run(-1) // warm: connections, and the tokenizer when the run is delivered
	rot.end()
	rot.flush()
	b.ReportAllocs()
	report := benchkit.ReportCPU(b)
	for i := 0; b.Loop(); i++ {
		run(i)
	}
	rot.end()
	rot.flush()
	report()
}

// BenchmarkTimeToFirstChunk measures the time from opening a stream to its
// first chunk (ns/first-chunk), bare and recording; runs are delivered
// between calls, off the metric.
func BenchmarkTimeToFirstChunk(b *testing.B) {
	env := newBenchEnv(b)
	env.oai.SetDefault(openaitest.RouteChatCompletions,
		openaitest.ChatStream(openaitest.ChatChunks(20, openaitest.Choice{Content: benchReply})...))
	for _, name := range clientOrder {
		b.Run(name, func(b *testing.B) {
			params := benchParams()
			rot := &rotator{b: b, env: env, settle: true}
			var total time.Duration
			for i := 0; b.Loop(); i++ {
				nextQuestion(&params, i)
				ctx := context.Background()
				if name != "bare" {
					ctx = rot.next()
				}
				start := time.Now()
				client := env.clients[name]
				stream := client.Chat.Completions.NewStreaming(ctx, params)
				if !stream.Next() {
					b.Fatal(stream.Err())
				}
				total += time.Since(start)
				for stream.Next() {
				}
				stream.Close()
			}
			rot.end()
			b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/first-chunk")
		})
	}
}

// discard is a Gentrace backend in memory: it answers every run at once,
// so that BenchmarkMiddleware measures the SDK's work and not a network.
type discard struct{}

func (discard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"pipelineRunId":"00000000-0000-4000-8000-000000000000"}`)), Request: req}, nil
}

// benchStreamBody is a chat stream of n chunks carrying benchReply, as
// OpenAI sends it without usage.
func benchStreamBody(n int) string {
	const head = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_1","choices":[`
	var b strings.Builder
	b.WriteString(head + `{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"finish_reason":null}]}` + "\n\n")
	words := strings.SplitAfter(benchReply, " ")
	per := (len(words) + n - 3) / (n - 2)
	for i := range n - 2 {
		lo, hi := min(i*per, len(words)), min((i+1)*per, len(words))
		text, _ := json.Marshal(strings.Join(words[lo:hi], ""))
		b.WriteString(head + `{"index":0,"delta":{"content":` + string(text) + `},"finish_reason":null}]}` + "\n\n")
	}
	b.WriteString(head + `{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n")
	return b.String()
}

// BenchmarkMiddleware measures the SDK's own work for one recorded call
// with no network and no openai-go: an attempt as openai-go hands it to
// its middleware (a replayable body, X-Stainless-Retry-Count) answered
// from memory, its body read to the end and closed, and every 20 calls the
// run ended and delivered to an in-memory backend (completion, the
// stream's token estimate, cost, encoding, the POST). stream200 carries
// no usage, so its tokens are estimated; stream200usage ends with the
// usage chunk include_usage asks for. "none" is the call
// without a gentrace middleware, "recorder" openaihttp.Recorder.Do, and
// "middleware" openaigo.Middleware over it: recorder's cpu-ns/op minus
// none's is the SDK's CPU per call, and middleware's minus recorder's
// this package's own.
func BenchmarkMiddleware(b *testing.B) {
	params := benchParams()
	request, err := params.MarshalJSON()
	if err != nil {
		b.Fatal(err)
	}
	chat := `{"id":"chatcmpl-1","object":"chat.completion","created":1741000000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"` +
		benchReply + `","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":300,"completion_tokens":200,"total_tokens":500},"service_tier":"default","system_fingerprint":"fp_1"}`
	streamRequest, err := withMembers(request, `"stream":true`)
	if err != nil {
		b.Fatal(err)
	}
	usageRequest, err := withMembers(request, `"stream":true`, `"stream_options":{"include_usage":true}`)
	if err != nil {
		b.Fatal(err)
	}
	usageBody := strings.TrimSuffix(benchStreamBody(200), "data: [DONE]\n\n") +
		`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_1","choices":[],"usage":{"prompt_tokens":300,"completion_tokens":200,"total_tokens":500}}` +
		"\n\ndata: [DONE]\n\n"
	for _, answer := range []struct {
		name, contentType, body string
		request                 []byte
	}{
		{"chat", "application/json", chat, request},
		{"stream200", "text/event-stream; charset=utf-8", benchStreamBody(200), streamRequest},
		{"stream200usage", "text/event-stream; charset=utf-8", usageBody, usageRequest},
	} {
		next := func(req *http.Request) (*http.Response, error) {
			_, _ = io.Copy(io.Discard, req.Body)
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {answer.contentType}},
				Body: io.NopCloser(strings.NewReader(answer.body)), ContentLength: int64(len(answer.body)), Request: req}, nil
		}
		rec := openaihttp.New()
		mw := openaigo.Middleware(rec)
		for _, tt := range []struct {
			name string
			do   func(*http.Request) (*http.Response, error)
		}{
			{"none", next},
			{"recorder", func(req *http.Request) (*http.Response, error) { return rec.Do(req, next) }},
			{"middleware", func(req *http.Request) (*http.Response, error) { return mw(req, next) }},
		} {
			b.Run(answer.name+"/"+tt.name, func(b *testing.B) { benchMiddleware(b, answer.request, tt.do) })
		}
	}
}

// withMembers returns the JSON object request with members added, as
// openai-go's option.WithJSONSet adds "stream" to a streamed call.
func withMembers(request []byte, members ...string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(request, &m); err != nil {
		return nil, err
	}
	for _, member := range members {
		if err := json.Unmarshal([]byte("{"+member+"}"), &m); err != nil {
			return nil, err
		}
	}
	return json.Marshal(m)
}

func benchMiddleware(b *testing.B, request []byte, do func(*http.Request) (*http.Response, error)) {
	gc, err := gentrace.New(gentrace.WithAPIKey("bench"), gentrace.WithBaseURL("http://gentrace.invalid/api"),
		gentrace.WithHTTPClient(&http.Client{Transport: discard{}}), gentrace.WithQueueSize(1<<16),
		gentrace.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	defer gc.Shutdown(context.Background())
	p, _ := gc.NewPipeline("bench")
	buf := make([]byte, 4096)
	var ctx context.Context
	var run *gentrace.Runner
	call := func(i int) {
		if i%benchStepsPerRun == 0 {
			if run != nil {
				run.End(nil)
			}
			ctx, run, _ = p.Start(context.Background(), gentrace.RunContext{UserID: "user-1234"})
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://openai.test/v1/chat/completions", bytes.NewReader(request))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Stainless-Retry-Count", "0")
		resp, err := do(req)
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
	call(0) // warm: the tokenizer
	run.End(nil)
	_ = gc.Flush(context.Background())
	run = nil
	b.ReportAllocs()
	report := benchkit.ReportCPU(b)
	for i := 0; b.Loop(); i++ {
		call(i)
	}
	run.End(nil)
	if err := gc.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	report()
}
