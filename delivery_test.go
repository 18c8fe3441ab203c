package gentrace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

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
	if err := srv.WaitFor(ctx, func(s gentracetest.Counts) bool { return s.Faults >= 20 }); err != nil {
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
	var log gentracetest.ErrorLog
	c := backendClient(t, srv, WithQueueSize(1), WithWorkers(1), WithErrorHandler(log.Add))
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
	for _, err := range log.Errors() {
		reported += droppedInReport(t, err)
	}
	if reported != full {
		t.Errorf("reports count %d drops, want %d: %v", reported, full, log.Errors())
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
	var log gentracetest.ErrorLog
	c := backendClient(t, srv, WithErrorHandler(log.Add))
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
	errs := log.Errors()
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
	prefix := ErrQueueFull
	if errors.Is(err, ErrSpoolFull) {
		prefix = ErrSpoolFull
	}
	msg := strings.TrimPrefix(err.Error(), prefix.Error()+": ")
	if _, scanErr := fmt.Sscanf(msg, "%d run(s) dropped", &n); scanErr != nil {
		t.Fatalf("unexpected report %q: %v", err, scanErr)
	}
	return n
}

// gatedServer answers POST /v1/run with status once release is closed.
func gatedServer(t *testing.T, status int) (url string, release func(), requests *atomic.Int32) {
	t.Helper()
	gate := make(chan struct{})
	requests = new(atomic.Int32)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
		w.WriteHeader(status)
		fmt.Fprint(w, `{"message":"refused for good"}`)
	}))
	t.Cleanup(ts.Close)
	var once sync.Once
	return ts.URL + "/api", func() { once.Do(func() { close(gate) }) }, requests
}

// Submit with WaitForServer whose context ends before the server answers
// returns the context's error; the failure that comes later reaches the
// error handler, once.
func TestFailureAfterTheWaiterGaveUpIsReported(t *testing.T) {
	t.Parallel()
	url, release, requests := gatedServer(t, http.StatusBadRequest)
	defer release()
	var log gentracetest.ErrorLog
	c := offlineClient(t, WithBaseURL(url), WithErrorHandler(log.Add))
	r := startRunner(t, c, RunContext{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := r.Submit(ctx, WaitForServer())
		done <- err
	}()
	for requests.Load() == 0 { // the run is at the server, which holds it
		runtime.Gosched()
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit = %v, want its context's error", err)
	}
	release()
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	errs := log.Errors()
	var apiErr *APIError
	if len(errs) != 1 || !errors.As(errs[0], &apiErr) || apiErr.StatusCode != http.StatusBadRequest || !strings.Contains(errs[0].Error(), r.ID()) {
		t.Fatalf("reported %v, want the 400 of run %s once", errs, r.ID())
	}
	if st := c.Stats(); st.Failed != 1 {
		t.Errorf("stats %+v", st)
	}
}

// After Shutdown's deadline, the callers still waiting (Submit with
// WaitForServer, Flush) and the error handler get errors wrapping
// ErrClientClosed, never context.Canceled or an internal error.
func TestShutdownDeadlineErrorsWrapErrClientClosed(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	srv.SetHang(true)
	defer srv.SetHang(false)
	var log gentracetest.ErrorLog
	c := backendClient(t, srv, WithWorkers(1), WithErrorHandler(log.Add))
	waited := make(chan error, 2)
	for range 2 { // one in flight, one queued behind it
		r := startRunner(t, c, RunContext{})
		go func() {
			_, err := r.Submit(context.Background(), WaitForServer())
			waited <- err
		}()
	}
	if err := srv.WaitFor(context.Background(), func(s gentracetest.Counts) bool { return s.Requests >= 1 }); err != nil {
		t.Fatal(err)
	}
	for c.Stats().Pending < 2 {
		runtime.Gosched()
	}
	if _, err := submitOne(t, c, RunContext{}); err != nil { // reported, not awaited
		t.Fatal(err)
	}
	flushed := make(chan error, 1)
	go func() { flushed <- c.Flush(context.Background()) }()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := c.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want its deadline's error", err)
	}
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrClientClosed) || errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "delivery queue") {
			t.Errorf("%s got %v, want an error wrapping ErrClientClosed only", what, err)
		}
	}
	for range 2 {
		check("Submit(WaitForServer)", <-waited)
	}
	check("Flush", <-flushed)
	errs := log.Errors()
	if len(errs) != 1 {
		t.Fatalf("reported %v, want the unawaited run once", errs)
	}
	check("the error handler", errs[0])
	if st := c.Stats(); st.Dropped != 3 || st.Pending != 0 || st.Submitted != 3 {
		t.Errorf("stats %+v, want 3 submitted and dropped", st)
	}
}

