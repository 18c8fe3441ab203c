package gentrace

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors for fixed conditions. Errors returned by this package wrap
// them with details (the offending key, value or option), so test with
// errors.Is.
var (
	// ErrMissingAPIKey reports that no API key was given with WithAPIKey and
	// GENTRACE_API_KEY is unset or empty.
	ErrMissingAPIKey = errors.New("gentrace: missing API key (set GENTRACE_API_KEY or use WithAPIKey)")

	// ErrInvalidBaseURL reports a base URL that is not an absolute http(s)
	// URL whose path is /api.
	ErrInvalidBaseURL = errors.New("gentrace: invalid base URL")

	// ErrInvalidOption reports an option with a value out of range.
	ErrInvalidOption = errors.New("gentrace: invalid option")

	// ErrNotInitialized reports use of a package-level function before Init.
	ErrNotInitialized = errors.New("gentrace: not initialized (call gentrace.Init or use a Client from gentrace.New)")

	// ErrClientClosed reports use of a Client after Shutdown.
	ErrClientClosed = errors.New("gentrace: client is shut down")

	// ErrQueueFull reports that a run was dropped because the delivery queue
	// was full. The drop is counted in Stats.Dropped.
	ErrQueueFull = errors.New("gentrace: delivery queue is full, run dropped")

	// ErrEmptySlug reports an empty pipeline slug.
	ErrEmptySlug = errors.New("gentrace: pipeline slug is empty")

	// ErrInvalidRunID reports a run ID (such as a previous run ID) that is not
	// a UUID.
	ErrInvalidRunID = errors.New("gentrace: invalid run ID")

	// ErrInvalidMetadata reports a metadata value that is not one of the
	// value objects of the Gentrace API.
	ErrInvalidMetadata = errors.New("gentrace: invalid metadata")

	// ErrInvalidRender reports a step render setting that is not
	// {type: "html", key} with key naming a top-level output key.
	ErrInvalidRender = errors.New("gentrace: invalid render")

	// ErrInvalidCost reports an outputs "cost" that is not
	// {"type": "dollars"|"cents", "value": N} with N finite and >= 0.
	ErrInvalidCost = errors.New("gentrace: invalid cost")

	// ErrInvalidStep reports a step that cannot be recorded as given, such as
	// one whose inputs or outputs cannot be encoded as JSON.
	ErrInvalidStep = errors.New("gentrace: invalid step")

	// ErrStepUserID reports a user ID set on a single step of a runner. A user
	// ID belongs to the whole run: set it in RunContext or with WithUser.
	ErrStepUserID = errors.New("gentrace: a user ID belongs to the run, not to one step (set it in RunContext or with gentrace.WithUser)")

	// ErrRunSubmitted reports a change to a runner after Submit.
	ErrRunSubmitted = errors.New("gentrace: run already submitted")

	// ErrRunTooLarge reports a run whose body stays above the size cap (see
	// WithMaxRunBytes) even with every large input, output and model
	// parameter truncated: too many steps, or huge metadata or error texts.
	// The run is counted as failed and reported; it is never sent.
	ErrRunTooLarge = errors.New("gentrace: run too large")

	// ErrOutcomeUnknown reports a request that failed in a way that leaves
	// open whether the server processed it: a 5xx answer, a connection lost
	// after the request was written, or the context ending mid-request.
	// Requests the API cannot deduplicate (test results) are then not
	// retried, so that they are never stored twice; check the Gentrace app
	// before submitting again. The error also wraps its cause.
	ErrOutcomeUnknown = errors.New("gentrace: outcome unknown, the server may have stored it")

	// ErrSpoolFull reports a run dropped because the spool (see WithSpool)
	// holds its byte bound already. It wraps ErrQueueFull, so code that
	// tests for ErrQueueFull sees it too; the drop is counted in
	// Stats.Dropped.
	ErrSpoolFull = fmt.Errorf("%w: the spool is full", ErrQueueFull)

	// ErrSpoolCorrupt reports a spool file that failed its checks (torn by
	// a crash, or damaged on disk). Such a file is never sent: it is moved
	// to the spool's "corrupt" directory and reported.
	ErrSpoolCorrupt = errors.New("gentrace: corrupt spool file")

	// ErrPreviousRunNotDelivered reports a run that was held until the run
	// named by its PreviousRunID had been delivered, and is sent although
	// that run failed or was dropped: the server may refuse it, or store a
	// thread with a missing link.
	ErrPreviousRunNotDelivered = errors.New("gentrace: previous run not delivered")

	// ErrInvalidTestResult reports test runs that cannot be submitted as given:
	// test cases and outputs of different lengths, a test case without an ID,
	// or inputs or outputs that cannot be encoded as JSON.
	ErrInvalidTestResult = errors.New("gentrace: invalid test result")
)

// APIError is a non-2xx answer from the Gentrace API. Submit returns it when
// asked to wait for the server; background delivery reports it to the error
// handler or logger.
type APIError struct {
	// Method and Path name the request, such as "POST" and "/v1/run".
	Method string
	Path   string
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Message is the "message" of a JSON answer, or the start of the body.
	Message string
	// RequestID is the server's request ID header, when it sent one.
	RequestID string
	// Location is where a 3xx answer pointed, without any password. The
	// SDK never follows a redirect of a POST, nor one of a GET to another
	// scheme, host or port, so that the request and the API key go only
	// where the base URL says: when the API has moved (for example from
	// http to https), change the base URL.
	Location string

	retryAfter bool // 429, or 503 with a usable Retry-After
}

// Error implements error.
func (e *APIError) Error() string {
	msg := fmt.Sprintf("gentrace: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Location != "" {
		msg += ": redirect to " + e.Location + " not followed (set the base URL to where the API is)"
	} else if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.RequestID != "" {
		msg += " (request ID " + e.RequestID + ")"
	}
	return msg
}

// Temporary reports whether the request may succeed if retried: 429 and 5xx
// other than 501.
func (e *APIError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests ||
		(e.StatusCode >= 500 && e.StatusCode != http.StatusNotImplemented)
}
