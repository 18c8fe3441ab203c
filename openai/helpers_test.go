package openai_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/gentrace/gentrace-go/pricing"
	gogpt "github.com/sashabaranov/go-openai"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// Placeholders that replace what changes from one test run to the next.
const (
	runIDPlaceholder = "00000000-0000-4000-8000-000000000000"
	// previousRunID is a fixed UUID used as a thread's previous run.
	previousRunID = "6f9619ff-8b86-4011-b42d-00cf4fc964ff"
)

// stepClock is a clock that moves a fixed step each time it is read, so
// that recorded times are deterministic.
type stepClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func newStepClock() *stepClock {
	return &stepClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), step: 7 * time.Millisecond}
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

// syncBuffer is a bytes.Buffer safe for concurrent writes, for logs written
// by delivery goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is one test's world: a fake OpenAI server, a fake Gentrace
// backend, a Gentrace client with a step clock delivering to it, and the
// wrapper around a go-openai client of the fake server.
type harness struct {
	t       *testing.T
	oai     *openaitest.Server
	backend *gentracetest.Server
	gc      *gentrace.Client
	client  *openai.Client
	logs    *syncBuffer
}

func newHarness(t *testing.T, opts ...openai.Option) *harness {
	t.Helper()
	oai := openaitest.NewServer()
	t.Cleanup(oai.Close)
	backend := gentracetest.Start(t)
	logs := &syncBuffer{}
	gc, err := gentrace.New(
		gentrace.WithAPIKey(backend.APIKey),
		gentrace.WithBaseURL(backend.URL),
		gentrace.WithHTTPClient(backend.Client()),
		gentrace.WithClock(newStepClock().Now),
		gentrace.WithLogger(slog.New(slog.NewTextHandler(logs, nil))),
		gentrace.WithRetry(0, time.Millisecond, time.Millisecond),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := gc.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	client := openai.NewClientWithConfig(oai.ClientConfig(), append([]openai.Option{openai.WithGentrace(gc)}, opts...)...)
	return &harness{t: t, oai: oai, backend: backend, gc: gc, client: client, logs: logs}
}

// start starts a run of the pipeline "openai-test".
func (h *harness) start(rc gentrace.RunContext) *gentrace.Runner {
	h.t.Helper()
	p, err := h.gc.NewPipeline("openai-test")
	if err != nil {
		h.t.Fatal(err)
	}
	r, err := p.Start(context.Background(), rc)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// submit submits r, waits for the backend to store it and returns it.
func (h *harness) submit(r *gentrace.Runner) gentracetest.Run {
	h.t.Helper()
	if _, err := r.Submit(context.Background(), gentrace.WaitForServer()); err != nil {
		h.t.Fatalf("Submit: %v", err)
	}
	return h.run(r.ID())
}

// run flushes the client and returns the stored run with the given ID.
func (h *harness) run(id string) gentracetest.Run {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.gc.Flush(ctx); err != nil {
		h.t.Fatalf("Flush: %v", err)
	}
	run, ok := h.backend.Run(id)
	if !ok {
		h.t.Fatalf("run %q not stored; logs:\n%s", id, h.logs.String())
	}
	return run
}

// noRuns checks that nothing was delivered.
func (h *harness) noRuns() {
	h.t.Helper()
	if err := h.gc.Flush(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	if st := h.gc.Stats(); st.Submitted != 0 {
		h.t.Errorf("%d runs submitted, want none", st.Submitted)
	}
	if runs := h.backend.Runs(); len(runs) != 0 {
		h.t.Errorf("backend stored %d runs, want none", len(runs))
	}
}

// only returns the one step of a run.
func only(t *testing.T, run gentracetest.Run) gentracetest.StepRun {
	t.Helper()
	if len(run.StepRuns) != 1 {
		t.Fatalf("run has %d steps, want 1", len(run.StepRuns))
	}
	return run.StepRuns[0]
}

// golden compares a run's body, indented, with testdata/name, the run ID
// replaced by a placeholder. go test -update rewrites the file.
func golden(t *testing.T, name string, run gentracetest.Run) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, run.Body, "", "  "); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, run.Body)
	}
	pretty.WriteByte('\n')
	got := strings.ReplaceAll(pretty.String(), run.ID, runIDPlaceholder)
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("payload differs from %s (go test -update rewrites it):\n got: %s\nwant: %s", path, got, want)
	}
}

