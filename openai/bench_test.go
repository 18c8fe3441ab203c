package openai_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	gogpt "github.com/sashabaranov/go-openai"
)

// benchStepsPerRun is how many calls a benchmark records into one run
// before submitting it and starting the next, so that delivery (and the
// steps' completion: JSON, token estimation, cost) runs on the delivery
// workers while the benchmark goes on.
const benchStepsPerRun = 20

// benchRequest is a realistic chat request: a system prompt and a few turns
// of conversation, about 1.5 KB of text. Its last message is replaced on
// every call (see nextQuestion), as a conversation's newest message is new.
func benchRequest() gogpt.ChatCompletionRequest {
	return gogpt.ChatCompletionRequest{
		Model:       gogpt.GPT4oMini,
		Temperature: 0.2,
		User:        "user-1234",
		Messages: []gogpt.ChatCompletionMessage{
			{Role: gogpt.ChatMessageRoleSystem, Content: "You are a support assistant for an online bookshop. " +
				"Answer in a friendly, concise tone. When the customer asks about an order, ask for the order " +
				"number if they have not given it. Never promise refunds; explain the returns policy instead: " +
				"books can be returned within 30 days in their original condition, and e-books cannot be returned " +
				"once downloaded."},
			{Role: gogpt.ChatMessageRoleUser, Content: "Hi, I ordered two books last week and only one has arrived. " +
				"What should I do?"},
			{Role: gogpt.ChatMessageRoleAssistant, Content: "I'm sorry to hear that only one of your books has " +
				"arrived. Could you tell me your order number so I can look into it?"},
			{Role: gogpt.ChatMessageRoleUser, Content: "Sure, it's 48213-B. The missing one is a hardcover " +
				"atlas, it was supposed to ship together with the novel."},
			{Role: gogpt.ChatMessageRoleAssistant, Content: "Thank you. Large hardcover items sometimes ship " +
				"separately from our second warehouse. Let me explain what usually happens next."},
			{Role: gogpt.ChatMessageRoleUser, Content: "Okay, and if it doesn't come by Friday? Can I get my money " +
				"back or a replacement?"},
		},
	}
}

// nextQuestion makes the request's last message unique to call i, so that
// the wrapper's token-count cache only helps with the repeated history, as
// in production.
func nextQuestion(req *gogpt.ChatCompletionRequest, i int) {
	req.Messages[len(req.Messages)-1].Content = "Okay, and if it doesn't come by Friday? Can I get my money " +
		"back or a replacement? (message " + strconv.Itoa(i) + ")"
}

// benchReply is an assistant answer of about 1 KB.
var benchReply = strings.TrimSpace(strings.Repeat("If the atlas has not arrived by Friday, please reply to "+
	"this message and we will open a carrier investigation straight away. ", 2) +
	"In most cases a separately shipped item turns up within two working days of the first parcel. " +
	"Should the carrier confirm it as lost, we send a replacement at no cost, and if the atlas is out of " +
	"stock we will offer you the choice of waiting for the next print run or cancelling that item. " +
	"For reference, our returns policy lets you send books back within 30 days in their original " +
	"condition, while e-books cannot be returned once downloaded. You can track both parcels from the " +
	"Orders page of your account, where the tracking numbers appear as soon as each one leaves the " +
	"warehouse. Is there anything else I can help you with today?")

// Where a benchmark's runs go.
type backendKind int

const (
	// toGentracetest delivers to a gentracetest backend in the benchmark's
	// process, which validates and stores every run: its CPU competes with
	// the benchmark's.
	toGentracetest backendKind = iota
	// toSink delivers to a loopback server that reads and discards the
	// body, which isolates the SDK's own background work.
	toSink
	// unsubmitted never submits: steps are recorded and never completed or
	// delivered, which isolates the caller's path.
	unsubmitted
)

// benchEnv is what the benchmarks share: one fake OpenAI server for both
// sides and a Gentrace client delivering to a backend.
type benchEnv struct {
	oai      *openaitest.Server
	bare     *gogpt.Client
	wrapped  *openai.Client
	pipeline *gentrace.Pipeline
	gc       *gentrace.Client
	backend  backendKind
}

func newBenchEnv(b *testing.B, backend backendKind) *benchEnv {
	b.Helper()
	oai := openaitest.NewServer(openaitest.WithoutRecording())
	b.Cleanup(oai.Close)
	var url string
	var hc *http.Client
	if backend == toGentracetest {
		srv := gentracetest.Start(b)
		url, hc = srv.URL, srv.Client()
	} else {
		sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			_, _ = io.WriteString(w, `{"pipelineRunId":"00000000-0000-4000-8000-000000000000"}`)
		}))
		b.Cleanup(sink.Close)
		url, hc = sink.URL+"/api", sink.Client()
	}
	gc, err := gentrace.New(gentrace.WithAPIKey(gentracetest.DefaultAPIKey), gentrace.WithBaseURL(url),
		gentrace.WithHTTPClient(hc), gentrace.WithQueueSize(1<<16),
		gentrace.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = gc.Shutdown(context.Background()) })
	p, err := gc.NewPipeline("bench")
	if err != nil {
		b.Fatal(err)
	}
	return &benchEnv{oai: oai, bare: oai.Client(), wrapped: openai.NewClientWithConfig(oai.ClientConfig()), pipeline: p, gc: gc, backend: backend}
}

