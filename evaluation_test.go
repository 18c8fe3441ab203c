package gentrace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/gentracetest"
)

// evalSlug is the pipeline the evaluation tests seed.
const evalSlug = "guess-the-year"

// Fixed test case IDs, so golden payloads do not change between runs.
var evalCaseIDs = []string{
	"0b5e6f0a-1c2d-4e3f-8a9b-000000000001",
	"0b5e6f0a-1c2d-4e3f-8a9b-000000000002",
	"0b5e6f0a-1c2d-4e3f-8a9b-000000000003",
	"0b5e6f0a-1c2d-4e3f-8a9b-000000000004",
	"0b5e6f0a-1c2d-4e3f-8a9b-000000000005",
}

// startEval starts a fake backend seeded with len(evalCaseIDs) test cases
// of evalSlug and a client pointed at it that does not retry.
func startEval(t *testing.T, opts ...Option) (*gentracetest.Server, *Client, []TestCase) {
	t.Helper()
	srv := gentracetest.Start(t)
	created := time.Date(2026, 3, 23, 21, 16, 37, 188_000_000, time.UTC)
	events := []string{"Apollo 11 landing", "Fall of the <Berlin> Wall", "First iPhone", "Euro coins issued", "Gentrace founded"}
	var seeds []gentracetest.Case
	for i, id := range evalCaseIDs {
		seeds = append(seeds, gentracetest.Case{
			ID:              id,
			Name:            fmt.Sprintf("case %d", i+1),
			Inputs:          map[string]any{"event": events[i]},
			ExpectedOutputs: map[string]any{"year": 1969 + 10*i},
			CreatedAt:       created,
			UpdatedAt:       created.Add(time.Duration(i) * time.Hour),
		})
	}
	seeded := srv.AddTestCases(evalSlug, seeds...)
	base := []Option{
		WithLogger(slog.New(slog.DiscardHandler)),
		WithAPIKey(srv.APIKey),
		WithBaseURL(srv.URL),
		WithHTTPClient(srv.Client()),
		WithRetry(0, time.Millisecond, time.Millisecond),
	}
	c, err := New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Shutdown(context.Background()) })
	cases := make([]TestCase, len(seeded))
	for i, s := range seeded {
		cases[i] = TestCase{
			ID: s.ID, Name: s.Name, Inputs: s.Inputs, ExpectedOutputs: s.ExpectedOutputs,
			PipelineID: s.PipelineID, DatasetID: s.DatasetID, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
		}
	}
	return srv, c, cases
}

// clearResultEnv unsets the variables that name a test result, so that
// tests do not depend on the shell they run in. Tests calling it cannot be
// parallel.
func clearResultEnv(t *testing.T) {
	for _, key := range []string{"GENTRACE_RESULT_NAME", "GENTRACE_RUN_NAME", "GENTRACE_BRANCH", "GENTRACE_COMMIT"} {
		t.Setenv(key, "")
	}
}

// onlyResult returns the one test result srv stored.
func onlyResult(t *testing.T, srv *gentracetest.Server) gentracetest.TestResult {
	t.Helper()
	results := srv.TestResults()
	if len(results) != 1 {
		t.Fatalf("server stored %d test results, want 1", len(results))
	}
	return results[0]
}

func TestGetTestCases(t *testing.T) {
	t.Parallel()
	_, c, want := startEval(t)
	got, err := c.GetTestCases(t.Context(), evalSlug)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetTestCases:\n got %+v\nwant %+v", got, want)
	}
}

func TestGetTestCasesEscapesSlug(t *testing.T) {
	t.Parallel()
	srv, c, _ := startEval(t)
	const odd = "team a/b & c?d=e#f"
	seeded := srv.AddTestCases(odd, gentracetest.Case{Name: "odd"})
	got, err := c.GetTestCases(t.Context(), odd)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != seeded[0].ID {
		t.Errorf("GetTestCases(%q) = %+v, want the one case seeded for it", odd, got)
	}
}

func TestGetTestCasesNoCases(t *testing.T) {
	t.Parallel()
	srv, c, _ := startEval(t)
	srv.AddTestCases("empty")
	got, err := c.GetTestCases(t.Context(), "empty")
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("GetTestCases = %#v, %v; want an empty, non-nil slice", got, err)
	}
}

