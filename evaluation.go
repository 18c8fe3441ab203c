package gentrace

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// TestCase is a test case of a pipeline, as GetTestCases returns it: an
// example input with the outputs expected for it. Its numbers decode as
// float64, as encoding/json decodes into any.
type TestCase struct {
	// ID identifies the case; a test run names its case by this ID.
	ID   string
	Name string
	// Inputs are passed to the code under test. ExpectedOutputs are what
	// it should produce; nil when the case has none.
	Inputs          map[string]any
	ExpectedOutputs map[string]any
	PipelineID      string
	DatasetID       string
	// CreatedAt and UpdatedAt are zero when the server sent none.
	CreatedAt time.Time
	UpdatedAt time.Time
}

// testRun is the outcome of running the code under test on one test case:
// what SubmitTestResult and RunTest send for it.
type testRun struct {
	// Case is the test case that ran. Its ID is required; its Inputs are
	// sent with the run ({} when nil).
	Case TestCase
	// Outputs are what the code produced ({} when nil). A "cost" key holds
	// a manual cost (see Cost) and must be a valid one.
	Outputs map[string]any
	// Err, when non-nil, is the error the code failed with; its text is
	// sent as the run's error.
	Err error
}

// TestResultOption configures SubmitTestResult and RunTest.
type TestResultOption func(*testResultConfig) error

type testResultConfig struct {
	name, branch, commit *string
	metadata             Metadata
	concurrency          int
}

// WithResultName names the test result. It takes precedence over
// GENTRACE_RESULT_NAME, which takes precedence over GENTRACE_RUN_NAME; with
// none of them set, or an empty name given here, the request carries no
// name.
func WithResultName(name string) TestResultOption {
	return func(c *testResultConfig) error {
		c.name = &name
		return nil
	}
}

// WithBranch sets the version-control branch the result was made from,
// taking precedence over GENTRACE_BRANCH. An empty branch sends none, even
// when GENTRACE_BRANCH is set.
func WithBranch(branch string) TestResultOption {
	return func(c *testResultConfig) error {
		c.branch = &branch
		return nil
	}
}

// WithCommit sets the version-control commit the result was made from,
// taking precedence over GENTRACE_COMMIT. An empty commit sends none, even
// when GENTRACE_COMMIT is set.
func WithCommit(commit string) TestResultOption {
	return func(c *testResultConfig) error {
		c.commit = &commit
		return nil
	}
}

// WithResultMetadata attaches metadata to the test result. Malformed values
// make the submission fail with ErrInvalidMetadata before anything is sent.
// By default the result has no metadata.
func WithResultMetadata(m Metadata) TestResultOption {
	return func(c *testResultConfig) error {
		c.metadata = maps.Clone(m)
		return nil
	}
}

// WithConcurrency sets how many test cases RunTest runs at once (default
// DefaultTestConcurrency); n below 1 is ErrInvalidOption. SubmitTestResult
// and submitTestRuns ignore it.
func WithConcurrency(n int) TestResultOption {
	return func(c *testResultConfig) error {
		if n < 1 {
			return fmt.Errorf("%w: WithConcurrency(%d): must be at least 1", ErrInvalidOption, n)
		}
		c.concurrency = n
		return nil
	}
}

func newTestResultConfig(opts []TestResultOption) (testResultConfig, error) {
	cfg := testResultConfig{concurrency: DefaultTestConcurrency}
	for _, opt := range opts {
		if err := opt(&cfg); err != nil {
			return testResultConfig{}, err
		}
	}
	return cfg, nil
}

// resolve applies the environment rules: options beat the environment, and
// GENTRACE_RESULT_NAME beats GENTRACE_RUN_NAME. Empty values count as unset.
func (c *testResultConfig) resolve() (name, branch, commit string) {
	pick := func(opt *string, env ...string) string {
		if opt != nil {
			return *opt
		}
		for _, key := range env {
			if v := os.Getenv(key); v != "" {
				return v
			}
		}
		return ""
	}
	return pick(c.name, "GENTRACE_RESULT_NAME", "GENTRACE_RUN_NAME"),
		pick(c.branch, "GENTRACE_BRANCH"),
		pick(c.commit, "GENTRACE_COMMIT")
}

