// Package delivery is the bounded queue and worker pool that deliver
// submitted runs in the background. It knows nothing of runs or HTTP: a job
// does its own work (encode and post), and the queue decides when it runs,
// bounds what waits, keeps jobs of one thread in order and accounts for
// every job's end.
//
// Every job enqueued ends exactly once, as Delivered, Failed or Dropped, and
// the counters of Stats change together with the set of pending jobs, under
// one lock, so that any Stats value satisfies
// Submitted = Delivered + Failed + Dropped + Pending.
package delivery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// Errors of Enqueue and Flush, and the error of jobs cut short by Shutdown.
var (
	ErrFull   = errors.New("delivery queue is full")
	ErrClosed = errors.New("delivery queue is shut down")
)

// Outcome is how a job ended.
type Outcome int

// The outcomes of a job.
const (
	// Delivered: the job's work returned nil.
	Delivered Outcome = iota + 1
	// Failed: the job's work returned an error.
	Failed
	// Dropped: the job was refused for a full queue, or Shutdown's deadline
	// passed before it was done.
	Dropped
)

func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Failed:
		return "failed"
	case Dropped:
		return "dropped"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Job is one delivery.
type Job struct {
	// ID names the job, such as a run ID; After names other jobs by it.
	ID string
	// After, when it names a job still pending in this queue, holds this job
	// until that one has ended: it starts once the other was delivered, or
	// failed or was dropped for good (then Report hears of it with an
	// *AfterError). Empty, or naming no pending job, means no wait.
	After string
	// Size is what the job holds in memory until it ends, in bytes; it
	// counts against Config.MaxBytes.
	Size int64
	// Wait makes Enqueue return a function that waits for the job's end.
	Wait bool
	// Do does the job's work, on a worker. ctx ends when Shutdown's
	// deadline passes. It is called at most once, and dropped afterwards so
	// that what it holds can be collected while the job's outcome is
	// reported.
	Do func(ctx context.Context) error
	// Finished, when set, is called once when the job ends, on the
	// goroutine that ends it, before anyone hears of the outcome.
	Finished func(o Outcome, err error)
}

// AfterError is reported for a job that was held for the job it names in
// After, when that one did not end delivered: the job is started anyway.
type AfterError struct {
	// After is the ID of the job that was waited for, and Outcome and Err
	// are how it ended.
	After   string
	Outcome Outcome
	Err     error
}

func (e *AfterError) Error() string {
	return fmt.Sprintf("started after job %s, which was %s: %v", e.After, e.Outcome, e.Err)
}

func (e *AfterError) Unwrap() error { return e.Err }

// Config configures a Queue.
type Config struct {
	// Size bounds how many jobs may wait (queued, or held for the job they
	// follow); jobs being worked on do not count. At least 1.
	Size int
	// MaxBytes bounds the sum of Job.Size over every pending job, waiting or
	// being worked on; 0 means no bound.
	MaxBytes int64
	// Workers is how many jobs are worked on at once. At least 1.
	Workers int
	// Report receives, off the queue's lock, the error of every job that
	// failed or was dropped after being queued and that nobody waits for
	// (no Wait, or its waiter gave up), and an *AfterError for every job
	// started although the job it followed did not end delivered. It may
	// be nil.
	Report func(id string, err error)
}

// Stats are the queue's counters. Every field is read at one instant, so
// Submitted = Delivered + Failed + Dropped + Pending always holds.
type Stats struct {
	// Submitted counts jobs offered to Enqueue before Shutdown, including
	// those refused as ErrFull, and those counted with Drop.
	Submitted uint64
	Delivered uint64
	Failed    uint64
	// Dropped counts jobs refused for a full queue, counted with Drop, or
	// cut short by Shutdown's deadline.
	Dropped uint64
	// Pending is the number of jobs queued, held or being worked on.
	Pending int
	// Bytes is the sum of Job.Size over pending jobs.
	Bytes int64
}

// Waiter waits for the end of a job enqueued with Wait: it returns nil once
// the job was delivered, the job's error, or ctx's error when ctx ends
// first. In that last case the job is marked abandoned and its error, if it
// fails, goes to Config.Report instead, so that no failure reaches nobody.
type Waiter func(ctx context.Context) error

// Waiter states: the job's end and its waiter giving up race for the one
// transition out of waiting.
const (
	waiting int32 = iota
	abandoned
	ended
)

type item struct {
	job      Job
	seq      uint64
	state    atomic.Int32 // waiter protocol, for jobs with Wait
	done     chan error   // the outcome, for a waiter that has not given up
	children []*item      // jobs held until this one ends; guarded by Queue.mu
	held     bool         // guarded by Queue.mu
}

