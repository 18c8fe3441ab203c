package openaihttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/internal/jsonscan"
	"github.com/gentrace/gentrace-go/internal/rawjson"
	"github.com/gentrace/gentrace-go/internal/sse"
)

// How a response body ended, besides a read error.
var (
	errBodyEnd   = errors.New("end of body")
	errClosed    = errors.New("closed by the caller")
	errAbandoned = errors.New("response body was neither read to its end nor closed (recorded when it was garbage collected)")
)

// tailBytes is how much of the end of a body over the size cap is kept:
// OpenAI puts the model and the usage last.
const tailBytes = 64 << 10

// capture is one recorded call in progress: the request as the caller sent
// it and the response as it passed through. The step is recorded once,
// when the response ends, and completed (parsed, priced, estimated) later,
// on a delivery goroutine, off the caller's path.
type capture struct {
	rec      *Recorder
	route    *route
	run      *gentrace.Runner
	simple   bool // run is a one-step run made for the call
	call     *Call
	ctx      context.Context // the request's, for the identity and the end of a retried call
	platform string
	attrs    gentrace.Attributes
	attempt  int

	// A retrying client's attempt (see Do): its number (-1 for other
	// clients), what the answer said about retrying, the errors of the
	// attempts before, and while the attempt is held, its key and what
	// ends the hold.
	retry         int
	shouldRetry   string
	retryAfter    time.Duration
	attemptErrors []string
	heldKey       any
	holdTimer     *time.Timer
	stopDone      func() bool

	request          []byte // the caller's request body, up to the cap
	requestTruncated int64  // bytes of the request body left out
	multipart        string // the request's multipart Content-Type
	getBody          func() (io.ReadCloser, error)
	checked          rawjson.Pool // the step's values, when it is completed
	injected         bool         // the recorder asked for the stream's usage
	choices          int          // choices the request asked for ("n"), when injected

	start       time.Time
	status      int
	contentType string
	respLength  int64 // the response's Content-Length, or -1

	mu        sync.Mutex
	sse       bool      // the answer is a stream of events
	window    []byte    // the last bytes seen, to find an end marker split across reads
	doneAt    time.Time // when the stream's last event arrived, if it did
	first     time.Time // first response bytes
	resp      []byte    // response body, up to the cap
	respTotal int64
	tail      []byte // the last tailBytes when over the cap
	done      bool
	end       time.Time
	how       error // errBodyEnd, errClosed, errAbandoned or a read error
}

// readRequest keeps a copy of the request body and returns the request to
// send: the caller's own, or a shallow copy with a replayable body when
// the caller's could be read only once, or when the recorder asks a stream
// for its usage.
func (c *capture) readRequest(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	ct := req.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/") {
		c.multipart = ct
		if req.GetBody != nil {
			// Audio files can be large: read the form when the step is
			// completed, from a fresh copy of the body.
			c.getBody = req.GetBody
			return req, nil
		}
		sent := *req
		sent.Body = &teeRequest{ReadCloser: req.Body, c: c}
		return &sent, nil
	}
	var data []byte
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		data, err = readAll(body, req.ContentLength)
		body.Close()
		if err != nil {
			return nil, err
		}
	} else {
		var err error
		data, err = readAll(req.Body, req.ContentLength)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		sent := *req
		setBody(&sent, data)
		req = &sent
	}
	c.keepRequest(data)
	// Only a chat stream the recorder may ask for its usage needs the
	// request read on the caller's path; everything else waits for the
	// step's completion.
	if c.route == routeChat && c.wantsUsage(req) {
		stream, opts := false, []byte(nil)
		jsonscan.Members(data, func(k, v []byte) bool {
			switch string(k) {
			case "stream":
				stream = string(v) == "true"
			case "stream_options":
				opts = v
			case "n":
				if n, ok := jsonscan.Int(v); ok && n > 1 {
					c.choices = int(n)
				}
			}
			return true
		})
		if stream && string(jsonscan.Get(opts, "include_usage")) != "true" {
			if body, ok := withIncludeUsage(data); ok {
				sent := *req
				setBody(&sent, body)
				req = &sent
				c.injected = true
			}
		}
	}
	return req, nil
}

func (c *capture) wantsUsage(req *http.Request) bool {
	switch c.rec.cfg.usage {
	case StreamUsageAlways:
		return true
	case StreamUsageNever:
		return false
	}
	return isOpenAI(req)
}