// wireTestCase is a test case as GET /v1/test-case answers it.
type wireTestCase struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	Inputs          map[string]any `json:"inputs"`
	ExpectedOutputs map[string]any `json:"expectedOutputs"`
	PipelineID      string         `json:"pipelineId"`
	DatasetID       string         `json:"datasetId"`
	CreatedAt       string         `json:"createdAt"`
	UpdatedAt       string         `json:"updatedAt"`
}

// GetTestCases returns the test cases of the pipeline with the given slug,
// in the order the server lists them, or an *APIError when the server
// refuses (for example 404 for an unknown pipeline). It waits for the
// server, with the client's retries, until ctx is done. An empty slug is
// ErrEmptySlug; after Shutdown it fails with ErrClientClosed. It is safe for
// concurrent use.
func (c *Client) GetTestCases(ctx context.Context, pipelineSlug string) ([]TestCase, error) {
	if pipelineSlug == "" {
		return nil, ErrEmptySlug
	}
	if c.closed() {
		return nil, ErrClientClosed
	}
	path := "/v1/test-case?pipelineSlug=" + url.QueryEscape(pipelineSlug)
	var answer struct {
		TestCases *[]wireTestCase `json:"testCases"`
	}
	if err := c.transport.do(ctx, "GET", path, nil, &answer); err != nil {
		return nil, err
	}
	if answer.TestCases == nil {
		return nil, fmt.Errorf("gentrace: GET %s: answer has no \"testCases\"", path)
	}
	cases := make([]TestCase, len(*answer.TestCases))
	for i, w := range *answer.TestCases {
		created, err := parseAPITime(w.CreatedAt)
		if err != nil {
			return nil, fmt.Errorf("gentrace: GET %s: test case %d (%q): createdAt: %w", path, i, w.ID, err)
		}
		updated, err := parseAPITime(w.UpdatedAt)
		if err != nil {
			return nil, fmt.Errorf("gentrace: GET %s: test case %d (%q): updatedAt: %w", path, i, w.ID, err)
		}
		cases[i] = TestCase{
			ID:              w.ID,
			Name:            w.Name,
			Inputs:          w.Inputs,
			ExpectedOutputs: w.ExpectedOutputs,
			PipelineID:      w.PipelineID,
			DatasetID:       w.DatasetID,
			CreatedAt:       created,
			UpdatedAt:       updated,
		}
	}
	return cases, nil
}

// parseAPITime reads an API timestamp leniently: RFC 3339 with or without
// fractional seconds, also with a space for the "T" or without a zone
// (taken as UTC). Empty is the zero time.
func parseAPITime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t := s
	if len(t) > 10 && t[10] == ' ' {
		t = t[:10] + "T" + t[11:]
	}
	if v, err := time.Parse(time.RFC3339Nano, t); err == nil {
		return v, nil
	}
	if v, err := time.Parse("2006-01-02T15:04:05.999999999", t); err == nil {
		return v, nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 timestamp", s)
}