// rotator binds the wrapped client to a runner and, every benchStepsPerRun
// calls, submits that runner and starts the next.
type rotator struct {
	b      *testing.B
	env    *benchEnv
	runner *gentrace.Runner
	client *openai.Client
	calls  int
	// settle makes each submitted run be delivered before the next call, so
	// that delivery never competes with a call for the CPU.
	settle bool
}

func (r *rotator) next() *openai.Client {
	if r.runner == nil || (r.calls == benchStepsPerRun && r.env.backend != unsubmitted) {
		r.submit()
		runner, err := r.env.pipeline.Start(context.Background(), gentrace.RunContext{UserID: "user-1234"})
		if err != nil {
			r.b.Fatal(err)
		}
		r.runner, r.client, r.calls = runner, r.env.wrapped.ForRunner(runner), 0
	}
	r.calls++
	return r.client
}

// submit submits the current runner, if any.
func (r *rotator) submit() {
	if r.runner == nil || r.env.backend == unsubmitted {
		return
	}
	if _, err := r.runner.Submit(context.Background()); err != nil {
		r.b.Fatal(err)
	}
	r.runner = nil
	if r.settle {
		// Delivery (step completion, token estimation, encoding, the POST)
		// happens between calls, off the clock: what a caller waits for is
		// measured, not how delivery competes for a saturated CPU.
		r.b.StopTimer()
		if err := r.env.gc.Flush(context.Background()); err != nil {
			r.b.Fatal(err)
		}
		r.b.StartTimer()
	}
}

// flush submits the current runner and waits for delivery.
func (r *rotator) flush() {
	r.submit()
	if err := r.env.gc.Flush(context.Background()); err != nil {
		r.b.Fatal(err)
	}
}

// BenchmarkOverhead compares the caller-visible latency of a chat
// completion and of a 200-chunk stream through a bare go-openai client
// (bare) and through the wrapper bound to a runner (gentrace), against the
// same loopback server, with the same requests and answers (SPEC §8). The
// stream carries no usage, so every step's tokens are estimated. Every
// benchStepsPerRun calls the run is submitted and delivered to a
// gentracetest backend (step completion, token estimation, cost, encoding,
// the POST) with the clock stopped, as happens between requests on a
// machine whose cores are not all busy. Each side makes one call before
// the measurement (connections, tokenizer vocabulary).
// BenchmarkOverheadBreakdown/concurrent shows the other case: delivery
// running during the measurement on a saturated CPU.
func BenchmarkOverhead(b *testing.B) {
	benchmarkOverhead(b, toGentracetest, true)
}

// BenchmarkOverheadBreakdown is BenchmarkOverhead with delivery during the
// measurement, to tell the costs apart on a machine with few cores:
// "concurrent" delivers to gentracetest while the calls go on (delivery and
// the fake backend's validation compete with the benchmark for the same
// cores), "sink" to a server that discards the body (the SDK's own
// background work alone), and "unsubmitted" never submits (the caller's
// path alone).
func BenchmarkOverheadBreakdown(b *testing.B) {
	b.Run("concurrent", func(b *testing.B) { benchmarkOverhead(b, toGentracetest, false) })
	b.Run("sink", func(b *testing.B) { benchmarkOverhead(b, toSink, false) })
	b.Run("unsubmitted", func(b *testing.B) { benchmarkOverhead(b, unsubmitted, false) })
}

