package gentrace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

const (
	// maxRetryAfter caps how long a Retry-After header can make one wait.
	maxRetryAfter = time.Minute
	// maxErrorBody caps how much of an error answer is read, and
	// maxResponseBody how much of a successful one (test cases can be many).
	maxErrorBody    = 1 << 20
	maxResponseBody = 64 << 20
)

// transport sends requests to the Gentrace API with retries.
type transport struct {
	client *retryablehttp.Client
	// once is client with the retry policy of requests that must not be
	// processed twice (test results): see retryUnprocessed.
	once      *retryablehttp.Client
	baseURL   string // without a trailing slash, e.g. https://gentrace.ai/api
	apiKey    string
	userAgent string
	retried   atomic.Uint64
}

func newTransport(cfg *config) *transport {
	t := &transport{
		baseURL:   strings.TrimSuffix(cfg.baseURL, "/"),
		apiKey:    cfg.apiKey,
		userAgent: "gentrace-go/" + Version,
	}
	var hc *http.Client
	if cfg.httpClient != nil {
		copied := *cfg.httpClient
		hc = &copied
	} else {
		hc = &http.Client{
			Transport: cleanhttp.DefaultPooledTransport(),
			Timeout:   DefaultRequestTimeout,
		}
	}
	// Our policy replaces any the caller's client had: the key must never
	// follow a redirect to another origin, and a POST never follows one.
	hc.CheckRedirect = checkRedirect
	hook := func(_ retryablehttp.Logger, req *http.Request, attempt int) {
		if attempt > 0 {
			t.retried.Add(1)
		}
		if w := wroteFrom(req.Context()); w != nil {
			w.Store(false) // a new attempt: nothing of it sent yet
		}
	}
	client := func(policy retryablehttp.CheckRetry) *retryablehttp.Client {
		return &retryablehttp.Client{
			HTTPClient:     hc,
			RetryWaitMin:   cfg.retryWaitMin,
			RetryWaitMax:   cfg.retryWaitMax,
			RetryMax:       cfg.maxRetries,
			CheckRetry:     policy,
			Backoff:        backoff,
			ErrorHandler:   retryablehttp.PassthroughErrorHandler,
			RequestLogHook: hook,
		}
	}
	t.client = client(retryablehttp.DefaultRetryPolicy)
	t.once = client(retryUnprocessed)
	return t
}

// maxRedirects bounds the same-origin redirects a GET follows.
const maxRedirects = 10

// checkRedirect is the redirect policy of every request the transport
// makes. A request that is not a GET never follows a redirect: net/http
// would resend a 301/302/303 as a GET without its body, and a 2xx answer to
// that would pass for a delivery. A GET follows a redirect only to the
// same origin (scheme, host and port), so that the Authorization header
// never reaches another server or travels in clear text after an https
// start. Either way the 3xx answer itself is returned
// (http.ErrUseLastResponse), which do turns into an *APIError naming the
// Location; retryablehttp does not retry it.
func checkRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	if first.Method != http.MethodGet || len(via) >= maxRedirects || !sameOrigin(first.URL, req.URL) {
		return http.ErrUseLastResponse
	}
	return nil
}

// sameOrigin reports whether a and b have the same scheme, host and port,
// with the scheme's default port when none is given.
func sameOrigin(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		switch strings.ToLower(u.Scheme) {
		case "https":
			return "443"
		case "http":
			return "80"
		}
		return ""
	}
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		port(a) == port(b)
}

// wroteKey carries, in a request's context, whether the current attempt
// has written anything to the network (see retryUnprocessed).
type wroteKey struct{}

func wroteFrom(ctx context.Context) *atomic.Bool {
	w, _ := ctx.Value(wroteKey{}).(*atomic.Bool)
	return w
}

// withWriteTracking returns ctx with a flag that is set as soon as an
// attempt of the request writes its headers.
func withWriteTracking(ctx context.Context) (context.Context, *atomic.Bool) {
	w := new(atomic.Bool)
	ctx = context.WithValue(ctx, wroteKey{}, w)
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteHeaders: func() { w.Store(true) },
	}), w
}

// retryUnprocessed is the retry policy of requests the API has no way to
// deduplicate (test results): it retries only what the server cannot have
// processed. That is an attempt that failed before writing anything (a
// refused connection, a failed handshake), a 429, and a 503 with a
// Retry-After header. Anything else may have been stored, and a retry
// could store it twice.
func retryUnprocessed(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		w := wroteFrom(ctx)
		return w != nil && !w.Load(), nil
	}
	return notProcessed(resp), nil
}

