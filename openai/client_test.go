package openai_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// chatter is what code written against go-openai's client depends on. A
// recording client made with Record must satisfy it: switching is a
// one-line change.
type chatter interface {
	CreateChatCompletion(context.Context, goopenai.ChatCompletionRequest) (goopenai.ChatCompletionResponse, error)
	CreateChatCompletionStream(context.Context, goopenai.ChatCompletionRequest) (*goopenai.ChatCompletionStream, error)
	CreateEmbeddings(context.Context, goopenai.EmbeddingRequestConverter) (goopenai.EmbeddingResponse, error)
	CreateResponse(context.Context, goopenai.CreateResponseRequest) (goopenai.CreateResponseResponse, error)
}

var _ chatter = goopenai.NewClientWithConfig(openai.Record(goopenai.DefaultConfig("key")))

// world is a fake Gentrace backend, a client delivering to it, and a fake
// OpenAI server.
type world struct {
	t       *testing.T
	backend *gentracetest.Server
	gc      *gentrace.Client
	oai     *openaitest.Server
	errs    *gentracetest.ErrorLog
}

func newWorld(t *testing.T) *world {
	t.Helper()
	backend := gentracetest.Start(t)
	errs := &gentracetest.ErrorLog{}
	gc, err := gentrace.New(
		gentrace.WithAPIKey(backend.APIKey),
		gentrace.WithBaseURL(backend.URL),
		gentrace.WithHTTPClient(backend.Client()),
		gentrace.WithLogger(slog.New(slog.DiscardHandler)),
		gentrace.WithErrorHandler(errs.Add),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = gc.Shutdown(ctx)
	})
	oai := openaitest.NewServer()
	t.Cleanup(oai.Close)
	return &world{t: t, backend: backend, gc: gc, oai: oai, errs: errs}
}

func (w *world) wrapper(opts ...openai.Option) *openai.Client {
	return openai.NewClientWithConfig(w.oai.ClientConfig(), append([]openai.Option{openai.WithGentrace(w.gc)}, opts...)...)
}

func (w *world) plain() *goopenai.Client {
	return goopenai.NewClientWithConfig(openai.Record(w.oai.ClientConfig()))
}

func (w *world) start() (context.Context, *gentrace.Runner) {
	w.t.Helper()
	p, _ := w.gc.NewPipeline("wrapper-test")
	ctx, r, err := p.Start(context.Background(), gentrace.RunContext{UserID: "u-1"})
	if err != nil {
		w.t.Fatal(err)
	}
	return ctx, r
}

func (w *world) end(r *gentrace.Runner) gentracetest.Run {
	w.t.Helper()
	if _, err := r.Submit(context.Background(), gentrace.WaitForServer()); err != nil {
		w.t.Fatal(err)
	}
	run, _ := w.backend.Run(r.ID())
	return run
}

func (w *world) stored(id string) gentracetest.Run {
	w.t.Helper()
	if err := w.gc.Flush(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	run, ok := w.backend.Run(id)
	if !ok {
		w.t.Fatalf("run %q not stored", id)
	}
	return run
}

func chatReq(text string) goopenai.ChatCompletionRequest {
	return goopenai.ChatCompletionRequest{Model: "gpt-4o-mini", Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: text}}}
}

