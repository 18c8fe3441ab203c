package gentrace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// stepClock is a clock that moves 5 ms each time it is read.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func newStepClock() *stepClock {
	return &stepClock{t: time.Date(2026, 3, 23, 21, 16, 37, 188_000_000, time.UTC)}
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(5 * time.Millisecond)
	return c.t
}

// offlineClient returns a client whose runs are never sent anywhere
// reachable: for tests that only record and encode.
func offlineClient(t *testing.T, opts ...Option) *Client {
	t.Helper()
	base := []Option{WithLogger(slog.New(slog.DiscardHandler)), WithAPIKey("test-key"), WithBaseURL("http://127.0.0.1:1/api"), WithRetry(0, time.Millisecond, time.Millisecond)}
	c, err := New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Shutdown(context.Background()) })
	return c
}

func startRunner(t *testing.T, c *Client, rc RunContext) *Runner {
	t.Helper()
	_, r := startRun(t, c, rc)
	return r
}

// startRun starts a run of the pipeline "guess-the-year" and returns the
// context carrying it.
func startRun(t *testing.T, c *Client, rc RunContext) (context.Context, *Runner) {
	t.Helper()
	p, err := c.NewPipeline("guess-the-year")
	if err != nil {
		t.Fatal(err)
	}
	ctx, r, err := p.Start(context.Background(), rc)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, r
}

// encodeRun freezes the runner as Submit does and returns the payload.
func encodeRun(t *testing.T, r *Runner) []byte {
	t.Helper()
	st := r.st
	st.mu.Lock()
	snap := &runSnapshot{id: st.id, slug: st.slug, userID: st.userID, previousRunID: st.previousRunID,
		metadata: st.metadata, steps: st.steps, err: st.err}
	st.mu.Unlock()
	data, err := snap.encode(st.client.cfg.transform, st.client.cfg.maxRunBytes)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	// Indent keeps the payload's bytes and field order; only white space is added.
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatalf("payload is not JSON: %v\n%s", err, got)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if pretty.String() != string(want) {
		t.Errorf("payload differs from %s:\n got: %s\nwant: %s", path, pretty.String(), want)
	}
}

func TestGoldenMultiStepRun(t *testing.T) {
	t.Parallel()
	c := offlineClient(t, WithClock(newStepClock().Now))
	ctx, r := startRun(t, c, RunContext{
		UserID:        "user-42",
		PreviousRunID: "6F9619FF-8B86-4011-B42D-00CF4FC964FF",
		Metadata: Metadata{
			"env":    String("prod"),
			"ticket": URL("https://tracker.example.com/T-1", "T-1"),
			"shared": String("run"),
		},
	})
	r.st.id = "2e7c3a4f-9d1b-4c5e-8f6a-0b1c2d3e4f50"

	if err := r.Checkpoint(map[string]any{"question": "When did <Apollo 11> land?"},
		map[string]any{"html": "<b>1969</b>", "cost": Cents(1.5)},
		WithRender("html"),
		WithStepMetadata(Metadata{"shared": String("step1"), "cached": Bool(true)}),
	); err != nil {
		t.Fatal(err)
	}
	year, err := Measure(ctx, map[string]any{"text": "1969"}, func(context.Context) (int, error) { return 1969, nil },
		WithProvider("local", "parseYear"),
		WithModelParams(map[string]any{"strict": true}))
	if err != nil || year != 1969 {
		t.Fatalf("Measure = %d, %v", year, err)
	}
	boom := errors.New("lookup service unavailable")
	if _, err := Measure(ctx, map[string]any{"year": 1969}, func(context.Context) (map[string]any, error) { return nil, boom },
		WithStepMetadata(Metadata{"shared": String("step3")})); err != boom {
		t.Fatalf("Measure error = %v, want the function's error unchanged", err)
	}
	r.SetError(errors.New("incomplete answer"))
	golden(t, "multistep_run.json", encodeRun(t, r))

	if got, ok := r.Cost(); !ok || got != Dollars(0.015) {
		t.Errorf("Cost() = %v, %v; want 0.015 (1.5 cents)", got, ok)
	}
	steps := r.Steps()
	if len(steps) != 3 || steps[2].Error != "lookup service unavailable" || len(steps[2].Outputs) != 0 {
		t.Fatalf("steps = %+v", steps)
	}
	// Checkpoint timing: the first starts at the runner's start, the next
	// step (Measure) times itself.
	if !steps[0].StartTime.Equal(r.st.start) {
		t.Errorf("first checkpoint starts %v, want runner start %v", steps[0].StartTime, r.st.start)
	}
	if s, _ := r.Metadata()["shared"].StringValue(); s != "step3" {
		t.Errorf("merged shared = %q, want the last step's value", s)
	}
}

