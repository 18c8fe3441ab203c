package openaihttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openaihttp"
	goopenai "github.com/sashabaranov/go-openai"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

const runIDPlaceholder = "00000000-0000-4000-8000-000000000000"

// stepClock moves 7 ms each time it is read, so recorded times are
// deterministic.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(7 * time.Millisecond)
	return c.t
}

// syncBuffer collects logs written by delivery goroutines.
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

// reply is one scripted answer of the wire server: exactly these bytes.
type reply struct {
	status      int
	contentType string
	// events are written and flushed one by one; body is written at once.
	events []string
	body   string
	// cutAfter drops the connection after that many events (-1: never).
	cutAfter int
	// holdAfter, when hold is set, stops after that many events until the
	// client goes away or hold is closed, as a model still generating.
	holdAfter int
	hold      chan struct{}
	header    http.Header
}

func jsonReply(body string) reply {
	return reply{status: 200, contentType: "application/json", body: body, cutAfter: -1}
}

func sseReply(events ...string) reply {
	return reply{status: 200, contentType: "text/event-stream; charset=utf-8", events: events, cutAfter: -1}
}

// held returns r paused after n events until the client goes away.
func held(r reply, n int) reply {
	r.holdAfter, r.hold = n, make(chan struct{})
	return r
}

func errorReply(status int, body string) reply {
	return reply{status: status, contentType: "application/json", body: body, cutAfter: -1}
}

// received is a request the wire server got.
type received struct {
	path   string
	query  string
	header http.Header
	body   []byte
}

// wire is an OpenAI stand-in that answers with scripted bytes, as a
// captured transcript replays: the recorder is tested against the wire
// format, not against a client's types.
type wire struct {
	t    *testing.T
	srv  *httptest.Server
	stop chan struct{}
	mu   sync.Mutex
	next []reply
	reqs []received
}

func newWire(t *testing.T) *wire {
	w := &wire{t: t, stop: make(chan struct{})}
	w.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.srv.Close)
	// Held replies end before the server closes, which waits for them.
	t.Cleanup(func() { close(w.stop) })
	return w
}

func (w *wire) enqueue(r ...reply) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.next = append(w.next, r...)
}

func (w *wire) requests() []received {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]received(nil), w.reqs...)
}

