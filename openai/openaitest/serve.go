package openaitest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
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

// Header values shared by every response; net/http only reads them.
var (
	ctJSON        = []string{"application/json"}
	ctEventStream = []string{"text/event-stream; charset=utf-8"}
	ctPlainEvents = []string{"text/event-stream"}
	noCache       = []string{"no-cache"}
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	seq := s.seq.Add(1)
	body, err := readBody(r)
	if err != nil {
		return // the client went away
	}
	route := Route(r.URL.Path)
	info := &requestInfo{seq: seq, body: body}
	var parseErr error
	switch {
	case route.multipart():
		parseErr = info.parseForm(r.Header.Get("Content-Type"), body)
	case len(body) > 0:
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
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, imagesPath):
		s.serveImageFile(w, r)
		return
	case s.cfg.checkKey && r.Header.Get("Authorization") != "Bearer "+s.cfg.apiKey:
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key",
			"Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.")
		return
	case route.builtin() && r.Method != http.MethodPost:
		writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", nil,
			fmt.Sprintf("Invalid method for URL (%s %s)", r.Method, r.URL.Path))
		return
	case route.builtin() && route.multipart() && parseErr != nil:
		writeError(w, http.StatusBadRequest, "invalid_request_error", nil,
			"Could not parse multipart form: "+parseErr.Error())
		return
	case route.builtin() && parseErr != nil:
		writeError(w, http.StatusBadRequest, "invalid_request_error", nil,
			"We could not parse the JSON body of your request. (HINT: This likely means you aren't using "+
				"your HTTP library correctly. The OpenAI API expects a JSON payload.) "+parseErr.Error())
		return
	}

	prefix, model := route.idPrefix(), orDefault(info.Model, route.defaultModel())
	id := append(append(make([]byte, 0, len(prefix)+22), '"'), prefix...) // the prefixes need no escaping
	info.fill.vals[holeID] = append(strconv.AppendUint(id, seq, 10), '"')
	info.fill.vals[holeModel] = appendJSONString(make([]byte, 0, len(model)+2), model)
	info.fill.vals[holeLogprobs] = s.wire.logprobs
	info.fill.vals[holeTierHead], info.fill.vals[holeTierTail] = s.wire.tiers(info.ServiceTier)

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
		base.errAt, base.errEvent, base.errAPI = r.errAt, r.errEvent, r.errAPI
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
	if resp.kind == kindReply {
		concrete, ok := resp.resolve(route, info)
		if !ok {
			s.respondReply(w, r, route, info, resp)
			return
		}
		*resp = concrete
	}
	switch {
	case resp.kind == kindBuiltin && route == RouteImages:
		s.respondImages(w, r, info, resp)
		return
	case resp.kind == kindBuiltin:
		s.respondSpeech(w, r, info, resp)
		return
	case resp.kind == kindDisconnect:
		abort()
	case resp.err != nil:
		writeError(w, http.StatusInternalServerError, "server_error", nil, resp.err.Error())
		return
	case resp.status < 200 || resp.status > 999:
		writeError(w, http.StatusInternalServerError, "server_error", nil,
			fmt.Sprintf("openaitest: invalid HTTP status %d in scripted response", resp.status))
		return
	case resp.kind == kindStream && route.jsonStreams() && !info.Stream:
		writeError(w, http.StatusBadRequest, "invalid_request_error", nil, fmt.Sprintf(
			`openaitest: a stream is scripted for %s but the request does not set "stream": true`, route))
		return
	case resp.kind == kindJSON && route.jsonStreams() && info.Stream:
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
	s.writeBody(w, resp, ctJSON, *buf)
}

// respondReply answers a [Reply] on the routes that render it per request.
func (s *Server) respondReply(w http.ResponseWriter, r *http.Request, route Route, info *requestInfo, resp *Response) {
	switch route {
	case RouteResponses:
		s.respondResponses(w, r, info, resp)
	default:
		s.respondTranscript(w, r, route, info, resp)
	}
}

