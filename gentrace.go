package gentrace

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gentrace/gentrace-go/internal/delivery"
	"github.com/gentrace/gentrace-go/internal/spool"
)

// Version is the SDK version, sent in the User-Agent header.
const Version = "0.1.0"

// Client holds the configuration and the delivery queue of the SDK. Make
// one with New at program start, share it, and call Shutdown before exit so
// that pending runs are delivered. A Client is safe for concurrent use.
type Client struct {
	cfg       config
	transport *transport
	queue     *delivery.Queue
	// observing is the observers' own queue and goroutine (nil without
	// observers): a stalled backend or a full delivery queue never keeps a
	// run from its observers, and a slow observer never holds up delivery.
	observing *delivery.Queue
	spool     *spool.Spool // nil without WithSpool
	logger    *slog.Logger
	unended   atomic.Uint64 // runs delivered because nobody ended them
	isClosed  atomic.Bool
	recovered atomic.Uint64

	// Drops are reported by a goroutine of their own, never on the
	// goroutine of the Submit that dropped a run (a slow logger must not
	// block callers when the queue is overloaded).
	drops         atomic.Uint64 // dropped for a full queue, not yet reported
	spoolDrops    atomic.Uint64 // dropped for a full spool, not yet reported
	observerDrops atomic.Uint64 // not observed for a full observer queue, not yet reported
	observerTotal atomic.Uint64 // runs not observed since New
	dropSignal    chan struct{}
	stopReporter  chan struct{}
	reporterDone  chan struct{}
	stopOnce      sync.Once
}

// dropReportInterval is the shortest time between two reports of dropped
// runs.
const dropReportInterval = time.Second

// New returns a Client configured by the options, with GENTRACE_API_KEY and
// GENTRACE_BASE_URL as defaults, and starts its delivery workers. It fails
// with ErrMissingAPIKey when there is no API key, ErrInvalidBaseURL when the
// base URL is not an absolute http(s) URL whose path is /api, and
// ErrInvalidOption for an option out of range. With WithSpool it opens the
// spool (an error there fails New) and queues the runs that clients gone
// before left in it.
func New(opts ...Option) (*Client, error) {
	cfg := config{
		queueSize:    DefaultQueueSize,
		queueBytes:   DefaultQueueBytes,
		maxRunBytes:  DefaultMaxRunBytes,
		spoolMax:     DefaultSpoolMaxBytes,
		workers:      DefaultWorkers,
		maxRetries:   DefaultMaxRetries,
		retryWaitMin: DefaultRetryWaitMin,
		retryWaitMax: DefaultRetryWaitMax,
		now:          time.Now,
	}
	for _, opt := range opts {
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if !cfg.apiKeySet {
		cfg.apiKey = os.Getenv("GENTRACE_API_KEY")
	}
	if strings.TrimSpace(cfg.apiKey) == "" {
		return nil, ErrMissingAPIKey
	}
	if !cfg.baseURLSet {
		cfg.baseURL = os.Getenv("GENTRACE_BASE_URL")
	}
	if cfg.baseURL == "" {
		cfg.baseURL = DefaultBaseURL
	}
	if err := checkBaseURL(cfg.baseURL); err != nil {
		return nil, err
	}
	if cfg.queueBytes < int64(cfg.maxRunBytes) {
		return nil, fmt.Errorf("%w: WithQueueBytes(%d) is below the run cap of %d bytes (WithMaxRunBytes): no run of that size could be queued",
			ErrInvalidOption, cfg.queueBytes, cfg.maxRunBytes)
	}
	if cfg.spoolDir != "" {
		if cfg.spoolMax < int64(cfg.maxRunBytes) {
			return nil, fmt.Errorf("%w: WithSpoolMaxBytes(%d) is below the run cap of %d bytes (WithMaxRunBytes)",
				ErrInvalidOption, cfg.spoolMax, cfg.maxRunBytes)
		}
		if !cfg.queueSizeSet {
			cfg.queueSize = DefaultSpoolQueueSize
		}
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	c := &Client{cfg: cfg, logger: cfg.logger, transport: newTransport(&cfg)}
	// Only the transport keeps the key, behind a pointer, so printing a
	// Client (even with %+v of the struct) cannot show it.
	c.cfg.apiKey = ""
	if cfg.spoolDir != "" {
		sp, err := spool.Open(cfg.spoolDir, cfg.spoolMax)
		if err != nil {
			return nil, fmt.Errorf("gentrace: WithSpool(%q): %w", cfg.spoolDir, err)
		}
		c.spool = sp
	}
	c.dropSignal = make(chan struct{}, 1)
	c.stopReporter = make(chan struct{})
	c.reporterDone = make(chan struct{})
	go c.reportDrops()
	c.queue = delivery.New(delivery.Config{
		Size:     cfg.queueSize,
		MaxBytes: cfg.queueBytes,
		Workers:  cfg.workers,
		Report:   func(id string, err error) { c.report(runError(id, err)) },
	})
	if len(cfg.observers) > 0 {
		c.observing = delivery.New(delivery.Config{
			Size:     DefaultQueueSize,
			MaxBytes: cfg.queueBytes,
			Workers:  1,
		})
	}
	if c.spool != nil {
		c.recoverSpool()
	}
	return c, nil
}

func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidBaseURL, err)
	}
	shown := u.Redacted()
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%w: %q: want an absolute http or https URL such as %s", ErrInvalidBaseURL, shown, DefaultBaseURL)
	}
	if p := strings.TrimSuffix(u.Path, "/"); p != "/api" {
		return fmt.Errorf("%w: %q: path is %q, want \"/api\" (as in %s)", ErrInvalidBaseURL, shown, u.Path, DefaultBaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%w: %q: no query or fragment allowed", ErrInvalidBaseURL, shown)
	}
	return nil
}