// keepRequest keeps the request body, or its start when it is over the cap.
func (c *capture) keepRequest(data []byte) {
	if limit := c.rec.cfg.maxBody; len(data) > limit {
		c.request = append([]byte(nil), data[:limit]...)
		c.requestTruncated = int64(len(data) - limit)
		return
	}
	c.request = data
}

func setBody(req *http.Request, data []byte) {
	req.Body = io.NopCloser(bytes.NewReader(data))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	req.ContentLength = int64(len(data))
}

// readAll reads r, in one allocation when its size is known.
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 || size > 64<<20 {
		return io.ReadAll(r)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	// A body longer than it said: keep reading.
	var one [1]byte
	if n, _ := r.Read(one[:]); n > 0 {
		rest, err := io.ReadAll(r)
		return append(append(buf, one[0]), rest...), err
	}
	return buf, nil
}

// withIncludeUsage returns the request with stream_options.include_usage
// set, keeping every other member and the caller's other stream options.
func withIncludeUsage(data []byte) ([]byte, bool) {
	out := make([]byte, 0, len(data)+40)
	out = append(out, '{')
	ok := jsonscan.Members(data, func(k, v []byte) bool {
		if jsonscan.Key(k, "stream_options") {
			return true
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, k...)
		out = append(out, `":`...)
		out = append(out, v...)
		return true
	})
	if !ok {
		return nil, false
	}
	if len(out) > 1 {
		out = append(out, ',')
	}
	out = append(out, `"stream_options":{`...)
	opts := jsonscan.Get(data, "stream_options")
	jsonscan.Members(opts, func(k, v []byte) bool {
		if !jsonscan.Key(k, "include_usage") {
			out = append(out, '"')
			out = append(out, k...)
			out = append(out, `":`...)
			out = append(out, v...)
			out = append(out, ',')
		}
		return true
	})
	out = append(out, `"include_usage":true}}`...)
	return out, true
}

// teeRequest keeps a copy of a multipart request body, up to the cap, as
// the transport sends it.
type teeRequest struct {
	io.ReadCloser
	c *capture
}

func (t *teeRequest) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	c := t.c
	c.mu.Lock()
	if room := c.rec.cfg.maxBody - len(c.request); room > 0 {
		c.request = append(c.request, p[:min(n, room)]...)
		c.requestTruncated += int64(max(0, n-room))
	} else {
		c.requestTruncated += int64(n)
	}
	c.mu.Unlock()
	return n, err
}

// wrap returns the response body the caller reads.
func (c *capture) wrap(rc io.ReadCloser) io.ReadCloser {
	b := &body{rc: rc, c: c}
	c.sse = c.isStream()
	if c.injected && strings.HasPrefix(c.contentType, "text/event-stream") {
		b.hide = true
	}
	// A caller that neither reads a body to its end nor closes it would
	// leave the step unrecorded (and a simple-mode run unsubmitted):
	// record it when the body is garbage collected. A finalizer, unlike
	// runtime.AddCleanup, allocates nothing; the capture holds no pointer
	// back to the body, so the body is collected.
	b.watched.Store(true)
	runtime.SetFinalizer(b, (*body).abandoned)
	return b
}

func (b *body) abandoned() {
	b.watched.Store(false)
	b.c.observe(nil, errAbandoned)
}

// observe passes what the caller read to the capture; once the body has
// ended it no longer needs watching for abandonment (a finalizer that
// runs costs the runtime more than one removed).
func (b *body) observe(p []byte, end error) {
	b.c.observe(p, end)
	if end != nil && b.watched.CompareAndSwap(true, false) {
		runtime.SetFinalizer(b, nil)
	}
}

// body is the response body the caller reads: the server's bytes, passed
// on as they come while a copy is kept.
type body struct {
	rc io.ReadCloser
	c  *capture

	// With hide set, the usage-only chunk the recorder asked for is cut
	// out: bytes are passed on event by event.
	hide     bool
	pend     []byte // received, not yet a complete event
	out      []byte // complete events not yet returned
	scratch  []byte
	buf      []byte
	rerr     error // the read error to return once out is empty
	finishes int   // chunks with a finish_reason
	sawUsage bool
	watched  atomic.Bool // a finalizer records the call if the body is abandoned
}

