package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gentrace/gentrace-go/internal/contract"
	"github.com/google/uuid"
)

// An UnknownPipelineError refuses a request for a pipeline slug the store
// does not know. Its text is the API's 404 message.
type UnknownPipelineError struct{ Slug string }

// Error returns the API's message.
func (e *UnknownPipelineError) Error() string { return contract.PipelineNotFoundMessage(e.Slug) }

// An UnknownCaseError refuses a test result whose testRuns[Index] names a
// case that is not one of the pipeline's. Its text is the API's 400 message.
type UnknownCaseError struct {
	Index        int
	CaseID, Slug string
}

// Error returns the API's message.
func (e *UnknownCaseError) Error() string {
	return contract.UnknownCaseMessage(e.Index, e.CaseID, e.Slug)
}

// NewTestCase is a test case to add. An empty ID gets a new UUID; Inputs
// must be a JSON object (nil means {}), ExpectedOutputs a JSON object or nil.
type NewTestCase struct {
	ID              string
	Name            string
	Inputs          json.RawMessage
	ExpectedOutputs json.RawMessage
}

// AddTestCases adds test cases to the pipeline with the given slug, making
// the pipeline known if it was not, and returns their IDs. Without cases it
// only makes the pipeline known. An ID already used is an error.
func (s *Store) AddTestCases(ctx context.Context, slug string, cases []NewTestCase, now time.Time) ([]string, error) {
	if slug == "" {
		return nil, errors.New("store: empty pipeline slug")
	}
	ids := make([]string, len(cases))
	for i, c := range cases {
		ids[i] = strings.ToLower(c.ID)
		if ids[i] == "" {
			ids[i] = uuid.NewString()
		} else if uuid.Validate(ids[i]) != nil || len(ids[i]) != 36 {
			return nil, fmt.Errorf("store: test case ID %q is not a UUID", c.ID)
		}
	}
	err := s.write(ctx, func(t *wtx) error {
		if err := t.ensurePipeline(slug, now); err != nil {
			return err
		}
		for i, c := range cases {
			inputs := c.Inputs
			if inputs == nil {
				inputs = json.RawMessage("{}")
			}
			var expected any // NULL when absent
			if c.ExpectedOutputs != nil {
				expected = []byte(c.ExpectedOutputs)
			}
			if _, err := t.exec(sqlInsertTestCase, ids[i], slug, c.Name, []byte(inputs), expected, now.UnixMilli(), now.UnixMilli()); err != nil {
				return fmt.Errorf("test case %s: %w", ids[i], err)
			}
		}
		return nil
	}, func() { s.pipelines[slug] = true })
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// TestCases returns the test cases of the pipeline with the given slug as
// the API serves them, in the order they were added, or *UnknownPipelineError.
func (s *Store) TestCases(ctx context.Context, slug string) ([]contract.TestCase, error) {
	var pipelineID, datasetID string
	err := s.r.QueryRowContext(ctx, `SELECT id, dataset_id FROM pipelines WHERE slug = ?`, slug).Scan(&pipelineID, &datasetID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &UnknownPipelineError{Slug: slug}
	}
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, inputs, expected_outputs, created_ms, updated_ms
		FROM test_cases WHERE slug = ? ORDER BY seq`, slug)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cases := []contract.TestCase{}
	for rows.Next() {
		c := contract.TestCase{PipelineID: pipelineID, DatasetID: datasetID}
		var inputs, expected []byte
		var created, updated int64
		if err := rows.Scan(&c.ID, &c.Name, &inputs, &expected, &created, &updated); err != nil {
			return nil, err
		}
		c.Inputs = inputs
		c.ExpectedOutputs = json.RawMessage("null")
		if expected != nil {
			c.ExpectedOutputs = expected
		}
		c.CreatedAt = time.UnixMilli(created).UTC().Format(contract.TimeLayout)
		c.UpdatedAt = time.UnixMilli(updated).UTC().Format(contract.TimeLayout)
		cases = append(cases, c)
	}
	return cases, rows.Err()
}

// AddTestResult stores a valid test result and returns its new ID. The
// pipeline must be known (*UnknownPipelineError) and every test run must
// name one of its cases (*UnknownCaseError).
func (s *Store) AddTestResult(ctx context.Context, res contract.TestResult, received time.Time) (string, error) {
	id := uuid.NewString()
	md := res.Metadata
	if md == nil {
		md = map[string]contract.MetadataValue{}
	}
	metadata, err := json.Marshal(md)
	if err != nil {
		return "", fmt.Errorf("store: encoding metadata: %w", err)
	}
	var cost float64
	hasCost, errorCount := false, 0
	for _, tr := range res.TestRuns {
		if c, ok := tr.Outputs["cost"].(map[string]any); ok {
			if v, ok := c["value"].(float64); ok {
				if c["type"] == "cents" {
					v /= 100
				}
				cost, hasCost = cost+v, true
			}
		}
		if tr.Error != "" {
			errorCount++
		}
	}
	err = s.write(ctx, func(t *wtx) error {
		var one int
		err := t.queryRow(sqlPipelineExists, res.PipelineSlug).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return &UnknownPipelineError{Slug: res.PipelineSlug}
		}
		if err != nil {
			return err
		}
		for i, tr := range res.TestRuns {
			err := t.queryRow(sqlCaseOfPipeline, strings.ToLower(tr.CaseID), res.PipelineSlug).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return &UnknownCaseError{Index: i, CaseID: tr.CaseID, Slug: res.PipelineSlug}
			}
			if err != nil {
				return err
			}
		}
		r, err := t.exec(sqlInsertTestResult, id, res.PipelineSlug, res.Name, res.Branch, res.Commit, metadata,
			len(res.TestRuns), errorCount, nullFloat(cost, hasCost), received.UnixMilli())
		if err != nil {
			return err
		}
		seq, err := r.LastInsertId()
		if err != nil {
			return err
		}
		for i, tr := range res.TestRuns {
			runID := tr.ID
			if runID == "" {
				runID = uuid.NewString()
			}
			var outputs any
			if tr.RawOutputs != nil {
				outputs = []byte(tr.RawOutputs)
			}
			if _, err := t.exec(sqlInsertTestRun, seq, i, runID, strings.ToLower(tr.CaseID), []byte(tr.RawInputs), outputs,
				nullString(tr.Error)); err != nil {
				return err
			}
		}
		return nil
	}, nil)
	if err != nil {
		return "", err
	}
	return id, nil
}

// TestResultSummary is one row of the test results list.
type TestResultSummary struct {
	Seq                  int64
	ID                   string
	Slug                 string
	Name, Branch, Commit string
	RunCount, ErrorCount int
	CostUSD              float64
	HasCost              bool
	Received             time.Time
}

const resultColumns = `seq, id, slug, name, branch, git_commit, run_count, error_count, cost_usd, received_ms`

func scanResult(sc interface{ Scan(...any) error }, extra ...any) (TestResultSummary, error) {
	var r TestResultSummary
	var cost sql.NullFloat64
	var received int64
	err := sc.Scan(append([]any{&r.Seq, &r.ID, &r.Slug, &r.Name, &r.Branch, &r.Commit, &r.RunCount, &r.ErrorCount, &cost, &received}, extra...)...)
	r.CostUSD, r.HasCost = cost.Float64, cost.Valid
	r.Received = time.UnixMilli(received).UTC()
	return r, err
}

// TestResults returns up to limit test results, newest first, older than
// the one with sequence number before (0: from the newest).
func (s *Store) TestResults(ctx context.Context, before int64, limit int) ([]TestResultSummary, error) {
	if limit <= 0 {
		limit = 50
	}
	q := `SELECT ` + resultColumns + ` FROM test_results`
	var args []any
	if before > 0 {
		q += ` WHERE seq < ?`
		args = append(args, before)
	}
	q += fmt.Sprintf(` ORDER BY seq DESC LIMIT %d`, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: listing test results: %w", err)
	}
	defer rows.Close()
	var out []TestResultSummary
	for rows.Next() {
		r, err := scanResult(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// TestResultDetail is a test result with its runs beside their cases.
type TestResultDetail struct {
	TestResultSummary
	Metadata []MetadataEntry
	TestRuns []TestRunDetail
}

// TestRunDetail is one test run with the case it ran.
type TestRunDetail struct {
	ID, CaseID, CaseName string
	Inputs               json.RawMessage
	Outputs              json.RawMessage // nil when none were sent
	ExpectedOutputs      json.RawMessage // nil when the case has none
	Error                string
}

// TestResult returns the test result with the given ID, and false when
// there is none.
func (s *Store) TestResult(ctx context.Context, id string) (TestResultDetail, bool, error) {
	var d TestResultDetail
	var metadata []byte
	sum, err := scanResult(s.r.QueryRowContext(ctx, `SELECT `+resultColumns+`, metadata FROM test_results WHERE id = ?`,
		strings.ToLower(id)), &metadata)
	if errors.Is(err, sql.ErrNoRows) {
		return TestResultDetail{}, false, nil
	}
	if err != nil {
		return TestResultDetail{}, false, fmt.Errorf("store: test result %s: %w", id, err)
	}
	d.TestResultSummary = sum
	if d.Metadata, err = decodeMetadata(metadata); err != nil {
		return TestResultDetail{}, false, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT r.id, r.case_id, coalesce(c.name, ''), r.inputs, r.outputs,
		c.expected_outputs, coalesce(r.error, '')
		FROM test_runs r LEFT JOIN test_cases c ON c.id = r.case_id
		WHERE r.result_seq = ? ORDER BY r.idx`, d.Seq)
	if err != nil {
		return TestResultDetail{}, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var tr TestRunDetail
		var inputs, outputs, expected []byte
		if err := rows.Scan(&tr.ID, &tr.CaseID, &tr.CaseName, &inputs, &outputs, &expected, &tr.Error); err != nil {
			return TestResultDetail{}, false, err
		}
		tr.Inputs, tr.Outputs, tr.ExpectedOutputs = inputs, outputs, expected
		d.TestRuns = append(d.TestRuns, tr)
	}
	return d, true, rows.Err()
}
