package gentrace

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// deadAddress returns a loopback address with nothing listening on it: a
// port that was just free, so that connecting is refused at once.
func deadAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC() // the second cycle frees what the first one's finalizers let go
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestDeadBackendSubmitNeverBlocksAndMemoryStaysBounded submits 100,000 runs
// from several goroutines to a client whose backend refuses every
// connection for the whole test. Submit must never wait for the backend,
// every run beyond the queue must be dropped and counted, the heap must stay
// bounded by the queue's size, and Shutdown must honour its deadline.
//
// It is deliberately not parallel: it measures the process's heap.
func TestDeadBackendSubmitNeverBlocksAndMemoryStaysBounded(t *testing.T) {
	const (
		total      = 100_000
		goroutines = 8
		queueSize  = 1000
		// perRunBound is what one queued run may cost on the heap. A run
		// here is one checkpoint step with about 0.8 KB of text; held in
		// the queue it is a snapshot of the runner with the step's decoded
		// maps, about 2.5 KiB measured. The bound leaves room for three
		// times that.
		perRunBound = 8 << 10
		// heapSlack covers what does not grow with the queue: the workers
		// and their HTTP machinery, the runs being encoded or retried, and
		// the garbage of the submitters not yet swept.
		heapSlack = 4 << 20
	)
	var fullReports, fullReportCalls, otherReports atomic.Uint64
	var firstOther atomic.Value
	c, err := New(
		WithAPIKey("dead-backend-key"),
		WithBaseURL("http://"+deadAddress(t)+"/api"),
		WithQueueSize(queueSize),
		WithLogger(slog.New(slog.DiscardHandler)),
		WithErrorHandler(func(err error) {
			if errors.Is(err, ErrQueueFull) {
				fullReports.Add(uint64(droppedInReport(t, err)))
				fullReportCalls.Add(1)
				return
			}
			otherReports.Add(1)
			firstOther.CompareAndSwap(nil, err.Error())
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	var shutDown atomic.Bool
	t.Cleanup(func() {
		if !shutDown.Load() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = c.Shutdown(ctx)
		}
	})
	p, err := c.NewPipeline("dead-backend")
	if err != nil {
		t.Fatal(err)
	}
	question := strings.Repeat("How far is the moon? ", 10)
	answer := strings.Repeat("About 384,400 km on average. ", 20)

	// Submit latencies, kept whole for the percentiles; allocated before
	// the heap baseline so that they do not count as growth.
	latencies := make([][]time.Duration, goroutines)
	for g := range latencies {
		latencies[g] = make([]time.Duration, 0, total/goroutines)
	}

	before := liveHeap()
	ctx := context.Background()
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		maxSubmit time.Duration
		queueFull int
		accepted  int
		failures  []error
	)
	start := time.Now()
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var slowest time.Duration
			full, ok := 0, 0
			var errs []error
			for k := range total / goroutines {
				_, r, err := p.Start(ctx, RunContext{UserID: "user-" + strconv.Itoa(g)})
				if err != nil {
					errs = append(errs, err)
					break
				}
				if err := r.Checkpoint(map[string]any{"question": question, "k": k}, map[string]any{"answer": answer}); err != nil {
					errs = append(errs, err)
					break
				}
				began := time.Now()
				_, err = r.Submit(ctx)
				took := time.Since(began)
				slowest = max(slowest, took)
				latencies[g] = append(latencies[g], took)
				switch {
				case err == nil:
					ok++
				case errors.Is(err, ErrQueueFull):
					full++
				default:
					errs = append(errs, err)
				}
			}
			mu.Lock()
			maxSubmit = max(maxSubmit, slowest)
			queueFull += full
			accepted += ok
			failures = append(failures, errs...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	submitTime := time.Since(start)
	growth := int64(liveHeap()) - int64(before)
	st := c.Stats()

	for _, err := range failures[:min(len(failures), 5)] {
		t.Errorf("Submit: %v", err)
	}
	all := slices.Concat(latencies...)
	slices.Sort(all)
	pct := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	t.Logf("%d runs submitted in %v by %d goroutines: %d queued, %d dropped (queue full)",
		total, submitTime.Round(time.Millisecond), goroutines, accepted, queueFull)
	t.Logf("Submit latency: median %v, p99 %v, p99.9 %v, max %v",
		pct(0.5), pct(0.99), pct(0.999), maxSubmit)
	t.Logf("live heap grew by %.2f MiB with a queue of %d (%.1f KiB per queued run; bound %.2f MiB)",
		float64(growth)/(1<<20), queueSize, float64(growth)/queueSize/1024, float64(queueSize*perRunBound+heapSlack)/(1<<20))
	t.Logf("stats before Shutdown: %+v", st)

	// Submit does no I/O (here: its drop report goes to a handler that
	// only counts) and holds its locks briefly, so its time is
	// microseconds. The tail is scheduling, not waiting: with more
	// submitting goroutines than CPUs, a goroutine preempted inside Submit
	// waits its turn (10 ms slices), and a loaded machine adds its own
	// delays. Hence a bound far above the median but far below a network
	// timeout.
	if maxSubmit >= time.Second {
		t.Errorf("slowest Submit took %v; Submit must never wait for the backend", maxSubmit)
	}
	if accepted+queueFull != total {
		t.Errorf("%d runs queued and %d dropped; want %d in all", accepted, queueFull, total)
	}
	// Nothing is delivered, so at most the queue plus the runs the workers
	// hold (being retried) can have been accepted.
	if queueFull == 0 || accepted < queueSize || accepted > queueSize+DefaultWorkers {
		t.Errorf("%d runs queued, %d dropped; want between %d and %d queued and the rest dropped",
			accepted, queueFull, queueSize, queueSize+DefaultWorkers)
	}
	if st.Dropped != uint64(queueFull) {
		t.Errorf("Stats().Dropped = %d; want %d, the ErrQueueFull returns", st.Dropped, queueFull)
	}
	// Submitted counts every run handed to Submit, those dropped included.
	if st.Submitted != total || st.Pending != accepted || st.Delivered != 0 || st.Failed != 0 {
		t.Errorf("stats %+v; want Submitted = %d, Pending = %d, Delivered = Failed = 0", st, total, accepted)
	}
	if growth > queueSize*perRunBound+heapSlack {
		t.Errorf("live heap grew by %d bytes, above %d (queue of %d × %d + %d): memory is not bounded by the queue",
			growth, queueSize*perRunBound+heapSlack, queueSize, perRunBound, heapSlack)
	}

	// Shutdown gives up on the pending runs at its deadline, drops and
	// counts them, and stops the workers promptly.
	sctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	began := time.Now()
	err = c.Shutdown(sctx)
	took := time.Since(began)
	shutDown.Store(true)
	t.Logf("Shutdown with a 500ms deadline returned %v after %v", err, took.Round(time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v; want the deadline's error, since nothing could be delivered", err)
	}
	if took >= time.Second {
		t.Errorf("Shutdown took %v with a 500ms deadline", took)
	}
	st = c.Stats()
	if st.Pending != 0 || st.Delivered != 0 {
		t.Errorf("after Shutdown: %+v; want nothing pending or delivered", st)
	}
	// Every submitted run ends counted once: dropped for a full queue,
	// failed, or dropped at Shutdown.
	if st.Failed+st.Dropped != st.Submitted {
		t.Errorf("after Shutdown: %+v; want Failed + Dropped = Submitted", st)
	}
	// Drops for a full queue are reported in rate-limited summaries that
	// add up to the drops: a handful of calls, not one per run.
	if fullReports.Load() != uint64(queueFull) || fullReportCalls.Load() > 20 {
		t.Errorf("ErrQueueFull reports count %d drops in %d calls; want %d drops in a few calls",
			fullReports.Load(), fullReportCalls.Load(), queueFull)
	}
	if n := otherReports.Load(); n != st.Failed+st.Dropped-uint64(queueFull) {
		t.Errorf("%d background errors other than ErrQueueFull (first %v); want one per run lost at Shutdown, %d",
			n, firstOther.Load(), st.Failed+st.Dropped-uint64(queueFull))
	}
}
