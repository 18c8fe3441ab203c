package gentracetest

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// ErrClosed is returned, possibly wrapped, by [Server.WaitFor] and
// [Server.WaitForRuns] when the server is closed before the wait is over.
var ErrClosed = errors.New("gentracetest: server closed")

// A Server is a fake Gentrace backend listening on the loopback interface.
// Make one with [NewServer] or [Start]; the zero value is not usable. All
// methods are safe for concurrent use, including while requests are served.
type Server struct {
	// URL is the base URL to configure the client under test with, of the
	// form http://127.0.0.1:port/api. It must not be modified.
	URL string
	// APIKey is the key the server accepts in "Authorization: Bearer <key>";
	// [DefaultAPIKey] unless set by [WithRequiredKey]. It must not be modified.
	APIKey string

	ts        *httptest.Server
	closing   chan struct{} // closed by Close, to end hanging requests
	closeOnce sync.Once
	cfg       config

	mu        sync.Mutex
	stats     Counts
	runs      []Run
	runIndex  map[string]int    // lower-case run id → index in runs
	nextOf    map[string]string // lower-case previousRunId → id of the run naming it
	pipelines map[string]*pipeline
	results   []TestResult
	changed   chan struct{} // closed and replaced whenever Stats changes
	faults    faultState
}

// Counts are what a [Server] has received since it started or was last
// [Server.Reset].
type Counts struct {
	// Requests counts every HTTP request, on any route, faulted or not.
	Requests int
	// Stored counts the distinct runs stored; see [Server.Runs].
	Stored int
	// Duplicates counts run POSTs answered 200 for an id already stored,
	// such as a client's retries after a lost response.
	Duplicates int
	// Rejected counts requests the server answered with a 4xx of its own
	// (authentication, routing, validation, body size, threads), not those
	// of injected faults.
	Rejected int
	// Faults counts requests that met an injected fault: failed with a
	// status, dropped, answered and lost, or hung.
	Faults int
	// TestResults counts the test results stored; see [Server.TestResults].
	TestResults int
}

// NewServer starts a fake Gentrace backend on the loopback interface. The
// caller must call [Server.Close] when done. Like [httptest.NewServer], it
// panics if it cannot listen, or if an option is invalid.
func NewServer(opts ...Option) *Server {
	s, err := newServer(opts)
	if err != nil {
		panic(err)
	}
	return s
}

// Start is [NewServer] for tests: it fails tb at once on an invalid option
// and closes the server when the test and its subtests end.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := newServer(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

func newServer(opts []Option) (*Server, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		APIKey:  cfg.apiKey,
		closing: make(chan struct{}),
		changed: make(chan struct{}),
	}
	s.resetLocked()
	s.ts = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	// Keep connections for many concurrent callers (net/http keeps 2), so
	// that load through Client does not open a connection per request.
	s.ts.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = 100
	s.URL = s.ts.URL + "/api"
	return s, nil
}

// Client returns an HTTP client for the server, whose idle connections
// [Server.Close] closes. Any client works; this one spares tests a
// transport of their own.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close ends requests that are hanging or delayed by dropping their
// connections, shuts the server down and waits for its handlers to return.
// Recorded runs and results stay readable. Close may be called more than
// once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.ts.Close()
}

// Stats returns the server's counters.
func (s *Server) Stats() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Stored = len(s.runs)
	st.TestResults = len(s.results)
	return st
}

// Reset returns the server to the state it started in: it forgets runs,
// test cases, test results and counters, clears queued and persistent
// faults, and lets hanging requests proceed. URL and APIKey do not change.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.releaseLocked()
	s.resetLocked()
	s.notifyLocked()
}

func (s *Server) resetLocked() {
	s.stats = Counts{}
	s.runs = nil
	s.runIndex = make(map[string]int)
	s.nextOf = make(map[string]string)
	s.pipelines = make(map[string]*pipeline)
	s.results = nil
	s.faults = newFaultState()
}

// notifyLocked wakes every WaitFor call so it can look again. Call it after
// every change to what Stats reports.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// WaitForRuns blocks until at least n distinct runs are stored, ctx is done
// or the server is closed ([ErrClosed]). Use it to wait for runs a client
// delivers in the background, instead of sleeping.
func (s *Server) WaitForRuns(ctx context.Context, n int) error {
	err := s.WaitFor(ctx, func(st Counts) bool { return st.Stored >= n })
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrClosed):
		return fmt.Errorf("%w while waiting for %d runs, %d stored", err, n, s.Stats().Stored)
	default:
		return fmt.Errorf("gentracetest: waiting for %d runs, %d stored: %w", n, s.Stats().Stored, err)
	}
}

// WaitFor blocks until cond holds for the server's [Counts], ctx is done (it
// returns ctx.Err()) or the server is closed ([ErrClosed]). cond is called
// without the server's lock held, each time the counters change; it must not
// block. For example, to wait until a client has made its third attempt:
//
//	err := srv.WaitFor(ctx, func(st gentracetest.Counts) bool { return st.Requests >= 3 })
func (s *Server) WaitFor(ctx context.Context, cond func(Counts) bool) error {
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		// Stats is read after changed, so a change in between closes
		// changed and is not missed.
		if cond(s.Stats()) {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closing:
			return ErrClosed
		}
	}
}

