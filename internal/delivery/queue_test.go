package delivery

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// reports collects what a queue reports.
type reports struct {
	mu   sync.Mutex
	errs map[string][]error
}

func (r *reports) add(id string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.errs == nil {
		r.errs = map[string][]error{}
	}
	r.errs[id] = append(r.errs[id], err)
}

func (r *reports) of(id string) []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs[id]...)
}

func job(id string, do func(ctx context.Context) error) Job {
	return Job{ID: id, Do: do}
}

func ok(context.Context) error { return nil }

// blockUntilDone is a job's work that ends only with its context.
func blockUntilDone(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func checkInvariant(t *testing.T, s Stats) {
	t.Helper()
	if s.Submitted != s.Delivered+s.Failed+s.Dropped+uint64(s.Pending) {
		t.Errorf("stats %+v: Submitted != Delivered + Failed + Dropped + Pending", s)
	}
}

func TestDeliversEveryJobOnce(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	q := New(Config{Size: 100, Workers: 4})
	for i := range 100 {
		id := fmt.Sprint(i)
		if _, err := q.Enqueue(job(id, func(context.Context) error {
			mu.Lock()
			seen[id]++
			mu.Unlock()
			return nil
		})); err != nil {
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
	if s := q.Stats(); s.Submitted != 100 || s.Delivered != 100 || s.Pending != 0 || s.Bytes != 0 {
		t.Errorf("stats = %+v", s)
	}
	if err := q.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestFullQueueDropsAndCounts(t *testing.T) {
	release := make(chan struct{})
	q := New(Config{Size: 2, Workers: 1})
	defer q.Shutdown(context.Background())
	wait := func(ctx context.Context) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}
	// One job in the worker, two queued; the rest do not fit.
	var full int
	for i := range 10 {
		if _, err := q.Enqueue(job(fmt.Sprint(i), wait)); errors.Is(err, ErrFull) {
			full++
		}
	}
	if full < 7 {
		t.Errorf("%d of 10 refused as full, want at least 7", full)
	}
	s := q.Stats()
	if s.Dropped != uint64(full) || s.Submitted != 10 {
		t.Errorf("stats %+v, want Dropped = %d and Submitted = 10", s, full)
	}
	checkInvariant(t, s)
	close(release)
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkInvariant(t, q.Stats())
}

func TestBytesBound(t *testing.T) {
	release := make(chan struct{})
	q := New(Config{Size: 100, MaxBytes: 1000, Workers: 1})
	defer q.Shutdown(context.Background())
	hold := func(ctx context.Context) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}
	sized := func(id string, size int64) Job {
		return Job{ID: id, Size: size, Do: hold}
	}
	// The job in flight counts as well as the waiting ones.
	for i, size := range []int64{400, 400, 200} {
		if _, err := q.Enqueue(sized(fmt.Sprint(i), size)); err != nil {
			t.Fatalf("job %d of %d bytes: %v", i, size, err)
		}
	}
	_, err := q.Enqueue(sized("one too many", 1))
	if !errors.Is(err, ErrFull) {
		t.Fatalf("Enqueue past the byte bound = %v, want ErrFull", err)
	}
	if s := q.Stats(); s.Bytes != 1000 || s.Dropped != 1 || s.Pending != 3 {
		t.Errorf("stats = %+v", s)
	}
	close(release)
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Room again once the jobs ended.
	if _, err := q.Enqueue(Job{ID: "later", Size: 1000, Do: ok}); err != nil {
		t.Errorf("Enqueue after the queue drained = %v", err)
	}
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := q.Stats(); s.Bytes != 0 {
		t.Errorf("Bytes = %d after every job ended", s.Bytes)
	}
}

// A parent that fails releases its children, which are reported and run.
func TestFailedParentReleasesChildren(t *testing.T) {
	var rep reports
	q := New(Config{Size: 10, Workers: 2, Report: rep.add})
	defer q.Shutdown(context.Background())
	release := make(chan struct{})
	boom := errors.New("400")
	_, _ = q.Enqueue(job("parent", func(context.Context) error { <-release; return boom }))
	var ran atomic.Int32
	for _, id := range []string{"a", "b"} {
		_, _ = q.Enqueue(Job{ID: id, After: "parent", Do: func(context.Context) error { ran.Add(1); return nil }})
	}
	close(release)
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ran.Load() != 2 {
		t.Errorf("%d children ran, want 2", ran.Load())
	}
	for _, id := range []string{"a", "b"} {
		errs := rep.of(id)
		var ae *AfterError
		if len(errs) != 1 || !errors.As(errs[0], &ae) || ae.After != "parent" || ae.Outcome != Failed || !errors.Is(errs[0], boom) {
			t.Errorf("reports for %s = %v, want one *AfterError naming the failed parent", id, errs)
		}
	}
	if s := q.Stats(); s.Failed != 1 || s.Delivered != 2 {
		t.Errorf("stats = %+v", s)
	}
}

// Many threads of several turns, enqueued concurrently, each turn naming
// the one before: every turn starts after the one before it ended, and
// nothing is left behind.
func TestThreadsKeepTheirOrder(t *testing.T) {
	const threads, turns = 200, 5
	q := New(Config{Size: threads * turns, Workers: 8})
	defer q.Shutdown(context.Background())
	var mu sync.Mutex
	ended := map[string]bool{}
	var wg sync.WaitGroup
	for th := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prev := ""
			for turn := range turns {
				id := fmt.Sprintf("%d/%d", th, turn)
				parent := prev
				_, err := q.Enqueue(Job{ID: id, After: parent, Do: func(context.Context) error {
					mu.Lock()
					ok := parent == "" || ended[parent]
					mu.Unlock()
					if !ok {
						t.Errorf("%s started before %s ended", id, parent)
					}
					if rand.N(4) == 0 {
						time.Sleep(time.Duration(rand.N(100)) * time.Microsecond) // let others overtake
					}
					mu.Lock()
					ended[id] = true
					mu.Unlock()
					return nil
				}})
				if err != nil {
					t.Error(err)
				}
				prev = id
			}
		}()
	}
	wg.Wait()
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(ended) != threads*turns {
		t.Errorf("%d jobs ended, want %d", len(ended), threads*turns)
	}
}

