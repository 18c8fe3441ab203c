// Package contracttest is the contract suite that every local Gentrace
// backend of this repository passes: the gentracetest fake and the
// gentrace-dev server send the same requests through it and must give the
// same answers, status and message, as the v1 API contract says (SPEC.md §3).
//
// A backend's test calls [Run] with a [Backend] describing how to reach it.
// The suite covers request validation of every route, deduplication answers,
// the singly-linked thread rule, the test-case query and routing. Rules that
// differ between backends by design (which API keys are accepted, body size
// caps, what a backend stores) are left to each backend's own tests.
package contracttest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// A Backend is a running backend under test.
type Backend struct {
	// URL is the API base URL, ending in /api.
	URL string
	// APIKey is a key the backend accepts.
	APIKey string
	// Client sends the suite's requests; nil means http.DefaultClient.
	Client *http.Client
	// AddTestCases makes the pipeline with the given slug known, with test
	// cases of the given IDs (any names and inputs), as gentracetest's
	// AddTestCases does. The suite calls it once per slug.
	AddTestCases func(t testing.TB, slug string, caseIDs ...string)
}

// The test cases that testdata/test_result.json names, seeded for the
// pipeline "guess-the-year".
const (
	case1 = "2b1c8a4e-7d3f-4e5a-9b6c-0d1e2f3a4b5c"
	case2 = "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716"
)

var (
	//go:embed testdata/run.json
	runJSON []byte
	//go:embed testdata/test_result.json
	testResultJSON []byte
)

// Run runs the whole suite against b, as parallel subtests of t.
func Run(t *testing.T, b Backend) {
	t.Helper()
	if b.Client == nil {
		b.Client = http.DefaultClient
	}
	b.AddTestCases(t, "guess-the-year", case1, case2)
	b.AddTestCases(t, "empty")
	t.Run("run", func(t *testing.T) { t.Parallel(); runValidation(t, b) })
	t.Run("test-result", func(t *testing.T) { t.Parallel(); testResultValidation(t, b) })
	t.Run("test-case", func(t *testing.T) { t.Parallel(); testCaseQuery(t, b) })
	t.Run("dedup", func(t *testing.T) { t.Parallel(); dedup(t, b) })
	t.Run("thread", func(t *testing.T) { t.Parallel(); thread(t, b) })
	t.Run("routing", func(t *testing.T) { t.Parallel(); routing(t, b) })
}

// MetadataCases are metadata value objects, each valid (Want "") or
// rejected with a message that ends in Want after the value's path.
var MetadataCases = []struct {
	Name  string
	Value any
	Want  string
}{
	{"url", map[string]any{"type": "url", "url": "https://example.com/a?b=c", "text": "A"}, ""},
	{"url mailto", map[string]any{"type": "url", "url": "mailto:a@example.com", "text": "mail"}, ""},
	{"string", map[string]any{"type": "string", "value": "v"}, ""},
	{"empty string", map[string]any{"type": "string", "value": ""}, ""},
	{"boolean false", map[string]any{"type": "boolean", "value": false}, ""},
	{"null", nil, " must be an object, got null"},
	{"bare string", "v", " must be an object, got string"},
	{"array", []any{}, " must be an object, got array"},
	{"missing type", map[string]any{"value": "v"}, ".type is required"},
	{"type not a string", map[string]any{"type": 1, "value": "v"}, ".type must be a string, got number"},
	{"unknown type", map[string]any{"type": "number", "value": 1}, `.type must be one of "url", "string", "boolean"; got "number"`},
	{"string value number", map[string]any{"type": "string", "value": 1}, ".value must be a string, got number"},
	{"string value null", map[string]any{"type": "string", "value": nil}, ".value must be a string, got null"},
	{"string value missing", map[string]any{"type": "string"}, ".value is required"},
	{"string extra field", map[string]any{"type": "string", "value": "v", "text": "t"}, ` has unexpected field "text"`},
	{"boolean value string", map[string]any{"type": "boolean", "value": "true"}, ".value must be a boolean, got string"},
	{"boolean value missing", map[string]any{"type": "boolean"}, ".value is required"},
	{"url missing text", map[string]any{"type": "url", "url": "https://example.com"}, ".text is required"},
	{"url empty text", map[string]any{"type": "url", "url": "https://example.com", "text": ""}, ".text must not be empty"},
	{"url text number", map[string]any{"type": "url", "url": "https://example.com", "text": 1}, ".text must be a string, got number"},
	{"url missing url", map[string]any{"type": "url", "text": "t"}, ".url is required"},
	{"url relative", map[string]any{"type": "url", "url": "/docs", "text": "t"}, `.url must be an absolute URL, got "/docs"`},
	{"url no host", map[string]any{"type": "url", "url": "https://", "text": "t"}, ".url must be an absolute URL"},
	{"url with value", map[string]any{"type": "url", "url": "https://example.com", "text": "t", "value": "v"}, ` has unexpected field "value"`},
}