func benchmarkOverhead(b *testing.B, backend backendKind, settle bool) {
	env := newBenchEnv(b, backend)
	ctx := context.Background()
	req := benchRequest()

	chat := func(b *testing.B, call func(gogpt.ChatCompletionRequest) (gogpt.ChatCompletionResponse, error)) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for i := 0; b.Loop(); i++ {
			nextQuestion(&req, i)
			resp, err := call(req)
			if err != nil || len(resp.Choices) != 1 {
				b.Fatal(err)
			}
		}
	}
	b.Run("chat", func(b *testing.B) {
		env.oai.SetDefault(openaitest.RouteChatCompletions,
			openaitest.JSON(openaitest.ChatResponse(openaitest.Choice{Content: benchReply})))
		b.Run("bare", func(b *testing.B) {
			chat(b, func(req gogpt.ChatCompletionRequest) (gogpt.ChatCompletionResponse, error) {
				return env.bare.CreateChatCompletion(ctx, req)
			})
		})
		b.Run("gentrace", func(b *testing.B) {
			rot := &rotator{b: b, env: env, settle: settle}
			warm := rot.next()
			if _, err := warm.CreateChatCompletion(ctx, req); err != nil {
				b.Fatal(err)
			}
			rot.flush()
			chat(b, func(req gogpt.ChatCompletionRequest) (gogpt.ChatCompletionResponse, error) {
				resp, err := rot.next().CreateChatCompletion(ctx, req)
				return resp.ChatCompletionResponse, err
			})
			rot.flush()
		})
	})

	b.Run("stream", func(b *testing.B) {
		chunks := openaitest.ChatChunks(200, openaitest.Choice{Content: benchReply})
		env.oai.SetDefault(openaitest.RouteChatCompletions, openaitest.ChatStream(chunks...))
		b.Run("bare", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for i := 0; b.Loop(); i++ {
				nextQuestion(&req, i)
				stream, err := env.bare.CreateChatCompletionStream(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				if n := drain(b, stream.Recv); n != len(chunks) {
					b.Fatalf("%d chunks, want %d", n, len(chunks))
				}
				stream.Close()
			}
		})
		b.Run("gentrace", func(b *testing.B) {
			rot := &rotator{b: b, env: env, settle: settle}
			stream, err := rot.next().CreateChatCompletionStream(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			drain(b, stream.Recv)
			stream.Close()
			rot.flush() // builds the tokenizer before the measurement
			b.ReportAllocs()
			report := reportCPU(b)
			for i := 0; b.Loop(); i++ {
				nextQuestion(&req, i)
				stream, err := rot.next().CreateChatCompletionStream(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				if n := drain(b, stream.Recv); n != len(chunks) {
					b.Fatalf("%d chunks, want %d", n, len(chunks))
				}
				stream.Close()
			}
			rot.flush()
			report()
		})
	})
}

// drain reads a stream to its end and returns the number of chunks.
func drain[T any](b *testing.B, recv func() (T, error)) int {
	n := 0
	for {
		_, err := recv()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// BenchmarkTimeToFirstChunk measures the time from opening a stream to
// receiving its first chunk (the ns/first-chunk metric), bare and wrapped
// (bound to a runner whose runs are delivered to a gentracetest backend).
// Each stream of 20 chunks is then read to its end, outside the metric, so
// that connections are reused. Each run of benchStepsPerRun steps is
// delivered before the next call (outside the metric too), as happens
// between requests in production, where a model's latency leaves the CPU
// idle: the metric shows what the wrapper adds before the first chunk, not
// how delivery competes for a saturated CPU (see BenchmarkOverhead).
func BenchmarkTimeToFirstChunk(b *testing.B) {
	env := newBenchEnv(b, toGentracetest)
	ctx := context.Background()
	req := benchRequest()
	env.oai.SetDefault(openaitest.RouteChatCompletions,
		openaitest.ChatStream(openaitest.ChatChunks(20, openaitest.Choice{Content: benchReply})...))
	// open opens a stream; prepare, called before the clock starts, binds
	// the wrapper to its runner (rotating and delivering runs).
	measure := func(b *testing.B, prepare func(), open func(gogpt.ChatCompletionRequest) (func() error, func(), error)) {
		var total time.Duration
		for i := 0; b.Loop(); i++ {
			nextQuestion(&req, i)
			prepare()
			start := time.Now()
			recv, closeStream, err := open(req)
			if err != nil {
				b.Fatal(err)
			}
			if err := recv(); err != nil {
				b.Fatal(err)
			}
			total += time.Since(start)
			for recv() == nil {
			}
			closeStream()
		}
		b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/first-chunk")
	}
	b.Run("bare", func(b *testing.B) {
		measure(b, func() {}, func(req gogpt.ChatCompletionRequest) (func() error, func(), error) {
			s, err := env.bare.CreateChatCompletionStream(ctx, req)
			if err != nil {
				return nil, nil, err
			}
			return func() error { _, err := s.Recv(); return err }, func() { s.Close() }, nil
		})
	})
	b.Run("gentrace", func(b *testing.B) {
		rot := &rotator{b: b, env: env, settle: true}
		stream, err := rot.next().CreateChatCompletionStream(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		drain(b, stream.Recv)
		stream.Close()
		rot.flush() // builds the tokenizer before the measurement
		var client *openai.Client
		measure(b, func() { client = rot.next() }, func(req gogpt.ChatCompletionRequest) (func() error, func(), error) {
			s, err := client.CreateChatCompletionStream(ctx, req)
			if err != nil {
				return nil, nil, err
			}
			return func() error { _, err := s.Recv(); return err }, func() { s.Close() }, nil
		})
		rot.flush()
	})
}

// reportCPU starts measuring the process's CPU time (user and system, all
// goroutines: caller, fake servers, delivery) and returns a function that
// reports it per operation as cpu-ns/op. CPU time is steadier than wall
// time on a shared virtual machine, whose steal time it does not count.
// Call the returned function after the last delivery so that the work of
// the runs submitted during the loop is included.
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((processCPU()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