func (w *wire) serve(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.mu.Lock()
	w.reqs = append(w.reqs, received{r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
	if len(w.next) == 0 {
		w.mu.Unlock()
		http.Error(rw, `{"error":{"message":"no scripted reply","type":"test"}}`, http.StatusNotImplemented)
		return
	}
	rep := w.next[0]
	w.next = w.next[1:]
	w.mu.Unlock()
	for k, vs := range rep.header {
		for _, v := range vs {
			rw.Header().Add(k, v)
		}
	}
	rw.Header().Set("Content-Type", rep.contentType)
	rw.WriteHeader(rep.status)
	if rep.events == nil {
		_, _ = io.WriteString(rw, rep.body)
		return
	}
	flusher := rw.(http.Flusher)
	for i, ev := range rep.events {
		if rep.cutAfter >= 0 && i == rep.cutAfter {
			panic(http.ErrAbortHandler) // drops the connection mid-stream
		}
		if rep.hold != nil && i == rep.holdAfter {
			select {
			case <-rep.hold:
			case <-w.stop:
				return
			case <-r.Context().Done():
				return
			}
		}
		_, _ = io.WriteString(rw, ev)
		flusher.Flush()
	}
}

// world is one test's set-up: a fake Gentrace backend, a client with a step
// clock delivering to it, a recorder, and an OpenAI stand-in.
type world struct {
	t       *testing.T
	backend *gentracetest.Server
	gc      *gentrace.Client
	rec     *openaihttp.Recorder
	wire    *wire
	logs    *syncBuffer
	errs    *gentracetest.ErrorLog
}

func newWorld(t *testing.T, opts ...openaihttp.Option) *world {
	t.Helper()
	backend := gentracetest.Start(t)
	logs, errs := &syncBuffer{}, &gentracetest.ErrorLog{}
	clock := &stepClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	gc, err := gentrace.New(
		gentrace.WithAPIKey(backend.APIKey),
		gentrace.WithBaseURL(backend.URL),
		gentrace.WithHTTPClient(backend.Client()),
		gentrace.WithClock(clock.Now),
		gentrace.WithLogger(slog.New(slog.NewTextHandler(logs, nil))),
		gentrace.WithErrorHandler(errs.Add),
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
	return &world{t: t, backend: backend, gc: gc, rec: openaihttp.New(opts...), wire: newWire(t), logs: logs, errs: errs}
}

// httpClient is an HTTP client that records through the world's recorder.
func (w *world) httpClient() *http.Client {
	return &http.Client{Transport: w.rec.Transport(nil)}
}

// goopenai returns an unmodified go-openai client of the wire server whose
// HTTP client records.
func (w *world) goopenai() *goopenai.Client {
	cfg := goopenai.DefaultConfig("sk-test")
	cfg.BaseURL = w.wire.srv.URL + "/v1"
	cfg.HTTPClient = w.httpClient()
	return goopenai.NewClientWithConfig(cfg)
}

// start starts a run of the pipeline "wire-test".
func (w *world) start(rc gentrace.RunContext) (context.Context, *gentrace.Runner) {
	w.t.Helper()
	p, err := w.gc.NewPipeline("wire-test")
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, r, err := p.Start(context.Background(), rc)
	if err != nil {
		w.t.Fatal(err)
	}
	return ctx, r
}

// end ends r, waits for the backend to store it and returns it.
func (w *world) end(r *gentrace.Runner) gentracetest.Run {
	w.t.Helper()
	if _, err := r.Submit(context.Background(), gentrace.WaitForServer()); err != nil {
		w.t.Fatalf("Submit: %v; logs:\n%s", err, w.logs.String())
	}
	run, ok := w.backend.Run(r.ID())
	if !ok {
		w.t.Fatalf("run %s not stored", r.ID())
	}
	return run
}

// post sends a raw JSON POST through the recorder under ctx.
func (w *world) post(ctx context.Context, path, body string) (*http.Response, []byte) {
	w.t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.wire.srv.URL+path, strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.httpClient().Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, data
}

// step returns the one step of a run.
func step(t *testing.T, run gentracetest.Run) gentracetest.StepRun {
	t.Helper()
	if len(run.StepRuns) != 1 {
		t.Fatalf("run has %d steps, want 1", len(run.StepRuns))
	}
	return run.StepRuns[0]
}

// golden compares a run's body, indented, with testdata/name.
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
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
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

// decode decodes JSON for comparisons.
func decode(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, data)
	}
	return v
}

// raw returns a recorded value's JSON.
func raw(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// costOf returns the dollars of outputs.cost, and whether there is one.
func costOf(t *testing.T, outputs map[string]any) (float64, bool) {
	t.Helper()
	c, ok := outputs["cost"].(map[string]any)
	if !ok {
		return 0, false
	}
	if c["type"] != "dollars" {
		t.Fatalf("cost = %v", c)
	}
	return c["value"].(float64), true
}

// sse frames data as one server-sent event, with an event type when typ
// is not empty.
func sse(typ, data string) string {
	if typ == "" {
		return "data: " + data + "\n\n"
	}
	return "event: " + typ + "\ndata: " + data + "\n\n"
}

// chunk is a chat completion chunk as OpenAI streams it, with the fields
// real streams carry.
func chunk(choices string, usage string) string {
	return sse("", fmt.Sprintf(`{"id":"chatcmpl-Bx1","object":"chat.completion.chunk","created":1741000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[%s],"usage":%s}`, choices, usage))
}

const done = "data: [DONE]\n\n"

// keys returns the sorted keys of m, comma-separated.
func keys(m map[string]any) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ",")
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// openaihttpAlways is the option that asks every stream for its usage.
func openaihttpAlways() []openaihttp.Option {
	return []openaihttp.Option{openaihttp.WithStreamUsage(openaihttp.StreamUsageAlways)}
}

type openaihttpCall = openaihttp.Call

var withCall = openaihttp.WithCall

func newRecorderWithMax(n int) *openaihttp.Recorder {
	return openaihttp.New(openaihttp.WithMaxBodyBytes(n))
}
