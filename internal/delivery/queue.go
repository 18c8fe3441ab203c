// Package delivery is the bounded queue and worker pool that deliver
// submitted runs in the background. It knows nothing of runs or HTTP: a job
// encodes itself and a Sender posts the bytes.
package delivery

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// Errors of Enqueue and Flush.
var (
	ErrFull   = errors.New("delivery queue is full")
	ErrClosed = errors.New("delivery queue is shut down")
)

// Job is one delivery.
type Job struct {
	// ID names the job in errors, such as a run ID.
	ID string
	// Encode makes the request body; it runs on a worker.
	Encode func() ([]byte, error)
	// Done, when non-nil, receives the job's outcome: nil once delivered, or
	// the error. It must have room for one value.
	Done chan<- error
}

// Sender posts one encoded job, with its own retries. It returns when the
// job is delivered, has failed for good, or ctx is done.
type Sender func(ctx context.Context, id string, body []byte) error

// Config configures a Queue.
type Config struct {
	Size    int
	Workers int
	Send    Sender
	// OnError receives every job without Done that failed or was dropped
	// after being queued, with its error.
	OnError func(id string, err error)
}

// Stats are the queue's counters.
type Stats struct {
	Enqueued, Delivered, Failed, Dropped uint64
	Pending                              int
}

type item struct {
	job Job
	seq uint64
}

// Queue delivers jobs with a fixed pool of workers. Enqueue never blocks.
type Queue struct {
	cfg  Config
	ch   chan *item
	stop chan struct{}

	// ctx is the workers' context: cancelled when Shutdown's deadline passes,
	// to abort deliveries in flight.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	nextSeq uint64
	pending map[uint64]struct{}
	waiters int
	changed chan struct{} // closed and replaced when a job completes and waiters > 0

	shutdownOnce sync.Once
	shutdownErr  error

	enqueued, delivered, failed, dropped atomic.Uint64
}

// New starts a queue and its workers.
func New(cfg Config) *Queue {
	ctx, cancel := context.WithCancel(context.Background())
	q := &Queue{
		cfg:     cfg,
		ch:      make(chan *item, cfg.Size),
		stop:    make(chan struct{}),
		ctx:     ctx,
		cancel:  cancel,
		pending: make(map[uint64]struct{}),
		changed: make(chan struct{}),
	}
	q.wg.Add(cfg.Workers)
	for range cfg.Workers {
		go q.work()
	}
	return q
}

// Enqueue adds a job without blocking: ErrFull when the queue is full (the
// job is counted as dropped), ErrClosed after Shutdown.
func (q *Queue) Enqueue(j Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	it := &item{job: j, seq: q.nextSeq}
	select {
	case q.ch <- it:
		q.pending[it.seq] = struct{}{}
		q.nextSeq++
		q.enqueued.Add(1)
		return nil
	default:
		q.dropped.Add(1)
		return ErrFull
	}
}

func (q *Queue) work() {
	defer q.wg.Done()
	for {
		select {
		case it := <-q.ch:
			q.process(it)
		case <-q.stop:
			return
		}
	}
}

func (q *Queue) process(it *item) {
	body, err := it.job.Encode()
	if err == nil {
		err = q.cfg.Send(q.ctx, it.job.ID, body)
	}
	switch {
	case err == nil:
		q.delivered.Add(1)
	case q.ctx.Err() != nil:
		// Shutdown's deadline passed while the job was in flight.
		q.dropped.Add(1)
	default:
		q.failed.Add(1)
	}
	q.finish(it, err)
}

// finish reports a job's outcome and marks it done.
func (q *Queue) finish(it *item, err error) {
	// A job with Done is awaited by its submitter, who gets the error.
	if err != nil && it.job.Done == nil && q.cfg.OnError != nil {
		q.cfg.OnError(it.job.ID, err)
	}
	if it.job.Done != nil {
		it.job.Done <- err
	}
	q.mu.Lock()
	delete(q.pending, it.seq)
	if q.waiters > 0 {
		close(q.changed)
		q.changed = make(chan struct{})
	}
	q.mu.Unlock()
}

// Flush waits until every job enqueued before the call is done, or ctx is
// done. After Shutdown it returns ErrClosed.
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
		}
		q.mu.Lock()
	}
}

// Shutdown refuses new jobs, waits for pending ones until ctx is done, then
// stops the workers, aborting deliveries still in flight and dropping jobs
// still queued. It returns ctx's error if the deadline cut delivery short.
// Only the first call does anything; later calls return nil.
func (q *Queue) Shutdown(ctx context.Context) error {
	first := false
	q.shutdownOnce.Do(func() {
		first = true
		q.mu.Lock()
		q.closed = true
		q.mu.Unlock()
		q.shutdownErr = q.flush(ctx)
		q.cancel()
		close(q.stop)
		q.wg.Wait()
		for {
			select {
			case it := <-q.ch:
				q.dropped.Add(1)
				q.finish(it, ErrClosed)
				continue
			default:
			}
			break
		}
	})
	if !first {
		return nil
	}
	return q.shutdownErr
}

// Stats returns the counters.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	pending := len(q.pending)
	q.mu.Unlock()
	return Stats{
		Enqueued:  q.enqueued.Load(),
		Delivered: q.delivered.Load(),
		Failed:    q.failed.Load(),
		Dropped:   q.dropped.Load(),
		Pending:   pending,
	}
}