// CostCases are outputs.cost values (raw JSON), valid (Want "") or rejected
// with a message that ends in Want after the cost's path.
var CostCases = []struct {
	Name string
	Cost string
	Want string
}{
	{"dollars", `{"type":"dollars","value":0.000123}`, ""},
	{"cents zero", `{"type":"cents","value":0}`, ""},
	{"integer", `{"type":"cents","value":12}`, ""},
	{"null", `null`, ".cost must be an object, got null"},
	{"bare number", `0.5`, ".cost must be an object, got number"},
	{"unknown unit", `{"type":"euros","value":1}`, `.cost.type must be "dollars" or "cents", got "euros"`},
	{"missing type", `{"value":1}`, ".cost.type is required"},
	{"missing value", `{"type":"dollars"}`, ".cost.value is required"},
	{"value string", `{"type":"dollars","value":"1"}`, ".cost.value must be a number, got string"},
	{"value null", `{"type":"dollars","value":null}`, ".cost.value must be a number, got null"},
	{"negative", `{"type":"dollars","value":-0.01}`, ".cost.value must not be negative"},
	{"not finite", `{"type":"dollars","value":1e400}`, ".cost.value must be a finite number"},
	{"extra field", `{"type":"dollars","value":1,"estimated":true}`, `.cost has unexpected field "estimated"`},
}

// RunJSON returns testdata/run.json: a valid two-step run with every field
// of the contract set.
func RunJSON() []byte { return bytes.Clone(runJSON) }

// TestResultJSON returns testdata/test_result.json: a valid test result for
// the pipeline "guess-the-year" naming two seeded cases.
func TestResultJSON() []byte { return bytes.Clone(testResultJSON) }

// validRun returns RunJSON decoded, with a fresh id and previousRunId so
// that runs made from it never collide.
func validRun(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(runJSON, &m); err != nil {
		t.Fatal(err)
	}
	m["id"] = uuid.NewString()
	m["previousRunId"] = uuid.NewString()
	return m
}

// MinimalRun is the smallest run the contract allows, with a new id.
func MinimalRun() map[string]any {
	return map[string]any{"id": uuid.NewString(), "stepRuns": []any{}}
}

func step(m map[string]any, i int) map[string]any {
	return m["stepRuns"].([]any)[i].(map[string]any)
}

func stepContext(m map[string]any) map[string]any {
	return step(m, 0)["context"].(map[string]any)
}

// bodyCase is one request body, made by editing a fixture or given whole.
type bodyCase struct {
	name   string
	edit   func(m map[string]any) // applied to the fixture
	body   string                 // sent instead, when edit is nil
	status int                    // 0: 200 when want is "", else 400
	want   string                 // part of the error message
}