func (b *body) Read(p []byte) (int, error) {
	if b.hide {
		return b.readHiding(p)
	}
	n, err := b.rc.Read(p)
	b.observe(p[:n], err)
	return n, err
}

// readHiding passes complete events on, except the usage-only chunk.
func (b *body) readHiding(p []byte) (int, error) {
	for {
		if len(b.out) > 0 {
			n := copy(p, b.out)
			b.out = b.out[n:]
			if len(b.out) == 0 {
				b.out = b.out[:0:cap(b.out)]
			}
			return n, nil
		}
		if b.rerr != nil {
			b.observe(nil, b.rerr)
			return 0, b.rerr
		}
		if b.buf == nil {
			b.buf = make([]byte, 4096)
		}
		n, err := b.rc.Read(b.buf)
		b.observe(b.buf[:n], nil)
		b.pend = append(b.pend, b.buf[:n]...)
		b.cutEvents(err != nil)
		if err != nil {
			// A last event without its blank line is passed on as it is.
			b.out = append(b.out, b.pend...)
			b.pend = b.pend[:0]
			b.rerr = err
		}
	}
}

// cutEvents moves the complete events of pend to out, dropping the
// usage-only chunk.
func (b *body) cutEvents(final bool) {
	off := 0
	for off < len(b.pend) {
		ev, n, ok := sse.Next(b.pend[off:], &b.scratch, final)
		if !ok {
			break
		}
		raw := b.pend[off : off+n]
		off += n
		if usageOnly(ev.Data) {
			b.sawUsage = true
			continue
		}
		if bytes.Contains(ev.Data, []byte(`"finish_reason":"`)) {
			b.finishes++
		}
		b.out = append(b.out, raw...)
	}
	rest := copy(b.pend, b.pend[off:])
	b.pend = b.pend[:rest]
}

// usageOnly reports the chunk include_usage adds: no choices, a usage.
func usageOnly(data []byte) bool {
	if !bytes.Contains(data, []byte(`"usage"`)) {
		return false
	}
	choices := jsonscan.Get(data, "choices")
	return string(jsonscan.Trim(choices)) == "[]" && !jsonscan.IsNull(jsonscan.Get(data, "usage"))
}

// drainWait bounds how long Close waits for the usage chunk.
const drainWait = 2 * time.Second

func (b *body) Close() error {
	if b.hide && b.rerr == nil && !b.sawUsage && b.finishes >= b.c.choices {
		// Every choice has finished: the usage chunk the recorder asked
		// for is on its way. Read it (briefly) so the step gets exact
		// usage, without passing it on.
		t := time.AfterFunc(drainWait, func() { b.rc.Close() })
		for b.rerr == nil && !b.sawUsage {
			n, err := b.rc.Read(b.bufOrNew())
			b.observe(b.buf[:n], nil)
			b.pend = append(b.pend, b.buf[:n]...)
			b.cutEvents(err != nil)
			if err != nil {
				b.rerr = err
			}
		}
		t.Stop()
	}
	err := b.rc.Close()
	b.observe(nil, errClosed)
	return err
}

func (b *body) bufOrNew() []byte {
	if b.buf == nil {
		b.buf = make([]byte, 4096)
	}
	return b.buf
}

// observe keeps response bytes and, when end is non-nil, finishes the call.
func (c *capture) observe(p []byte, end error) {
	c.mu.Lock()
	if c.done {
		c.mu.Unlock()
		return
	}
	if len(p) > 0 {
		if c.first.IsZero() {
			c.first = c.run.Now()
		}
		c.keep(p)
		if c.sse && c.doneAt.IsZero() && c.endsStream(p) {
			c.doneAt = c.run.Now()
		}
	}
	if end == nil {
		c.mu.Unlock()
		return
	}
	if errors.Is(end, io.EOF) {
		end = errBodyEnd
	}
	c.done, c.end, c.how = true, c.run.Now(), end
	if c.sse {
		c.rec.streamSize.Store(int64(len(c.resp)))
	}
	if !c.doneAt.IsZero() {
		// A client stops reading at the last event and closes the body
		// later (a deferred Close): the call ended when that event came.
		c.end = c.doneAt
	}
	c.mu.Unlock()
	c.record()
}