// BaseURL returns the API base URL the client posts to.
func (c *Client) BaseURL() string { return c.cfg.baseURL }

// Logger returns the logger that receives background errors and
// diagnostics.
func (c *Client) Logger() *slog.Logger { return c.logger }

// String describes the client without its API key.
func (c *Client) String() string {
	return fmt.Sprintf("gentrace.Client{baseURL: %s, apiKey: [REDACTED], queueSize: %d, workers: %d}",
		c.cfg.baseURL, c.cfg.queueSize, c.cfg.workers)
}

// GoString is String, so that %#v does not print the API key either.
func (c *Client) GoString() string { return c.String() }

// LogValue describes the client for slog without its API key.
func (c *Client) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("baseURL", c.cfg.baseURL),
		slog.Int("queueSize", c.cfg.queueSize),
		slog.Int("workers", c.cfg.workers),
	)
}

func (c *Client) now() time.Time { return c.cfg.now() }

func (c *Client) closed() bool { return c.isClosed.Load() }

// HandleError sends an error that cannot be returned to the caller (such
// as a step a wrapper could not record) to the handler set with
// WithErrorHandler, or logs it at error level. Wrappers of other providers
// use it; it is safe for concurrent use.
func (c *Client) HandleError(err error) { c.report(err) }

// report sends a background error to the error handler, or logs it.
func (c *Client) report(err error) {
	if h := c.cfg.errorHandler; h != nil {
		h(err)
		return
	}
	c.logger.Error(err.Error())
}

func (c *Client) signalDrop() {
	select {
	case c.dropSignal <- struct{}{}:
	default: // a report is already due
	}
}

// reportDrops reports runs dropped for a full queue or spool, and runs not
// observed for a full observer queue: at once after the first drop, then
// at most once per dropReportInterval, and a last time at Shutdown.
func (c *Client) reportDrops() {
	defer close(c.reporterDone)
	flush := func() {
		if n := c.drops.Swap(0); n > 0 {
			c.report(fmt.Errorf("%w: %d run(s) dropped since the last report", ErrQueueFull, n))
		}
		if n := c.spoolDrops.Swap(0); n > 0 {
			c.report(fmt.Errorf("%w: %d run(s) dropped since the last report", ErrSpoolFull, n))
		}
		if n := c.observerDrops.Swap(0); n > 0 {
			c.report(fmt.Errorf("gentrace: observer queue is full: %d run(s) not shown to the observers since the last report", n))
		}
	}
	for {
		select {
		case <-c.dropSignal:
			flush()
			t := time.NewTimer(dropReportInterval)
			select {
			case <-t.C:
			case <-c.stopReporter:
				t.Stop()
				flush()
				return
			}
		case <-c.stopReporter:
			flush()
			return
		}
	}
}