func runValidation(t *testing.T, b Backend) {
	cases := []bodyCase{
		{name: "valid run", edit: func(map[string]any) {}},
		{name: "minimal run", body: `{"id":"` + uuid.NewString() + `","stepRuns":[]}`},
		{name: "manual collection", edit: func(m map[string]any) { m["collectionMethod"] = "manual" }},
		{name: "uppercase id", edit: func(m map[string]any) { m["id"] = strings.ToUpper(uuid.NewString()) }},
		{name: "nulls where nullable", edit: func(m map[string]any) {
			m["previousRunId"], m["metadata"], m["error"] = nil, nil, nil
			step(m, 0)["error"] = nil
			stepContext(m)["metadata"] = nil
		}},
		{name: "unknown fields allowed", edit: func(m map[string]any) { m["extra"] = 1; step(m, 0)["extra"] = 2 }},
		{name: "step error", edit: func(m map[string]any) { step(m, 0)["error"] = "boom"; step(m, 0)["outputs"] = map[string]any{} }},
		{name: "time with offset", edit: func(m map[string]any) { step(m, 0)["startTime"] = "2023-03-23T22:16:37+01:00" }},

		{name: "invalid JSON", body: `{"id": `, want: "request body is not valid JSON"},
		{name: "trailing garbage", body: `{"id":"x","stepRuns":[]} x`, want: "request body is not valid JSON"},
		{name: "body not an object", body: `[]`, want: "request body must be a JSON object, got array"},
		{name: "empty body", body: ``, want: "request body is not valid JSON"},

		{name: "missing id", edit: func(m map[string]any) { delete(m, "id") }, want: "id is required"},
		{name: "id null", edit: func(m map[string]any) { m["id"] = nil }, want: "id must be a string, got null"},
		{name: "id number", edit: func(m map[string]any) { m["id"] = 7 }, want: "id must be a string, got number"},
		{name: "id not a UUID", edit: func(m map[string]any) { m["id"] = "run-1" }, want: `id must be a UUID, got "run-1"`},
		{name: "id without hyphens", edit: func(m map[string]any) { m["id"] = strings.ReplaceAll(uuid.NewString(), "-", "") }, want: "id must be a UUID"},
		{name: "id in braces", edit: func(m map[string]any) { m["id"] = "{" + uuid.NewString() + "}" }, want: "id must be a UUID"},
		{name: "id version 1", edit: func(m map[string]any) { m["id"] = "6ba7b810-9dad-11d1-80b4-00c04fd430c8" }, want: "id must be a version 4 UUID"},
		{name: "id nil UUID", edit: func(m map[string]any) { m["id"] = uuid.Nil.String() }, want: "id must be a version 4 UUID"},
		{name: "missing stepRuns", edit: func(m map[string]any) { delete(m, "stepRuns") }, want: "stepRuns is required"},
		{name: "stepRuns object", edit: func(m map[string]any) { m["stepRuns"] = map[string]any{} }, want: "stepRuns must be an array, got object"},
		{name: "stepRuns null", edit: func(m map[string]any) { m["stepRuns"] = nil }, want: "stepRuns must be an array, got null"},
		{name: "slug number", edit: func(m map[string]any) { m["slug"] = 1 }, want: "slug must be a string, got number"},
		{name: "collectionMethod unknown", edit: func(m map[string]any) { m["collectionMethod"] = "auto" }, want: `collectionMethod must be "manual" or "runner", got "auto"`},
		{name: "collectionMethod null", edit: func(m map[string]any) { m["collectionMethod"] = nil }, want: "collectionMethod must be a string, got null"},
		{name: "previousRunId not a UUID", edit: func(m map[string]any) { m["previousRunId"] = "prev" }, want: `previousRunId must be a UUID, got "prev"`},
		{name: "previousRunId number", edit: func(m map[string]any) { m["previousRunId"] = 3 }, want: "previousRunId must be a string, got number"},
		{name: "previousRunId is id", edit: func(m map[string]any) { m["previousRunId"] = m["id"] }, want: "previousRunId must not be the run's own id"},
		{name: "metadata array", edit: func(m map[string]any) { m["metadata"] = []any{} }, want: "metadata must be an object, got array"},
		{name: "error number", edit: func(m map[string]any) { m["error"] = 1 }, want: "error must be a string, got number"},

		{name: "step not an object", edit: func(m map[string]any) { m["stepRuns"] = []any{"step"} }, want: "stepRuns[0] must be an object, got string"},
		{name: "second step bad", edit: func(m map[string]any) { step(m, 1)["inputs"] = []any{} }, want: "stepRuns[1].inputs must be an object, got array"},
		{name: "providerName number", edit: func(m map[string]any) { step(m, 0)["providerName"] = 1 }, want: "stepRuns[0].providerName must be a string, got number"},
		{name: "invocation null", edit: func(m map[string]any) { step(m, 0)["invocation"] = nil }, want: "stepRuns[0].invocation must be a string, got null"},
		{name: "modelParams array", edit: func(m map[string]any) { step(m, 0)["modelParams"] = []any{} }, want: "stepRuns[0].modelParams must be an object, got array"},
		{name: "inputs string", edit: func(m map[string]any) { step(m, 0)["inputs"] = "hi" }, want: "stepRuns[0].inputs must be an object, got string"},
		{name: "inputs number out of range", edit: func(m map[string]any) { step(m, 0)["inputs"] = json.RawMessage(`{"n":1e400}`) }, want: "stepRuns[0].inputs: "},
		{name: "outputs null", edit: func(m map[string]any) { step(m, 0)["outputs"] = nil }, want: "stepRuns[0].outputs must be an object, got null"},
		{name: "outputs number", edit: func(m map[string]any) { step(m, 0)["outputs"] = 2009 }, want: "stepRuns[0].outputs must be an object, got number"},
		{name: "elapsedTime string", edit: func(m map[string]any) { step(m, 0)["elapsedTime"] = "187" }, want: "stepRuns[0].elapsedTime must be an integer, got string"},
		{name: "elapsedTime fraction", edit: func(m map[string]any) { step(m, 0)["elapsedTime"] = 18.5 }, want: "stepRuns[0].elapsedTime must be an integer, got 18.5"},
		{name: "elapsedTime exponent", body: strings.Replace(string(runJSON), `"elapsedTime": 187`, `"elapsedTime": 1.87e2`, 1), want: "stepRuns[0].elapsedTime must be an integer, got 1.87e2"},
		{name: "elapsedTime negative", edit: func(m map[string]any) { step(m, 0)["elapsedTime"] = -1 }, want: "stepRuns[0].elapsedTime must not be negative"},
		{name: "startTime not RFC 3339", edit: func(m map[string]any) { step(m, 0)["startTime"] = "2023-03-23 21:16:37" }, want: `stepRuns[0].startTime must be an RFC 3339 date-time, got "2023-03-23 21:16:37"`},
		{name: "startTime without zone", edit: func(m map[string]any) { step(m, 0)["startTime"] = "2023-03-23T21:16:37.188" }, want: "stepRuns[0].startTime must be an RFC 3339 date-time"},
		{name: "endTime number", edit: func(m map[string]any) { step(m, 0)["endTime"] = 1679606197 }, want: "stepRuns[0].endTime must be a string, got number"},
		{name: "step error bool", edit: func(m map[string]any) { step(m, 0)["error"] = true }, want: "stepRuns[0].error must be a string, got boolean"},
		{name: "context string", edit: func(m map[string]any) { step(m, 0)["context"] = "ctx" }, want: "stepRuns[0].context must be an object, got string"},
		{name: "context null", edit: func(m map[string]any) { step(m, 0)["context"] = nil }, want: "stepRuns[0].context must be an object, got null"},
		{name: "userId number", edit: func(m map[string]any) { stepContext(m)["userId"] = 42 }, want: "stepRuns[0].context.userId must be a string, got number"},
		{name: "render array", edit: func(m map[string]any) { stepContext(m)["render"] = []any{} }, want: "stepRuns[0].context.render must be an object, got array"},
		{name: "render without type", edit: func(m map[string]any) { stepContext(m)["render"] = map[string]any{"key": "page"} }, want: "stepRuns[0].context.render.type is required"},
		{name: "render type number", edit: func(m map[string]any) { stepContext(m)["render"] = map[string]any{"type": 1} }, want: "stepRuns[0].context.render.type must be a string, got number"},
		{name: "render key number", edit: func(m map[string]any) { stepContext(m)["render"] = map[string]any{"type": "html", "key": 1} }, want: "stepRuns[0].context.render.key must be a string, got number"},
		{name: "context metadata string", edit: func(m map[string]any) { stepContext(m)["metadata"] = "x" }, want: "stepRuns[0].context.metadata must be an object, got string"},
	}
	for _, field := range []string{"providerName", "invocation", "modelParams", "inputs", "outputs", "elapsedTime", "startTime", "endTime"} {
		cases = append(cases, bodyCase{
			name: "missing " + field,
			edit: func(m map[string]any) { delete(step(m, 1), field) },
			want: "stepRuns[1]." + field + " is required",
		})
	}
	for _, mc := range MetadataCases {
		want := func(path string) string {
			if mc.Want == "" {
				return ""
			}
			return path + mc.Want
		}
		cases = append(cases,
			bodyCase{
				name: "run metadata " + mc.Name,
				edit: func(m map[string]any) { m["metadata"].(map[string]any)["k"] = mc.Value },
				want: want(`metadata["k"]`),
			},
			bodyCase{
				name: "step metadata " + mc.Name,
				edit: func(m map[string]any) { stepContext(m)["metadata"].(map[string]any)["k"] = mc.Value },
				want: want(`stepRuns[0].context.metadata["k"]`),
			})
	}
	for _, cc := range CostCases {
		want := ""
		if cc.Want != "" {
			want = "stepRuns[0].outputs" + cc.Want
		}
		cases = append(cases, bodyCase{
			name: "cost " + cc.Name,
			edit: func(m map[string]any) { step(m, 0)["outputs"].(map[string]any)["cost"] = json.RawMessage(cc.Cost) },
			want: want,
		})
	}
	sendBodies(t, b, "/v1/run", func(t testing.TB) map[string]any { return validRun(t) }, cases, "pipelineRunId")
}

