package openai_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/internal/benchkit"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// benchStepsPerRun is how many calls a benchmark records into one run
// before ending it and starting the next.
const benchStepsPerRun = 20

// benchRequest is a realistic chat request: a system prompt and a few turns
// of conversation, about 1.5 KB of text. Its last message is replaced on
// every call (see nextQuestion), as a conversation's newest message is new.
func benchRequest() goopenai.ChatCompletionRequest {
	return goopenai.ChatCompletionRequest{
		Model:       goopenai.GPT4oMini,
		Temperature: 0.2,
		User:        "user-1234",
		Messages: []goopenai.ChatCompletionMessage{
			{Role: goopenai.ChatMessageRoleSystem, Content: "You are a support assistant for an online bookshop. " +
				"Answer in a friendly, concise tone. When the customer asks about an order, ask for the order " +
				"number if they have not given it. Never promise refunds; explain the returns policy instead: " +
				"books can be returned within 30 days in their original condition, and e-books cannot be returned " +
				"once downloaded."},
			{Role: goopenai.ChatMessageRoleUser, Content: "Hi, I ordered two books last week and only one has arrived. " +
				"What should I do?"},
			{Role: goopenai.ChatMessageRoleAssistant, Content: "I'm sorry to hear that only one of your books has " +
				"arrived. Could you tell me your order number so I can look into it?"},
			{Role: goopenai.ChatMessageRoleUser, Content: "Sure, it's 48213-B. The missing one is a hardcover " +
				"atlas, it was supposed to ship together with the novel."},
			{Role: goopenai.ChatMessageRoleAssistant, Content: "Thank you. Large hardcover items sometimes ship " +
				"separately from our second warehouse. Let me explain what usually happens next."},
			{Role: goopenai.ChatMessageRoleUser, Content: "Okay, and if it doesn't come by Friday?"},
		},
	}
}

