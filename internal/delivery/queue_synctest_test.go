//go:build go1.25

package delivery

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestFlushWaitsOnlyForEarlierJobs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := map[string]chan struct{}{"first": make(chan struct{}), "later": make(chan struct{})}
		q := New(Config{Size: 10, Workers: 2})
		defer q.Shutdown(context.Background())
		gated := func(id string) Job {
			return job(id, func(ctx context.Context) error {
				select {
				case <-gate[id]:
				case <-ctx.Done():
				}
				return nil
			})
		}
		if _, err := q.Enqueue(gated("first")); err != nil {
			t.Fatal(err)
		}
		flushed := make(chan error, 1)
		go func() { flushed <- q.Flush(context.Background()) }()
		synctest.Wait() // Flush is waiting
		if _, err := q.Enqueue(gated("later")); err != nil {
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
	synctest.Test(t, func(t *testing.T) {
		q := New(Config{Size: 1, Workers: 1})
		if _, err := q.Enqueue(job("hang", blockUntilDone)); err != nil {
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
	})
}

// Jobs cut short or never started at Shutdown's deadline end with an error
// wrapping ErrClosed, never the workers' context.Canceled; their waiters
// hear it, the others are reported; a Flush waiting for them returns
// ErrClosed.
func TestShutdownDropsQueuedAndAnswersWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rep reports
		q := New(Config{Size: 10, Workers: 1, Report: rep.add})
		_, _ = q.Enqueue(job("in flight", blockUntilDone))
		wait, _ := q.Enqueue(Job{ID: "waited", Do: ok, Wait: true})
		_, _ = q.Enqueue(job("queued", ok))
		synctest.Wait()
		flushed := make(chan error, 1)
		go func() { flushed <- q.Flush(context.Background()) }()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		if err := q.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown = %v", err)
		}
		if err := wait(context.Background()); !errors.Is(err, ErrClosed) || errors.Is(err, context.Canceled) {
			t.Errorf("waiter got %v, want ErrClosed and not context.Canceled", err)
		}
		if err := <-flushed; !errors.Is(err, ErrClosed) {
			t.Errorf("Flush during a cut-short Shutdown = %v, want ErrClosed", err)
		}
		if s := q.Stats(); s.Dropped != 3 || s.Pending != 0 {
			t.Errorf("stats = %+v, want 3 dropped", s)
		}
		checkInvariant(t, q.Stats())
		for _, id := range []string{"in flight", "queued"} {
			errs := rep.of(id)
			if len(errs) != 1 || !errors.Is(errs[0], ErrClosed) || errors.Is(errs[0], context.Canceled) {
				t.Errorf("reports for %q = %v, want one ErrClosed", id, errs)
			}
		}
		if got := rep.of("waited"); len(got) != 0 {
			t.Errorf("the waited job was also reported: %v", got)
		}
		if err := q.Shutdown(context.Background()); err != nil {
			t.Errorf("second Shutdown = %v, want nil", err)
		}
		if _, err := q.Enqueue(job("late", ok)); !errors.Is(err, ErrClosed) {
			t.Errorf("Enqueue after Shutdown = %v", err)
		}
		if err := q.Flush(context.Background()); !errors.Is(err, ErrClosed) {
			t.Errorf("Flush after Shutdown = %v", err)
		}
	})
}

// A waiter that gives up hands the job's later failure to Report; a waiter
// that stays gets it, and Report does not.
func TestAbandonedWaiterFailureIsReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rep reports
		q := New(Config{Size: 10, Workers: 2, Report: rep.add})
		defer q.Shutdown(context.Background())
		release := make(chan struct{})
		boom := errors.New("refused")
		failLater := func(context.Context) error { <-release; return boom }
		gaveUp, _ := q.Enqueue(Job{ID: "abandoned", Do: failLater, Wait: true})
		stayed, _ := q.Enqueue(Job{ID: "awaited", Do: failLater, Wait: true})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := gaveUp(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("waiter = %v, want its context's error", err)
		}
		done := make(chan error, 1)
		go func() { done <- stayed(context.Background()) }()
		close(release)
		if err := <-done; !errors.Is(err, boom) {
			t.Errorf("staying waiter = %v", err)
		}
		if err := q.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := rep.of("abandoned"); len(got) != 1 || !errors.Is(got[0], boom) {
			t.Errorf("reports for the abandoned job = %v, want its failure once", got)
		}
		if got := rep.of("awaited"); len(got) != 0 {
			t.Errorf("reports for the awaited job = %v, want none", got)
		}
	})
}

// A job naming a pending job in After starts only once that one ended
// delivered.
func TestAfterWaitsForParent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := New(Config{Size: 10, Workers: 4})
		defer q.Shutdown(context.Background())
		release := make(chan struct{})
		var parentDone, childStarted atomic.Bool
		_, _ = q.Enqueue(job("parent", func(context.Context) error {
			<-release
			parentDone.Store(true)
			return nil
		}))
		_, _ = q.Enqueue(Job{ID: "child", After: "parent", Do: func(context.Context) error {
			if !parentDone.Load() {
				t.Error("child started before its parent ended")
			}
			childStarted.Store(true)
			return nil
		}})
		_, _ = q.Enqueue(Job{ID: "stranger", After: "not pending", Do: ok})
		synctest.Wait()
		if childStarted.Load() {
			t.Fatal("child started while its parent is in flight")
		}
		if s := q.Stats(); s.Delivered != 1 || s.Pending != 2 {
			t.Errorf("stats %+v: want the job naming no pending job delivered at once", s)
		}
		close(release)
		if err := q.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if !childStarted.Load() {
			t.Error("child never started")
		}
	})
}