// TestGetTestCasesDecodesAPIAnswer decodes an answer shaped like the real
// API's: seconds without fractions, null expected outputs, extra fields.
func TestGetTestCasesDecodesAPIAnswer(t *testing.T) {
	t.Parallel()
	var gotQuery string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotQuery = r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		fmt.Fprint(w, `{"testCases":[{"id":"c1","name":"one","inputs":{"q":"x"},"expectedOutputs":null,
			"pipelineId":"p","datasetId":"d","createdAt":"2024-01-02T03:04:05Z",
			"updatedAt":"2024-01-02T05:04:05.123456+02:00","archivedAt":null,"deletedAt":null}]}`)
	}))
	t.Cleanup(ts.Close)
	c, err := New(WithAPIKey("k"), WithBaseURL(ts.URL+"/api"), WithHTTPClient(ts.Client()),
		WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Shutdown(context.Background()) })
	got, err := c.GetTestCases(t.Context(), "a b")
	if err != nil {
		t.Fatal(err)
	}
	if gotQuery != "pipelineSlug=a+b" {
		t.Errorf("query = %q, want pipelineSlug=a+b", gotQuery)
	}
	want := []TestCase{{
		ID: "c1", Name: "one", Inputs: map[string]any{"q": "x"}, PipelineID: "p", DatasetID: "d",
		CreatedAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		UpdatedAt: time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC),
	}}
	if len(got) != 1 || !got[0].CreatedAt.Equal(want[0].CreatedAt) || !got[0].UpdatedAt.Equal(want[0].UpdatedAt) {
		t.Fatalf("GetTestCases = %+v, want %+v", got, want)
	}
	got[0].CreatedAt, got[0].UpdatedAt = want[0].CreatedAt, want[0].UpdatedAt
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetTestCases = %+v, want %+v", got, want)
	}
}

func TestParseAPITime(t *testing.T) {
	t.Parallel()
	utc := time.Date(2023, 3, 23, 21, 16, 37, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"2023-03-23T21:16:37Z", utc},
		{"2023-03-23T21:16:37.188Z", utc.Add(188 * time.Millisecond)},
		{"2023-03-23T21:16:37.188123456Z", utc.Add(188123456)},
		{"2023-03-23T23:16:37+02:00", utc},
		{"2023-03-23T23:16:37.5+02:00", utc.Add(500 * time.Millisecond)},
		{"2023-03-23 21:16:37.188Z", utc.Add(188 * time.Millisecond)},
		{"2023-03-23T21:16:37", utc},
	} {
		got, err := parseAPITime(tc.in)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseAPITime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"yesterday", "2023-03-23", "1679606197", "2023-13-23T21:16:37Z"} {
		if _, err := parseAPITime(bad); err == nil {
			t.Errorf("parseAPITime(%q) succeeded, want an error", bad)
		}
	}
}