// Under a mix of outcomes, concurrent enqueues and a Shutdown that cuts
// work short, every Stats snapshot accounts for every submitted job, and
// every job ends exactly once.
func TestStatsAccountForEveryJob(t *testing.T) {
	var rep reports
	q := New(Config{Size: 50, MaxBytes: 20_000, Workers: 4, Report: rep.add})
	var finished sync.Map
	var twice atomic.Int32
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stopWatch:
				return
			default:
				checkInvariant(t, q.Stats())
			}
		}
	}()
	var refused atomic.Uint64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := fmt.Sprintf("%d-%d", g, i)
				j := Job{ID: id, Size: int64(rand.N(500)), Finished: func(Outcome, error) {
					if _, again := finished.LoadOrStore(id, true); again {
						twice.Add(1)
					}
				}}
				switch i % 4 {
				case 0:
					j.Do = ok
				case 1:
					j.Do = func(context.Context) error { return errors.New("no") }
				case 2:
					j.Do = func(ctx context.Context) error {
						select {
						case <-time.After(time.Duration(rand.N(200)) * time.Microsecond):
							return nil
						case <-ctx.Done():
							return ctx.Err()
						}
					}
				default:
					j.After = fmt.Sprintf("%d-%d", g, i-1)
					j.Do = ok
				}
				if _, err := q.Enqueue(j); errors.Is(err, ErrFull) {
					refused.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_ = q.Shutdown(ctx)
	close(stopWatch)
	<-watched
	s := q.Stats()
	checkInvariant(t, s)
	if s.Submitted != 1600 || s.Pending != 0 || s.Bytes != 0 {
		t.Errorf("stats after Shutdown = %+v, want 1600 submitted and nothing pending", s)
	}
	n := 0
	finished.Range(func(any, any) bool { n++; return true })
	// Jobs refused by Enqueue never start, so never reach Finished; every
	// other job reaches it exactly once.
	if uint64(n)+refused.Load() != s.Delivered+s.Failed+s.Dropped || twice.Load() != 0 {
		t.Errorf("%d jobs ended (%d twice), %d refused; stats %+v", n, twice.Load(), refused.Load(), s)
	}
}

func TestPanicFreeZeroConfig(t *testing.T) {
	q := New(Config{})
	defer q.Shutdown(context.Background())
	if _, err := q.Enqueue(job("x", ok)); err != nil {
		t.Fatal(err)
	}
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}