// Queue works through jobs with a fixed pool of workers. Enqueue never
// blocks. A Queue is safe for concurrent use.
type Queue struct {
	cfg   Config
	ready chan *item // jobs free to start; capacity Size, never full (see waiting)
	stop  chan struct{}

	// ctx is the workers' context: cancelled when Shutdown's deadline
	// passes, to abort jobs in flight.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// aborted is closed when Shutdown's deadline passes, so that Flush
	// calls waiting for jobs that will now be dropped return ErrClosed.
	aborted chan struct{}

	mu      sync.Mutex
	closed  bool
	nextSeq uint64
	pending map[uint64]*item
	byID    map[string]*item // pending jobs by ID, for After
	waiting int              // jobs in ready or held: at most Size
	changed chan struct{}    // closed and replaced when a job ends and waiters > 0
	waiters int
	stats   Stats

	shutdownOnce sync.Once
	shutdownErr  error
}

// New starts a queue and its workers.
func New(cfg Config) *Queue {
	cfg.Size = max(cfg.Size, 1)
	cfg.Workers = max(cfg.Workers, 1)
	ctx, cancel := context.WithCancel(context.Background())
	q := &Queue{
		cfg:     cfg,
		ready:   make(chan *item, cfg.Size),
		stop:    make(chan struct{}),
		ctx:     ctx,
		cancel:  cancel,
		aborted: make(chan struct{}),
		pending: make(map[uint64]*item),
		byID:    make(map[string]*item),
		changed: make(chan struct{}),
	}
	q.wg.Add(cfg.Workers)
	for range cfg.Workers {
		go q.work()
	}
	return q
}

// Enqueue adds a job without blocking. It fails with an error wrapping
// ErrFull when the job would make more than Size jobs wait or more than
// MaxBytes pending (the job is counted as submitted and dropped), and
// ErrClosed after Shutdown (the job is not counted). With j.Wait, the
// returned Waiter waits for the job's end; otherwise it is nil.
func (q *Queue) Enqueue(j Job) (Waiter, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil, ErrClosed
	}
	q.stats.Submitted++
	if q.waiting >= q.cfg.Size {
		q.stats.Dropped++
		return nil, fmt.Errorf("%w: %d jobs waiting", ErrFull, q.waiting)
	}
	if q.cfg.MaxBytes > 0 && q.stats.Bytes+j.Size > q.cfg.MaxBytes {
		q.stats.Dropped++
		return nil, fmt.Errorf("%w: %d bytes pending, %d more would pass the bound of %d",
			ErrFull, q.stats.Bytes, j.Size, q.cfg.MaxBytes)
	}
	it := &item{job: j, seq: q.nextSeq}
	if j.Wait {
		it.done = make(chan error, 1)
	}
	q.nextSeq++
	q.pending[it.seq] = it
	if j.ID != "" {
		q.byID[j.ID] = it
	}
	q.waiting++
	q.stats.Bytes += j.Size
	q.stats.Pending = len(q.pending)
	if parent := q.byID[j.After]; j.After != "" && j.After != j.ID && parent != nil {
		parent.children = append(parent.children, it)
		it.held = true
	} else {
		q.ready <- it // never blocks: waiting <= Size = cap(ready)
	}
	if !j.Wait {
		return nil, nil
	}
	return it.wait, nil
}

func (it *item) wait(ctx context.Context) error {
	select {
	case err := <-it.done:
		return err
	case <-ctx.Done():
		if it.state.CompareAndSwap(waiting, abandoned) {
			return ctx.Err()
		}
		// The job ended first: its outcome is on its way.
		return <-it.done
	}
}

// Drop counts a job that was submitted but dropped before it could be
// enqueued (for example because a store in front of the queue was full),
// so that Stats keeps accounting for every submitted job.
func (q *Queue) Drop() {
	q.mu.Lock()
	q.stats.Submitted++
	q.stats.Dropped++
	q.mu.Unlock()
}

func (q *Queue) work() {
	defer q.wg.Done()
	for {
		select {
		case it := <-q.ready:
			q.mu.Lock()
			q.waiting--
			q.mu.Unlock()
			q.process(it)
		case <-q.stop:
			return
		}
	}
}