// Under faults of every kind (errors, drops, lost answers, redirects, 413,
// a full queue), every Stats value accounts for every submitted run, and
// every run ends in exactly one of Delivered, Failed or Dropped.
func TestStatsAccountForEveryRunUnderFaults(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	if err := srv.SetFaults(gentracetest.Faults{Seed: 7, ServerError: 0.2, Drop: 0.1, LoseResponse: 0.1, Redirect: 0.05, TooLarge: 0.05, SlowBody: 0.05, SlowBodyDelay: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	c := backendClient(t, srv, WithQueueSize(64), WithWorkers(2), WithRetry(2, time.Millisecond, 2*time.Millisecond))
	stop := make(chan struct{})
	var watch sync.WaitGroup
	watch.Add(1)
	go func() {
		defer watch.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if s := c.Stats(); s.Submitted != s.Delivered+s.Failed+s.Dropped+uint64(s.Pending) {
				t.Errorf("stats %+v do not add up", s)
				return
			}
		}
	}()
	var submitted, full atomic.Uint64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, _ := c.NewPipeline("faults")
			for range 50 {
				_, r, err := p.Start(context.Background(), RunContext{})
				if err != nil {
					t.Error(err)
					return
				}
				_, err = r.Submit(context.Background())
				submitted.Add(1)
				if errors.Is(err, ErrQueueFull) {
					full.Add(1)
				} else if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(stop)
	watch.Wait()
	s := c.Stats()
	t.Logf("stats %+v; server %+v", s, srv.Stats())
	if s.Submitted != submitted.Load() || s.Pending != 0 || s.Delivered+s.Failed+s.Dropped != s.Submitted {
		t.Errorf("stats %+v for %d submitted runs; want every one delivered, failed or dropped", s, submitted.Load())
	}
	if s.Dropped != full.Load() || full.Load() == 0 || s.Failed == 0 || s.Delivered == 0 {
		t.Errorf("stats %+v, %d refused as full; want drops = refusals, and some failures and deliveries", s, full.Load())
	}
	// Every delivered run is stored; a stored run not delivered is one
	// whose answers were lost until its retries ran out.
	if st := srv.Stats(); uint64(st.Stored) < s.Delivered || uint64(st.Stored) > s.Delivered+s.Failed {
		t.Errorf("server stored %d runs; client delivered %d and failed %d", st.Stored, s.Delivered, s.Failed)
	}
}

// Threads submitted concurrently, each turn at once after the one before
// (without waiting), against a server that refuses a previousRunId it has
// not stored: every run is stored, nothing is refused.
func TestThreadsAreDeliveredInOrder(t *testing.T) {
	t.Parallel()
	const threads, turns = 1000, 5
	srv := gentracetest.Start(t, gentracetest.WithStrictThreads())
	var log gentracetest.ErrorLog
	c := backendClient(t, srv, WithQueueSize(threads*turns), WithWorkers(8), WithErrorHandler(log.Add))
	p, _ := c.NewPipeline("threads")
	var wg sync.WaitGroup
	for range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prev := ""
			for turn := range turns {
				_, r, err := p.Start(context.Background(), RunContext{PreviousRunID: prev})
				if err != nil {
					t.Error(err)
					return
				}
				if err := r.Checkpoint(map[string]any{"turn": turn}, "ok"); err != nil {
					t.Error(err)
					return
				}
				if prev, err = r.Submit(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := srv.Stats()
	t.Logf("server %+v; client %+v", st, c.Stats())
	if st.Stored != threads*turns || st.Rejected != 0 {
		t.Errorf("server stored %d of %d runs and refused %d", st.Stored, threads*turns, st.Rejected)
	}
	if errs := log.Errors(); len(errs) > 0 {
		t.Errorf("%d errors reported, first %v", len(errs), errs[0])
	}
	// The stored threads are whole: each run's previous run was stored
	// before it.
	stored := map[string]bool{}
	for _, run := range srv.Runs() {
		if run.PreviousRunID != "" && !stored[run.PreviousRunID] {
			t.Errorf("run %s stored before its previous run %s", run.ID, run.PreviousRunID)
		}
		stored[run.ID] = true
	}
}

// A run held for its previous run is released when that one fails for
// good: it is sent, and reported with ErrPreviousRunNotDelivered.
func TestFailedPreviousRunReleasesTheNext(t *testing.T) {
	t.Parallel()
	url, release, requests := gatedServer(t, http.StatusBadRequest)
	defer release()
	var log gentracetest.ErrorLog
	c := offlineClient(t, WithBaseURL(url), WithWorkers(4), WithErrorHandler(log.Add))
	first := startRunner(t, c, RunContext{})
	firstID, err := first.Submit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for requests.Load() == 0 {
		runtime.Gosched()
	}
	second := startRunner(t, c, RunContext{PreviousRunID: firstID})
	if _, err := second.Submit(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Four workers, one busy: the second run would be sent at once if it
	// were not held. Give it the chance to show (this waits, it does not
	// time anything).
	for range 50 {
		if n := requests.Load(); n != 1 {
			t.Fatalf("%d requests before the first run's answer, want 1", n)
		}
		time.Sleep(time.Millisecond)
	}
	release()
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2: the second run is sent once released", n)
	}
	var released int
	for _, err := range log.Errors() {
		if errors.Is(err, ErrPreviousRunNotDelivered) {
			released++
			if !strings.Contains(err.Error(), second.ID()) || !strings.Contains(err.Error(), firstID) {
				t.Errorf("report %v does not name both runs", err)
			}
		}
	}
	if released != 1 {
		t.Errorf("reports %v, want one ErrPreviousRunNotDelivered", log.Errors())
	}
}

// Observers see every submitted run, off the delivery path: with the
// backend stalled and the delivery queue full, every run still reaches
// them; and an observer that blocks never holds up delivery.
func TestObserversRunOffTheDeliveryPath(t *testing.T) {
	t.Parallel()
	t.Run("stalled backend, full queue", func(t *testing.T) {
		t.Parallel()
		srv := gentracetest.Start(t)
		srv.SetHang(true)
		defer srv.SetHang(false)
		obs := &recordingObserver{seen: make(chan string, 10)}
		c := backendClient(t, srv, WithQueueSize(1), WithWorkers(1), WithObserver(obs))
		var dropped int
		for range 10 {
			if _, err := submitOne(t, c, RunContext{}); errors.Is(err, ErrQueueFull) {
				dropped++
			}
		}
		for range 10 {
			<-obs.seen
		}
		if dropped < 7 {
			t.Errorf("%d runs dropped, want the queue to overflow", dropped)
		}
	})
	t.Run("blocked observer", func(t *testing.T) {
		t.Parallel()
		srv := gentracetest.Start(t)
		unblock := make(chan struct{})
		blocked := observerFunc(func(RunRecord) { <-unblock })
		c := backendClient(t, srv, WithObserver(blocked))
		for range 5 {
			if _, err := submitOne(t, c, RunContext{}); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.WaitForRuns(ctx, 5); err != nil {
			t.Fatalf("delivery waited for the observer: %v", err)
		}
		close(unblock)
	})
}

// The queue is bounded by bytes as well as by count: with room for many
// runs but few bytes, runs past the byte bound are dropped and counted.
func TestQueueBoundedByBytes(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	srv.SetHang(true)
	defer srv.SetHang(false)
	c := backendClient(t, srv, WithQueueSize(1000), WithWorkers(1), WithMaxRunBytes(MinRunBytes), WithQueueBytes(10*MinRunBytes))
	var full, accepted int
	for range 100 {
		r := startRunner(t, c, RunContext{})
		for i := range 20 { // 20 steps of 1 KB: each run is estimated at the cap
			_ = r.Checkpoint(map[string]any{"i": i, "text": strings.Repeat("x", 1000)}, "x")
		}
		switch _, err := r.Submit(context.Background()); {
		case errors.Is(err, ErrQueueFull):
			full++
		case err == nil:
			accepted++
		default:
			t.Fatal(err)
		}
	}
	if accepted != 10 || full != 90 {
		t.Errorf("%d accepted, %d refused; want 10 runs of %d bytes in %d bytes", accepted, full, MinRunBytes, 10*MinRunBytes)
	}
	if s := c.Stats(); s.Dropped != 90 || s.Pending != 10 {
		t.Errorf("stats %+v", s)
	}
}

// A 413 answer is reported with the size of the body that was refused.
func TestTooLargeAnswerNamesTheSize(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t, gentracetest.WithMaxBodyBytes(20_000))
	c := backendClient(t, srv, WithMaxRunBytes(100_000))
	r := startRunner(t, c, RunContext{})
	if err := r.Checkpoint(map[string]any{"doc": strings.Repeat("x", 50_000)}, "ok"); err != nil {
		t.Fatal(err)
	}
	_, err := r.Submit(context.Background(), WaitForServer())
	var apiErr *APIError
	ok := errors.As(err, &apiErr)
	if !ok || apiErr.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("Submit = %v, want a 413 *APIError", err)
	}
	run, size := "", 0
	if _, scanErr := fmt.Sscanf(err.Error(), "gentrace: run %s not delivered: the server refused a body of %d bytes", &run, &size); scanErr != nil || size < 50_000 || size > 100_000 {
		t.Errorf("error %q does not give the body's size (%v)", err, scanErr)
	}
	if st := srv.Stats(); st.Requests != 1 {
		t.Errorf("%d requests, want 1 (a 413 is not retried)", st.Requests)
	}
}