// enqueue hands a submitted run to the observers and to delivery. With
// wait, it returns a function that waits for the server's answer (see
// delivery.Waiter): when that function's ctx ends first, a later failure
// of the run goes to the error handler, so that no failure reaches nobody.
// Without wait it returns a nil function. A run refused for a full queue or
// spool is counted as submitted and dropped; after Shutdown a run is
// refused with ErrClientClosed and not counted.
func (c *Client) enqueue(run *runSnapshot, wait bool) (func(context.Context) error, error) {
	if c.closed() {
		return nil, ErrClientClosed
	}
	if c.observing != nil {
		c.observe(run)
	}
	var job delivery.Job
	if c.spool != nil {
		var err error
		if job, err = c.spoolJob(run); err != nil {
			return nil, err
		}
	} else {
		job = c.memoryJob(run)
	}
	job.Wait = wait
	waiter, err := c.queue.Enqueue(job)
	if err != nil {
		if c.spool != nil {
			c.removeSpooled(run.id)
		}
		if errors.Is(err, delivery.ErrFull) {
			c.drops.Add(1)
			c.signalDrop()
			return nil, fmt.Errorf("%w: run %s: %v", ErrQueueFull, run.id, err)
		}
		return nil, ErrClientClosed
	}
	if waiter == nil {
		return nil, nil
	}
	id := run.id
	return func(ctx context.Context) error {
		err := waiter(ctx)
		if err == nil || err == ctx.Err() {
			return err
		}
		return runError(id, err)
	}, nil
}

// memoryJob delivers a run held in memory: it is encoded by a worker, just
// before its first attempt, and the same body is sent on every attempt.
func (c *Client) memoryJob(run *runSnapshot) delivery.Job {
	id, size := run.id, run.estimate(c.cfg.maxRunBytes)
	return delivery.Job{
		ID: id, After: run.previousRunID, Size: size,
		Do: func(ctx context.Context) error {
			body, err := run.encode(c.cfg.transform, c.cfg.maxRunBytes)
			run = nil // the steps are no longer needed: only the body is
			if err != nil {
				return err
			}
			return c.post(ctx, body)
		},
	}
}

// post sends a run's body.
func (c *Client) post(ctx context.Context, body []byte) error {
	err := c.transport.do(ctx, "POST", "/v1/run", body, nil)
	if apiErr := (*APIError)(nil); errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusRequestEntityTooLarge {
		return fmt.Errorf("the server refused a body of %d bytes as too large (the SDK caps runs at %d bytes: lower it with WithMaxRunBytes): %w",
			len(body), c.cfg.maxRunBytes, err)
	}
	return err
}

// spoolRefSize is what a spooled run holds in memory while it waits: its
// body is on disk.
const spoolRefSize = 256

// spoolJob encodes a run on the caller's goroutine and writes it to the
// spool before Submit returns; the job reads it back to send it.
func (c *Client) spoolJob(run *runSnapshot) (delivery.Job, error) {
	body, err := run.encode(c.cfg.transform, c.cfg.maxRunBytes)
	if err != nil {
		// Counted and reported as a failure, like an encoding failure
		// without a spool.
		return delivery.Job{ID: run.id, Size: spoolRefSize, Do: func(context.Context) error { return err }}, nil
	}
	rec := &spool.Record{ID: run.id, After: run.previousRunID, Body: body}
	switch err := c.spool.Put(rec); {
	case errors.Is(err, spool.ErrFull):
		c.queue.Drop()
		c.spoolDrops.Add(1)
		c.signalDrop()
		return delivery.Job{}, fmt.Errorf("%w: run %s: %v", ErrSpoolFull, run.id, err)
	case err != nil:
		// Not durable, but not lost: deliver it from memory.
		c.report(fmt.Errorf("gentrace: run %s not spooled, delivered from memory: %w", run.id, err))
		return delivery.Job{
			ID: run.id, After: run.previousRunID, Size: int64(len(body)),
			Do: func(ctx context.Context) error { return c.post(ctx, body) },
		}, nil
	}
	return c.spooledJob(run.id, run.previousRunID), nil
}