// keys returns the sorted keys of m, for comparisons.
func keys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

// costOf returns the dollars of a decoded step's outputs.cost, and whether
// it has one.
func costOf(t *testing.T, outputs map[string]any) (float64, bool) {
	t.Helper()
	raw, ok := outputs["cost"]
	if !ok {
		return 0, false
	}
	c, ok := raw.(map[string]any)
	if !ok || c["type"] != "dollars" || len(c) != 2 {
		t.Fatalf("outputs.cost = %#v, want {type: dollars, value: X}", raw)
	}
	v, ok := c["value"].(float64)
	if !ok {
		t.Fatalf("outputs.cost.value = %#v", c["value"])
	}
	return v, true
}

// near reports whether two dollar amounts agree to floating-point noise.
func near(a, b float64) bool {
	d := a - b
	return d < 1e-12 && d > -1e-12
}

// price returns the default table's price of model.
func price(t *testing.T, model string) pricing.Price {
	t.Helper()
	p, _, ok := pricing.Default().Lookup(model)
	if !ok {
		t.Fatalf("no default price for %q", model)
	}
	return p
}

// jsonOf decodes a JSON value for comparisons.
func jsonOf(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func userMessage(content string) gogpt.ChatCompletionMessage {
	return gogpt.ChatCompletionMessage{Role: gogpt.ChatMessageRoleUser, Content: content}
}

// chatRequest is the chat request most tests send.
func chatRequest() gogpt.ChatCompletionRequest {
	seed := 7
	return gogpt.ChatCompletionRequest{
		Model: gogpt.GPT4o,
		Messages: []gogpt.ChatCompletionMessage{
			{Role: gogpt.ChatMessageRoleSystem, Content: "You answer questions about geography."},
			userMessage("What is the capital of France?"),
		},
		Temperature:         0.5,
		MaxCompletionTokens: 64,
		User:                "end-user-7",
		Seed:                &seed,
		Stop:                []string{"\n\n"},
		Tools: []gogpt.Tool{{Type: gogpt.ToolTypeFunction, Function: &gogpt.FunctionDefinition{
			Name:        "lookup_city",
			Description: "Looks a city up",
			Parameters:  map[string]any{"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}},
		}}},
		ToolChoice: "auto",
	}
}

// readAll reads a stream to its end through its Recv; err is its first
// error other than io.EOF.
func readAll[T any](recv func() (T, error)) ([]T, error) {
	var out []T
	for {
		chunk, err := recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, chunk)
	}
}

// readChat reads a wrapped chat stream to its end.
func readChat(s *openai.ChatCompletionStream) ([]gogpt.ChatCompletionStreamResponse, error) {
	return readAll(s.Recv)
}

// readBareChat is readChat for go-openai's own stream.
func readBareChat(s *gogpt.ChatCompletionStream) ([]gogpt.ChatCompletionStreamResponse, error) {
	return readAll(s.Recv)
}

// readCompletion reads a wrapped completion stream to its end.
func readCompletion(s *openai.CompletionStream) ([]gogpt.CompletionResponse, error) {
	return readAll(s.Recv)
}

// lastRequest returns the last request the fake OpenAI server received.
func (h *harness) lastRequest() openaitest.Request {
	h.t.Helper()
	reqs := h.oai.Requests()
	if len(reqs) == 0 {
		h.t.Fatal("no request reached the OpenAI server")
	}
	return reqs[len(reqs)-1]
}

// noOpenAIRequest checks that nothing reached the fake OpenAI server.
func (h *harness) noOpenAIRequest() {
	h.t.Helper()
	if n := len(h.oai.Requests()); n != 0 {
		h.t.Errorf("%d requests reached OpenAI, want none", n)
	}
}

// streamToEnd makes a chat stream on r with the default request, reads it
// to its end and closes it.
func (h *harness) streamToEnd(r *gentrace.Runner) {
	h.t.Helper()
	stream, err := h.client.ForRunner(r).CreateChatCompletionStream(context.Background(), chatRequest())
	if err != nil {
		h.t.Fatal(err)
	}
	defer stream.Close()
	if _, err := readChat(stream); err != nil {
		h.t.Fatal(err)
	}
}