// SubmitTestResult submits the outputs the code under test produced for
// each test case, outputs[i] for cases[i], as one test result of the
// pipeline, and returns the result's ID. RunTest does the same for code it
// runs itself, with each case's error.
//
// The result's name is WithResultName, else GENTRACE_RESULT_NAME, else
// GENTRACE_RUN_NAME; its branch WithBranch, else GENTRACE_BRANCH; its
// commit WithCommit, else GENTRACE_COMMIT. Fields left unset are left out
// of the request.
//
// Nothing is sent, and the error says which case is at fault, for cases
// and outputs of different lengths or a case without an ID, or inputs or
// outputs that JSON cannot encode (ErrInvalidTestResult), an empty slug
// (ErrEmptySlug), malformed metadata (ErrInvalidMetadata) or an outputs
// "cost" that is not a valid manual cost (ErrInvalidCost); after Shutdown
// it fails with ErrClientClosed. The call waits for the server, with the
// client's retries, and returns its refusal as an *APIError, or ctx's
// error when ctx ends first. It is safe for concurrent use.
//
// The API cannot tell a retried test result from a new one, so a
// submission is retried only when the server cannot have stored it: the
// connection was refused (nothing was sent), or the answer was 429, or 503
// with a Retry-After header. When the outcome is open (a 5xx, a connection
// lost after the request was sent, ctx ending mid-request) the error wraps
// ErrOutcomeUnknown as well as its cause, and nothing is sent again: check
// the Gentrace app before submitting again.
func (c *Client) SubmitTestResult(ctx context.Context, pipelineSlug string, cases []TestCase, outputs []map[string]any, opts ...TestResultOption) (string, error) {
	if len(cases) != len(outputs) {
		return "", fmt.Errorf("%w: %d test cases but %d outputs", ErrInvalidTestResult, len(cases), len(outputs))
	}
	runs := make([]testRun, len(cases))
	for i := range cases {
		runs[i] = testRun{Case: cases[i], Outputs: outputs[i]}
	}
	return c.submitTestRuns(ctx, pipelineSlug, runs, opts...)
}

type wireTestResult struct {
	PipelineSlug string        `json:"pipelineSlug"`
	Name         string        `json:"name,omitempty"`
	Branch       string        `json:"branch,omitempty"`
	Commit       string        `json:"commit,omitempty"`
	Metadata     Metadata      `json:"metadata,omitempty"`
	TestRuns     []wireTestRun `json:"testRuns"`
}

type wireTestRun struct {
	CaseID  string          `json:"caseId"`
	Inputs  json.RawMessage `json:"inputs"`
	Outputs json.RawMessage `json:"outputs"`
	Error   string          `json:"error,omitempty"`
}

// submitTestRuns submits test runs, one per test case, as one test result
// of the pipeline (see SubmitTestResult); a run with err set is sent with
// the error's text.
func (c *Client) submitTestRuns(ctx context.Context, pipelineSlug string, runs []testRun, opts ...TestResultOption) (string, error) {
	cfg, err := newTestResultConfig(opts)
	if err != nil {
		return "", err
	}
	body, err := encodeTestResult(pipelineSlug, runs, &cfg)
	if err != nil {
		return "", err
	}
	if c.closed() {
		return "", ErrClientClosed
	}
	const path = "/v1/test-result-simple"
	var answer struct {
		ResultID string `json:"resultId"`
	}
	if err := c.transport.doOnce(ctx, "POST", path, body, &answer); err != nil {
		return "", err
	}
	if answer.ResultID == "" {
		return "", fmt.Errorf("gentrace: POST %s: answer has no \"resultId\"", path)
	}
	return answer.ResultID, nil
}

// encodeTestResult checks the runs and returns the request body of
// POST /v1/test-result-simple.
func encodeTestResult(slug string, runs []testRun, cfg *testResultConfig) ([]byte, error) {
	if slug == "" {
		return nil, ErrEmptySlug
	}
	if err := cfg.metadata.Validate(); err != nil {
		return nil, rewrap(ErrInvalidMetadata, "test result metadata", err)
	}
	res := wireTestResult{PipelineSlug: slug, TestRuns: make([]wireTestRun, len(runs))}
	if len(cfg.metadata) > 0 {
		res.Metadata = cfg.metadata
	}
	res.Name, res.Branch, res.Commit = cfg.resolve()
	for i, r := range runs {
		w, err := encodeTestRun(fmt.Sprintf("test run %d (case %q)", i, r.Case.ID), r)
		if err != nil {
			return nil, err
		}
		res.TestRuns[i] = w
	}
	data, err := marshalJSON(res)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidTestResult, err)
	}
	return data, nil
}