// spooledJob delivers a run from the spool, and removes its file once the
// server accepted it or refused it for good. A run that may still go
// through (retries ran out on a network error, a 5xx or a 429, or
// Shutdown's deadline passed) stays on disk for the next client.
func (c *Client) spooledJob(id, after string) delivery.Job {
	return delivery.Job{
		ID: id, After: after, Size: spoolRefSize,
		Do: func(ctx context.Context) error {
			r, err := c.spool.Read(id)
			if err != nil {
				if errors.Is(err, spool.ErrCorrupt) {
					return fmt.Errorf("%w: %v", ErrSpoolCorrupt, err)
				}
				return err
			}
			return c.post(ctx, r.Body)
		},
		Finished: func(o delivery.Outcome, err error) {
			if o == delivery.Delivered || o == delivery.Failed && !mayPass(err) {
				c.removeSpooled(id)
			}
		},
	}
}

// mayPass reports whether a delivery that failed with err may succeed if
// tried again later: a network error or an answer the server may change
// its mind about (429, 5xx). A refusal (other 4xx, a redirect), a damaged
// spool file and a missing one never will.
func mayPass(err error) bool {
	if errors.Is(err, ErrSpoolCorrupt) || errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if apiErr := (*APIError)(nil); errors.As(err, &apiErr) {
		return apiErr.Temporary()
	}
	return true
}

func (c *Client) removeSpooled(id string) {
	if err := c.spool.Remove(id); err != nil {
		c.report(fmt.Errorf("gentrace: run %s: removing it from the spool: %w", id, err))
	}
}

// recoverSpool queues the runs that gone clients left in the spool, in the
// order they were written, so that threads keep their order, and reports
// the files it found damaged. Runs beyond the queue's room stay on disk
// for a later client.
func (c *Client) recoverSpool() {
	entries, problems := c.spool.Recover()
	for _, p := range problems {
		if errors.Is(p, spool.ErrCorrupt) {
			p = fmt.Errorf("%w: %v (never sent)", ErrSpoolCorrupt, p)
		} else {
			p = fmt.Errorf("gentrace: recovering the spool: %w", p)
		}
		c.report(p)
	}
	for i, e := range entries {
		if _, err := c.queue.Enqueue(c.spooledJob(e.ID, e.After)); err != nil {
			c.report(fmt.Errorf("gentrace: %d run(s) found in the spool wait for a later client: the delivery queue is full (WithQueueSize): %v",
				len(entries)-i, err))
			return
		}
		c.recovered.Add(1)
	}
}

// observe queues the run for the observers, off the delivery path. A run
// that does not fit in the observers' queue is not observed; that is
// counted and reported.
func (c *Client) observe(run *runSnapshot) {
	transform, observers := c.cfg.transform, c.cfg.observers
	_, err := c.observing.Enqueue(delivery.Job{
		Size: run.estimate(c.cfg.maxRunBytes),
		Do: func(context.Context) error {
			run.observe(transform, observers)
			run = nil
			return nil
		},
	})
	if errors.Is(err, delivery.ErrFull) { // ErrClosed: Shutdown raced with Submit
		c.observerDrops.Add(1)
		c.observerTotal.Add(1)
		c.signalDrop()
	}
}

// runError turns the outcome of a run's delivery into the error callers
// and the error handler see: it names the run, and a run cut short by
// Shutdown wraps ErrClientClosed (not the queue's internal error, nor
// context.Canceled).
func runError(id string, err error) error {
	if ae := (*delivery.AfterError)(nil); errors.As(err, &ae) {
		return fmt.Errorf("%w: run %s is sent although its previous run %s was %s: %v",
			ErrPreviousRunNotDelivered, id, ae.After, ae.Outcome, publicError(ae.Err))
	}
	return fmt.Errorf("gentrace: run %s not delivered: %w", id, publicError(err))
}

func publicError(err error) error {
	if errors.Is(err, delivery.ErrClosed) {
		detail := strings.TrimPrefix(err.Error(), delivery.ErrClosed.Error())
		return fmt.Errorf("%w%s", ErrClientClosed, detail)
	}
	return err
}

