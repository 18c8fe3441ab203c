package gentrace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gentrace/gentrace-go/internal/delivery"
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
	logger    *slog.Logger
	submitted atomic.Uint64
	unended   atomic.Uint64 // runs delivered because nobody ended them
	isClosed  atomic.Bool

	// Drops are reported by a goroutine of their own, never on the
	// goroutine of the Submit that dropped a run (a slow logger must not
	// block callers when the queue is overloaded).
	drops        atomic.Uint64 // dropped for a full queue, not yet reported
	dropSignal   chan struct{}
	stopReporter chan struct{}
	reporterDone chan struct{}
	stopOnce     sync.Once
}

// dropReportInterval is the shortest time between two reports of dropped
// runs.
const dropReportInterval = time.Second

// New returns a Client configured by the options, with GENTRACE_API_KEY and
// GENTRACE_BASE_URL as defaults, and starts its delivery workers. It fails
// with ErrMissingAPIKey when there is no API key, ErrInvalidBaseURL when the
// base URL is not an absolute http(s) URL whose path is /api, and
// ErrInvalidOption for an option out of range.
func New(opts ...Option) (*Client, error) {
	cfg := config{
		queueSize:    DefaultQueueSize,
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
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	c := &Client{cfg: cfg, logger: cfg.logger, transport: newTransport(&cfg)}
	// Only the transport keeps the key, behind a pointer, so printing a
	// Client (even with %+v of the struct) cannot show it.
	c.cfg.apiKey = ""
	c.dropSignal = make(chan struct{}, 1)
	c.stopReporter = make(chan struct{})
	c.reporterDone = make(chan struct{})
	go c.reportDrops()
	c.queue = delivery.New(delivery.Config{
		Size:    cfg.queueSize,
		Workers: cfg.workers,
		Send: func(ctx context.Context, id string, body []byte) error {
			return c.transport.do(ctx, "POST", "/v1/run", body, nil)
		},
		OnError: func(id string, err error) {
			c.report(fmt.Errorf("gentrace: run %s not delivered: %w", id, err))
		},
	})
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

// reportDrops reports runs dropped for a full queue: at once after the
// first drop, then at most once per dropReportInterval, and a last time at
// Shutdown.
func (c *Client) reportDrops() {
	defer close(c.reporterDone)
	flush := func() {
		if n := c.drops.Swap(0); n > 0 {
			c.report(fmt.Errorf("%w: %d run(s) dropped since the last report", ErrQueueFull, n))
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

// enqueue hands a submitted run to the delivery queue.
func (c *Client) enqueue(run *runSnapshot, done chan error) error {
	job := delivery.Job{
		ID:     run.id,
		Encode: func() ([]byte, error) { return run.encode(c.cfg.transform, c.cfg.observers) },
	}
	if done != nil {
		job.Done = done
	}
	err := c.queue.Enqueue(job)
	switch {
	case err == nil:
		c.submitted.Add(1)
		return nil
	case errors.Is(err, delivery.ErrFull):
		c.drops.Add(1)
		select {
		case c.dropSignal <- struct{}{}:
		default: // a report is already due
		}
		return fmt.Errorf("%w: run %s", ErrQueueFull, run.id)
	default:
		return ErrClientClosed
	}
}

// Stats are the client's delivery counters since New. A run is counted once
// in Submitted when queued, and then once in Delivered, Failed or Dropped.
type Stats struct {
	// Submitted counts runs accepted into the delivery queue.
	Submitted uint64
	// Delivered counts runs the server accepted.
	Delivered uint64
	// Retried counts delivery attempts after the first one of a request.
	Retried uint64
	// Failed counts runs the server refused or that ran out of retries.
	Failed uint64
	// Dropped counts runs lost because the queue was full, or still pending
	// when Shutdown's deadline passed.
	Dropped uint64
	// Pending is the number of runs queued or in flight now.
	Pending int
	// Unended counts runs whose Runner became unreachable before End or
	// Submit; each was reported once and submitted with an error saying
	// so (and is counted in Submitted too).
	Unended uint64
}

// Stats returns the delivery counters.
func (c *Client) Stats() Stats {
	qs := c.queue.Stats()
	return Stats{
		Submitted: c.submitted.Load(),
		Delivered: qs.Delivered,
		Retried:   c.transport.retried.Load(),
		Failed:    qs.Failed,
		Dropped:   qs.Dropped,
		Pending:   qs.Pending,
		Unended:   c.unended.Load(),
	}
}

// Flush waits until every run submitted before the call is delivered (or
// has failed for good), or ctx is done, and returns ctx's error in that
// case. After Shutdown it returns ErrClientClosed.
func (c *Client) Flush(ctx context.Context) error {
	if err := c.queue.Flush(ctx); err != nil {
		if errors.Is(err, delivery.ErrClosed) {
			return ErrClientClosed
		}
		return err
	}
	return nil
}

// Shutdown refuses new runs, delivers pending ones until ctx is done, then
// stops the delivery workers; runs still pending at the deadline are
// dropped and counted, and ctx's error is returned. It is idempotent: later
// calls return nil at once. Afterwards Start, Submit and Flush fail with
// ErrClientClosed.
func (c *Client) Shutdown(ctx context.Context) error {
	c.isClosed.Store(true)
	err := c.queue.Shutdown(ctx)
	c.transport.client.HTTPClient.CloseIdleConnections()
	c.stopOnce.Do(func() { close(c.stopReporter) })
	<-c.reporterDone
	return err
}

var defaultClient atomic.Pointer[Client]

// Init makes the package-level default client, used by NewPipeline, Flush,
// Shutdown and the OpenAI wrapper when no client is given. It is a thin
// layer over New; a program may use explicit clients instead. Calling Init
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

// Flush flushes the default client (see Client.Flush).
func Flush(ctx context.Context) error {
	c := Default()
	if c == nil {
		return ErrNotInitialized
	}
	return c.Flush(ctx)
}

// Shutdown shuts the default client down (see Client.Shutdown).
func Shutdown(ctx context.Context) error {
	c := Default()
	if c == nil {
		return ErrNotInitialized
	}
	return c.Shutdown(ctx)
}