// encodeTestRun checks and encodes one run; where names it in errors.
func encodeTestRun(where string, r testRun) (wireTestRun, error) {
	if r.Case.ID == "" {
		return wireTestRun{}, fmt.Errorf("%w: %s: test case has no ID", ErrInvalidTestResult, where)
	}
	w := wireTestRun{CaseID: r.Case.ID}
	var err error
	if w.Inputs, err = marshalObject(r.Case.Inputs); err != nil {
		return wireTestRun{}, fmt.Errorf("%w: %s: inputs: %v", ErrInvalidTestResult, where, err)
	}
	if w.Outputs, err = encodeOutputs(where+": outputs", r.Outputs); err != nil {
		return wireTestRun{}, err
	}
	if r.Err != nil {
		// An error with empty text must still mark the run as failed.
		w.Error = cmp.Or(r.Err.Error(), "error")
	}
	return w, nil
}

// encodeOutputs checks the manual cost in outputs and encodes them; where
// names them in errors.
func encodeOutputs(where string, outputs map[string]any) (json.RawMessage, error) {
	if v, ok := outputs["cost"]; ok {
		if _, err := costOf(v); err != nil {
			return nil, rewrap(ErrInvalidCost, where+" \"cost\"", err)
		}
	}
	data, err := marshalObject(outputs)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidTestResult, where, err)
	}
	return data, nil
}

// rewrap returns err, which wraps sentinel, as sentinel's message, then
// where, then err's details: "gentrace: invalid cost: test run 2 (case
// "…"): outputs "cost": type "euros": …".
func rewrap(sentinel error, where string, err error) error {
	detail := strings.TrimPrefix(err.Error(), sentinel.Error()+": ")
	return fmt.Errorf("%w: %s: %s", sentinel, where, detail)
}

// marshalObject encodes m as a JSON object, {} for nil.
func marshalObject(m map[string]any) (json.RawMessage, error) {
	if m == nil {
		return json.RawMessage("{}"), nil
	}
	return marshalJSON(m)
}

// marshalJSON encodes v without escaping HTML, as runs are encoded.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// RunTest evaluates code against the test cases of a pipeline: it fetches
// the cases (GetTestCases), calls fn on each, and submits the outputs as one
// test result (submitTestRuns, whose options, environment variables and
// errors apply), returning the result's ID.
//
// fn runs on up to WithConcurrency cases at once (default
// DefaultTestConcurrency), from several goroutines, so it must be safe for
// concurrent use. A case whose fn fails, or returns outputs that cannot be
// submitted (such as a malformed "cost"), is sent with outputs {} and the
// error's text, and the other cases go on; the runs are sent in case order.
// When ctx is done, no further case is started; RunTest waits for the
// running ones to return and fails with ctx's error without submitting.
func (c *Client) RunTest(ctx context.Context, pipelineSlug string, fn func(ctx context.Context, tc TestCase) (map[string]any, error), opts ...TestResultOption) (string, error) {
	cfg, err := newTestResultConfig(opts)
	if err != nil {
		return "", err
	}
	if fn == nil {
		return "", fmt.Errorf("%w: RunTest with a nil function", ErrInvalidOption)
	}
	cases, err := c.GetTestCases(ctx, pipelineSlug)
	if err != nil {
		return "", err
	}
	runs := make([]testRun, len(cases))
	var next, started atomic.Int64
	var wg sync.WaitGroup
	for range min(cfg.concurrency, len(cases)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(cases) {
					return
				}
				started.Add(1)
				runs[i] = runCase(ctx, cases[i], fn)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("gentrace: running test cases of pipeline %q: stopped after starting %d of %d: %w",
			pipelineSlug, started.Load(), len(cases), err)
	}
	return c.submitTestRuns(ctx, pipelineSlug, runs, opts...)
}

// runCase runs fn on one test case and records its outcome.
func runCase(ctx context.Context, tc TestCase, fn func(context.Context, TestCase) (map[string]any, error)) testRun {
	outputs, err := fn(ctx, tc)
	if err == nil {
		_, err = encodeOutputs("outputs", outputs)
	}
	if err != nil {
		return testRun{Case: tc, Outputs: map[string]any{}, Err: err}
	}
	return testRun{Case: tc, Outputs: outputs}
}