func testResultValidation(t *testing.T, b Backend) {
	testRun := func(m map[string]any, i int) map[string]any { return m["testRuns"].([]any)[i].(map[string]any) }
	cases := []bodyCase{
		{name: "valid", edit: func(map[string]any) {}},
		{name: "minimal", body: `{"pipelineSlug":"guess-the-year","testRuns":[]}`},
		{name: "nulls where nullable", edit: func(m map[string]any) {
			m["name"], m["branch"], m["commit"], m["metadata"] = nil, nil, nil, nil
			testRun(m, 1)["id"] = nil
		}},
		{name: "uppercase caseId", edit: func(m map[string]any) { testRun(m, 0)["caseId"] = strings.ToUpper(case1) }},

		{name: "invalid JSON", body: `{"pipelineSlug":`, want: "request body is not valid JSON"},
		{name: "body array", body: `[]`, want: "request body must be a JSON object, got array"},
		{name: "missing pipelineSlug", edit: func(m map[string]any) { delete(m, "pipelineSlug") }, want: "pipelineSlug is required"},
		{name: "empty pipelineSlug", edit: func(m map[string]any) { m["pipelineSlug"] = "" }, want: "pipelineSlug must not be empty"},
		{name: "pipelineSlug number", edit: func(m map[string]any) { m["pipelineSlug"] = 1 }, want: "pipelineSlug must be a string, got number"},
		{name: "unknown pipeline", edit: func(m map[string]any) { m["pipelineSlug"] = "nope" }, status: http.StatusNotFound, want: `pipeline "nope" not found`},
		{name: "name number", edit: func(m map[string]any) { m["name"] = 1 }, want: "name must be a string, got number"},
		{name: "branch bool", edit: func(m map[string]any) { m["branch"] = true }, want: "branch must be a string, got boolean"},
		{name: "commit object", edit: func(m map[string]any) { m["commit"] = map[string]any{} }, want: "commit must be a string, got object"},
		{name: "metadata string", edit: func(m map[string]any) { m["metadata"] = "x" }, want: "metadata must be an object, got string"},
		{name: "triggerRemoteEvals string", edit: func(m map[string]any) { m["triggerRemoteEvals"] = "yes" }, want: "triggerRemoteEvals must be a boolean, got string"},
		{name: "missing testRuns", edit: func(m map[string]any) { delete(m, "testRuns") }, want: "testRuns is required"},
		{name: "testRuns object", edit: func(m map[string]any) { m["testRuns"] = map[string]any{} }, want: "testRuns must be an array, got object"},
		{name: "testRun number", edit: func(m map[string]any) { m["testRuns"] = []any{1} }, want: "testRuns[0] must be an object, got number"},
		{name: "missing caseId", edit: func(m map[string]any) { delete(testRun(m, 1), "caseId") }, want: "testRuns[1].caseId is required"},
		{name: "caseId not a UUID", edit: func(m map[string]any) { testRun(m, 0)["caseId"] = "case-1" }, want: `testRuns[0].caseId must be a UUID, got "case-1"`},
		{name: "caseId unknown", edit: func(m map[string]any) { testRun(m, 1)["caseId"] = case1[:35] + "0" }, want: `testRuns[1].caseId "` + case1[:35] + `0" is not a test case of pipeline "guess-the-year"`},
		{name: "caseId of another pipeline", body: `{"pipelineSlug":"empty","testRuns":[{"caseId":"` + case1 + `","inputs":{}}]}`, want: `testRuns[0].caseId "` + case1 + `" is not a test case of pipeline "empty"`},
		{name: "id not a UUID", edit: func(m map[string]any) { testRun(m, 1)["id"] = "run" }, want: `testRuns[1].id must be a UUID, got "run"`},
		{name: "missing inputs", edit: func(m map[string]any) { delete(testRun(m, 0), "inputs") }, want: "testRuns[0].inputs is required"},
		{name: "inputs array", edit: func(m map[string]any) { testRun(m, 0)["inputs"] = []any{} }, want: "testRuns[0].inputs must be an object, got array"},
		{name: "outputs string", edit: func(m map[string]any) { testRun(m, 0)["outputs"] = "2009" }, want: "testRuns[0].outputs must be an object, got string"},
		{name: "error number", edit: func(m map[string]any) { testRun(m, 0)["error"] = 1 }, want: "testRuns[0].error must be a string, got number"},
	}
	for _, mc := range MetadataCases {
		tc := bodyCase{name: "metadata " + mc.Name, edit: func(m map[string]any) { m["metadata"].(map[string]any)["k"] = mc.Value }}
		if mc.Want != "" {
			tc.want = `metadata["k"]` + mc.Want
		}
		cases = append(cases, tc)
	}
	for _, cc := range CostCases {
		tc := bodyCase{name: "cost " + cc.Name, edit: func(m map[string]any) { testRun(m, 0)["outputs"].(map[string]any)["cost"] = json.RawMessage(cc.Cost) }}
		if cc.Want != "" {
			tc.want = "testRuns[0].outputs" + cc.Want
		}
		cases = append(cases, tc)
	}
	fixture := func(t testing.TB) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(testResultJSON, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	sendBodies(t, b, "/v1/test-result-simple", fixture, cases, "resultId")
}

// sendBodies posts each case's body to path and checks the answer: 200 with
// the field idField, or the error status with the wanted message.
func sendBodies(t *testing.T, b Backend, path string, fixture func(testing.TB) map[string]any, cases []bodyCase, idField string) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := []byte(tc.body)
			if tc.edit != nil {
				m := fixture(t)
				tc.edit(m)
				var err error
				if body, err = json.Marshal(m); err != nil {
					t.Fatal(err)
				}
			}
			r := b.send(t, http.MethodPost, path, body)
			switch {
			case tc.want == "":
				r.want(t, http.StatusOK)
				if s, _ := r.json[idField].(string); uuid.Validate(s) != nil {
					t.Errorf("answer %s has no UUID %s", r.raw, idField)
				}
			case tc.status != 0:
				r.want(t, tc.status, tc.want)
			default:
				r.want(t, http.StatusBadRequest, tc.want)
			}
		})
	}
}