func TestSubmitTestResultGolden(t *testing.T) {
	t.Parallel()
	srv, c, cases := startEval(t)
	cases = cases[:3]
	outputs := []map[string]any{
		{"year": 1969, "cost": Cents(1.5), "html": "<b>1969</b>"},
		{"year": 1989, "cost": Dollars(0.002), "reasoning": map[string]any{"steps": []string{"recall", "answer"}}},
		nil,
	}
	id, err := c.SubmitTestResult(t.Context(), evalSlug, cases, outputs,
		WithResultName("nightly <eval>"),
		WithBranch("main"),
		WithCommit("8f9e71e"),
		WithResultMetadata(Metadata{
			"model":  String("gpt-4o-mini"),
			"ci":     Bool(true),
			"report": URL("https://ci.example.com/runs/42", "run 42"),
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	res := onlyResult(t, srv)
	if id != res.ID {
		t.Errorf("SubmitTestResult returned %q, the server answered %q", id, res.ID)
	}
	golden(t, "evaluation/submit.json", res.Body)
	if ua := res.Header.Get("User-Agent"); ua != "gentrace-go/"+Version {
		t.Errorf("User-Agent = %q", ua)
	}
}

func TestSubmitTestResultEnvironment(t *testing.T) {
	// Not parallel: t.Setenv.
	srv, c, cases := startEval(t)
	cases = cases[:1]
	outputs := []map[string]any{{"year": 1969}}
	type want struct{ name, branch, commit string }
	for _, tc := range []struct {
		name string
		env  map[string]string
		opts []TestResultOption
		want want
	}{
		{name: "nothing set omits all", want: want{}},
		{
			name: "run name",
			env:  map[string]string{"GENTRACE_RUN_NAME": "run-env"},
			want: want{name: "run-env"},
		},
		{
			name: "result name",
			env:  map[string]string{"GENTRACE_RESULT_NAME": "result-env"},
			want: want{name: "result-env"},
		},
		{
			name: "result name beats run name",
			env:  map[string]string{"GENTRACE_RESULT_NAME": "result-env", "GENTRACE_RUN_NAME": "run-env"},
			want: want{name: "result-env"},
		},
		{
			name: "empty result name falls back to run name",
			env:  map[string]string{"GENTRACE_RESULT_NAME": "", "GENTRACE_RUN_NAME": "run-env"},
			want: want{name: "run-env"},
		},
		{
			name: "option beats both names",
			env:  map[string]string{"GENTRACE_RESULT_NAME": "result-env", "GENTRACE_RUN_NAME": "run-env"},
			opts: []TestResultOption{WithResultName("opt")},
			want: want{name: "opt"},
		},
		{
			name: "option beats run name",
			env:  map[string]string{"GENTRACE_RUN_NAME": "run-env"},
			opts: []TestResultOption{WithResultName("opt")},
			want: want{name: "opt"},
		},
		{
			name: "empty name option omits the name",
			env:  map[string]string{"GENTRACE_RESULT_NAME": "result-env", "GENTRACE_RUN_NAME": "run-env"},
			opts: []TestResultOption{WithResultName("")},
			want: want{},
		},
		{
			name: "branch from environment",
			env:  map[string]string{"GENTRACE_BRANCH": "env-branch"},
			want: want{branch: "env-branch"},
		},
		{
			name: "branch option beats environment",
			env:  map[string]string{"GENTRACE_BRANCH": "env-branch"},
			opts: []TestResultOption{WithBranch("opt-branch")},
			want: want{branch: "opt-branch"},
		},
		{
			name: "branch option alone",
			opts: []TestResultOption{WithBranch("opt-branch")},
			want: want{branch: "opt-branch"},
		},
		{
			name: "empty branch option omits the branch",
			env:  map[string]string{"GENTRACE_BRANCH": "env-branch"},
			opts: []TestResultOption{WithBranch("")},
			want: want{},
		},
		{
			name: "commit from environment",
			env:  map[string]string{"GENTRACE_COMMIT": "env-sha"},
			want: want{commit: "env-sha"},
		},
		{
			name: "commit option beats environment",
			env:  map[string]string{"GENTRACE_COMMIT": "env-sha"},
			opts: []TestResultOption{WithCommit("opt-sha")},
			want: want{commit: "opt-sha"},
		},
		{
			name: "commit option alone",
			opts: []TestResultOption{WithCommit("opt-sha")},
			want: want{commit: "opt-sha"},
		},
		{
			name: "empty commit option omits the commit",
			env:  map[string]string{"GENTRACE_COMMIT": "env-sha"},
			opts: []TestResultOption{WithCommit("")},
			want: want{},
		},
		{
			name: "all from environment",
			env: map[string]string{"GENTRACE_RESULT_NAME": "result-env", "GENTRACE_BRANCH": "env-branch",
				"GENTRACE_COMMIT": "env-sha"},
			want: want{"result-env", "env-branch", "env-sha"},
		},
		{
			name: "options and environment mixed",
			env: map[string]string{"GENTRACE_RUN_NAME": "run-env", "GENTRACE_BRANCH": "env-branch",
				"GENTRACE_COMMIT": "env-sha"},
			opts: []TestResultOption{WithBranch("opt-branch")},
			want: want{"run-env", "opt-branch", "env-sha"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearResultEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			before := len(srv.TestResults())
			if _, err := c.SubmitTestResult(t.Context(), evalSlug, cases, outputs, tc.opts...); err != nil {
				t.Fatal(err)
			}
			results := srv.TestResults()
			if len(results) != before+1 {
				t.Fatalf("server stored %d new results, want 1", len(results)-before)
			}
			res := results[len(results)-1]
			if got := (want{res.Name, res.Branch, res.Commit}); got != tc.want {
				t.Errorf("name, branch, commit = %q, want %q", got, tc.want)
			}
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(res.Body, &fields); err != nil {
				t.Fatal(err)
			}
			for key, value := range map[string]string{"name": tc.want.name, "branch": tc.want.branch, "commit": tc.want.commit} {
				if _, sent := fields[key]; sent != (value != "") {
					t.Errorf("%q sent = %v, want %v (body %s)", key, sent, !sent, res.Body)
				}
			}
			if _, sent := fields["metadata"]; sent {
				t.Errorf("metadata sent without WithResultMetadata: %s", res.Body)
			}
		})
	}
}

func TestSubmitBadInputSendsNothing(t *testing.T) {
	t.Parallel()
	srv, c, cases := startEval(t)
	two := cases[:2]
	ok := []map[string]any{{"year": 1969}, {"year": 1989}}
	noID := slices.Clone(two)
	noID[1].ID = ""
	badInputs := slices.Clone(two)
	badInputs[0].Inputs = map[string]any{"ch": make(chan int)}
	withOutput := func(i int, v map[string]any) []map[string]any {
		out := slices.Clone(ok)
		out[i] = v
		return out
	}
	noop := func(context.Context, TestCase) (map[string]any, error) { return nil, nil }
	for _, tc := range []struct {
		name  string
		call  func() error
		is    error
		names []string // substrings the message must contain
	}{
		{
			name: "more cases than outputs",
			call: func() error { _, err := c.SubmitTestResult(t.Context(), evalSlug, two, ok[:1]); return err },
			is:   ErrInvalidTestResult, names: []string{"2 test cases", "1 outputs"},
		},
		{
			name: "more outputs than cases",
			call: func() error { _, err := c.SubmitTestResult(t.Context(), evalSlug, two[:1], ok); return err },
			is:   ErrInvalidTestResult, names: []string{"1 test cases", "2 outputs"},
		},
		{
			name: "empty slug",
			call: func() error { _, err := c.SubmitTestResult(t.Context(), "", two, ok); return err },
			is:   ErrEmptySlug,
		},
		{
			name: "empty slug to get",
			call: func() error { _, err := c.GetTestCases(t.Context(), ""); return err },
			is:   ErrEmptySlug,
		},
		{
			name: "empty slug to run",
			call: func() error { _, err := c.RunTest(t.Context(), "", noop); return err },
			is:   ErrEmptySlug,
		},
		{
			name: "case without ID",
			call: func() error { _, err := c.SubmitTestResult(t.Context(), evalSlug, noID, ok); return err },
			is:   ErrInvalidTestResult, names: []string{"test run 1", "no ID"},
		},
		{
			name: "metadata without type",
			call: func() error {
				_, err := c.SubmitTestResult(t.Context(), evalSlug, two, ok,
					WithResultMetadata(Metadata{"fine": String("x"), "env": {}}))
				return err
			},
			is: ErrInvalidMetadata, names: []string{`"env"`},
		},
		{
			name: "metadata with relative URL",
			call: func() error {
				_, err := c.SubmitTestResult(t.Context(), evalSlug, two, ok,
					WithResultMetadata(Metadata{"report": URL("/runs/42", "run 42")}))
				return err
			},
			is: ErrInvalidMetadata, names: []string{`"report"`, "/runs/42"},
		},
		{
			name: "cost in euros",
			call: func() error {
				_, err := c.SubmitTestResult(t.Context(), evalSlug, two,
					withOutput(1, map[string]any{"cost": map[string]any{"type": "euros", "value": 1}}))
				return err
			},
			is: ErrInvalidCost, names: []string{"test run 1", two[1].ID, "euros"},
		},
		{
			name: "negative cost",
			call: func() error {
				_, err := c.SubmitTestResult(t.Context(), evalSlug, two, withOutput(0, map[string]any{"cost": Dollars(-1)}))
				return err
			},
			is: ErrInvalidCost, names: []string{"test run 0", two[0].ID, "-1"},
		},
		{
			name: "cost as a bare number",
			call: func() error {
				_, err := c.SubmitTestResult(t.Context(), evalSlug, two, withOutput(0, map[string]any{"cost": 0.12}))
				return err
			},
			is: ErrInvalidCost, names: []string{"test run 0", two[0].ID},
		},
		{
			name: "cost with an extra field",
			call: func() error {
				_, err := c.SubmitTestResult(t.Context(), evalSlug, two,
					withOutput(0, map[string]any{"cost": map[string]any{"type": "cents", "value": 1, "usd": 0.01}}))
				return err
			},
			is: ErrInvalidCost, names: []string{"test run 0", `"usd"`},
		},
		{
			name: "outputs not encodable",
			call: func() error {
				_, err := c.SubmitTestResult(t.Context(), evalSlug, two, withOutput(1, map[string]any{"score": math.NaN()}))
				return err
			},
			is: ErrInvalidTestResult, names: []string{"test run 1", two[1].ID, "outputs"},
		},
		{
			name: "inputs not encodable",
			call: func() error { _, err := c.SubmitTestResult(t.Context(), evalSlug, badInputs, ok); return err },
			is:   ErrInvalidTestResult, names: []string{"test run 0", "inputs"},
		},
		{
			name: "per-run cost in a run",
			call: func() error {
				_, err := c.submitTestRuns(t.Context(), evalSlug, []testRun{
					{Case: two[0], Outputs: map[string]any{"cost": Cents(math.Inf(1))}},
				})
				return err
			},
			is: ErrInvalidCost, names: []string{"test run 0", "+Inf"},
		},
		{
			name: "zero concurrency",
			call: func() error { _, err := c.RunTest(t.Context(), evalSlug, noop, WithConcurrency(0)); return err },
			is:   ErrInvalidOption, names: []string{"WithConcurrency(0)"},
		},
		{
			name: "nil function",
			call: func() error { _, err := c.RunTest(t.Context(), evalSlug, nil); return err },
			is:   ErrInvalidOption,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tc.is) {
				t.Fatalf("error = %v, want %v", err, tc.is)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "gentrace: ") || strings.Count(msg, "gentrace: ") != 1 {
				t.Errorf("error %q: want one %q prefix", msg, "gentrace: ")
			}
			for _, s := range tc.names {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not mention %q", msg, s)
				}
			}
		})
	}
	if st := srv.Stats(); st.Requests != 0 {
		t.Errorf("server received %d requests for bad input, want none", st.Requests)
	}
}

