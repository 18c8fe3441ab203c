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
// "https://gentrace.ai/api".
func WithBaseURL(u string) Option {
	return func(c *config) error {
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
// DefaultQueueSize). It bounds the number of pending runs, so memory held by
// them is at most this figure times the size of a run (a few KiB for a
// small chat call; more for large prompts).
func WithQueueSize(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: WithQueueSize(%d): must be at least 1", ErrInvalidOption, n)
		}
		c.queueSize = n
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
// ModelParams and Error. It runs on a delivery goroutine and must be safe
// for concurrent use.
func WithTransform(fn func(*Step)) Option {
	return func(c *config) error {
		c.transform = fn
		return nil
	}
}

// WithObserver adds an observer of runs, such as the OpenTelemetry
// exporter of package github.com/gentrace/gentrace-go/openinference.
func WithObserver(o Observer) Option {
	return func(c *config) error {
		if o == nil {
			return fmt.Errorf("%w: WithObserver(nil)", ErrInvalidOption)
		}
		c.observers = append(c.observers, o)
		return nil
	}
}
