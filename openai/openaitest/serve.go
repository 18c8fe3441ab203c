package openaitest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// bufPool recycles the buffers responses are assembled in.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) <= 1<<16 {
		*b = (*b)[:0]
		bufPool.Put(b)
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	seq := s.seq.Add(1)
	body, err := readBody(r)
	if err != nil {
		return // the client went away
	}
	route := Route(r.URL.Path)
	info := &requestInfo{}
	var parseErr error
	if len(body) > 0 {
		parseErr = json.Unmarshal(body, info)
	}
	if !s.cfg.noRecords {
		s.record(Request{
			Method: r.Method, Route: route, Header: r.Header.Clone(), Body: body,
			Model: info.Model, Stream: info.Stream,
		})
	}

	reqID := "req_openaitest_" + strconv.FormatUint(seq, 10)
	w.Header()["X-Request-Id"] = []string{reqID}
	switch {
	case s.cfg.checkKey && r.Header.Get("Authorization") != "Bearer "+s.cfg.apiKey:
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key",
			"Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.")
		return
	case route.builtin() && r.Method != http.MethodPost:
		writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", nil,
			fmt.Sprintf("Invalid method for URL (%s %s)", r.Method, r.URL.Path))
		return
	case route.builtin() && parseErr != nil:
		writeError(w, http.StatusBadRequest, "invalid_request_error", nil,
			"We could not parse the JSON body of your request. (HINT: This likely means you aren't using "+
				"your HTTP library correctly. The OpenAI API expects a JSON payload.) "+parseErr.Error())
		return
	}

	info.fill.vals[holeID] = appendJSONString(nil, route.idPrefix()+strconv.FormatUint(seq, 10))
	info.fill.vals[holeModel] = appendJSONString(nil, orDefault(info.Model, route.defaultModel()))

	resp, scripted := s.next(route)
	if !scripted || resp.kind == kindDefault {
		base, ok := builtin(route, info)
		if !ok {
			writeError(w, http.StatusNotFound, "invalid_request_error", nil,
				fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path))
			return
		}
		resp = resp.over(base)
	}
	s.respond(w, r, route, info, &resp)
}

func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > 0 && r.ContentLength < 1<<30 {
		b := make([]byte, r.ContentLength)
		_, err := io.ReadFull(r.Body, b)
		return b, err
	}
	return io.ReadAll(r.Body)
}

// over returns base with the modifiers set on r (a zero-kind Response).
func (r Response) over(base Response) Response {
	if len(r.header) > 0 {
		h := base.header.Clone()
		if h == nil {
			h = make(http.Header, len(r.header))
		}
		for k, v := range r.header {
			h[k] = v
		}
		base.header = h
	}
	if r.delay != 0 {
		base.delay = r.delay
	}
	if r.chunkDelay != 0 {
		base.chunkDelay = r.chunkDelay
	}
	if r.cut != 0 {
		base.cut = r.cut
	}
	if r.errAt != 0 {
		base.errAt, base.errEvent = r.errAt, r.errEvent
	}
	if r.usage != nil {
		base.usage, base.usageJSON = r.usage, r.usageJSON
	}
	return base
}

// abort closes the connection without completing the response; net/http
// recovers this panic silently.
func abort() { panic(http.ErrAbortHandler) }

// wait sleeps d, and reports false if the client went away or the server is
// closing first.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