// notProcessed reports whether an answer says the server did not process
// the request: 429, or 503 with a Retry-After it can be waited for.
func notProcessed(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return true
	case http.StatusServiceUnavailable:
		_, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		return ok
	}
	return false
}

// backoff waits as the server's Retry-After says, when it says, and
// otherwise min·2^attempt capped at max, with equal jitter (half fixed, half
// random) so clients that failed together do not retry together.
func backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500) {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return d
		}
	}
	d := max
	if attempt < 30 {
		if exp := min << attempt; exp > 0 && exp < max {
			d = exp
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
// It caps the wait at maxRetryAfter and rejects anything else.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if isDigits(v) {
		// delay-seconds: any non-negative integer, however large.
		secs, err := strconv.ParseUint(v, 10, 64)
		if err != nil || secs > uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
		if d < 0 {
			d = 0
		}
	} else {
		return 0, false
	}
	return min(d, maxRetryAfter), true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// do sends one request with retries and decodes a 2xx JSON answer into out
// (when out is non-nil). A non-2xx answer is an *APIError.
func (t *transport) do(ctx context.Context, method, path string, body []byte, out any) error {
	return t.send(ctx, t.client, method, path, body, out)
}

// doOnce is do for a request the server must not process twice, such as a
// test result, which the API does not deduplicate: it is retried only when
// it cannot have been processed (see retryUnprocessed). When it fails in a
// way that leaves open whether the server stored it (a 5xx, a connection
// lost after the request was written, ctx ending mid-request), the error
// wraps ErrOutcomeUnknown as well as the cause.
func (t *transport) doOnce(ctx context.Context, method, path string, body []byte, out any) error {
	ctx, wrote := withWriteTracking(ctx)
	err := t.send(ctx, t.once, method, path, body, out)
	if err == nil {
		return nil
	}
	if apiErr := (*APIError)(nil); errors.As(err, &apiErr) {
		if apiErr.StatusCode < 500 || apiErr.StatusCode == http.StatusServiceUnavailable && apiErr.retryAfter {
			return err // refused, or said it did not process it
		}
	} else if !wrote.Load() {
		return err // nothing reached the server
	}
	return fmt.Errorf("%w (not retried, so as not to store it twice): %w", ErrOutcomeUnknown, err)
}

func (t *transport) send(ctx context.Context, client *retryablehttp.Client, method, path string, body []byte, out any) error {
	var reqBody any
	if body != nil {
		reqBody = body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, t.baseURL+path, reqBody)
	if err != nil {
		return fmt.Errorf("gentrace: %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+t.apiKey)
	req.Header.Set("User-Agent", t.userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return fmt.Errorf("gentrace: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	limit := int64(maxResponseBody)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		limit = maxErrorBody
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("gentrace: %s %s: reading answer: %w", method, path, err)
	}
	if int64(len(data)) > limit {
		if limit == maxResponseBody {
			return fmt.Errorf("gentrace: %s %s: answer larger than %d MiB", method, path, limit>>20)
		}
		data = data[:limit]
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &APIError{
			Method:     method,
			Path:       path,
			StatusCode: resp.StatusCode,
			Message:    errorMessage(data),
			RequestID:  resp.Header.Get("X-Request-Id"),
			retryAfter: notProcessed(resp),
		}
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			e.Location = redirectLocation(resp)
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("gentrace: %s %s: decoding answer: %w", method, path, err)
	}
	return nil
}

// redirectLocation returns a redirect's target, resolved against the
// request's URL, without any password it carries.
func redirectLocation(resp *http.Response) string {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return ""
	}
	u, err := resp.Request.URL.Parse(loc)
	if err != nil {
		return strings.ToValidUTF8(loc, "?")
	}
	return u.Redacted()
}

// errorMessage takes the message of an error answer: its JSON "message" (or
// "error"), else the start of its text.
func errorMessage(data []byte) string {
	var body struct {
		Message string `json:"message"`
		Error   any    `json:"error"`
	}
	if json.Unmarshal(data, &body) == nil {
		if body.Message != "" {
			return body.Message
		}
		if s, ok := body.Error.(string); ok && s != "" {
			return s
		}
	}
	text := strings.TrimSpace(string(bytes.ToValidUTF8(data, nil)))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	return text
}
