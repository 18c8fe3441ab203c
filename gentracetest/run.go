package gentracetest

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gentrace/gentrace-go/internal/contract"
)

// A Run is a pipeline run the server stored from POST /api/v1/run.
//
// Optional fields the request left out or set to null are zero; Body holds
// the exact request bytes for assertions that need to tell them apart, or
// for golden-file comparisons. A Run shares its maps and slices with the
// server's record: treat it as read-only.
type Run struct {
	ID               string
	Slug             string
	CollectionMethod string
	PreviousRunID    string
	Metadata         map[string]Meta
	StepRuns         []StepRun
	Error            string

	// Body is the request body exactly as received.
	Body []byte
	// Header is the request's header, without Authorization.
	Header http.Header
}

// A StepRun is one decoded element of a run's stepRuns.
type StepRun struct {
	ProviderName string
	Invocation   string
	// ModelParams, Inputs and Outputs are decoded with encoding/json, so
	// numbers are float64.
	ModelParams map[string]any
	Inputs      map[string]any
	Outputs     map[string]any
	Context     StepContext
	// ElapsedTime is the step's duration in milliseconds, as sent.
	ElapsedTime int64
	StartTime   time.Time
	EndTime     time.Time
	Error       string
}

// StepContext is the decoded context of a step.
type StepContext struct {
	UserID   string
	Render   *RenderHint // nil when absent
	Metadata map[string]Meta
}

// RenderHint is a step's render hint, such as {"type": "html", "key": "page"}.
type RenderHint struct {
	Type string
	Key  string
}

// handleRun serves POST /api/v1/run.
func (s *Server) handleRun(w http.ResponseWriter, r *http.Request, body []byte) {
	run, err := parseRun(body)
	if err != nil {
		s.reject(w, http.StatusBadRequest, err.Error())
		return
	}
	run.Body = body
	run.Header = recordedHeader(r)
	id := strings.ToLower(run.ID)
	prev := strings.ToLower(run.PreviousRunID)

	s.mu.Lock()
	_, duplicate := s.runIndex[id]
	other, reused := s.nextOf[prev]
	switch {
	case duplicate:
		// A retry of a run already stored: the client did not see the
		// first answer, so answer again without storing twice. This is
		// checked before reuse so that a retry naming the same previous
		// run is not mistaken for a second run in the thread.
		s.stats.Duplicates++
		s.notifyLocked()
	case prev != "" && reused:
		s.stats.Rejected++
		s.notifyLocked()
		s.mu.Unlock()
		writeMessage(w, http.StatusBadRequest, contract.ForkMessage(run.PreviousRunID, other))
		return
	case prev != "" && s.cfg.strictThreads && !s.storedLocked(prev):
		s.stats.Rejected++
		s.notifyLocked()
		s.mu.Unlock()
		writeMessage(w, http.StatusBadRequest, fmt.Sprintf(
			"previousRunId %q names no stored run (the server checks threads: WithStrictThreads)", run.PreviousRunID))
		return
	default:
		if prev != "" {
			s.nextOf[prev] = run.ID
		}
		s.runIndex[id] = len(s.runs)
		s.runs = append(s.runs, run)
		s.notifyLocked()
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"pipelineRunId": run.ID})
}

func (s *Server) storedLocked(lowerID string) bool {
	_, ok := s.runIndex[lowerID]
	return ok
}

// Runs returns the runs stored so far, in arrival order, once per run id.
func (s *Server) Runs() []Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Run(nil), s.runs...)
}

// Run returns the stored run with the given id, compared case-insensitively,
// and whether there is one.
func (s *Server) Run(id string) (Run, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.runIndex[strings.ToLower(id)]; ok {
		return s.runs[i], true
	}
	return Run{}, false
}
