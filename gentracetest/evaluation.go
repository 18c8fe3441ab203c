package gentracetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gentrace/gentrace-go/internal/contract"
	"github.com/google/uuid"
)

// A Case is a test case served by GET /api/v1/test-case; seed them with
// [Server.AddTestCases].
type Case struct {
	ID              string
	Name            string
	Inputs          map[string]any
	ExpectedOutputs map[string]any
	PipelineID      string
	DatasetID       string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// A TestResult is a test result the server stored from
// POST /api/v1/test-result-simple. Optional fields the request left out or
// set to null are zero; Body holds the exact request bytes. A TestResult
// shares its maps and slices with the server's record: treat it as
// read-only.
type TestResult struct {
	// ID is the resultId the server answered with.
	ID           string
	PipelineSlug string
	Name         string
	Branch       string
	Commit       string
	Metadata     map[string]Meta
	TestRuns     []TestRun

	// Body is the request body exactly as received.
	Body []byte
	// Header is the request's header, without Authorization.
	Header http.Header
}

// A TestRun is one decoded element of a test result's testRuns.
type TestRun struct {
	ID     string // optional in the request
	CaseID string
	// Inputs and Outputs are decoded with encoding/json, so numbers are
	// float64. Outputs is nil when the request had none.
	Inputs  map[string]any
	Outputs map[string]any
	Error   string
}

// pipeline holds the test cases seeded for one pipeline slug.
type pipeline struct {
	id, datasetID string
	cases         []Case
	caseIDs       map[string]bool // lower-case
}

// AddTestCases seeds test cases for the pipeline with the given slug and
// returns them as they will be served. Empty IDs are filled with new UUIDs
// (the pipeline and dataset IDs are made once per slug), zero times with the
// current time to the millisecond, and Inputs and ExpectedOutputs are copied
// through JSON so that later changes by the caller do not show. Calling it
// without cases makes the pipeline known with no cases, so that GET answers
// an empty list instead of 404.
//
// AddTestCases panics on an empty slug, on an ID that is not a UUID, on an
// ID already seeded for the slug, and on inputs that JSON cannot encode: all
// mistakes in the test itself.
func (s *Server) AddTestCases(pipelineSlug string, cases ...Case) []Case {
	if pipelineSlug == "" {
		panic("gentracetest: AddTestCases: empty pipeline slug")
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	out := make([]Case, len(cases))
	for i, c := range cases {
		c.Inputs = copyJSON("Inputs", c.Inputs)
		c.ExpectedOutputs = copyJSON("ExpectedOutputs", c.ExpectedOutputs)
		if c.Inputs == nil {
			c.Inputs = map[string]any{} // the API's inputs are an object
		}
		if c.CreatedAt.IsZero() {
			c.CreatedAt = now
		}
		if c.UpdatedAt.IsZero() {
			c.UpdatedAt = c.CreatedAt
		}
		out[i] = c
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pipelines[pipelineSlug]
	if p == nil {
		p = &pipeline{id: uuid.NewString(), datasetID: uuid.NewString(), caseIDs: make(map[string]bool)}
		s.pipelines[pipelineSlug] = p
	}
	for i := range out {
		c := &out[i]
		if c.ID == "" {
			c.ID = uuid.NewString()
		} else if _, err := uuid.Parse(c.ID); err != nil || len(c.ID) != 36 {
			panic(fmt.Sprintf("gentracetest: AddTestCases: test case ID %q is not a UUID", c.ID))
		}
		if p.caseIDs[strings.ToLower(c.ID)] {
			panic(fmt.Sprintf("gentracetest: AddTestCases: test case %q already seeded for pipeline %q", c.ID, pipelineSlug))
		}
		p.caseIDs[strings.ToLower(c.ID)] = true
		if c.PipelineID == "" {
			c.PipelineID = p.id
		}
		if c.DatasetID == "" {
			c.DatasetID = p.datasetID
		}
	}
	p.cases = append(p.cases, out...)
	return append([]Case(nil), out...)
}

func copyJSON(field string, m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("gentracetest: AddTestCases: %s: %v", field, err))
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("gentracetest: AddTestCases: %s: %v", field, err))
	}
	return out
}

// handleTestCases serves GET /api/v1/test-case?pipelineSlug=S.
func (s *Server) handleTestCases(w http.ResponseWriter, r *http.Request, _ []byte) {
	slug, err := contract.TestCaseQuery(r.URL.Query())
	if err != nil {
		s.reject(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	p := s.pipelines[slug]
	var cases []contract.TestCase
	if p != nil {
		cases = make([]contract.TestCase, len(p.cases))
		for i, c := range p.cases {
			cases[i] = contract.TestCase{
				ID: c.ID, Name: c.Name, Inputs: mustJSON(c.Inputs), ExpectedOutputs: mustJSON(c.ExpectedOutputs),
				PipelineID: c.PipelineID, DatasetID: c.DatasetID,
				CreatedAt: c.CreatedAt.UTC().Format(contract.TimeLayout), UpdatedAt: c.UpdatedAt.UTC().Format(contract.TimeLayout),
			}
		}
	}
	s.mu.Unlock()
	if p == nil {
		s.reject(w, http.StatusNotFound, contract.PipelineNotFoundMessage(slug))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"testCases": cases})
}

// handleTestResult serves POST /api/v1/test-result-simple.
func (s *Server) handleTestResult(w http.ResponseWriter, r *http.Request, body []byte) {
	res, err := parseTestResult(body)
	if err != nil {
		s.reject(w, http.StatusBadRequest, err.Error())
		return
	}
	res.Body = body
	res.Header = recordedHeader(r)
	res.ID = uuid.NewString()

	s.mu.Lock()
	p := s.pipelines[res.PipelineSlug]
	if p == nil {
		s.mu.Unlock()
		s.reject(w, http.StatusNotFound, contract.PipelineNotFoundMessage(res.PipelineSlug))
		return
	}
	for i, tr := range res.TestRuns {
		if !p.caseIDs[strings.ToLower(tr.CaseID)] {
			s.mu.Unlock()
			s.reject(w, http.StatusBadRequest, contract.UnknownCaseMessage(i, tr.CaseID, res.PipelineSlug))
			return
		}
	}
	s.results = append(s.results, res)
	s.notifyLocked()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"resultId": res.ID})
}

// TestResults returns the test results stored so far, in arrival order.
func (s *Server) TestResults() []TestResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]TestResult(nil), s.results...)
}