// serveHTTP applies injected faults, then routes the request.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	// Read the body before anything waits: net/http notices that a client
	// went away, and cancels r.Context, only once the body is consumed.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(s.cfg.maxBody)))
	if err != nil {
		// A body that cannot be read is the client's fault: it is
		// counted and rejected without consuming an injected fault.
		s.mu.Lock()
		s.stats.Requests++
		s.notifyLocked()
		s.mu.Unlock()
		status, msg := http.StatusBadRequest, fmt.Sprintf("reading request body: %v", err)
		if target := (*http.MaxBytesError)(nil); errors.As(err, &target) {
			status = http.StatusRequestEntityTooLarge
			msg = fmt.Sprintf("request body larger than the limit of %d bytes", s.cfg.maxBody)
			if r.ContentLength > 0 {
				msg = fmt.Sprintf("request body of %d bytes is larger than the limit of %d bytes", r.ContentLength, s.cfg.maxBody)
			}
		}
		s.reject(w, status, msg)
		return
	}
	a := s.admit()
	if !s.await(r.Context(), a) {
		dropConnection(w)
		return
	}
	switch f := a.fault; {
	case f.drop:
		dropConnection(w)
	case f.status != 0:
		w.Header().Set(FaultHeader, "status")
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		if f.status >= 300 && f.status < 400 {
			loc := f.location
			if loc == "" {
				// The move of an http API to https on the same host.
				loc = "https://" + r.Host + r.URL.RequestURI()
			}
			w.Header().Set("Location", loc)
			w.Header().Set(FaultHeader, "redirect")
		}
		writeMessage(w, f.status, fmt.Sprintf("gentracetest: injected %d", f.status))
	case f.lose:
		s.route(httptest.NewRecorder(), r, body)
		dropConnection(w)
	case f.slow > 0:
		s.serveSlowly(w, r, body, f.slow)
	default:
		s.route(w, r, body)
	}
}

// serveSlowly handles the request, then sends the answer's header at once
// and its body only after d, as a server whose answer crawls would. A
// request whose client gives up first, or still waiting at Close, has its
// connection dropped; it was processed all the same.
func (s *Server) serveSlowly(w http.ResponseWriter, r *http.Request, body []byte, d time.Duration) {
	rec := httptest.NewRecorder()
	s.route(rec, r, body)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set(FaultHeader, "slow-body")
	w.WriteHeader(rec.Code)
	_ = http.NewResponseController(w).Flush()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		_, _ = w.Write(rec.Body.Bytes())
	case <-r.Context().Done():
		dropConnection(w)
	case <-s.closing:
		dropConnection(w)
	}
}

type route struct {
	method string
	handle func(s *Server, w http.ResponseWriter, r *http.Request, body []byte)
}

var routes = map[string]route{
	"/api/v1/run":                {http.MethodPost, (*Server).handleRun},
	"/api/v1/test-case":          {http.MethodGet, (*Server).handleTestCases},
	"/api/v1/test-result-simple": {http.MethodPost, (*Server).handleTestResult},
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, body []byte) {
	if problem := s.authenticate(r); problem != "" {
		w.Header().Set("WWW-Authenticate", "Bearer")
		s.reject(w, http.StatusUnauthorized, problem)
		return
	}
	rt, ok := routes[r.URL.Path]
	if !ok {
		s.reject(w, http.StatusNotFound, fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path))
		return
	}
	if r.Method != rt.method {
		w.Header().Set("Allow", rt.method)
		s.reject(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: method not allowed, want %s", r.Method, r.URL.Path, rt.method))
		return
	}
	if rt.method == http.MethodPost {
		ct := r.Header.Get("Content-Type")
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			s.reject(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type must be application/json, got %q", ct))
			return
		}
	}
	rt.handle(s, w, r, body)
}

// authenticate returns what is wrong with the request's credentials, or "".
// The message never repeats the key it was given.
func (s *Server) authenticate(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if h == "" {
		return `missing Authorization header, want "Bearer <API key>"`
	}
	scheme, key, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "Authorization header must use the Bearer scheme"
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(s.APIKey)) != 1 {
		return "invalid API key"
	}
	return ""
}

// reject answers a request the server refuses on its own account.
func (s *Server) reject(w http.ResponseWriter, status int, message string) {
	s.mu.Lock()
	s.stats.Rejected++
	s.notifyLocked()
	s.mu.Unlock()
	writeMessage(w, status, message)
}

// writeMessage answers with the API's error shape, {"message": ...}.
func writeMessage(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"message": message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do
}

// recordedHeader copies a request's header for the record, leaving out the
// credentials.
func recordedHeader(r *http.Request) http.Header {
	h := r.Header.Clone()
	h.Del("Authorization")
	return h
}
