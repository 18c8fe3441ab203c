// Package api serves the Gentrace v1 routes that gentrace-go uses, storing
// what it receives in a store.Store:
//
//	POST /api/v1/run                 → {"pipelineRunId": id}
//	GET  /api/v1/test-case?pipelineSlug=S → {"testCases": [...]}
//	POST /api/v1/test-case           → {"caseId": id} or {"creationCount": n}
//	POST /api/v1/test-result-simple  → {"resultId": id}
//
// Bodies are validated by internal/contract, as gentracetest validates
// them, and errors are answered in the API's shape {"message": ...} with the
// same statuses and messages. Runs are deduplicated by ID and threads are
// singly-linked, as in the API.
package api

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gentrace/gentrace-go/cmd/gentrace-dev/internal/store"
	"github.com/gentrace/gentrace-go/internal/contract"
)

// DefaultMaxBodyBytes caps a request body unless Config says otherwise: as
// much as gentracetest takes, well above what the SDK sends for one run.
const DefaultMaxBodyBytes = 32 << 20

// Config configures the API handler.
type Config struct {
	// Store receives what the API accepts. Required.
	Store *store.Store
	// APIKey is the only key accepted in "Authorization: Bearer <key>";
	// empty accepts any non-empty key.
	APIKey string
	// MaxBodyBytes caps request bodies (413 above it); 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Logger receives server-side failures; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock that stamps arrivals; nil means time.Now.
	Now func() time.Time
}

// Handler serves the API. Make one with New; it is safe for concurrent use.
type Handler struct {
	cfg Config
}

// New returns the API handler, to be mounted so that it sees paths
// starting with /api/.
func New(cfg Config) *Handler {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Handler{cfg: cfg}
}

type route struct {
	methods []string
	post    func(h *Handler, w http.ResponseWriter, r *http.Request, body []byte)
	get     func(h *Handler, w http.ResponseWriter, r *http.Request)
}

var routes = map[string]route{
	"/api/v1/run":                {methods: []string{http.MethodPost}, post: (*Handler).postRun},
	"/api/v1/test-case":          {methods: []string{http.MethodGet, http.MethodPost}, get: (*Handler).getTestCases, post: (*Handler).postTestCases},
	"/api/v1/test-result-simple": {methods: []string{http.MethodPost}, post: (*Handler).postTestResult},
}

// ServeHTTP authenticates, routes, reads the body within its cap and
// handles the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if problem := h.authenticate(r); problem != "" {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeMessage(w, http.StatusUnauthorized, problem)
		return
	}
	rt, ok := routes[r.URL.Path]
	if !ok {
		writeMessage(w, http.StatusNotFound, fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path))
		return
	}
	switch {
	case r.Method == http.MethodGet && rt.get != nil:
		rt.get(h, w, r)
		return
	case r.Method == http.MethodPost && rt.post != nil:
	default:
		want := strings.Join(rt.methods, " or ")
		w.Header().Set("Allow", strings.Join(rt.methods, ", "))
		writeMessage(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: method not allowed, want %s", r.Method, r.URL.Path, want))
		return
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		writeMessage(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type must be application/json, got %q", ct))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		status := http.StatusBadRequest
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			status = http.StatusRequestEntityTooLarge
		}
		writeMessage(w, status, fmt.Sprintf("reading request body: %v", err))
		return
	}
	rt.post(h, w, r, body)
}

// authenticate returns what is wrong with the request's credentials, or "".
// The message never repeats the key it was given.
func (h *Handler) authenticate(r *http.Request) string {
	v := r.Header.Get("Authorization")
	if v == "" {
		return `missing Authorization header, want "Bearer <API key>"`
	}
	scheme, key, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(key) == "" {
		return "Authorization header must use the Bearer scheme"
	}
	if h.cfg.APIKey != "" && subtle.ConstantTimeCompare([]byte(key), []byte(h.cfg.APIKey)) != 1 {
		return "invalid API key"
	}
	return ""
}

func (h *Handler) postRun(w http.ResponseWriter, r *http.Request, body []byte) {
	run, err := contract.ParseRun(body)
	if err != nil {
		writeMessage(w, http.StatusBadRequest, err.Error())
		return
	}
	_, err = h.cfg.Store.AddRun(r.Context(), run, h.cfg.Now())
	if fork, ok := errors.AsType[*store.ForkError](err); ok {
		writeMessage(w, http.StatusBadRequest, fork.Error())
		return
	}
	if errors.Is(err, store.ErrTooManySteps) {
		writeMessage(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "store: "))
		return
	}
	if err != nil {
		h.fail(w, r, "storing run "+run.ID, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"pipelineRunId": run.ID})
}

func (h *Handler) getTestCases(w http.ResponseWriter, r *http.Request) {
	slug, err := contract.TestCaseQuery(r.URL.Query())
	if err != nil {
		writeMessage(w, http.StatusBadRequest, err.Error())
		return
	}
	cases, err := h.cfg.Store.TestCases(r.Context(), slug)
	if unknown, ok := errors.AsType[*store.UnknownPipelineError](err); ok {
		writeMessage(w, http.StatusNotFound, unknown.Error())
		return
	}
	if err != nil {
		h.fail(w, r, "reading test cases", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"testCases": cases})
}

func (h *Handler) postTestCases(w http.ResponseWriter, r *http.Request, body []byte) {
	nc, err := contract.ParseNewTestCases(body)
	if err != nil {
		writeMessage(w, http.StatusBadRequest, err.Error())
		return
	}
	cases := make([]store.NewTestCase, len(nc.Cases))
	for i, c := range nc.Cases {
		cases[i] = store.NewTestCase{Name: c.Name, Inputs: c.Inputs, ExpectedOutputs: c.ExpectedOutputs}
	}
	ids, err := h.cfg.Store.AddTestCases(r.Context(), nc.PipelineSlug, cases, h.cfg.Now())
	if err != nil {
		h.fail(w, r, "storing test cases", err)
		return
	}
	if nc.Single {
		writeJSON(w, http.StatusOK, map[string]string{"caseId": ids[0]})
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"creationCount": len(ids)})
}

func (h *Handler) postTestResult(w http.ResponseWriter, r *http.Request, body []byte) {
	res, err := contract.ParseTestResult(body)
	if err != nil {
		writeMessage(w, http.StatusBadRequest, err.Error())
		return
	}
	id, err := h.cfg.Store.AddTestResult(r.Context(), res, h.cfg.Now())
	if unknown, ok := errors.AsType[*store.UnknownPipelineError](err); ok {
		writeMessage(w, http.StatusNotFound, unknown.Error())
		return
	}
	if unknown, ok := errors.AsType[*store.UnknownCaseError](err); ok {
		writeMessage(w, http.StatusBadRequest, unknown.Error())
		return
	}
	if err != nil {
		h.fail(w, r, "storing test result", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"resultId": id})
}

// fail answers 500 for a failure of the server's own; the client may retry.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	if r.Context().Err() != nil {
		return // the client is gone; nothing to answer
	}
	h.cfg.Logger.Error("gentrace-dev: "+what, "err", err)
	writeMessage(w, http.StatusInternalServerError, what+": "+err.Error())
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
