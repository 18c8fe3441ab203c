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
	client    *retryablehttp.Client
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
	if hc.CheckRedirect == nil {
		hc.CheckRedirect = sameHostRedirects
	}
	t.client = &retryablehttp.Client{
		HTTPClient:   hc,
		RetryWaitMin: cfg.retryWaitMin,
		RetryWaitMax: cfg.retryWaitMax,
		RetryMax:     cfg.maxRetries,
		CheckRetry:   retryablehttp.DefaultRetryPolicy,
		Backoff:      backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		RequestLogHook: func(_ retryablehttp.Logger, _ *http.Request, attempt int) {
			if attempt > 0 {
				t.retried.Add(1)
			}
		},
	}
	return t
}

// sameHostRedirects follows redirects only to the original host, so the
// Authorization header never reaches another host.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		return fmt.Errorf("refusing redirect from %s to another host %s", via[0].URL.Host, req.URL.Host)
	}
	return nil
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
	resp, err := t.client.Do(req)
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
		return &APIError{
			Method:     method,
			Path:       path,
			StatusCode: resp.StatusCode,
			Message:    errorMessage(data),
			RequestID:  resp.Header.Get("X-Request-Id"),
		}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("gentrace: %s %s: decoding answer: %w", method, path, err)
	}
	return nil
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
