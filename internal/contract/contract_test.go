package contract_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/gentrace/gentrace-go/internal/contract"
	"github.com/gentrace/gentrace-go/internal/contract/contracttest"
)

// The HTTP-level cases of every route are in contracttest, run against both
// backends; these tests cover what only the decoded values show.

func TestParseRunKeepsRawObjects(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"6f9619ff-8b86-4d11-b42d-00c04fc964ff","stepRuns":[{"providerName":"p","invocation":"i",
		"modelParams":{"b":1,"a":2},"inputs":{"big":12345678901234567890},"outputs":{"z":"<b>"},
		"elapsedTime":3,"startTime":"2024-01-01T00:00:00.000Z","endTime":"2024-01-01T00:00:00.003Z"}]}`)
	run, err := contract.ParseRun(body)
	if err != nil {
		t.Fatal(err)
	}
	s := run.StepRuns[0]
	for name, c := range map[string][2]string{
		"modelParams": {string(s.RawModelParams), `{"b":1,"a":2}`},
		"inputs":      {string(s.RawInputs), `{"big":12345678901234567890}`},
		"outputs":     {string(s.RawOutputs), `{"z":"<b>"}`},
	} {
		if c[0] != c[1] {
			t.Errorf("raw %s = %s, want %s as sent", name, c[0], c[1])
		}
	}
	if s.Inputs["big"] != 12345678901234567890.0 || s.ModelParams["a"] != 2.0 {
		t.Errorf("decoded maps = %v, %v", s.Inputs, s.ModelParams)
	}
}

func TestParseRunFixture(t *testing.T) {
	t.Parallel()
	run, err := contract.ParseRun(contracttest.RunJSON())
	if err != nil {
		t.Fatal(err)
	}
	if run.Slug != "guess-the-year" || run.Metadata["docs"] != (contract.MetadataValue{Type: "url", URL: "https://example.com/docs", Text: "Docs"}) ||
		run.StepRuns[0].Context.Render == nil || *run.StepRuns[0].Context.Render != (contract.Render{Type: "html", Key: "page"}) ||
		run.StepRuns[0].Context.UserID != "user-42" || run.StepRuns[1].Context.Metadata != nil {
		t.Errorf("ParseRun(run.json) = %+v", run)
	}
}

func TestParseTestResultKeepsRawObjects(t *testing.T) {
	t.Parallel()
	res, err := contract.ParseTestResult(contracttest.TestResultJSON())
	if err != nil {
		t.Fatal(err)
	}
	if string(res.TestRuns[0].RawInputs) != `{"question": "When was Go released?"}` || res.TestRuns[1].RawOutputs != nil {
		t.Errorf("raw test runs = %s, %s", res.TestRuns[0].RawInputs, res.TestRuns[1].RawOutputs)
	}
}

func TestTestCaseQuery(t *testing.T) {
	t.Parallel()
	if slug, err := contract.TestCaseQuery(url.Values{"pipelineSlug": {"p"}}); slug != "p" || err != nil {
		t.Errorf("TestCaseQuery(p) = %q, %v", slug, err)
	}
	if _, err := contract.TestCaseQuery(url.Values{"pipelineId": {"x"}}); err == nil || !strings.Contains(err.Error(), "pipelineSlug query parameter is required") {
		t.Errorf("TestCaseQuery without slug: %v", err)
	}
}

func TestParseNewTestCases(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		body   string
		single bool
		n      int
		want   string // part of the error; "" for valid
	}{
		{name: "single", body: `{"pipelineSlug":"p","name":"a","inputs":{"q":1},"expectedOutputs":{"x":2}}`, single: true, n: 1},
		{name: "single null expected", body: `{"pipelineSlug":"p","name":"","inputs":{},"expectedOutputs":null}`, single: true, n: 1},
		{name: "many", body: `{"pipelineSlug":"p","testCases":[{"name":"a","inputs":{}},{"name":"b","inputs":{},"expectedOutputs":{}}]}`, n: 2},
		{name: "dataset only", body: `{"datasetId":"d","name":"a","inputs":{}}`, want: "pipelineSlug is required (this server does not file test cases by datasetId)"},
		{name: "empty slug", body: `{"pipelineSlug":"","name":"a","inputs":{}}`, want: "pipelineSlug must not be empty"},
		{name: "single without name", body: `{"pipelineSlug":"p","inputs":{}}`, want: "name is required"},
		{name: "single inputs array", body: `{"pipelineSlug":"p","name":"a","inputs":[]}`, want: "inputs must be an object, got array"},
		{name: "single expected string", body: `{"pipelineSlug":"p","name":"a","inputs":{},"expectedOutputs":"x"}`, want: "expectedOutputs must be an object, got string"},
		{name: "many not array", body: `{"pipelineSlug":"p","testCases":{}}`, want: "testCases must be an array, got object"},
		{name: "many empty", body: `{"pipelineSlug":"p","testCases":[]}`, want: "testCases must not be empty"},
		{name: "many empty name", body: `{"pipelineSlug":"p","testCases":[{"name":"","inputs":{}}]}`, want: "testCases[0].name must not be empty"},
		{name: "many expected null", body: `{"pipelineSlug":"p","testCases":[{"name":"a","inputs":{},"expectedOutputs":null}]}`, want: "testCases[0].expectedOutputs must be an object, got null"},
		{name: "many missing inputs", body: `{"pipelineSlug":"p","testCases":[{"name":"a"},{"name":"b"}]}`, want: "testCases[0].inputs is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := contract.ParseNewTestCases([]byte(tc.body))
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error = %v, want one containing %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.PipelineSlug != "p" || got.Single != tc.single || len(got.Cases) != tc.n {
				t.Errorf("ParseNewTestCases = %+v", got)
			}
		})
	}
}