// Stats are the client's delivery counters since New. Every run submitted
// is counted once in Submitted, and then once in Delivered, Failed or
// Dropped, or is Pending; so Submitted = Delivered + Failed + Dropped +
// Pending holds for every value Stats returns.
type Stats struct {
	// Submitted counts runs handed to Submit before Shutdown, including
	// those dropped at once for a full queue or spool, and runs recovered
	// from the spool.
	Submitted uint64
	// Delivered counts runs the server accepted.
	Delivered uint64
	// Retried counts delivery attempts after the first one of a request.
	Retried uint64
	// Failed counts runs the server refused or that ran out of retries,
	// and runs that could not be encoded.
	Failed uint64
	// Dropped counts runs dropped because the queue or the spool was full,
	// or still pending when Shutdown's deadline passed. With a spool, those
	// of the last kind (and failed runs that may still go through) stay on
	// disk for the next client.
	Dropped uint64
	// Pending is the number of runs queued or in flight now.
	Pending int
	// Unended counts runs whose Runner became unreachable before End or
	// Submit; each was reported once and submitted with an error saying
	// so (and is counted in Submitted too).
	Unended uint64
	// Recovered counts runs found in the spool at New (left by clients gone
	// before) and queued again; they count in Submitted as well.
	Recovered uint64
	// ObserverDropped counts runs the observers never saw because their
	// queue was full (a slow observer).
	ObserverDropped uint64
}

// Stats returns the delivery counters.
func (c *Client) Stats() Stats {
	qs := c.queue.Stats()
	return Stats{
		Submitted:       qs.Submitted,
		Delivered:       qs.Delivered,
		Retried:         c.transport.retried.Load(),
		Failed:          qs.Failed,
		Dropped:         qs.Dropped,
		Pending:         qs.Pending,
		Recovered:       c.recovered.Load(),
		ObserverDropped: c.observerTotal.Load(),
		Unended:         c.unended.Load(),
	}
}

// Flush waits until every run submitted before the call is delivered (or
// has failed for good) and shown to the observers, or ctx is done, and
// returns ctx's error in that case. After Shutdown, or when Shutdown's
// deadline drops runs it waits for, it returns ErrClientClosed.
func (c *Client) Flush(ctx context.Context) error {
	err := c.queue.Flush(ctx)
	if err == nil && c.observing != nil {
		err = c.observing.Flush(ctx)
	}
	if errors.Is(err, delivery.ErrClosed) {
		return ErrClientClosed
	}
	return err
}

// Shutdown refuses new runs, delivers pending ones (and shows them to the
// observers) until ctx is done, then stops the workers; runs still pending
// at the deadline are dropped, counted and reported (with a spool, they stay
// on disk), and the returned error wraps ctx's error. It is idempotent:
// later calls return nil at once. Afterwards Start, Submit and Flush fail
// with ErrClientClosed.
func (c *Client) Shutdown(ctx context.Context) error {
	c.isClosed.Store(true)
	var obsErr error
	var wg sync.WaitGroup
	if c.observing != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			obsErr = c.observing.Shutdown(ctx)
		}()
	}
	err := c.queue.Shutdown(ctx)
	wg.Wait()
	if c.spool != nil {
		if cerr := c.spool.Close(); cerr != nil {
			c.report(fmt.Errorf("gentrace: closing the spool: %w", cerr))
		}
	}
	c.transport.client.HTTPClient.CloseIdleConnections()
	c.stopOnce.Do(func() { close(c.stopReporter) })
	<-c.reporterDone
	if err = cmp.Or(err, obsErr); err != nil {
		return fmt.Errorf("gentrace: Shutdown: work still pending at the deadline was dropped: %w", err)
	}
	return nil
}

var defaultClient atomic.Pointer[Client]

// Init makes the package-level default client, returned by Default and
// used by the OpenAI wrapper's simple mode when it is given no client. It
// is a thin layer over New, as the other Gentrace SDKs' init; a program
// may use explicit clients instead, and there are no package-level copies
// of the client's methods: call Default().Shutdown(ctx). Calling Init
// again replaces the default client (shut the old one down first).
func Init(opts ...Option) error {
	c, err := New(opts...)
	if err != nil {
		return err
	}
	defaultClient.Store(c)
	return nil
}

// Default returns the client made by Init, or nil.
func Default() *Client { return defaultClient.Load() }