// nextQuestion makes the request's last message unique to call i, as a
// conversation's newest message is new.
func nextQuestion(req *goopenai.ChatCompletionRequest, i int) {
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

// benchEnv is what the benchmarks share: one fake OpenAI server, the three
// clients, and a Gentrace client delivering to a discarding backend in
// another process.
type benchEnv struct {
	oai      *openaitest.Server
	bare     *goopenai.Client
	plain    *goopenai.Client // unmodified go-openai, recording (openai.Record)
	wrapper  *openai.Client
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
	return &benchEnv{
		oai:      oai,
		bare:     oai.Client(),
		plain:    goopenai.NewClientWithConfig(openai.Record(oai.ClientConfig())),
		wrapper:  openai.NewClientWithConfig(oai.ClientConfig(), openai.WithGentrace(gc)),
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

type chatFunc func(context.Context, goopenai.ChatCompletionRequest) (goopenai.ChatCompletionResponse, error)

type streamFunc func(context.Context, goopenai.ChatCompletionRequest) (recv func() error, closeStream func(), err error)

func (e *benchEnv) chats() map[string]chatFunc {
	return map[string]chatFunc{
		"bare":  e.bare.CreateChatCompletion,
		"plain": e.plain.CreateChatCompletion,
		"wrapper": func(ctx context.Context, r goopenai.ChatCompletionRequest) (goopenai.ChatCompletionResponse, error) {
			resp, err := e.wrapper.CreateChatCompletion(ctx, r)
			return resp.ChatCompletionResponse, err
		},
	}
}

func goStream(s *goopenai.ChatCompletionStream, err error) (func() error, func(), error) {
	if err != nil {
		return nil, nil, err
	}
	return func() error { _, err := s.Recv(); return err }, func() { s.Close() }, nil
}

func (e *benchEnv) streams() map[string]streamFunc {
	return map[string]streamFunc{
		"bare": func(ctx context.Context, r goopenai.ChatCompletionRequest) (func() error, func(), error) {
			return goStream(e.bare.CreateChatCompletionStream(ctx, r))
		},
		"plain": func(ctx context.Context, r goopenai.ChatCompletionRequest) (func() error, func(), error) {
			return goStream(e.plain.CreateChatCompletionStream(ctx, r))
		},
		"wrapper": func(ctx context.Context, r goopenai.ChatCompletionRequest) (func() error, func(), error) {
			s, err := e.wrapper.CreateChatCompletionStream(ctx, r)
			if err != nil {
				return nil, nil, err
			}
			return goStream(s.ChatCompletionStream, nil)
		},
	}
}

var clientOrder = []string{"bare", "plain", "wrapper"}

// BenchmarkOverhead compares a chat completion and a 200-chunk stream made
// through a bare go-openai client, through an unmodified go-openai client
// that records (plain: openai.Record) and through the wrapper, against the
// same loopback server with the same requests and answers (SPEC §8). The
// recording clients record into runs of 20 calls, delivered to a backend
// in another process that discards them; the stream carries no usage, so
// its tokens are estimated.
//
// ns/op is the caller-visible latency: each run is delivered between
// calls with the clock stopped, as happens between requests when the
// model's latency leaves the CPU idle. cpu-ns/op is the process's CPU per
// call, delivery included (the clock being stopped does not stop it): the
// SDK's own CPU per call is a recording client's cpu-ns/op minus bare's.
func BenchmarkOverhead(b *testing.B) {
	env := newBenchEnv(b)
	b.Run("chat", func(b *testing.B) {
		env.oai.SetDefault(openaitest.RouteChatCompletions,
			openaitest.JSON(openaitest.ChatResponse(openaitest.Choice{Content: benchReply})))
		chats := env.chats()
		for _, name := range clientOrder {
			b.Run(name, func(b *testing.B) { benchChat(b, env, chats[name], name != "bare", true) })
		}
	})
	b.Run("stream", func(b *testing.B) {
		chunks := openaitest.ChatChunks(200, openaitest.Choice{Content: benchReply})
		env.oai.SetDefault(openaitest.RouteChatCompletions, openaitest.ChatStream(chunks...))
		streams := env.streams()
		for _, name := range clientOrder {
			b.Run(name, func(b *testing.B) { benchStream(b, env, streams[name], name != "bare", true, len(chunks)) })
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
		chats := env.chats()
		for _, name := range clientOrder {
			b.Run(name, func(b *testing.B) { benchChat(b, env, chats[name], name != "bare", false) })
		}
	})
	b.Run("stream", func(b *testing.B) {
		chunks := openaitest.ChatChunks(200, openaitest.Choice{Content: benchReply})
		env.oai.SetDefault(openaitest.RouteChatCompletions, openaitest.ChatStream(chunks...))
		streams := env.streams()
		for _, name := range clientOrder {
			b.Run(name, func(b *testing.B) { benchStream(b, env, streams[name], name != "bare", false, len(chunks)) })
		}
	})
}

func benchChat(b *testing.B, env *benchEnv, call chatFunc, recorded, settle bool) {
	req := benchRequest()
	rot := &rotator{b: b, env: env, settle: settle}
	ctx := func() context.Context {
		if recorded {
			return rot.next()
		}
		return context.Background()
	}
	if _, err := call(ctx(), req); err != nil { // warm: connections
		b.Fatal(err)
	}
	rot.end()
	rot.flush()
	b.ReportAllocs()
	report := benchkit.ReportCPU(b)
	for i := 0; b.Loop(); i++ {
		nextQuestion(&req, i)
		resp, err := call(ctx(), req)
		if err != nil || len(resp.Choices) != 1 {
			b.Fatal(err)
		}
	}
	rot.end()
	rot.flush()
	report()
}

func benchStream(b *testing.B, env *benchEnv, open streamFunc, recorded, settle bool, want int) {
	req := benchRequest()
	rot := &rotator{b: b, env: env, settle: settle}
	ctx := func() context.Context {
		if recorded {
			return rot.next()
		}
		return context.Background()
	}
	run := func(i int) {
		nextQuestion(&req, i)
		recv, closeStream, err := open(ctx(), req)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			err := recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		closeStream()
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
	streams := env.streams()
	for _, name := range clientOrder {
		b.Run(name, func(b *testing.B) {
			req := benchRequest()
			rot := &rotator{b: b, env: env, settle: true}
			var total time.Duration
			for i := 0; b.Loop(); i++ {
				nextQuestion(&req, i)
				ctx := context.Background()
				if name != "bare" {
					ctx = rot.next()
				}
				start := time.Now()
				recv, closeStream, err := streams[name](ctx, req)
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
			rot.end()
			b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/first-chunk")
		})
	}
}