func TestEvaluationAfterShutdownSendsNothing(t *testing.T) {
	t.Parallel()
	srv, c, cases := startEval(t)
	if err := c.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetTestCases(t.Context(), evalSlug); !errors.Is(err, ErrClientClosed) {
		t.Errorf("GetTestCases after Shutdown: %v, want ErrClientClosed", err)
	}
	if _, err := c.SubmitTestResult(t.Context(), evalSlug, cases[:1], []map[string]any{{}}); !errors.Is(err, ErrClientClosed) {
		t.Errorf("SubmitTestResult after Shutdown: %v, want ErrClientClosed", err)
	}
	if st := srv.Stats(); st.Requests != 0 {
		t.Errorf("server received %d requests, want none", st.Requests)
	}
}

func TestEvaluationServerErrors(t *testing.T) {
	t.Parallel()
	out := []map[string]any{{"year": 1969}}
	for _, tc := range []struct {
		name    string
		call    func(ctx context.Context, c *Client, cases []TestCase) error
		prepare func(srv *gentracetest.Server)
		status  int
		path    string
		message string
	}{
		{
			name:    "injected 500 on get",
			prepare: func(srv *gentracetest.Server) { srv.FailNext(1, 500) },
			call: func(ctx context.Context, c *Client, _ []TestCase) error {
				_, err := c.GetTestCases(ctx, evalSlug)
				return err
			},
			status: 500, path: "/v1/test-case?pipelineSlug=" + evalSlug, message: "gentracetest: injected 500",
		},
		{
			name: "unknown pipeline on get",
			call: func(ctx context.Context, c *Client, _ []TestCase) error {
				_, err := c.GetTestCases(ctx, "nope")
				return err
			},
			status: 404, path: "/v1/test-case?pipelineSlug=nope", message: `pipeline "nope" not found`,
		},
		{
			name:    "injected 400 on submit",
			prepare: func(srv *gentracetest.Server) { srv.FailNext(1, 400) },
			call: func(ctx context.Context, c *Client, cases []TestCase) error {
				_, err := c.SubmitTestResult(ctx, evalSlug, cases[:1], out)
				return err
			},
			status: 400, path: "/v1/test-result-simple", message: "gentracetest: injected 400",
		},
		{
			name:    "injected 503 on submit",
			prepare: func(srv *gentracetest.Server) { srv.FailNext(1, 503) },
			call: func(ctx context.Context, c *Client, cases []TestCase) error {
				_, err := c.SubmitTestResult(ctx, evalSlug, cases[:1], out)
				return err
			},
			status: 503, path: "/v1/test-result-simple", message: "gentracetest: injected 503",
		},
		{
			name: "case of another pipeline",
			call: func(ctx context.Context, c *Client, cases []TestCase) error {
				other := cases[0]
				other.ID = "0b5e6f0a-1c2d-4e3f-8a9b-0000000000ff"
				_, err := c.SubmitTestResult(ctx, evalSlug, []TestCase{other}, out)
				return err
			},
			status: 400, path: "/v1/test-result-simple", message: "is not a test case of pipeline",
		},
		{
			name: "unknown pipeline on run",
			call: func(ctx context.Context, c *Client, _ []TestCase) error {
				_, err := c.RunTest(ctx, "nope", func(context.Context, TestCase) (map[string]any, error) {
					panic("fn must not run when the cases cannot be fetched")
				})
				return err
			},
			status: 404, path: "/v1/test-case?pipelineSlug=nope", message: `pipeline "nope" not found`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c, cases := startEval(t)
			if tc.prepare != nil {
				tc.prepare(srv)
			}
			err := tc.call(t.Context(), c, cases)
			var apiErr *APIError
			ok := errors.As(err, &apiErr)
			if !ok {
				t.Fatalf("error = %v (%T), want an *APIError", err, err)
			}
			if apiErr.StatusCode != tc.status || apiErr.Path != tc.path || !strings.Contains(apiErr.Message, tc.message) {
				t.Errorf("APIError = %+v, want status %d, path %q, message containing %q", apiErr, tc.status, tc.path, tc.message)
			}
			if n := len(srv.TestResults()); n != 0 {
				t.Errorf("server stored %d results", n)
			}
		})
	}
}