func (q *Queue) process(it *item) {
	do := it.job.Do
	it.job.Do = nil
	if q.ctx.Err() != nil {
		// Shutdown's deadline passed while the job waited: never start it.
		q.finish(it, Dropped, fmt.Errorf("%w: still queued when Shutdown's deadline passed", ErrClosed), false)
		return
	}
	err := do(q.ctx)
	o := Delivered
	switch {
	case err == nil:
	case q.ctx.Err() != nil:
		o = Dropped
		err = fmt.Errorf("%w: cut short by Shutdown's deadline (%v)", ErrClosed, err)
	default:
		o = Failed
	}
	q.finish(it, o, err, true)
}

// finish ends a job: its Finished hook, then reports of held jobs that
// start although it was not delivered, then the report of its own failure
// if nobody waits for it, then the counters (with its removal from the
// pending set, so that Flush cannot return before those reports), then its
// waiter.
func (q *Queue) finish(it *item, o Outcome, err error, release bool) {
	if f := it.job.Finished; f != nil {
		f(o, err)
	}
	q.mu.Lock()
	if q.byID[it.job.ID] == it {
		// From now on a job naming this one starts at once.
		delete(q.byID, it.job.ID)
	}
	children := it.children
	it.children = nil
	q.mu.Unlock()

	if o != Delivered && release {
		for _, c := range children {
			q.report(c.job.ID, &AfterError{After: it.job.ID, Outcome: o, Err: err})
		}
	}
	toWaiter := it.job.Wait && it.state.CompareAndSwap(waiting, ended)
	if err != nil && !toWaiter {
		q.report(it.job.ID, err)
	}

	q.mu.Lock()
	delete(q.pending, it.seq)
	q.stats.Bytes -= it.job.Size
	q.stats.Pending = len(q.pending)
	switch o {
	case Delivered:
		q.stats.Delivered++
	case Failed:
		q.stats.Failed++
	default:
		q.stats.Dropped++
	}
	if release {
		for _, c := range children {
			c.held = false
			q.ready <- c // never blocks: c was counted in waiting
		}
	}
	if q.waiters > 0 {
		close(q.changed)
		q.changed = make(chan struct{})
	}
	q.mu.Unlock()

	if toWaiter {
		it.done <- err
	}
}

func (q *Queue) report(id string, err error) {
	if q.cfg.Report != nil {
		q.cfg.Report(id, err)
	}
}

// Flush waits until every job enqueued before the call has ended, or ctx is
// done (it returns ctx's error). It returns ErrClosed after Shutdown, and
// when Shutdown's deadline drops jobs it was waiting for.
func (q *Queue) Flush(ctx context.Context) error {
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return q.flush(ctx)
}

func (q *Queue) flush(ctx context.Context) error {
	q.mu.Lock()
	target := q.nextSeq
	q.waiters++
	defer func() {
		q.mu.Lock()
		q.waiters--
		q.mu.Unlock()
	}()
	for {
		done := true
		for seq := range q.pending {
			if seq < target {
				done = false
				break
			}
		}
		changed := q.changed
		q.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-q.aborted:
			return ErrClosed
		}
		q.mu.Lock()
	}
}

// Shutdown refuses new jobs, waits for pending ones until ctx is done, then
// stops the workers, aborting jobs in flight and dropping those still
// waiting (they end with an error wrapping ErrClosed). It returns ctx's
// error if the deadline cut work short. Only the first call does anything;
// later calls return nil.
func (q *Queue) Shutdown(ctx context.Context) error {
	first := false
	q.shutdownOnce.Do(func() {
		first = true
		q.mu.Lock()
		q.closed = true
		q.mu.Unlock()
		q.shutdownErr = q.flush(ctx)
		if q.shutdownErr != nil {
			close(q.aborted)
		}
		q.cancel()
		close(q.stop)
		q.wg.Wait()
		// Workers are gone: what is still pending never started (queued or
		// held). Drop it in submission order, without releasing children,
		// which are dropped in their turn.
		q.mu.Lock()
		left := make([]*item, 0, len(q.pending))
		for _, it := range q.pending {
			left = append(left, it)
		}
		q.mu.Unlock()
		slices.SortFunc(left, func(a, b *item) int { return cmp.Compare(a.seq, b.seq) })
		for {
			select {
			case <-q.ready:
				continue
			default:
			}
			break
		}
		for _, it := range left {
			q.mu.Lock()
			q.waiting--
			q.mu.Unlock()
			q.finish(it, Dropped, fmt.Errorf("%w: still queued when Shutdown's deadline passed", ErrClosed), false)
		}
	})
	if !first {
		return nil
	}
	return q.shutdownErr
}

// Stats returns the counters, read at one instant.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.stats
}
