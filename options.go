package gentrace

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Defaults for the options of New.
const (
	// DefaultBaseURL is the Gentrace API used when neither WithBaseURL nor
	// GENTRACE_BASE_URL is set.
	DefaultBaseURL = "https://gentrace.ai/api"
	// DefaultQueueSize is how many submitted runs may wait for delivery.
	// When the queue is full, a new run is dropped: Submit returns
	// ErrQueueFull, the drop is counted in Stats.Dropped, and a summary is
	// reported to the logger or error handler at most once a second.
	DefaultQueueSize = 2048
	// DefaultQueueBytes bounds the estimated encoded size of the runs
	// waiting or in flight, as DefaultQueueSize bounds their number; a run
	// past either bound is dropped the same way.
	DefaultQueueBytes = 64 << 20
	// DefaultMaxRunBytes caps the encoded size of one run's request body.
	// The Gentrace API publishes no body limit; this default is the
	// request body limit of the Next.js API routes it is served by (1 MB,
	// in decimal units, so that it holds whichever unit the server means).
	// A run above the cap is sent with its largest inputs, outputs and
	// model parameters truncated, each marked with how much was cut.
	DefaultMaxRunBytes = 1_000_000
	// DefaultSpoolMaxBytes bounds the bytes a client keeps in its spool
	// (see WithSpool).
	DefaultSpoolMaxBytes = 256 << 20
	// DefaultSpoolQueueSize is the default of WithQueueSize with a spool:
	// then a waiting run is held on disk, not in memory, and the queue
	// holds only a small reference to it.
	DefaultSpoolQueueSize = 100_000
	// DefaultWorkers is how many runs are delivered concurrently.
	DefaultWorkers = 4
	// DefaultMaxRetries is how many times one delivery is retried after its
	// first attempt.
	DefaultMaxRetries = 10
	// DefaultRetryWaitMin and DefaultRetryWaitMax bound the exponential
	// backoff between attempts (before jitter).
	DefaultRetryWaitMin = 500 * time.Millisecond
	DefaultRetryWaitMax = 30 * time.Second
	// DefaultRequestTimeout bounds one HTTP attempt when the Client makes its
	// own http.Client.
	DefaultRequestTimeout = 30 * time.Second
)

// DefaultTestConcurrency is how many test cases RunTest runs at once unless
// WithConcurrency says otherwise.
const DefaultTestConcurrency = 4

// Option configures a Client in New or Init.
type Option func(*config) error

type config struct {
	apiKey       string
	apiKeySet    bool
	baseURL      string
	baseURLSet   bool
	httpClient   *http.Client
	logger       *slog.Logger
	errorHandler func(error)
	queueSize    int
	queueSizeSet bool
	queueBytes   int64
	maxRunBytes  int
	spoolDir     string
	spoolMax     int64
	workers      int
	maxRetries   int
	retryWaitMin time.Duration
	retryWaitMax time.Duration
	now          func() time.Time
	transform    func(*Step)
	observers    []Observer
}

// WithAPIKey sets the Gentrace API key, overriding GENTRACE_API_KEY.
func WithAPIKey(key string) Option {
	return func(c *config) error {
		c.apiKey, c.apiKeySet = key, true
		return nil
	}
}

// WithBaseURL sets the Gentrace API base URL, overriding GENTRACE_BASE_URL.
// Its path must be /api (a trailing slash is allowed), for example
// "https://gentrace.ai/api". An empty URL is ErrInvalidBaseURL, not the
// default: a set-up whose configured value came out empty must not send
// its data to production; leave the option out to use GENTRACE_BASE_URL or
// DefaultBaseURL.
func WithBaseURL(u string) Option {
	return func(c *config) error {
		if u == "" {
			return fmt.Errorf("%w: WithBaseURL(\"\"): leave the option out to use GENTRACE_BASE_URL or %s", ErrInvalidBaseURL, DefaultBaseURL)
		}
		c.baseURL, c.baseURLSet = u, true
		return nil
	}
}

// WithHTTPClient sets the HTTP client used to reach Gentrace. The Client
// uses a shallow copy, so the caller's value is never modified. By default a
// new client with its own transport and a 30-second timeout is made;
// http.DefaultTransport is never used or changed.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return fmt.Errorf("%w: WithHTTPClient(nil)", ErrInvalidOption)
		}
		c.httpClient = hc
		return nil
	}
}

// WithLogger sets where background errors (failed or dropped deliveries)
// and diagnostics go. The default is slog.Default(). The API key is never
// logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: WithLogger(nil)", ErrInvalidOption)
		}
		c.logger = l
		return nil
	}
}

// WithErrorHandler sets a function that receives every background error
// (a failed or dropped delivery) instead of the logger. It is called from
// the delivery goroutines and must be safe for concurrent use.
func WithErrorHandler(h func(error)) Option {
	return func(c *config) error {
		c.errorHandler = h
		return nil
	}
}

// WithQueueSize sets how many submitted runs may wait for delivery (default
// DefaultQueueSize, or DefaultSpoolQueueSize with WithSpool). Runs in
// flight do not count. WithQueueBytes bounds their size as well.
func WithQueueSize(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: WithQueueSize(%d): must be at least 1", ErrInvalidOption, n)
		}
		c.queueSize, c.queueSizeSet = n, true
		return nil
	}
}

// WithQueueBytes bounds the total size of the runs waiting for delivery or
// in flight (default DefaultQueueBytes), as estimated at Submit from the
// values the runs hold, each at most the WithMaxRunBytes cap. A run that
// would pass the bound is dropped like one past WithQueueSize. The bound
// must be at least the run cap, so that any run can be queued.
func WithQueueBytes(n int64) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: WithQueueBytes(%d): must be at least 1", ErrInvalidOption, n)
		}
		c.queueBytes = n
		return nil
	}
}