// refuseFirstDials returns an HTTP client of srv whose first n connection
// attempts are refused, as a server that is not listening yet would: the
// request never leaves the client.
func refuseFirstDials(srv *gentracetest.Server, n int) *http.Client {
	var dials atomic.Int32
	base := srv.Client().Transport.(*http.Transport).Clone()
	var d net.Dialer
	base.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) <= int32(n) {
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: base}
}

// A test result is retried only when the server cannot have stored it: a
// refused connection, 429, and 503 with Retry-After. It is then stored
// once.
func TestSubmitTestResultRetriesOnlyWhatWasNotProcessed(t *testing.T) {
	t.Parallel()
	srv, _, cases := startEval(t)
	c, err := New(WithLogger(slog.New(slog.DiscardHandler)), WithAPIKey(srv.APIKey), WithBaseURL(srv.URL),
		WithHTTPClient(refuseFirstDials(srv, 1)), WithRetry(5, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Shutdown(context.Background()) })
	srv.FailNextWithRetryAfter(1, http.StatusTooManyRequests, "0")
	srv.FailNextWithRetryAfter(1, http.StatusServiceUnavailable, "0")
	id, err := c.SubmitTestResult(t.Context(), evalSlug, cases[:1], []map[string]any{{"year": 1969}})
	if err != nil {
		t.Fatal(err)
	}
	if res := onlyResult(t, srv); res.ID != id {
		t.Errorf("returned ID %q, stored %q", id, res.ID)
	}
	if st := c.Stats(); st.Retried != 3 {
		t.Errorf("Stats().Retried = %d, want 3 (refused, 429, 503)", st.Retried)
	}
	if st := srv.Stats(); st.Requests != 3 || st.Faults != 2 {
		t.Errorf("server stats = %+v, want 3 requests (the refused one never arrived) and 2 faults", st)
	}
}

