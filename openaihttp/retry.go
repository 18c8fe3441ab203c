package openaihttp

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultRetryHold is how long, by default, a failed attempt of a retrying
// client waits for the client's next attempt before it is recorded as a
// step of its own. It is above openai-go's longest backoff between
// attempts (8 s) unless the answer's Retry-After asks for longer.
const DefaultRetryHold = 10 * time.Second

// retryGrace is added to the wait an answer's Retry-After asks for.
const retryGrace = 2 * time.Second

// retryCountHeader numbers the attempts of one call from 0; the Stainless
// SDKs send it, openai-go among them.
const retryCountHeader = "X-Stainless-Retry-Count"

// WithRetryHold sets how long a failed attempt that its client may retry
// waits for the next attempt (default DefaultRetryHold; the answer's
// Retry-After, plus a little, when longer). Clients configured with longer
// waits between attempts (openai-go's option.WithMaxRetryDelay) need a
// longer hold to record their attempts as one step. d <= 0 keeps the
// default.
func WithRetryHold(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.retryHold = d
		}
	}
}

// retryCount returns the attempt number a retrying client gave req, or -1
// when it gave none.
func retryCount(req *http.Request) int {
	v := req.Header[retryCountHeader]
	if len(v) != 1 {
		return -1
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// retryKey is what the attempts of one call share: the context the call's
// Call was attached to (WithCall), or else the request's own. It reports
// false when that context cannot be a map key.
func retryKey(ctx context.Context, call *Call) (any, bool) {
	var k any = ctx
	if call != nil && call.origin != nil {
		k = call.origin
	}
	if k == nil || !reflect.TypeOf(k).Comparable() {
		return nil, false
	}
	return k, true
}

// retryable tells whether a retrying client may send a call again after
// this answer, by the rule openai-go follows: X-Should-Retry when the
// server sends it, else 408, 409, 429 and 5xx.
func retryable(status int, shouldRetry string) bool {
	switch shouldRetry {
	case "true":
		return true
	case "false":
		return false
	}
	return status == http.StatusRequestTimeout || status == http.StatusConflict ||
		status == http.StatusTooManyRequests || status >= 500
}

// retryAfter reads the wait an answer asks for (Retry-After-Ms, or
// Retry-After in seconds or as an HTTP date); 0 when none.
func retryAfter(h http.Header) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && !math.IsInf(ms, 0) {
			return time.Duration(min(ms, float64(time.Hour/time.Millisecond)) * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s > 0 && !math.IsInf(s, 0) {
			return time.Duration(min(s, float64(time.Hour/time.Second)) * float64(time.Second))
		}
		return 0
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), time.Hour)
	}
	return 0
}

// heldAttempts are failed attempts waiting for the next attempt of their
// call. Entries live at most a hold each; count lets Do skip the lock
// when there are none, as nearly always.
type heldAttempts struct {
	count atomic.Int32
	mu    sync.Mutex
	byKey map[any][]*capture
}

// mayHold reports whether c's call may be sent again by its client: a
// retrying client (it numbers its attempts), an error answer it may retry,
// whose body it closed without reading it to the end (openai-go reads the
// body of the answer it returns, and closes unread the one it retries),
// and a context still alive.
func (c *capture) mayHold() bool {
	return c.retry >= 0 && c.status >= 400 && c.how == errClosed && retryable(c.status, c.shouldRetry) &&
		c.ctx.Err() == nil
}

// hold keeps c until the next attempt of its call takes it over (take),
// its context is done, or the hold passes; then it is recorded (release).
func (h *heldAttempts) hold(c *capture) bool {
	key, ok := retryKey(c.ctx, c.call)
	if !ok {
		return false
	}
	wait := c.rec.cfg.retryHold
	if c.retryAfter > 0 {
		wait = max(wait, c.retryAfter+retryGrace)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.byKey == nil {
		h.byKey = map[any][]*capture{}
	}
	h.byKey[key] = append(h.byKey[key], c)
	h.count.Add(1)
	c.heldKey = key
	c.holdTimer = time.AfterFunc(wait, func() { h.release(c) })
	c.stopDone = context.AfterFunc(c.ctx, func() { h.release(c) })
	return true
}

// remove takes c out of the held attempts; false when it was not there
// (taken over, or already released). The caller holds h.mu.
func (h *heldAttempts) remove(c *capture) bool {
	list := h.byKey[c.heldKey]
	for i, x := range list {
		if x == c {
			list = append(list[:i], list[i+1:]...)
			if len(list) == 0 {
				delete(h.byKey, c.heldKey)
			} else {
				h.byKey[c.heldKey] = list
			}
			h.count.Add(-1)
			return true
		}
	}
	return false
}

// release records a held attempt that no next attempt took over.
func (h *heldAttempts) release(c *capture) {
	h.mu.Lock()
	removed := h.remove(c)
	h.mu.Unlock()
	if !removed {
		return
	}
	c.holdTimer.Stop()
	c.stopDone()
	c.recordNow()
}

// take returns the held attempt that next continues: one of the same
// call (its key), route and request body. Its step will not be recorded;
// next's is, starting where it started.
func (h *heldAttempts) take(next *capture) *capture {
	key, ok := retryKey(next.ctx, next.call)
	if !ok {
		return nil
	}
	h.mu.Lock()
	var prev *capture
	for _, c := range h.byKey[key] {
		if c.route == next.route && c.multipart == next.multipart && c.requestTruncated == next.requestTruncated &&
			bytes.Equal(c.request, next.request) {
			prev = c
			break
		}
	}
	if prev != nil {
		h.remove(prev)
	}
	h.mu.Unlock()
	if prev != nil {
		prev.holdTimer.Stop()
		prev.stopDone()
	}
	return prev
}

// resume makes c the continuation of the failed attempt prev: one step,
// in prev's run, from prev's start, counting the attempts and keeping the
// errors of those before.
func (c *capture) resume(prev *capture) {
	c.run, c.simple, c.start = prev.run, prev.simple, prev.start
	c.attempt = max(prev.attempt+1, c.retry+1)
	c.attemptErrors = append(prev.attemptErrors[:len(prev.attemptErrors):len(prev.attemptErrors)], prev.errorText())
	if c.call != nil {
		c.call.run, c.call.attempts = c.run, c.attempt
		c.call.RunID = ""
		if c.simple {
			c.call.RunID = c.run.ID()
		}
	}
}