func drain[T any](recv func() (T, error)) error {
	for {
		if _, err := recv(); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// Answers of the Responses API, scripted as bytes.
const responseJSON = `{"id":"resp_1","object":"response","created_at":1741000000,"status":"completed","model":"gpt-4.1-2025-04-14","output":[{"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}","status":"completed"}],"usage":{"input_tokens":20,"input_tokens_details":{"cached_tokens":0},"output_tokens":8,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":28}}`

var responseStream = strings.Join([]string{
	"event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_2\",\"object\":\"response\",\"status\":\"in_progress\",\"model\":\"gpt-4.1-2025-04-14\",\"output\":[]}}\n\n",
	"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"Sunny\"}\n\n",
	"event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":2,\"response\":{\"id\":\"resp_2\",\"object\":\"response\",\"status\":\"completed\",\"model\":\"gpt-4.1-2025-04-14\",\"output\":[{\"id\":\"msg_1\",\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Sunny\",\"annotations\":[]}]}],\"usage\":{\"input_tokens\":30,\"output_tokens\":1,\"total_tokens\":31}}}\n\n",
}, "")

func responseReq(stream bool) goopenai.CreateResponseRequest {
	return goopenai.CreateResponseRequest{Model: "gpt-4.1", Input: "Weather in Paris?", Instructions: "Use tools.", Stream: stream,
		Tools: []goopenai.ResponseTool{goopenai.NewResponseFunctionTool(goopenai.FunctionDefinition{Name: "get_weather",
			Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}})}}
}

// scenario runs the same calls through either client.
type scenario struct {
	chat     func(context.Context, goopenai.ChatCompletionRequest) error
	stream   func(context.Context, goopenai.ChatCompletionRequest) error
	embed    func(context.Context, goopenai.EmbeddingRequest) error
	response func(context.Context, goopenai.CreateResponseRequest) error
	rstream  func(context.Context, goopenai.CreateResponseRequest) error
}

func TestOneScenarioThroughTheWrapperAndAPlainClient(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	wrapped, plain := w.wrapper(), w.plain()
	clients := map[string]scenario{
		"wrapper": {
			chat: func(ctx context.Context, r goopenai.ChatCompletionRequest) error {
				_, err := wrapped.CreateChatCompletion(ctx, r)
				return err
			},
			stream: func(ctx context.Context, r goopenai.ChatCompletionRequest) error {
				s, err := wrapped.CreateChatCompletionStream(ctx, r)
				if err != nil {
					return err
				}
				defer s.Close()
				return drain(s.Recv)
			},
			embed: func(ctx context.Context, r goopenai.EmbeddingRequest) error {
				_, err := wrapped.CreateEmbeddings(ctx, r)
				return err
			},
			response: func(ctx context.Context, r goopenai.CreateResponseRequest) error {
				_, err := wrapped.CreateResponse(ctx, r)
				return err
			},
			rstream: func(ctx context.Context, r goopenai.CreateResponseRequest) error {
				s, err := wrapped.CreateResponseStream(ctx, r)
				if err != nil {
					return err
				}
				defer s.Close()
				return drain(s.Recv)
			},
		},
		"plain go-openai": {
			chat: func(ctx context.Context, r goopenai.ChatCompletionRequest) error {
				_, err := plain.CreateChatCompletion(ctx, r)
				return err
			},
			stream: func(ctx context.Context, r goopenai.ChatCompletionRequest) error {
				s, err := plain.CreateChatCompletionStream(ctx, r)
				if err != nil {
					return err
				}
				defer s.Close()
				return drain(s.Recv)
			},
			embed: func(ctx context.Context, r goopenai.EmbeddingRequest) error {
				_, err := plain.CreateEmbeddings(ctx, r)
				return err
			},
			response: func(ctx context.Context, r goopenai.CreateResponseRequest) error {
				_, err := plain.CreateResponse(ctx, r)
				return err
			},
			rstream: func(ctx context.Context, r goopenai.CreateResponseRequest) error {
				s, err := plain.CreateResponseStream(ctx, r)
				if err != nil {
					return err
				}
				defer s.Close()
				return drain(s.Recv)
			},
		},
	}
	tools := chatReq("Weather in Paris?")
	tools.Tools = []goopenai.Tool{{Type: goopenai.ToolTypeFunction, Function: &goopenai.FunctionDefinition{Name: "get_weather",
		Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}}}}
	steps := map[string][]gentracetest.StepRun{}
	for _, name := range []string{"wrapper", "plain go-openai"} {
		c := clients[name]
		w.oai.Enqueue("/v1/responses",
			openaitest.Raw(200, []byte(responseJSON)),
			openaitest.Raw(200, []byte(responseStream)).WithHeader("Content-Type", "text/event-stream"))
		ctx, r := w.start()
		for i, call := range []func() error{
			func() error { return c.chat(ctx, chatReq("Hi")) },
			func() error { return c.stream(ctx, chatReq("Hi")) },
			func() error { return c.chat(ctx, tools) },
			func() error {
				return c.embed(ctx, goopenai.EmbeddingRequest{Model: goopenai.SmallEmbedding3, Input: []string{"a", "b"}})
			},
			func() error { return c.response(ctx, responseReq(false)) },
			func() error { return c.rstream(ctx, responseReq(true)) },
		} {
			if err := call(); err != nil {
				t.Fatalf("%s: call %d: %v", name, i, err)
			}
		}
		steps[name] = w.end(r).StepRuns
	}
	a, b := steps["wrapper"], steps["plain go-openai"]
	if len(a) != 6 || len(b) != 6 {
		t.Fatalf("steps: wrapper %d, plain %d; want 6 each", len(a), len(b))
	}
	// What differs from call to call: times, and the fake server's IDs.
	comparable := func(s gentracetest.StepRun) string {
		s.StartTime, s.EndTime, s.ElapsedTime = time.Time{}, time.Time{}, 0
		delete(s.Outputs, "timeToFirstTokenMs")
		return regexp.MustCompile(`"(chatcmpl|modr|cmpl)-openaitest-\d+"`).ReplaceAllString(rawJSON(t, s), "ID")
	}
	for i := range a {
		ja, jb := comparable(a[i]), comparable(b[i])
		if ja != jb {
			t.Errorf("step %d differs:\nwrapper %s\n  plain %s", i, ja, jb)
		}
	}
	if a[4].Invocation != "openai_createResponse" || a[5].Outputs["status"] != "completed" {
		t.Errorf("responses steps = %+v, %+v", a[4], a[5])
	}
}

func rawJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestSimpleModeCarriesTheRunContext(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.wrapper()
	prev := "6f9619ff-8b86-4011-b42d-00cf4fc964ff"
	resp, err := c.CreateChatCompletion(context.Background(), chatReq("Hi"),
		openai.WithPipelineSlug("simple"), openai.WithUserID("u-9"), openai.WithPreviousRunID(prev),
		openai.WithMetadata(gentrace.Metadata{"plan": gentrace.String("pro")}),
		openai.WithStepMetadata(gentrace.Metadata{"step": gentrace.Bool(true)}))
	if err != nil || resp.PipelineRunID == "" {
		t.Fatalf("call = %q, %v", resp.PipelineRunID, err)
	}
	run := w.stored(resp.PipelineRunID)
	if run.Slug != "simple" || run.PreviousRunID != prev || run.Metadata["plan"].Value != "pro" || run.Metadata["step"].Value != true ||
		len(run.StepRuns) != 1 || run.StepRuns[0].Context.UserID != "u-9" {
		t.Errorf("run = %+v", run)
	}
	stream, err := c.CreateChatCompletionStream(context.Background(), chatReq("Hi"), openai.WithPipelineSlug("simple"))
	if err != nil || stream.PipelineRunID == "" {
		t.Fatalf("stream = %v, %v", stream, err)
	}
	if err := drain(stream.Recv); err != nil {
		t.Fatal(err)
	}
	stream.Close()
	if run := w.stored(stream.PipelineRunID); len(run.StepRuns) != 1 {
		t.Errorf("stream run = %+v", run)
	}
	emb, err := c.CreateEmbeddings(context.Background(), goopenai.EmbeddingRequest{Model: goopenai.SmallEmbedding3, Input: "x"},
		openai.WithPipelineSlug("simple"))
	if err != nil || emb.PipelineRunID == "" {
		t.Fatalf("embeddings = %q, %v", emb.PipelineRunID, err)
	}
	// Without a slug and outside a run nothing is recorded and no ID is
	// returned.
	plain, err := c.CreateChatCompletion(context.Background(), chatReq("Hi"))
	if err != nil || plain.PipelineRunID != "" {
		t.Errorf("unrecorded call = %q, %v", plain.PipelineRunID, err)
	}
	if err := w.gc.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(w.backend.Runs()); n != 3 {
		t.Errorf("stored %d runs, want 3", n)
	}
	if errs := w.errs.Errors(); len(errs) != 0 {
		t.Errorf("background errors: %v", errs)
	}
}

