package delivery

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func job(id string) Job {
	return Job{ID: id, Encode: func() ([]byte, error) { return []byte(id), nil }}
}

func TestDeliversEveryJobOnce(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	q := New(Config{Size: 100, Workers: 4, Send: func(_ context.Context, id string, body []byte) error {
		mu.Lock()
		seen[string(body)]++
		mu.Unlock()
		return nil
	}})
	for i := range 100 {
		if err := q.Enqueue(job(string(rune('A' + i)))); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 100 {
		t.Errorf("delivered %d distinct jobs, want 100", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("job %q delivered %d times", k, n)
		}
	}
	if s := q.Stats(); s.Enqueued != 100 || s.Delivered != 100 || s.Pending != 0 {
		t.Errorf("stats = %+v", s)
	}
	if err := q.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestFullQueueDropsAndCounts(t *testing.T) {
	release := make(chan struct{})
	q := New(Config{Size: 2, Workers: 1, Send: func(ctx context.Context, _ string, _ []byte) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}})
	defer q.Shutdown(context.Background())
	// One job in the worker, two queued; the rest do not fit.
	var full int
	for i := range 10 {
		if err := q.Enqueue(job(string(rune('a' + i)))); errors.Is(err, ErrFull) {
			full++
		}
	}
	if full < 7 {
		t.Errorf("%d of 10 refused as full, want at least 7", full)
	}
	if got := q.Stats().Dropped; got != uint64(full) {
		t.Errorf("Dropped = %d, want %d", got, full)
	}
	close(release)
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestFlushWaitsOnlyForEarlierJobs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := map[string]chan struct{}{"first": make(chan struct{}), "later": make(chan struct{})}
		q := New(Config{Size: 10, Workers: 2, Send: func(ctx context.Context, id string, _ []byte) error {
			select {
			case <-gate[id]:
			case <-ctx.Done():
			}
			return nil
		}})
		defer q.Shutdown(context.Background())
		if err := q.Enqueue(job("first")); err != nil {
			t.Fatal(err)
		}
		flushed := make(chan error, 1)
		go func() { flushed <- q.Flush(context.Background()) }()
		synctest.Wait() // Flush is waiting
		if err := q.Enqueue(job("later")); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		select {
		case err := <-flushed:
			t.Fatalf("Flush returned %v before the first job was done", err)
		default:
		}
		close(gate["first"])
		synctest.Wait()
		select {
		case err := <-flushed:
			if err != nil {
				t.Fatalf("Flush = %v", err)
			}
		default:
			t.Fatal("Flush still waiting for a job enqueued after it")
		}
		close(gate["later"])
	})
}

func TestFlushHonoursContext(t *testing.T) {
	q := New(Config{Size: 1, Workers: 1, Send: func(ctx context.Context, _ string, _ []byte) error {
		<-ctx.Done()
		return ctx.Err()
	}})
	if err := q.Enqueue(job("hang")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := q.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Flush = %v, want deadline exceeded", err)
	}
	sctx, scancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer scancel()
	if err := q.Shutdown(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want deadline exceeded", err)
	}
	if s := q.Stats(); s.Dropped != 1 || s.Pending != 0 {
		t.Errorf("stats after cut-short shutdown = %+v", s)
	}
}

func TestShutdownDropsQueuedAndAnswersWaiters(t *testing.T) {
	q := New(Config{Size: 10, Workers: 1, Send: func(ctx context.Context, _ string, _ []byte) error {
		<-ctx.Done()
		return ctx.Err()
	}})
	var reported atomic.Int32
	q.cfg.OnError = func(string, error) { reported.Add(1) }
	done := make(chan error, 1)
	_ = q.Enqueue(job("in flight"))
	_ = q.Enqueue(Job{ID: "waited", Encode: func() ([]byte, error) { return nil, nil }, Done: done})
	_ = q.Enqueue(job("queued"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_ = q.Shutdown(ctx)
	if err := <-done; err == nil {
		t.Error("waiter got nil for a job that was never delivered")
	}
	if s := q.Stats(); s.Dropped != 3 {
		t.Errorf("Dropped = %d, want 3", s.Dropped)
	}
	if reported.Load() != 2 {
		t.Errorf("OnError called %d times, want 2 (the waited job goes to its waiter)", reported.Load())
	}
	if err := q.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown = %v, want nil", err)
	}
	if err := q.Enqueue(job("late")); !errors.Is(err, ErrClosed) {
		t.Errorf("Enqueue after Shutdown = %v", err)
	}
	if err := q.Flush(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Shutdown = %v", err)
	}
}

func TestEncodeErrorFails(t *testing.T) {
	q := New(Config{Size: 1, Workers: 1, Send: func(context.Context, string, []byte) error { return nil }})
	defer q.Shutdown(context.Background())
	done := make(chan error, 1)
	boom := errors.New("boom")
	_ = q.Enqueue(Job{ID: "x", Encode: func() ([]byte, error) { return nil, boom }, Done: done})
	if err := <-done; !errors.Is(err, boom) {
		t.Errorf("Done = %v", err)
	}
	_ = q.Flush(context.Background())
	if s := q.Stats(); s.Failed != 1 {
		t.Errorf("Failed = %d", s.Failed)
	}
}