func testCaseQuery(t *testing.T, b Backend) {
	r := b.send(t, http.MethodGet, "/v1/test-case?pipelineSlug=guess-the-year", nil)
	r.want(t, http.StatusOK)
	var got struct {
		TestCases []map[string]any `json:"testCases"`
	}
	if err := json.Unmarshal(r.raw, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.TestCases) != 2 {
		t.Fatalf("got %d test cases, want 2: %s", len(got.TestCases), r.raw)
	}
	ids := map[string]bool{}
	for _, c := range got.TestCases {
		id, _ := c["id"].(string)
		ids[strings.ToLower(id)] = true
		for _, k := range []string{"name", "pipelineId", "datasetId", "createdAt", "updatedAt"} {
			if _, ok := c[k].(string); !ok {
				t.Errorf("test case %v: %s is not a string", c, k)
			}
		}
		if _, ok := c["inputs"].(map[string]any); !ok {
			t.Errorf("test case %v: inputs is not an object", c)
		}
		for _, k := range []string{"expectedOutputs", "archivedAt", "deletedAt"} {
			if _, ok := c[k]; !ok {
				t.Errorf("test case %v has no %s", c, k)
			}
		}
	}
	if !ids[case1] || !ids[case2] {
		t.Errorf("test cases %s do not have the seeded IDs", r.raw)
	}

	r = b.send(t, http.MethodGet, "/v1/test-case?pipelineSlug=empty", nil)
	r.want(t, http.StatusOK)
	if !bytes.Contains(r.raw, []byte(`"testCases":[]`)) {
		t.Errorf("empty pipeline answered %s", r.raw)
	}
	b.send(t, http.MethodGet, "/v1/test-case", nil).want(t, http.StatusBadRequest, "pipelineSlug query parameter is required")
	b.send(t, http.MethodGet, "/v1/test-case?pipelineSlug=", nil).want(t, http.StatusBadRequest, "pipelineSlug")
	b.send(t, http.MethodGet, "/v1/test-case?pipelineSlug=nope", nil).want(t, http.StatusNotFound, `pipeline "nope" not found`)
}