func (s *Server) respond(w http.ResponseWriter, r *http.Request, route Route, info *requestInfo, resp *Response) {
	if !s.wait(r.Context(), resp.delay) {
		abort()
	}
	switch {
	case resp.kind == kindDisconnect:
		abort()
	case resp.err != nil:
		writeError(w, http.StatusInternalServerError, "server_error", nil, resp.err.Error())
		return
	case resp.status < 200 || resp.status > 999:
		writeError(w, http.StatusInternalServerError, "server_error", nil,
			fmt.Sprintf("openaitest: invalid HTTP status %d in scripted response", resp.status))
		return
	case resp.kind == kindStream && route.builtin() && !info.Stream:
		writeError(w, http.StatusBadRequest, "invalid_request_error", nil, fmt.Sprintf(
			`openaitest: a stream is scripted for %s but the request does not set "stream": true`, route))
		return
	case resp.kind == kindJSON && route.builtin() && info.Stream:
		writeError(w, http.StatusBadRequest, "invalid_request_error", nil, fmt.Sprintf(
			`openaitest: a JSON response is scripted for %s but the request sets "stream": true`, route))
		return
	case resp.kind == kindStream:
		s.stream(w, r, route, info, resp)
		return
	}

	body := resp.body
	if resp.body64 != nil && info.EncodingFormat == "base64" {
		body = resp.body64
	}
	s.usage(route, info, resp, body.has)
	buf := getBuf()
	defer putBuf(buf)
	*buf = body.appendTo((*buf)[:0], &info.fill)

	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(*buf))}
	for k, v := range resp.header {
		h[k] = v
	}
	w.WriteHeader(resp.status)
	out := *buf
	if resp.cut > 0 && resp.cut-1 < len(out) {
		out = out[:resp.cut-1]
	} else {
		resp.cut = 0
	}
	w.Write(out) //nolint:errcheck // nothing to do when the client went away
	if resp.cut > 0 {
		http.NewResponseController(w).Flush() //nolint:errcheck
		abort()
	}
}

// usage fills the usage holes that need it.
func (s *Server) usage(route Route, info *requestInfo, resp *Response, need [numHoles]bool) {
	if need[holeUsage] {
		if resp.usage != nil {
			info.fill.vals[holeUsage] = resp.usageJSON
		} else {
			info.fill.vals[holeUsage] = appendEstimatedUsage(nil, info.promptTokens(route), resp.completionEst)
		}
	}
	if need[holeEmbedding] {
		p := info.promptTokens(route)
		if resp.usage != nil {
			p = resp.usage.PromptTokens
		}
		info.fill.vals[holeEmbedding] = appendEmbeddingUsage(nil, p)
	}
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, route Route, info *requestInfo, resp *Response) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h["Content-Type"] = []string{"text/event-stream"}
	h["Cache-Control"] = []string{"no-cache"}
	for k, v := range resp.header {
		h[k] = v
	}
	w.WriteHeader(resp.status)
	if rc.Flush() != nil {
		return
	}
	withUsage := info.includeUsage()
	if withUsage {
		s.usage(route, info, resp, resp.usageChunk.has)
	}

	buf := getBuf()
	defer putBuf(buf)
	ctx := r.Context()
	send := func(t *template) bool {
		if !s.wait(ctx, resp.chunkDelay) {
			return false
		}
		b := append((*buf)[:0], "data: "...)
		b = t.appendTo(b, &info.fill)
		if withUsage && !t.usage {
			b = append(b[:len(b)-1], `,"usage":null}`...)
		}
		b = append(b, "\n\n"...)
		*buf = b
		_, err := w.Write(b)
		return err == nil && rc.Flush() == nil
	}
	// Faults set beyond the last chunk happen just before the usage chunk.
	errAt, cutAt := -1, -1
	if resp.errAt > 0 {
		errAt = min(resp.errAt-1, len(resp.chunks))
	}
	if resp.cut > 0 {
		cutAt = min(resp.cut-1, len(resp.chunks))
	}
	// fault reports whether a fault ends the stream after k chunks.
	fault := func(k int) bool {
		switch k {
		case errAt:
			w.Write(resp.errEvent) //nolint:errcheck // the stream ends either way
			rc.Flush()             //nolint:errcheck
			return true
		case cutAt:
			abort()
		}
		return false
	}

	for i, t := range resp.chunks {
		if fault(i) {
			return
		}
		if !send(t) {
			s.ended(ctx)
			return
		}
	}
	if fault(len(resp.chunks)) {
		return
	}
	if withUsage && !send(resp.usageChunk) {
		s.ended(ctx)
		return
	}
	w.Write([]byte("data: [DONE]\n\n")) //nolint:errcheck // last write; nothing follows
	rc.Flush()                          //nolint:errcheck
}

// ended handles a stream that could not go on: if the client is still there
// (the server is closing), the connection is cut so it sees an error rather
// than a clean end.
func (s *Server) ended(ctx context.Context) {
	if ctx.Err() == nil {
		abort()
	}
}

// writeError answers with an OpenAI error body.
func writeError(w http.ResponseWriter, status int, typ string, code any, message string) {
	b, _ := json.Marshal(wireError{Error: wireErrorBody{Message: message, Type: typ, Code: code}})
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // nothing to do when the client went away
}
