package gentrace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/gentracetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// errorLog collects background errors.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) handle(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// backendClient returns a client of the fake backend with fast retries.
func backendClient(t *testing.T, srv *gentracetest.Server, opts ...Option) *Client {
	t.Helper()
	base := []Option{
		WithAPIKey(srv.APIKey),
		WithBaseURL(srv.URL),
		WithRetry(100, 5*time.Millisecond, 50*time.Millisecond),
		WithLogger(slog.New(slog.DiscardHandler)),
	}
	c, err := New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Shutdown(ctx)
	})
	return c
}

func submitOne(t *testing.T, c *Client, rc RunContext, opts ...SubmitOption) (string, error) {
	t.Helper()
	r := startRunner(t, c, rc)
	if err := r.Checkpoint(map[string]any{"q": "x"}, "y"); err != nil {
		t.Fatal(err)
	}
	return r.Submit(context.Background(), opts...)
}

func TestRetriesThreeServerErrorsThenDeliversOnce(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	c := backendClient(t, srv)
	srv.FailNext(3, http.StatusInternalServerError)
	id, err := submitOne(t, c, RunContext{}, WaitForServer())
	if err != nil {
		t.Fatalf("Submit = %v", err)
	}
	st := srv.Stats()
	if st.Requests != 4 || st.Stored != 1 {
		t.Errorf("server saw %d requests, stored %d; want 4 and 1", st.Requests, st.Stored)
	}
	if _, ok := srv.Run(id); !ok {
		t.Errorf("run %s not stored", id)
	}
	if s := c.Stats(); s.Submitted != 1 || s.Delivered != 1 || s.Retried != 3 || s.Failed != 0 {
		t.Errorf("client stats = %+v", s)
	}
}

func TestRetriesSendTheSameBody(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var bodies []string
	attempt := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 1<<16)
		n, _ := r.Body.Read(buf)
		mu.Lock()
		bodies = append(bodies, string(buf[:n]))
		attempt++
		a := attempt
		mu.Unlock()
		if a < 3 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		fmt.Fprint(w, `{"pipelineRunId":"x"}`)
	}))
	defer ts.Close()
	c := offlineClient(t, WithBaseURL(ts.URL+"/api"), WithRetry(5, time.Millisecond, time.Millisecond))
	if _, err := submitOne(t, c, RunContext{}, WaitForServer()); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 3 || bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Fatalf("bodies differ across attempts: %q", bodies)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var arrivals []time.Time
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		first := len(arrivals) == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, `{"pipelineRunId":"x"}`)
	}))
	defer ts.Close()
	// The backoff alone would wait 1-2 ms.
	c := offlineClient(t, WithBaseURL(ts.URL+"/api"), WithRetry(3, time.Millisecond, 2*time.Millisecond))
	if _, err := submitOne(t, c, RunContext{}, WaitForServer()); err != nil {
		t.Fatal(err)
	}
	if len(arrivals) != 2 {
		t.Fatalf("%d attempts, want 2", len(arrivals))
	}
	// Bounds, not a benchmark: Retry-After: 1 must make the client wait at
	// least a second, and not much more.
	if gap := arrivals[1].Sub(arrivals[0]); gap < time.Second || gap > 3*time.Second {
		t.Errorf("waited %v between attempts, want about 1s", gap)
	}
}

func TestBackendDownThenBackDeliversEveryRunOnce(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	c := backendClient(t, srv, WithQueueSize(2000))
	srv.SetDown(true)
	const goroutines, perGoroutine = 20, 50
	ids := make(chan string, goroutines*perGoroutine)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, _ := c.NewPipeline("down-then-back")
			for i := range perGoroutine {
				_, r, err := p.Start(context.Background(), RunContext{})
				if err != nil {
					t.Error(err)
					return
				}
				_ = r.Checkpoint(map[string]any{"g": g, "i": i}, "ok")
				id, err := r.Submit(context.Background())
				if err != nil {
					t.Error(err)
				}
				ids <- id
			}
		}()
	}
	wg.Wait()
	close(ids)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Stay down until deliveries have failed, so that retries are exercised.
	if err := srv.WaitFor(ctx, func(s gentracetest.Stats) bool { return s.Faults >= 20 }); err != nil {
		t.Fatal(err)
	}
	srv.SetDown(false)
	if err := c.Flush(ctx); err != nil {
		t.Fatalf("Flush = %v", err)
	}
	want := map[string]bool{}
	for id := range ids {
		want[id] = true
	}
	runs := srv.Runs()
	seen := map[string]int{}
	for _, r := range runs {
		seen[r.ID]++
	}
	if len(want) != 1000 || len(runs) != 1000 {
		t.Fatalf("submitted %d distinct runs, server stored %d; want 1000 each", len(want), len(runs))
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("run %s stored %d times", id, seen[id])
		}
	}
	if s := c.Stats(); s.Delivered != 1000 || s.Failed != 0 || s.Dropped != 0 || s.Retried == 0 || s.Pending != 0 {
		t.Errorf("client stats = %+v", s)
	}
}