func TestCheckpointTimingChains(t *testing.T) {
	t.Parallel()
	c := offlineClient(t, WithClock(newStepClock().Now))
	r := startRunner(t, c, RunContext{})
	for i := range 3 {
		if err := r.Checkpoint(nil, i); err != nil {
			t.Fatal(err)
		}
	}
	steps := r.Steps()
	if !steps[0].StartTime.Equal(r.st.start) {
		t.Errorf("first checkpoint start %v, want %v", steps[0].StartTime, r.st.start)
	}
	for i := 1; i < len(steps); i++ {
		if !steps[i].StartTime.Equal(steps[i-1].EndTime) {
			t.Errorf("checkpoint %d starts %v, want previous end %v", i, steps[i].StartTime, steps[i-1].EndTime)
		}
		if steps[i].Elapsed() != 5*time.Millisecond {
			t.Errorf("checkpoint %d elapsed %v", i, steps[i].Elapsed())
		}
	}
	if string(steps[2].Outputs["value"].(json.RawMessage)) != "2" {
		t.Errorf("non-object output not wrapped: %v", steps[2].Outputs)
	}
}

func TestRunWithoutStepsSendsRunMetadata(t *testing.T) {
	t.Parallel()
	c := offlineClient(t, WithClock(newStepClock().Now))
	r := startRunner(t, c, RunContext{Metadata: Metadata{"env": String("dev")}})
	r.st.id = "2e7c3a4f-9d1b-4c5e-8f6a-0b1c2d3e4f50"
	golden(t, "empty_run.json", encodeRun(t, r))
}

func TestSnapshotOnRecord(t *testing.T) {
	t.Parallel()
	r := startRunner(t, offlineClient(t), RunContext{})
	in := map[string]any{"list": []string{"a"}}
	out := map[string]any{"answer": "x"}
	if err := r.Checkpoint(in, out); err != nil {
		t.Fatal(err)
	}
	in["list"].([]string)[0] = "changed"
	out["answer"] = "changed"
	data := string(encodeRun(t, r))
	if strings.Contains(data, "changed") || !strings.Contains(data, `"answer":"x"`) {
		t.Errorf("record changed with the caller's values: %s", data)
	}
}

func TestBadStepInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		do      func(r *Runner) error
		wantErr error
		problem string
	}{
		{"render type", func(r *Runner) error {
			return r.Record(Step{Outputs: map[string]any{"x": 1}, Render: &Render{Type: "markdown", Key: "x"}})
		}, ErrInvalidRender, `"markdown"`},
		{"render key missing", func(r *Runner) error {
			return r.Checkpoint(nil, map[string]any{"a": 1}, WithRender("b"))
		}, ErrInvalidRender, `"b"`},
		{"render empty key", func(r *Runner) error {
			return r.Checkpoint(nil, map[string]any{"a": 1}, WithRender(""))
		}, ErrInvalidRender, "non-empty key"},
		{"step metadata", func(r *Runner) error {
			return r.Checkpoint(nil, 1, WithStepMetadata(Metadata{"link": URL("nope", "x")}))
		}, ErrInvalidMetadata, `"link"`},
		{"cost unit", func(r *Runner) error {
			return r.Checkpoint(nil, map[string]any{"cost": map[string]any{"type": "euros", "value": 1}})
		}, ErrInvalidCost, `"euros"`},
		{"negative cost", func(r *Runner) error {
			return r.Checkpoint(nil, map[string]any{"cost": Dollars(-2)})
		}, ErrInvalidCost, ">= 0"},
		{"cost as number", func(r *Runner) error {
			return r.Checkpoint(nil, map[string]any{"cost": 3})
		}, ErrInvalidCost, "want {"},
		{"unencodable input", func(r *Runner) error {
			return r.Checkpoint(map[string]any{"ch": make(chan int)}, 1)
		}, ErrInvalidStep, "inputs"},
		{"unencodable output", func(r *Runner) error {
			return r.Checkpoint(nil, func() {})
		}, ErrInvalidStep, "outputs"},
		{"measure with bad option does not run", func(r *Runner) error {
			_, err := Measure(ContextWithRunner(context.Background(), r), nil,
				func(context.Context) (int, error) { panic("must not run") }, WithRender(""))
			return err
		}, ErrInvalidRender, "key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := startRunner(t, offlineClient(t), RunContext{UserID: "u1"})
			err := tt.do(r)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.problem) {
				t.Fatalf("error = %v; want %v mentioning %s", err, tt.wantErr, tt.problem)
			}
			if n := len(r.Steps()); n != 0 {
				t.Errorf("%d steps recorded after a refused step", n)
			}
		})
	}
}

