package gentracetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

const (
	case1 = "2b1c8a4e-7d3f-4e5a-9b6c-0d1e2f3a4b5c"
	case2 = "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716"
)

// seeded starts a server with the cases testdata/test_result.json names.
func seeded(t *testing.T) *Server {
	srv := Start(t)
	srv.AddTestCases("guess-the-year",
		Case{ID: case1, Name: "go", Inputs: map[string]any{"question": "When was Go released?"}},
		Case{ID: case2, Name: "rust"})
	return srv
}

func TestGetTestCases(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	created := time.Date(2024, 5, 1, 12, 0, 0, 123e6, time.UTC)
	inputs := map[string]any{"question": "When was Go released?", "n": 1}
	added := srv.AddTestCases("guess-the-year",
		Case{Name: "go", Inputs: inputs, ExpectedOutputs: map[string]any{"answer": "2009"}, CreatedAt: created},
		Case{ID: case2, Name: "rust"})
	inputs["question"] = "changed after seeding"
	srv.AddTestCases("other", Case{Name: "elsewhere"})
	srv.AddTestCases("empty")

	if _, err := uuid.Parse(added[0].ID); err != nil {
		t.Errorf("generated ID %q: %v", added[0].ID, err)
	}
	if added[1].ID != case2 || added[0].PipelineID == "" || added[0].PipelineID != added[1].PipelineID ||
		added[0].DatasetID == "" || !added[0].UpdatedAt.Equal(created) || added[1].CreatedAt.IsZero() {
		t.Errorf("AddTestCases returned %+v", added)
	}

	r := mustSend(t, srv, http.MethodGet, "/v1/test-case?pipelineSlug=guess-the-year", nil)
	wantStatus(t, r, http.StatusOK)
	var got struct {
		TestCases []map[string]any `json:"testCases"`
	}
	if err := json.Unmarshal(r.raw, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.TestCases) != 2 {
		t.Fatalf("got %d test cases, want 2: %s", len(got.TestCases), r.raw)
	}
	c := got.TestCases[0]
	want := map[string]any{
		"id": added[0].ID, "name": "go", "pipelineId": added[0].PipelineID, "datasetId": added[0].DatasetID,
		"createdAt": "2024-05-01T12:00:00.123Z", "updatedAt": "2024-05-01T12:00:00.123Z",
		"archivedAt": nil, "deletedAt": nil,
		"inputs":          map[string]any{"question": "When was Go released?", "n": 1.0},
		"expectedOutputs": map[string]any{"answer": "2009"},
	}
	if fmt.Sprint(c) != fmt.Sprint(want) {
		t.Errorf("test case =\n%v\nwant\n%v", c, want)
	}
	if c2 := got.TestCases[1]; fmt.Sprint(c2["inputs"]) != "map[]" || c2["expectedOutputs"] != nil {
		t.Errorf("second case = %v: want inputs {} and expectedOutputs null", c2)
	}

	r = mustSend(t, srv, http.MethodGet, "/v1/test-case?pipelineSlug=empty", nil)
	wantStatus(t, r, http.StatusOK)
	if !bytes.Contains(r.raw, []byte(`"testCases":[]`)) {
		t.Errorf("empty pipeline answered %s", r.raw)
	}
	wantStatus(t, mustSend(t, srv, http.MethodGet, "/v1/test-case", nil), http.StatusBadRequest, "pipelineSlug query parameter is required")
	wantStatus(t, mustSend(t, srv, http.MethodGet, "/v1/test-case?pipelineSlug=", nil), http.StatusBadRequest, "pipelineSlug")
	wantStatus(t, mustSend(t, srv, http.MethodGet, "/v1/test-case?pipelineSlug=nope", nil), http.StatusNotFound, `pipeline "nope" not found`)
}

func TestAddTestCasesMisuse(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	srv.AddTestCases("p", Case{ID: case1})
	for name, call := range map[string]func(){
		"empty slug":     func() { srv.AddTestCases("") },
		"bad ID":         func() { srv.AddTestCases("p", Case{ID: "case-1"}) },
		"duplicate ID":   func() { srv.AddTestCases("p", Case{ID: strings.ToUpper(case1)}) },
		"not JSON-ready": func() { srv.AddTestCases("p", Case{Inputs: map[string]any{"f": func() {}}}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: AddTestCases did not panic", name)
				}
			}()
			call()
		}()
	}
}

func TestTestResultRecorded(t *testing.T) {
	t.Parallel()
	srv := seeded(t)
	body := readTestdata(t, "test_result.json")
	r := mustSend(t, srv, http.MethodPost, "/v1/test-result-simple", body)
	wantStatus(t, r, http.StatusOK)
	id, _ := r.json["resultId"].(string)
	if _, err := uuid.Parse(id); err != nil {
		t.Fatalf("resultId %q: %v", id, err)
	}
	results := srv.TestResults()
	if len(results) != 1 {
		t.Fatalf("%d results stored", len(results))
	}
	res := results[0]
	if res.ID != id || res.PipelineSlug != "guess-the-year" || res.Name != "nightly" || res.Branch != "main" ||
		res.Commit != "3f2a9c1" || res.Metadata["model"] != (Meta{Type: "string", Value: "gpt-4o-mini"}) {
		t.Errorf("result = %+v", res)
	}
	if !bytes.Equal(res.Body, body) || res.Header.Get("Authorization") != "" {
		t.Error("Body or Header not recorded as sent")
	}
	if len(res.TestRuns) != 2 {
		t.Fatalf("%d test runs", len(res.TestRuns))
	}
	tr0, tr1 := res.TestRuns[0], res.TestRuns[1]
	if tr0.CaseID != case1 || tr0.ID != "" || tr0.Inputs["question"] != "When was Go released?" || tr0.Outputs["answer"] != "2009" || tr0.Error != "" {
		t.Errorf("test run 0 = %+v", tr0)
	}
	if tr1.ID != "8d7e6f5a-4b3c-4d2e-9f1a-0b9c8d7e6f5a" || tr1.Outputs != nil || tr1.Error != "model timed out" {
		t.Errorf("test run 1 = %+v", tr1)
	}
	if st := srv.Stats(); st.TestResults != 1 || st.Stored != 0 {
		t.Errorf("Stats() = %+v", st)
	}
}
