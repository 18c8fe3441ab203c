package gentrace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/gentracetest"
)

// onlineClient returns a client delivering to a fake backend, and the
// backend.
func onlineClient(t *testing.T, opts ...Option) (*Client, *gentracetest.Server) {
	t.Helper()
	srv := gentracetest.Start(t)
	base := []Option{
		WithAPIKey(srv.APIKey),
		WithBaseURL(srv.URL),
		WithRetry(3, time.Millisecond, 10*time.Millisecond),
		WithLogger(slog.New(slog.DiscardHandler)),
	}
	c, err := New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t, c) })
	return c, srv
}

func shutdown(t *testing.T, c *Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = c.Shutdown(ctx)
}

func waitRuns(t *testing.T, srv *gentracetest.Server, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitForRuns(ctx, n); err != nil {
		t.Fatalf("waiting for %d runs: %v (stored %d)", n, err, len(srv.Runs()))
	}
}

// answer is the README's "A run with several steps", with a step that can
// fail: the run must reach Gentrace on every path.
func answer(ctx context.Context, pipeline *Pipeline, orderID string, lookupFails bool) (_ string, err error) {
	ctx, run, err := pipeline.Start(ctx, RunContext{UserID: "customer-1017"})
	if err != nil {
		return "", err
	}
	defer run.End(&err)
	order, err := Measure(ctx, map[string]any{"orderId": orderID}, func(context.Context) (string, error) {
		if lookupFails {
			return "", errors.New("order service unavailable")
		}
		return "shipped", nil
	})
	if err != nil {
		return "", fmt.Errorf("looking up %s: %w", orderID, err)
	}
	return "Your order has " + order, nil
}

func TestEndDeliversTheRunOnEveryPath(t *testing.T) {
	t.Parallel()
	c, srv := onlineClient(t)
	p, _ := c.NewPipeline("orders")
	if _, err := answer(context.Background(), p, "A-1", true); err == nil {
		t.Fatal("the failing lookup did not fail")
	}
	if _, err := answer(context.Background(), p, "A-2", false); err != nil {
		t.Fatal(err)
	}
	waitRuns(t, srv, 2)
	var failed, ok int
	for _, run := range srv.Runs() {
		switch {
		case strings.Contains(run.Error, "order service unavailable"):
			failed++
			if len(run.StepRuns) != 1 || run.StepRuns[0].Error == "" {
				t.Errorf("failed run's step = %+v", run.StepRuns)
			}
		case run.Error == "":
			ok++
		}
	}
	if failed != 1 || ok != 1 {
		t.Errorf("stored %d failed and %d good runs, want 1 and 1", failed, ok)
	}
}

func TestEndIsIdempotent(t *testing.T) {
	t.Parallel()
	c, srv := onlineClient(t)
	_, r := startRun(t, c, RunContext{})
	err := errors.New("first")
	id := r.End(&err)
	second := errors.New("second")
	if again := r.End(&second); again != id {
		t.Errorf("second End = %q, want %q", again, id)
	}
	if _, err := r.Submit(context.Background()); !errors.Is(err, ErrRunSubmitted) {
		t.Errorf("Submit after End = %v", err)
	}
	waitRuns(t, srv, 1)
	run, _ := srv.Run(id)
	if run.Error != "first" {
		t.Errorf("run error = %v, want the first End's", run.Error)
	}
	if s := c.Stats(); s.Submitted != 1 {
		t.Errorf("Submitted = %d", s.Submitted)
	}
	var nilErr error
	_, r2 := startRun(t, c, RunContext{})
	r2.SetError(errors.New("set"))
	r2.End(&nilErr) // a nil error keeps what SetError recorded
	waitRuns(t, srv, 2)
	if run, _ := srv.Run(r2.ID()); run.Error != "set" {
		t.Errorf("run error = %v, want SetError's", run.Error)
	}
}

func TestUnendedRunIsDeliveredCountedAndReported(t *testing.T) {
	var got gentracetest.ErrorLog
	c, srv := onlineClient(t, WithErrorHandler(got.Add))
	p, _ := c.NewPipeline("forgetful")
	id := func() string {
		_, r, err := p.Start(context.Background(), RunContext{})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Checkpoint(map[string]any{"q": 1}, 2); err != nil {
			t.Fatal(err)
		}
		return r.ID() // and the runner is dropped without End
	}()
	deadline := time.Now().Add(10 * time.Second)
	for c.Stats().Unended == 0 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := c.Stats().Unended; n != 1 {
		t.Fatalf("Unended = %d, want 1", n)
	}
	waitRuns(t, srv, 1)
	run, ok := srv.Run(id)
	if !ok || !strings.Contains(run.Error, "never ended") || len(run.StepRuns) != 1 {
		t.Errorf("stored run = %+v", run)
	}
	errs := got.Errors()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `"forgetful"`) || !strings.Contains(errs[0].Error(), id) {
		t.Errorf("reported %v, want one report naming the pipeline and run", errs)
	}
}