// dedup checks that a run posted again (a client's retry) is answered like
// the first time, whatever the case of its id.
func dedup(t *testing.T, b Backend) {
	m := validRun(t)
	for i := range 3 {
		if i == 2 {
			m["id"] = strings.ToUpper(m["id"].(string)) // ids are UUIDs: case does not matter
		}
		r := b.send(t, http.MethodPost, "/v1/run", mustJSON(t, m))
		r.want(t, http.StatusOK)
		if got, _ := r.json["pipelineRunId"].(string); !strings.EqualFold(got, m["id"].(string)) {
			t.Errorf("attempt %d answered %s, want pipelineRunId %s", i+1, r.raw, m["id"])
		}
	}
}

// thread checks the singly-linked rule: a second run naming the same
// previous run is refused, a retry of the first is not.
func thread(t *testing.T, b Backend) {
	first, second, third := MinimalRun(), MinimalRun(), MinimalRun()
	b.send(t, http.MethodPost, "/v1/run", mustJSON(t, first)).want(t, http.StatusOK)
	second["previousRunId"] = first["id"]
	b.send(t, http.MethodPost, "/v1/run", mustJSON(t, second)).want(t, http.StatusOK)
	b.send(t, http.MethodPost, "/v1/run", mustJSON(t, second)).want(t, http.StatusOK) // a retry, not a fork
	third["previousRunId"] = first["id"]
	b.send(t, http.MethodPost, "/v1/run", mustJSON(t, third)).want(t, http.StatusBadRequest,
		`previousRunId "`+first["id"].(string)+`" is already the previous run of run "`+second["id"].(string)+`"`,
		"singly-linked")
	// The refused run was not stored: it may continue the thread instead.
	third["previousRunId"] = second["id"]
	b.send(t, http.MethodPost, "/v1/run", mustJSON(t, third)).want(t, http.StatusOK)
}

