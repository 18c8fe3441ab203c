package gentracetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// A TestCase is a test case served by GET /api/v1/test-case; seed them with
// [Server.AddTestCases].
type TestCase struct {
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
	Metadata     map[string]MetadataValue
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
	cases         []TestCase
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
func (s *Server) AddTestCases(pipelineSlug string, cases ...TestCase) []TestCase {
	if pipelineSlug == "" {
		panic("gentracetest: AddTestCases: empty pipeline slug")
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	out := make([]TestCase, len(cases))
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
	return append([]TestCase(nil), out...)
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

// testCaseJSON is a test case as the API serves it.
type testCaseJSON struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	Inputs          map[string]any `json:"inputs"`
	ExpectedOutputs map[string]any `json:"expectedOutputs"`
	PipelineID      string         `json:"pipelineId"`
	DatasetID       string         `json:"datasetId"`
	CreatedAt       string         `json:"createdAt"`
	UpdatedAt       string         `json:"updatedAt"`
	ArchivedAt      *string        `json:"archivedAt"`
	DeletedAt       *string        `json:"deletedAt"`
}

// apiTime is the API's date-time format: UTC, milliseconds always shown.
const apiTime = "2006-01-02T15:04:05.000Z07:00"

// handleTestCases serves GET /api/v1/test-case?pipelineSlug=S.
func (s *Server) handleTestCases(w http.ResponseWriter, r *http.Request, _ []byte) {
	slug := r.URL.Query().Get("pipelineSlug")
	if slug == "" {
		s.reject(w, http.StatusBadRequest, "pipelineSlug query parameter is required (this fake does not look test cases up by pipelineId or datasetId)")
		return
	}
	s.mu.Lock()
	p := s.pipelines[slug]
	var cases []testCaseJSON
	if p != nil {
		cases = make([]testCaseJSON, len(p.cases))
		for i, c := range p.cases {
			cases[i] = testCaseJSON{
				ID: c.ID, Name: c.Name, Inputs: c.Inputs, ExpectedOutputs: c.ExpectedOutputs,
				PipelineID: c.PipelineID, DatasetID: c.DatasetID,
				CreatedAt: c.CreatedAt.UTC().Format(apiTime), UpdatedAt: c.UpdatedAt.UTC().Format(apiTime),
			}
		}
	}
	s.mu.Unlock()
	if p == nil {
		s.reject(w, http.StatusNotFound, fmt.Sprintf("pipeline %q not found", slug))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"testCases": cases})
}

// parseTestResult validates a test-result-simple body and decodes it. Rules
// that need the server's state (the pipeline and its cases) are applied by
// handleTestResult.
func parseTestResult(body []byte) (TestResult, error) {
	o, err := decodeBody(body)
	if err != nil {
		return TestResult{}, err
	}
	var res TestResult
	if res.PipelineSlug, err = o.str("pipelineSlug", true, false); err != nil {
		return TestResult{}, err
	}
	if res.PipelineSlug == "" {
		return TestResult{}, fmt.Errorf("pipelineSlug must not be empty")
	}
	for _, f := range []struct {
		key string
		dst *string
	}{
		{"name", &res.Name},
		{"branch", &res.Branch},
		{"commit", &res.Commit},
	} {
		if *f.dst, err = o.str(f.key, false, true); err != nil {
			return TestResult{}, err
		}
	}
	if raw, ok, err := o.field("metadata", false, true); err != nil {
		return TestResult{}, err
	} else if ok {
		if res.Metadata, err = parseMetadata("metadata", raw); err != nil {
			return TestResult{}, err
		}
	}
	if raw, ok, _ := o.field("triggerRemoteEvals", false, false); ok {
		if err := wantKind("triggerRemoteEvals", raw, "boolean"); err != nil {
			return TestResult{}, err
		}
	}
	raw, _, err := o.field("testRuns", true, false)
	if err != nil {
		return TestResult{}, err
	}
	if err := wantKind("testRuns", raw, "array"); err != nil {
		return TestResult{}, err
	}
	var runs []json.RawMessage
	if err := json.Unmarshal(raw, &runs); err != nil {
		return TestResult{}, fmt.Errorf("testRuns: %v", err)
	}
	res.TestRuns = make([]TestRun, len(runs))
	for i, raw := range runs {
		if res.TestRuns[i], err = parseTestRun(fmt.Sprintf("testRuns[%d]", i), raw); err != nil {
			return TestResult{}, err
		}
	}
	return res, nil
}

func parseTestRun(path string, raw json.RawMessage) (TestRun, error) {
	o, err := parseObject(path, raw)
	if err != nil {
		return TestRun{}, err
	}
	var tr TestRun
	if raw, ok, err := o.field("id", false, true); err != nil {
		return TestRun{}, err
	} else if ok {
		if tr.ID, err = parseUUID(o.at("id"), raw, false); err != nil {
			return TestRun{}, err
		}
	}
	raw, _, err = o.field("caseId", true, false)
	if err != nil {
		return TestRun{}, err
	}
	if tr.CaseID, err = parseUUID(o.at("caseId"), raw, false); err != nil {
		return TestRun{}, err
	}
	if _, _, err := o.obj("inputs", true, false); err != nil {
		return TestRun{}, err
	}
	if tr.Inputs, err = parseMap(o.at("inputs"), o.fields["inputs"]); err != nil {
		return TestRun{}, err
	}
	if outputs, ok, err := o.obj("outputs", false, false); err != nil {
		return TestRun{}, err
	} else if ok {
		if err := checkCost(outputs); err != nil {
			return TestRun{}, err
		}
		if tr.Outputs, err = parseMap(outputs.path, o.fields["outputs"]); err != nil {
			return TestRun{}, err
		}
	}
	if tr.Error, err = o.str("error", false, true); err != nil {
		return TestRun{}, err
	}
	return tr, nil
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
		s.reject(w, http.StatusNotFound, fmt.Sprintf("pipeline %q not found", res.PipelineSlug))
		return
	}
	for i, tr := range res.TestRuns {
		if !p.caseIDs[strings.ToLower(tr.CaseID)] {
			s.mu.Unlock()
			s.reject(w, http.StatusBadRequest, fmt.Sprintf("testRuns[%d].caseId %q is not a test case of pipeline %q", i, tr.CaseID, res.PipelineSlug))
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