func TestMeasureUnencodableResultKeepsStep(t *testing.T) {
	t.Parallel()
	ctx, r := startRun(t, offlineClient(t), RunContext{})
	ch := make(chan int)
	got, err := Measure(ctx, nil, func(context.Context) (chan int, error) { return ch, nil })
	if got != ch || !errors.Is(err, ErrInvalidStep) {
		t.Fatalf("Measure = %v, %v", got, err)
	}
	steps := r.Steps()
	if len(steps) != 1 || !strings.Contains(steps[0].Error, "outputs") {
		t.Fatalf("steps = %+v; want the step kept with the encoding error", steps)
	}
}

func TestStartBadInput(t *testing.T) {
	t.Parallel()
	c := offlineClient(t)
	if _, err := c.NewPipeline(""); !errors.Is(err, ErrEmptySlug) {
		t.Errorf("NewPipeline(\"\") = %v", err)
	}
	if _, err := c.NewPipeline("p", WithPipelineMetadata(Metadata{"x": {}})); !errors.Is(err, ErrInvalidMetadata) {
		t.Errorf("bad pipeline metadata = %v", err)
	}
	p, _ := c.NewPipeline("p")
	if _, _, err := p.Start(context.Background(), RunContext{PreviousRunID: "run-7"}); !errors.Is(err, ErrInvalidRunID) || !strings.Contains(err.Error(), `"run-7"`) {
		t.Errorf("bad previous run ID = %v", err)
	}
	if _, _, err := p.Start(context.Background(), RunContext{Metadata: Metadata{"bad": String("x"), "worse": {}}}); !errors.Is(err, ErrInvalidMetadata) || !strings.Contains(err.Error(), `"worse"`) {
		t.Errorf("bad run metadata = %v", err)
	}
}

func TestSubmitFreezesRunner(t *testing.T) {
	t.Parallel()
	r := startRunner(t, offlineClient(t), RunContext{})
	if _, err := r.Submit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Checkpoint(nil, 1); !errors.Is(err, ErrRunSubmitted) {
		t.Errorf("Checkpoint after Submit = %v", err)
	}
	r.SetError(errors.New("x")) // ignored: the run is submitted
	if id, err := r.Submit(context.Background()); !errors.Is(err, ErrRunSubmitted) || id != r.ID() {
		t.Errorf("second Submit = %q, %v", id, err)
	}
	if id := r.End(nil); id != r.ID() {
		t.Errorf("End after Submit = %q, want the same ID", id)
	}
	if r.st.err != "" {
		t.Errorf("SetError after Submit changed the run: %q", r.st.err)
	}
}

func TestRunnerConcurrentSteps(t *testing.T) {
	t.Parallel()
	ctx, r := startRun(t, offlineClient(t), RunContext{})
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = Measure(ctx, map[string]any{"i": i}, func(context.Context) (string, error) { return fmt.Sprint(i), nil })
			_ = r.Metadata()
			_, _ = r.Cost()
		}()
	}
	wg.Wait()
	if n := len(r.Steps()); n != 50 {
		t.Errorf("%d steps, want 50", n)
	}
}

func TestCompleteRunsOnceOffThePath(t *testing.T) {
	t.Parallel()
	r := startRunner(t, offlineClient(t), RunContext{})
	var calls int
	var mu sync.Mutex
	err := r.Record(Step{ProviderName: "p", Invocation: "i", Complete: func(s *Step) {
		mu.Lock()
		calls++
		mu.Unlock()
		s.Usage = &Usage{PromptTokens: 3, Estimated: true}
		s.Outputs["cost"] = Dollars(0.5)
	}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if calls != 0 {
		t.Fatal("Complete ran on Record")
	}
	mu.Unlock()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); _ = r.Steps() }()
	}
	wg.Wait()
	if cost, ok := r.Cost(); !ok || cost != Dollars(0.5) {
		t.Errorf("Cost = %v %v", cost, ok)
	}
	if calls != 1 {
		t.Errorf("Complete ran %d times", calls)
	}
	if u := r.Steps()[0].Usage; u == nil || !u.Estimated {
		t.Errorf("usage = %+v", u)
	}
}

func TestTransformMasksBeforeDelivery(t *testing.T) {
	t.Parallel()
	c := offlineClient(t, WithTransform(func(s *Step) {
		if _, ok := s.Inputs["email"]; ok {
			s.Inputs["email"] = "[masked]"
		}
	}))
	r := startRunner(t, c, RunContext{})
	if err := r.Checkpoint(map[string]any{"email": "ada@example.com"}, 1); err != nil {
		t.Fatal(err)
	}
	data := string(encodeRun(t, r))
	if strings.Contains(data, "ada@example.com") || !strings.Contains(data, "[masked]") {
		t.Errorf("payload not masked: %s", data)
	}
}