func routing(t *testing.T, b Backend) {
	run := string(mustJSON(t, MinimalRun()))
	for _, tc := range []struct {
		name, method, path string
		contentType        string
		auth               bool
		status             int
		want               string
	}{
		{"unknown path", http.MethodGet, "/v1/pipelines", "", true, http.StatusNotFound, "no route for GET /api/v1/pipelines"},
		{"wrong method", http.MethodGet, "/v1/run", "", true, http.StatusMethodNotAllowed, "want POST"},
		{"text body", http.MethodPost, "/v1/run", "text/plain", true, http.StatusUnsupportedMediaType, `Content-Type must be application/json, got "text/plain"`},
		{"no content type", http.MethodPost, "/v1/run", "", true, http.StatusUnsupportedMediaType, "Content-Type must be application/json"},
		{"charset allowed", http.MethodPost, "/v1/run", "application/json; charset=utf-8", true, http.StatusOK, ""},
		{"no Authorization", http.MethodPost, "/v1/run", "application/json", false, http.StatusUnauthorized, "missing Authorization header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(tc.method, b.URL+tc.path, strings.NewReader(run))
			if err != nil {
				t.Fatal(err)
			}
			if tc.auth {
				req.Header.Set("Authorization", "Bearer "+b.APIKey)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			r := b.do(t, req)
			r.want(t, tc.status, tc.want)
			if tc.status == http.StatusMethodNotAllowed && r.header.Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q, want POST", r.header.Get("Allow"))
			}
			if tc.status == http.StatusUnauthorized && r.header.Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("WWW-Authenticate = %q, want Bearer", r.header.Get("WWW-Authenticate"))
			}
		})
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// response is what a request got back.
type response struct {
	status int
	header http.Header
	raw    []byte
	json   map[string]any
}

// send makes a request with the backend's key; a non-nil body is sent as
// application/json.
func (b Backend) send(t testing.TB, method, path string, body []byte) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, b.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+b.APIKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return b.do(t, req)
}

func (b Backend) do(t testing.TB, req *http.Request) response {
	t.Helper()
	resp, err := b.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	r := response{status: resp.StatusCode, header: resp.Header}
	if r.raw, err = io.ReadAll(resp.Body); err != nil {
		t.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL.Path, err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type = %q, want application/json", req.Method, req.URL.Path, ct)
	}
	if err := json.Unmarshal(r.raw, &r.json); err != nil {
		t.Fatalf("%s %s: answer %q is not a JSON object: %v", req.Method, req.URL.Path, r.raw, err)
	}
	return r
}

// want fails t unless r has the given status; for errors it also wants a
// message that contains every one of msgs.
func (r response) want(t testing.TB, status int, msgs ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	msg, _ := r.json["message"].(string)
	if status >= 400 && msg == "" {
		t.Fatalf("error body %s has no message", r.raw)
	}
	for _, m := range msgs {
		if !strings.Contains(msg, m) {
			t.Errorf("message %q does not contain %q", msg, m)
		}
	}
}