func TestMeasureRecordsIntoTheContextsRun(t *testing.T) {
	t.Parallel()
	ctx, r := startRun(t, offlineClient(t), RunContext{})
	outer, err := Measure(ctx, map[string]any{"level": "outer"}, func(ctx context.Context) (int, error) {
		if RunnerFromContext(ctx) != r {
			t.Error("fn's context does not carry the run")
		}
		inner, err := Measure(ctx, map[string]any{"level": "inner"}, func(context.Context) (int, error) { return 1, nil })
		return inner + 1, err
	})
	if err != nil || outer != 2 {
		t.Fatalf("Measure = %d, %v", outer, err)
	}
	steps := r.Steps()
	if len(steps) != 2 || string(steps[0].Inputs["level"].(json.RawMessage)) != `"inner"` {
		t.Fatalf("steps = %+v; want the inner step recorded first, then the outer", steps)
	}
}

func TestMeasureWithoutARunJustRuns(t *testing.T) {
	t.Parallel()
	got, err := Measure(context.Background(), nil, func(context.Context) (string, error) { return "ran", nil })
	if got != "ran" || err != nil {
		t.Errorf("Measure = %q, %v", got, err)
	}
}

func TestMeasureOnAnEndedRunDoesNotRun(t *testing.T) {
	t.Parallel()
	ctx, r := startRun(t, offlineClient(t), RunContext{})
	r.End(nil)
	ran := false
	_, err := Measure(ctx, nil, func(context.Context) (int, error) { ran = true; return 1, nil })
	if !errors.Is(err, ErrRunSubmitted) || ran {
		t.Errorf("Measure after End = %v, ran = %v; want ErrRunSubmitted before fn runs", err, ran)
	}
}

func TestStepsAreDeepCopies(t *testing.T) {
	t.Parallel()
	r := startRunner(t, offlineClient(t), RunContext{})
	if err := r.Record(Step{
		Inputs:   map[string]any{"raw": json.RawMessage(`{"a":1}`), "go": map[string]any{"b": 2}},
		Outputs:  map[string]any{"cost": Dollars(1)},
		Metadata: Metadata{"m": String("v")},
		Usage:    &Usage{PromptTokens: 1, EstimateOmits: []string{"remote_images"}},
	}); err != nil {
		t.Fatal(err)
	}
	steps := r.Steps()
	raw := steps[0].Inputs["raw"].(json.RawMessage)
	raw[2] = 'X'
	steps[0].Inputs["new"] = 1
	steps[0].Metadata["m"] = String("changed")
	steps[0].Usage.EstimateOmits[0] = "changed"
	steps[0].Outputs["cost"] = Dollars(99)
	data := string(encodeRun(t, r))
	if strings.Contains(data, "changed") || strings.Contains(data, `"new"`) || strings.Contains(data, `"X"`) || !strings.Contains(data, `"raw":{"a":1}`) {
		t.Errorf("changing a copy changed the run: %s", data)
	}
	if cost, _ := r.Cost(); cost != Dollars(1) {
		t.Errorf("Cost = %v after changing a copy", cost)
	}
	if again := r.Steps()[0]; again.Usage.EstimateOmits[0] != "remote_images" {
		t.Errorf("usage changed: %+v", again.Usage)
	}
}

func TestConcurrentCheckpointsNeverEndBeforeTheyStart(t *testing.T) {
	t.Parallel()
	r := startRunner(t, offlineClient(t, WithClock(newStepClock().Now)), RunContext{})
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Checkpoint(nil, i); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i, s := range r.Steps() {
		if s.EndTime.Before(s.StartTime) {
			t.Errorf("step %d ends %v before it starts %v", i, s.EndTime, s.StartTime)
		}
	}
	// A step whose explicit start is after its end is clamped.
	now := r.Now()
	if err := r.Record(Step{StartTime: now.Add(time.Second), EndTime: now}); err != nil {
		t.Fatal(err)
	}
	steps := r.Steps()
	if last := steps[len(steps)-1]; last.Elapsed() != 0 {
		t.Errorf("clamped step elapsed %v", last.Elapsed())
	}
}

func TestRunnerString(t *testing.T) {
	t.Parallel()
	r := startRunner(t, offlineClient(t), RunContext{})
	if got, want := fmt.Sprint(r), "gentrace.Runner(guess-the-year "+r.ID()+")"; got != want {
		t.Errorf("%%v = %q, want %q", got, want)
	}
}