// MinRunBytes is the smallest cap WithMaxRunBytes accepts: room for a run's
// structure and the truncation markers of a few steps.
const MinRunBytes = 16 << 10

// WithMaxRunBytes caps the encoded size of each run's request body
// (default DefaultMaxRunBytes, at least MinRunBytes). Set it to the body
// limit of your Gentrace deployment if it differs. A run above the cap is
// sent with its largest top-level input, output and model-parameter values
// replaced by a string that starts as the value's JSON did and ends with a
// marker such as "…[gentrace: truncated, 48213 of 50000 bytes cut]"; it is
// never dropped for its size alone. Only a run that cannot fit even so
// fails with ErrRunTooLarge, and is reported.
func WithMaxRunBytes(n int) Option {
	return func(c *config) error {
		if n < MinRunBytes {
			return fmt.Errorf("%w: WithMaxRunBytes(%d): must be at least %d", ErrInvalidOption, n, MinRunBytes)
		}
		c.maxRunBytes = n
		return nil
	}
}

// WithSpool keeps every submitted run on disk, in dir, until the server has
// accepted it, so that runs survive a crash of the process. It is off by
// default.
//
// With a spool, Submit encodes the run (running WithTransform on the
// caller's goroutine) and writes it to a file of its own, checksummed,
// with an atomic write and rename and fsync, before it returns; the file is
// removed once the server accepted the run, or refused it for good (a 4xx
// or a redirect, reported as without a spool). A run that ran out of
// retries, or was still pending when Shutdown's deadline passed, stays in
// the spool. A new client with the same directory sends every run it finds
// there that no live client owns (runs of one thread in order), and counts
// them in Stats.Recovered. A file that is torn or damaged fails its
// checksum: it is moved to dir/corrupt, reported with ErrSpoolCorrupt and
// never sent.
//
// Several clients, in one process or several, may share dir: each owns the
// files it wrote, marked by a lock (an flock on Unix, which the kernel
// drops when the process dies; elsewhere a lease file the client refreshes,
// free once unrefreshed for a minute), and at New takes over the files of
// owners that are gone.
// WithSpoolMaxBytes bounds the bytes one client keeps; when the bound is
// reached, new runs are dropped (Submit returns ErrSpoolFull, which wraps
// ErrQueueFull) and runs already spooled are kept. A run that cannot be
// written for another reason (such as a disk error) is reported and
// delivered from memory.
func WithSpool(dir string) Option {
	return func(c *config) error {
		if dir == "" {
			return fmt.Errorf("%w: WithSpool(\"\"): empty directory", ErrInvalidOption)
		}
		c.spoolDir = dir
		return nil
	}
}

// WithSpoolMaxBytes bounds the bytes a client keeps in its spool (default
// DefaultSpoolMaxBytes); it applies with WithSpool only, and must be at
// least the run cap (WithMaxRunBytes).
func WithSpoolMaxBytes(n int64) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: WithSpoolMaxBytes(%d): must be at least 1", ErrInvalidOption, n)
		}
		c.spoolMax = n
		return nil
	}
}

// WithWorkers sets how many runs are delivered concurrently (default
// DefaultWorkers).
func WithWorkers(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: WithWorkers(%d): must be at least 1", ErrInvalidOption, n)
		}
		c.workers = n
		return nil
	}
}

// WithRetry sets how many times a delivery is retried after its first
// attempt, and the bounds of the jittered exponential backoff between
// attempts. A Retry-After header from the server takes precedence over the
// backoff, up to one minute. Defaults: DefaultMaxRetries,
// DefaultRetryWaitMin, DefaultRetryWaitMax.
func WithRetry(maxRetries int, minWait, maxWait time.Duration) Option {
	return func(c *config) error {
		if maxRetries < 0 || minWait <= 0 || maxWait < minWait {
			return fmt.Errorf("%w: WithRetry(%d, %v, %v): need maxRetries >= 0 and 0 < minWait <= maxWait",
				ErrInvalidOption, maxRetries, minWait, maxWait)
		}
		c.maxRetries, c.retryWaitMin, c.retryWaitMax = maxRetries, minWait, maxWait
		return nil
	}
}

// WithClock sets the function that gives the current time for step and run
// timestamps. It exists for deterministic tests; the default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: WithClock(nil)", ErrInvalidOption)
		}
		c.now = now
		return nil
	}
}

// WithTransform sets a function applied to every step just before its run
// is delivered, off the caller's path, for example to mask personal data in
// inputs and outputs. It may change the step's Inputs, Outputs,
// ModelParams, Metadata and Error. It gets a copy of the step whose maps,
// slices and raw JSON values are the copy's own, so that what it changes
// never reaches the runner (Runner.Steps, Runner.Cost) or other copies;
// other values inside the maps are shared and must be replaced, not
// modified. Observers see the transformed steps. It runs once per run, on a
// delivery or observer goroutine (with WithSpool, on the goroutine calling
// Submit), and must be safe for concurrent use.
func WithTransform(fn func(*Step)) Option {
	return func(c *config) error {
		c.transform = fn
		return nil
	}
}

// WithObserver adds an observer of runs, such as the OpenTelemetry
// exporter of package github.com/gentrace/gentrace-go/openinference.
// Observers run on a goroutine and queue of their own, so a stalled
// Gentrace backend never delays them and a slow observer never delays
// delivery; see Observer.
func WithObserver(o Observer) Option {
	return func(c *config) error {
		if o == nil {
			return fmt.Errorf("%w: WithObserver(nil)", ErrInvalidOption)
		}
		c.observers = append(c.observers, o)
		return nil
	}
}