// writeBody sends a complete body with the given default Content-Type,
// honouring the response's status, headers and CutAfter.
func (s *Server) writeBody(w http.ResponseWriter, resp *Response, contentType []string, out []byte) {
	h := w.Header()
	h["Content-Type"] = contentType
	h["Content-Length"] = []string{strconv.Itoa(len(out))}
	for k, v := range resp.header {
		h[k] = v
	}
	w.WriteHeader(resp.status)
	cut := resp.cut > 0 && resp.cut-1 < len(out)
	if cut {
		out = out[:resp.cut-1]
	}
	w.Write(out) //nolint:errcheck // nothing to do when the client went away
	if cut {
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
			info.fill.vals[holeUsage] = appendEstimatedUsage(make([]byte, 0, 320), info.promptTokens(route), resp.completionEst, resp.reasoningEst)
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

// streamer sends the events of one stream, with the response's delays and
// faults.
type streamer struct {
	s    *Server
	w    http.ResponseWriter
	rc   *http.ResponseController
	ctx  context.Context
	resp *Response
}

// begin sends the status line and headers of a stream; it reports false
// when the client is gone.
func (s *Server) beginStream(w http.ResponseWriter, r *http.Request, resp *Response) (*streamer, bool) {
	st := &streamer{s: s, w: w, rc: http.NewResponseController(w), ctx: r.Context(), resp: resp}
	h := w.Header()
	h["Content-Type"] = s.wire.streamCT
	h["Cache-Control"] = noCache
	for k, v := range resp.header {
		h[k] = v
	}
	w.WriteHeader(resp.status)
	return st, st.rc.Flush() == nil
}

// send waits the chunk delay, then writes and flushes b; it reports false
// when the stream cannot go on.
func (st *streamer) send(b []byte) bool {
	if !st.s.wait(st.ctx, st.resp.chunkDelay) {
		return false
	}
	_, err := st.w.Write(b)
	return err == nil && st.rc.Flush() == nil
}

// faults returns after how many events the response's error event and cut
// happen, -1 for never; faults set beyond the last of n events happen after
// it.
func (st *streamer) faults(n int) (errAt, cutAt int) {
	errAt, cutAt = -1, -1
	if st.resp.errAt > 0 {
		errAt = min(st.resp.errAt-1, n)
	}
	if st.resp.cut > 0 {
		cutAt = min(st.resp.cut-1, n)
	}
	return errAt, cutAt
}

// last writes the final bytes of a stream.
func (st *streamer) last(b []byte) {
	st.w.Write(b) //nolint:errcheck // the stream ends either way
	st.rc.Flush() //nolint:errcheck
}

// ended handles a stream that could not go on: if the client is still there
// (the server is closing), the connection is cut so it sees an error rather
// than a clean end.
func (st *streamer) ended() {
	if st.ctx.Err() == nil {
		abort()
	}
}

var doneEvent = []byte("data: [DONE]\n\n")

func (s *Server) stream(w http.ResponseWriter, r *http.Request, route Route, info *requestInfo, resp *Response) {
	st, ok := s.beginStream(w, r, resp)
	if !ok {
		return
	}
	withUsage := info.includeUsage()
	if withUsage {
		s.usage(route, info, resp, resp.usageChunk.has)
	}
	obfuscate := resp.obfuscate && s.wire.obfuscate && info.obfuscation()

	buf := getBuf()
	defer putBuf(buf)
	send := func(t *template, k int) bool {
		b := append((*buf)[:0], "data: "...)
		b = t.appendTo(b, &info.fill)
		if (withUsage && !t.usage) || obfuscate {
			b = b[:len(b)-1]
			if withUsage && !t.usage {
				b = append(b, `,"usage":null`...)
			}
			if obfuscate {
				b = appendObfuscation(b, k)
			}
			b = append(b, '}')
		}
		b = append(b, "\n\n"...)
		*buf = b
		return st.send(b)
	}
	errAt, cutAt := st.faults(len(resp.chunks))
	// fault reports whether a fault ends the stream after k chunks.
	fault := func(k int) bool {
		switch k {
		case errAt:
			st.last(resp.errEvent)
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
		if !send(t, i) {
			st.ended()
			return
		}
	}
	if fault(len(resp.chunks)) {
		return
	}
	if withUsage && !send(resp.usageChunk, len(resp.chunks)) {
		st.ended()
		return
	}
	st.last(doneEvent)
}

// obfuscationAlphabet is what OpenAI's obfuscation padding is made of.
const obfuscationAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// appendObfuscation appends the member `,"obfuscation":"..."` that OpenAI
// adds to stream events as padding: 1 to 16 characters that look random but
// depend only on k, the event's position, so streams are reproducible.
func appendObfuscation(dst []byte, k int) []byte {
	x := uint64(k)*0x9e3779b97f4a7c15 + 0x6f6266757363
	dst = append(dst, `,"obfuscation":"`...)
	for n := 1 + int(x>>60); n > 0; n-- {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		dst = append(dst, obfuscationAlphabet[x%uint64(len(obfuscationAlphabet))])
	}
	return append(dst, '"')
}

// writeError answers with an OpenAI error body.
func writeError(w http.ResponseWriter, status int, typ string, code any, message string) {
	b, _ := json.Marshal(wireError{Error: wireErrorBody{Message: message, Type: typ, Code: code}})
	h := w.Header()
	h["Content-Type"] = ctJSON
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // nothing to do when the client went away
}

// wireFills are the per-server fills of the holes that depend on the [Wire].
type wireFills struct {
	logprobs           []byte // holeLogprobs
	tierHead, tierTail []byte // holeTierHead, holeTierTail for the default tier
	fingerprint        []byte // system_fingerprint value, JSON
	noTier             bool
	streamCT           []string
	obfuscate          bool
}

func newWireFills(w Wire) wireFills {
	f := wireFills{
		fingerprint: []byte("null"),
		noTier:      w.NoServiceTier,
		streamCT:    ctEventStream,
		obfuscate:   !w.NoObfuscation,
	}
	if w.LogprobsNull {
		f.logprobs = []byte(`"logprobs":null,`)
	}
	if w.SystemFingerprint != "" {
		f.fingerprint = appendJSONString(nil, w.SystemFingerprint)
	}
	if w.PlainEventStream {
		f.streamCT = ctPlainEvents
	}
	f.tierHead, f.tierTail = f.buildTiers("default")
	return f
}

// tiers returns the fills of the service tier holes for a request that asked
// for tier: OpenAI answers "default" for "auto" or no tier, and the tier
// itself otherwise.
func (f *wireFills) tiers(tier string) (head, tail []byte) {
	switch tier {
	case "", "auto", "default":
		return f.tierHead, f.tierTail
	}
	return f.buildTiers(tier)
}

func (f *wireFills) buildTiers(tier string) (head, tail []byte) {
	if f.noTier {
		return nil, nil
	}
	members := append([]byte(`"service_tier":`), appendJSONString(nil, tier)...)
	members = append(append(members, `,"system_fingerprint":`...), f.fingerprint...)
	head = append(members[:len(members):len(members)], ',')
	tail = append([]byte{','}, members...)
	return head, tail
}

// parseMediaType returns the media type of a Content-Type value and its
// parameters, lower-cased as mime does.
func parseMediaType(contentType string) (string, map[string]string) {
	t, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", nil
	}
	return t, params
}