// A test result whose fate is unknown is not retried, so it is never
// stored twice, and the error says the outcome is unknown. A refusal is
// not "unknown".
func TestSubmitTestResultNeverStoredTwice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		fault   func(srv *gentracetest.Server)
		stored  int
		unknown bool
		status  int
	}{
		{"answer lost after storing", func(srv *gentracetest.Server) { srv.LoseResponseNext(1) }, 1, true, 0},
		{"500", func(srv *gentracetest.Server) { srv.FailNext(1, 500) }, 0, true, 500},
		{"502", func(srv *gentracetest.Server) { srv.FailNext(1, 502) }, 0, true, 502},
		{"503 without Retry-After", func(srv *gentracetest.Server) { srv.FailNext(1, 503) }, 0, true, 503},
		{"connection dropped", func(srv *gentracetest.Server) { srv.DropNext(1) }, 0, true, 0},
		{"400", func(srv *gentracetest.Server) { srv.FailNext(1, 400) }, 0, false, 400},
		{"redirect", func(srv *gentracetest.Server) { srv.RedirectNext(1, http.StatusFound, "") }, 0, false, 302},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c, cases := startEval(t, WithRetry(5, time.Millisecond, time.Millisecond))
			tc.fault(srv)
			_, err := c.SubmitTestResult(t.Context(), evalSlug, cases[:1], []map[string]any{{"year": 1969}})
			if err == nil {
				t.Fatal("SubmitTestResult succeeded")
			}
			if got := errors.Is(err, ErrOutcomeUnknown); got != tc.unknown {
				t.Errorf("errors.Is(%v, ErrOutcomeUnknown) = %v, want %v", err, got, tc.unknown)
			}
			if apiErr := (*APIError)(nil); tc.status != 0 && (!errors.As(err, &apiErr) || apiErr.StatusCode != tc.status) {
				t.Errorf("error %v, want an *APIError with status %d", err, tc.status)
			}
			if st := srv.Stats(); st.Requests != 1 || st.TestResults != tc.stored {
				t.Errorf("server stats = %+v, want 1 request and %d stored", st, tc.stored)
			}
		})
	}
}