func TestShutdownOnHangingBackendHonoursDeadline(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	c := backendClient(t, srv)
	srv.SetHang(true)
	if _, err := submitOne(t, c, RunContext{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want the context's error", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Shutdown took %v after a 200ms deadline", elapsed)
	}
	if s := c.Stats(); s.Dropped != 1 {
		t.Errorf("stats = %+v, want the pending run counted as dropped", s)
	}
}

func TestUseAfterShutdown(t *testing.T) {
	t.Parallel()
	c := offlineClient(t)
	p, _ := c.NewPipeline("p")
	_, r, _ := p.Start(context.Background(), RunContext{})
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown = %v, want nil", err)
	}
	if _, _, err := p.Start(context.Background(), RunContext{}); !errors.Is(err, ErrClientClosed) {
		t.Errorf("Start = %v", err)
	}
	if _, err := r.Submit(context.Background()); !errors.Is(err, ErrClientClosed) {
		t.Errorf("Submit = %v", err)
	}
	if err := c.Flush(context.Background()); !errors.Is(err, ErrClientClosed) {
		t.Errorf("Flush = %v", err)
	}
}

func TestQueueFullDropsAndReports(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	srv.SetHang(true)
	var log errorLog
	c := backendClient(t, srv, WithQueueSize(1), WithWorkers(1), WithErrorHandler(log.handle))
	var full int
	for range 5 {
		if _, err := submitOne(t, c, RunContext{}); errors.Is(err, ErrQueueFull) {
			full++
		}
	}
	if full < 3 {
		t.Errorf("%d of 5 submits refused as full, want at least 3", full)
	}
	if s := c.Stats(); s.Dropped != uint64(full) {
		t.Errorf("Dropped = %d, want %d", s.Dropped, full)
	}
	srv.SetHang(false)
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Drops are reported as summaries, off the callers' goroutines.
	reported := 0
	for _, err := range log.all() {
		reported += droppedInReport(t, err)
	}
	if reported != full {
		t.Errorf("reports count %d drops, want %d: %v", reported, full, log.all())
	}
}

// A slow logger must not slow down Submit when the queue is full.
func TestDroppingNeverWaitsForTheLogger(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	srv.SetHang(true)
	release := make(chan struct{})
	var once sync.Once
	c := backendClient(t, srv, WithQueueSize(1), WithWorkers(1), WithErrorHandler(func(error) {
		<-release // a logger stuck on a full pipe
	}))
	defer once.Do(func() { close(release) })
	p, _ := c.NewPipeline("p")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 50 {
			_, r, _ := p.Start(context.Background(), RunContext{})
			_, _ = r.Submit(context.Background())
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Submit waited for the blocked error handler")
	}
	if s := c.Stats(); s.Dropped < 45 {
		t.Errorf("Dropped = %d", s.Dropped)
	}
	once.Do(func() { close(release) })
	srv.SetHang(false)
}

func TestServerRejectionIsAPIErrorAndNotRetried(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	var log errorLog
	c := backendClient(t, srv, WithErrorHandler(log.handle))
	first, err := submitOne(t, c, RunContext{}, WaitForServer())
	if err != nil {
		t.Fatal(err)
	}
	// Two runs naming the same previous run: the second breaks the thread.
	if _, err := submitOne(t, c, RunContext{PreviousRunID: first}, WaitForServer()); err != nil {
		t.Fatal(err)
	}
	_, err = submitOne(t, c, RunContext{PreviousRunID: first}, WaitForServer())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest || apiErr.Message == "" {
		t.Fatalf("Submit = %v, want a 400 *APIError with a message", err)
	}
	before := srv.Stats().Requests
	// Without waiting, the same rejection is counted and reported.
	if _, err := submitOne(t, c, RunContext{PreviousRunID: first}); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := srv.Stats().Requests - before; got != 1 {
		t.Errorf("a 400 was sent %d times, want 1 (no retry)", got)
	}
	errs := log.all()
	if len(errs) != 1 || !errors.As(errs[0], &apiErr) || apiErr.StatusCode != 400 {
		t.Errorf("reported errors = %v", errs)
	}
	if s := c.Stats(); s.Failed != 2 || s.Delivered != 2 {
		t.Errorf("stats = %+v", s)
	}
}

func TestRunsExhaustingRetriesFail(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	c := backendClient(t, srv, WithRetry(2, time.Millisecond, time.Millisecond))
	srv.FailNext(3, http.StatusServiceUnavailable)
	_, err := submitOne(t, c, RunContext{}, WaitForServer())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || !apiErr.Temporary() {
		t.Fatalf("Submit = %v, want a 503 *APIError", err)
	}
}

func TestNoAuthorizationAcrossHosts(t *testing.T) {
	t.Parallel()
	var leaked atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("Authorization"))
		fmt.Fprint(w, `{"pipelineRunId":"x"}`)
	}))
	defer other.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// 127.0.0.1 and localhost are different hosts to the client.
		http.Redirect(w, r, "http://localhost:"+other.URL[len("http://127.0.0.1:"):]+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	c := offlineClient(t, WithBaseURL(redirector.URL+"/api"))
	if _, err := submitOne(t, c, RunContext{}, WaitForServer()); err == nil {
		t.Error("Submit succeeded through a cross-host redirect")
	}
	if v, _ := leaked.Load().(string); v != "" {
		t.Errorf("Authorization %q reached another host", v)
	}
}

// droppedInReport returns how many drops a background ErrQueueFull report
// counts, and 0 for other errors.
func droppedInReport(t testing.TB, err error) int {
	t.Helper()
	if !errors.Is(err, ErrQueueFull) {
		return 0
	}
	var n int
	msg := strings.TrimPrefix(err.Error(), ErrQueueFull.Error()+": ")
	if _, scanErr := fmt.Sscanf(msg, "%d run(s) dropped", &n); scanErr != nil {
		t.Fatalf("unexpected report %q: %v", err, scanErr)
	}
	return n
}