func TestCallOptionMistakesAreReturnedBeforeSending(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.wrapper()
	ctx, r := w.start()
	defer r.End(nil)
	for _, tt := range []struct {
		name string
		opts []openai.CallOption
		want error
	}{
		{"slug under a run", []openai.CallOption{openai.WithPipelineSlug("x")}, openai.ErrRunOption},
		{"previous run under a run", []openai.CallOption{openai.WithPreviousRunID("6f9619ff-8b86-4011-b42d-00cf4fc964ff")}, openai.ErrRunOption},
		{"another user under a run", []openai.CallOption{openai.WithUserID("u-2")}, gentrace.ErrStepUserID},
		{"bad step metadata", []openai.CallOption{openai.WithStepMetadata(gentrace.Metadata{"k": gentrace.URL("nope", "x")})}, gentrace.ErrInvalidMetadata},
		{"template inputs for no message", []openai.CallOption{openai.WithContentInputs(nil, nil)}, openai.ErrTemplate},
	} {
		if _, err := c.CreateChatCompletion(ctx, chatReq("Hi"), tt.opts...); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := c.CreateChatCompletion(context.Background(), chatReq("Hi"), openai.WithPipelineSlug("p"),
		openai.WithPreviousRunID("run-1")); !errors.Is(err, gentrace.ErrInvalidRunID) {
		t.Errorf("bad previous run ID in simple mode: %v", err)
	}
	if n := len(w.oai.Requests()); n != 0 {
		t.Errorf("OpenAI got %d requests", n)
	}
	// Defaults for simple mode are ignored under a run.
	d := w.wrapper(openai.WithDefaultCallOptions(openai.WithPipelineSlug("default-slug"), openai.WithUserID("someone")))
	if _, err := d.CreateChatCompletion(ctx, chatReq("Hi")); err != nil {
		t.Errorf("run-level defaults broke a call under a run: %v", err)
	}
}

func TestSimpleModeWithoutAGentraceClientStillCalls(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := openai.NewClientWithConfig(w.oai.ClientConfig()) // no WithGentrace, and no Init
	if gentrace.Default() != nil {
		t.Skip("a default client exists")
	}
	resp, err := c.CreateChatCompletion(context.Background(), chatReq("Hi"), openai.WithPipelineSlug("p"))
	if err != nil || resp.PipelineRunID != "" || len(resp.Choices) == 0 {
		t.Errorf("call = %+v, %v", resp, err)
	}
}

func TestTemplates(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const code = "if a < b && c > \"d\" { return 'e' }"
	for _, tt := range []struct {
		name   string
		opts   []openai.Option
		wanted string
	}{
		{"as written by default", nil, "Review: " + code},
		{"escaped on request", []openai.Option{openai.WithHTMLEscaping()}, "Review: if a &lt; b &amp;&amp; c &gt; &#34;d&#34; { return &#39;e&#39; }"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := w.wrapper(tt.opts...)
			ctx, r := w.start()
			req := chatReq("Review: {{code}}")
			req.Messages = append([]goopenai.ChatCompletionMessage{{Role: "system", Content: "You review code."}}, req.Messages...)
			if _, err := c.CreateChatCompletion(ctx, req, openai.WithContentInputs(nil, map[string]any{"code": code})); err != nil {
				t.Fatal(err)
			}
			if req.Messages[1].Content != "Review: {{code}}" {
				t.Error("the caller's request was changed")
			}
			var sent struct {
				Messages []goopenai.ChatCompletionMessage `json:"messages"`
			}
			reqs := w.oai.Requests()
			if err := json.Unmarshal(reqs[len(reqs)-1].Body, &sent); err != nil {
				t.Fatal(err)
			}
			if got := sent.Messages[1].Content; got != tt.wanted {
				t.Errorf("the model got %q, want %q", got, tt.wanted)
			}
			s := w.end(r).StepRuns[0]
			if got := rawJSON(t, s.ModelParams["contentTemplates"]); got != `[null,"Review: {{code}}"]` {
				t.Errorf("contentTemplates = %s", got)
			}
			if got := rawJSON(t, s.Inputs["contentInputs"]); got != `[null,{"code":`+rawJSON(t, code)+`}]` {
				t.Errorf("contentInputs = %s", got)
			}
		})
	}
	// A templated legacy completion records the inputs as inputs.prompt.
	c := w.wrapper()
	ctx, r := w.start()
	if _, err := c.CreateCompletion(ctx, goopenai.CompletionRequest{Model: "gpt-3.5-turbo-instruct", Prompt: "Translate {{word}}"},
		openai.WithPromptInputs(map[string]any{"word": "chat"})); err != nil {
		t.Fatal(err)
	}
	s := w.end(r).StepRuns[0]
	if rawJSON(t, s.Inputs["prompt"]) != `{"word":"chat"}` || rawJSON(t, s.Inputs["promptInputs"]) != `{"word":"chat"}` ||
		s.ModelParams["promptTemplate"] != "Translate {{word}}" {
		t.Errorf("completion template: inputs %v, params %v", s.Inputs, s.ModelParams)
	}
}

func TestTemplatePartialsReadNoFiles(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("TOP SECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := w.wrapper()
	if _, err := c.CreateChatCompletion(context.Background(), chatReq("{{> "+secret+"}} {{x}}"),
		openai.WithContentInputs(map[string]any{"x": "y"})); err != nil {
		t.Fatal(err)
	}
	if body := w.oai.Requests()[0].Body; bytes.Contains(body, []byte("TOP SECRET")) {
		t.Errorf("a partial read a file into the prompt: %s", body)
	}
}

func TestErrorsReturnedUnchanged(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.oai.Enqueue(openaitest.RouteChatCompletions, openaitest.Error(http.StatusTooManyRequests, "Rate limit reached"))
	c := w.wrapper()
	ctx, r := w.start()
	_, err := c.CreateChatCompletion(ctx, chatReq("Hi"))
	var apiErr *goopenai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 429 || apiErr.Message != "Rate limit reached" {
		t.Fatalf("err = %#v", err)
	}
	if s := w.end(r).StepRuns[0]; !strings.HasPrefix(s.Error, "429 Too Many Requests: Rate limit reached") {
		t.Errorf("step error = %q", s.Error)
	}
}