func TestSubmitTestResultWrongKey(t *testing.T) {
	t.Parallel()
	_, c, cases := startEval(t, WithAPIKey("not-the-key"))
	_, err := c.SubmitTestResult(t.Context(), evalSlug, cases[:1], []map[string]any{{}})
	if apiErr := (*APIError)(nil); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("error = %v, want a 401 *APIError", err)
	}
	if strings.Contains(err.Error(), "not-the-key") {
		t.Errorf("error %q shows the API key", err)
	}
}

func TestRunTestRecordsFailingCase(t *testing.T) {
	// Not parallel: clears the environment.
	clearResultEnv(t)
	srv, c, cases := startEval(t)
	var calls atomic.Int32
	id, err := c.RunTest(t.Context(), evalSlug, func(ctx context.Context, tc TestCase) (map[string]any, error) {
		calls.Add(1)
		switch tc.ID {
		case cases[1].ID:
			return map[string]any{"year": 0}, errors.New("model timed out")
		case cases[3].ID:
			return map[string]any{"cost": "a lot"}, nil
		}
		year := 1969 + 10*slices.IndexFunc(cases, func(c TestCase) bool { return c.ID == tc.ID })
		return map[string]any{"year": year, "event": tc.Inputs["event"], "cost": Cents(0.25)}, nil
	}, WithConcurrency(2), WithResultName("nightly"))
	if err != nil {
		t.Fatal(err)
	}
	if int(calls.Load()) != len(cases) {
		t.Errorf("fn called %d times for %d cases", calls.Load(), len(cases))
	}
	res := onlyResult(t, srv)
	if res.ID != id {
		t.Errorf("RunTest returned %q, server stored %q", id, res.ID)
	}
	golden(t, "evaluation/run_test.json", res.Body)

	if len(res.TestRuns) != len(cases) {
		t.Fatalf("%d test runs, want %d", len(res.TestRuns), len(cases))
	}
	for i, run := range res.TestRuns {
		if run.CaseID != cases[i].ID {
			t.Errorf("run %d is for case %s, want %s (case order)", i, run.CaseID, cases[i].ID)
		}
		switch i {
		case 1:
			if run.Error != "model timed out" || len(run.Outputs) != 0 {
				t.Errorf("failing run: error %q, outputs %v; want its error and {}", run.Error, run.Outputs)
			}
		case 3:
			if !strings.HasPrefix(run.Error, ErrInvalidCost.Error()) || len(run.Outputs) != 0 {
				t.Errorf("run with a bad cost: error %q, outputs %v; want ErrInvalidCost's text and {}", run.Error, run.Outputs)
			}
		default:
			if run.Error != "" || run.Outputs["year"] != float64(1969+10*i) {
				t.Errorf("run %d: error %q, outputs %v", i, run.Error, run.Outputs)
			}
		}
	}
}