// keep appends response bytes up to the cap, then keeps only a tail.
func (c *capture) keep(p []byte) {
	c.respTotal += int64(len(p))
	limit := c.rec.cfg.maxBody
	if c.resp == nil && c.tail == nil {
		size := 4096
		switch {
		case c.respLength > 0:
			size = int(min(c.respLength, int64(limit)))
		case c.sse:
			// Streams do not say their length: start from the size of
			// the last one, so that a stream's bytes are seldom copied as
			// they grow.
			size = int(min(max(c.rec.streamSize.Load(), 4096), int64(limit)))
		}
		c.resp = make([]byte, 0, max(size, min(len(p), limit)))
	}
	if room := limit - len(c.resp); room > 0 {
		take := min(room, len(p))
		c.resp = append(c.resp, p[:take]...)
		p = p[take:]
	}
	if len(p) == 0 {
		return
	}
	c.tail = append(c.tail, p...)
	if len(c.tail) > tailBytes {
		n := copy(c.tail, c.tail[len(c.tail)-tailBytes:])
		c.tail = c.tail[:n]
	}
}

// finish ends a call that got no response body to watch: a transport
// error, or an empty body.
func (c *capture) finish(err error) {
	c.mu.Lock()
	if c.done {
		c.mu.Unlock()
		return
	}
	c.done, c.end, c.how = true, c.run.Now(), err
	c.mu.Unlock()
	c.record()
}

// record adds the call's step to its run, or holds a failed attempt that
// the client may retry until its next attempt (see Do).
func (c *capture) record() {
	if c.mayHold() && c.rec.held.hold(c) {
		return
	}
	c.recordNow()
}

// recordNow adds the call's step to its run. What is costly (parsing,
// cost, estimation) is left to Complete.
func (c *capture) recordNow() {
	s := gentrace.Step{
		ProviderName: ProviderName,
		Invocation:   c.route.invocation,
		StartTime:    c.start,
		EndTime:      c.end,
		Platform:     c.platform,
		Attributes:   c.attrs,
		Complete:     c.complete,
		// The step keeps the bodies until it is completed and encoded.
		SizeHint: int64(len(c.request) + len(c.resp) + len(c.tail)),
	}
	if c.call != nil {
		s.Metadata = c.call.Metadata
	}
	if !c.first.IsZero() && c.isStream() {
		s.TimeToFirstToken = c.first.Sub(c.start)
	}
	switch {
	case c.status == 0:
		s.Error = c.how.Error() // the transport failed: no answer
	case c.status < 200 || c.status > 299:
		s.Error = fmt.Sprintf("%d %s", c.status, http.StatusText(c.status)) // refined by complete
	}
	if err := c.run.Record(s); err != nil {
		report(c.run, "OpenAI step of run %s not recorded: %w", c.run.ID(), err)
	}
}

// isStream reports a server-sent event answer.
func (c *capture) isStream() bool { return strings.HasPrefix(c.contentType, "text/event-stream") }

// Markers of a stream's last event: chat and completions end with
// "data: [DONE]", the Responses API with its final response event.
var (
	doneMarkers     = [][]byte{[]byte("data: [DONE]")}
	responseMarkers = [][]byte{[]byte("response.completed"), []byte("response.incomplete"), []byte("response.failed")}
)

// markerOverlap is longer than any marker, so that one split across two
// reads is found.
const markerOverlap = 24

// endsStream reports whether p, with the bytes before it, holds the
// stream's last event. It scans p once per marker and the seam with the
// previous read, never what came before.
func (c *capture) endsStream(p []byte) bool {
	markers := doneMarkers
	if c.route == routeResponse {
		markers = responseMarkers
	}
	found := false
	if len(c.window) > 0 {
		seam := append(c.window, p[:min(len(p), markerOverlap)]...)
		found = containsAny(seam, markers)
		c.window = seam[:len(c.window)]
	}
	if !found {
		scan := p
		if c.route != routeResponse {
			// "data: [DONE]" is the last event: it is at the end of a read.
			scan = p[max(0, len(p)-2*markerOverlap):]
		}
		found = containsAny(scan, markers)
	}
	// Keep the last bytes for the next seam.
	if len(p) >= markerOverlap {
		c.window = append(c.window[:0], p[len(p)-markerOverlap:]...)
	} else {
		c.window = append(c.window, p...)
		if len(c.window) > markerOverlap {
			c.window = c.window[len(c.window)-markerOverlap:]
		}
	}
	return found
}

func containsAny(b []byte, markers [][]byte) bool {
	for _, m := range markers {
		if bytes.Contains(b, m) {
			return true
		}
	}
	return false
}