func TestRunTestBoundsConcurrency(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 3, DefaultTestConcurrency, 10} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			srv, c, cases := startEval(t)
			want := min(n, len(cases))
			// The first want calls wait until want are in flight together,
			// which proves the bound is reached; every call checks that it
			// is not exceeded.
			var inFlight, peak, calls atomic.Int32
			gate := make(chan struct{})
			var once sync.Once
			var opts []TestResultOption
			if n != DefaultTestConcurrency {
				opts = append(opts, WithConcurrency(n))
			}
			// The timeout only turns a broken bound into a failure instead
			// of a hang.
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			_, err := c.RunTest(ctx, evalSlug, func(ctx context.Context, tc TestCase) (map[string]any, error) {
				cur := inFlight.Add(1)
				defer inFlight.Add(-1)
				for p := peak.Load(); cur > p && !peak.CompareAndSwap(p, cur); p = peak.Load() {
				}
				if cur == int32(want) {
					once.Do(func() { close(gate) })
				}
				if calls.Add(1) <= int32(want) {
					select {
					case <-gate:
					case <-ctx.Done():
						return nil, ctx.Err()
					}
				}
				return map[string]any{"ok": true}, nil
			}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if p := peak.Load(); p != int32(want) {
				t.Errorf("peak concurrency %d, want %d", p, want)
			}
			if res := onlyResult(t, srv); len(res.TestRuns) != len(cases) {
				t.Errorf("%d runs submitted, want %d", len(res.TestRuns), len(cases))
			}
		})
	}
}

func TestRunTestStopsWhenContextIsDone(t *testing.T) {
	t.Parallel()
	srv, c, cases := startEval(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var inFlight, calls atomic.Int32
	_, err := c.RunTest(ctx, evalSlug, func(ctx context.Context, tc TestCase) (map[string]any, error) {
		inFlight.Add(1)
		defer inFlight.Add(-1)
		if calls.Add(1) == 2 {
			cancel()
		}
		<-ctx.Done() // a well-behaved fn returns when its context ends
		return nil, ctx.Err()
	}, WithConcurrency(2))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("RunTest = %v, want context.Canceled", err)
	}
	if n := inFlight.Load(); n != 0 {
		t.Errorf("RunTest returned with %d calls of fn still running", n)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("fn called %d times, want 2: no case starts after the context is done", n)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("2 of %d", len(cases))) {
		t.Errorf("error %q does not say how far it got", err)
	}
	if st := srv.Stats(); st.TestResults != 0 || st.Requests != 1 {
		t.Errorf("server stats %+v: want the GET only, nothing submitted", st)
	}
}

func TestRunTestNoCases(t *testing.T) {
	t.Parallel()
	srv, c, _ := startEval(t)
	srv.AddTestCases("empty")
	_, err := c.RunTest(t.Context(), "empty", func(context.Context, TestCase) (map[string]any, error) {
		panic("no case to run")
	}, WithResultName("n"), WithBranch(""), WithCommit(""))
	if err != nil {
		t.Fatal(err)
	}
	res := onlyResult(t, srv)
	if got := string(res.Body); got != `{"pipelineSlug":"empty","name":"n","testRuns":[]}` {
		t.Errorf("body = %s", got)
	}
}
