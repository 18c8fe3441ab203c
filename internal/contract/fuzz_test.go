package contract_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gentrace/gentrace-go/internal/contract"
	"github.com/gentrace/gentrace-go/internal/contract/contracttest"
	"github.com/google/uuid"
)

func FuzzParseRun(f *testing.F) {
	f.Add(contracttest.RunJSON())
	f.Add([]byte(`{"id":"6f9619ff-8b86-4d11-b42d-00c04fc964ff","stepRuns":[]}`))
	f.Add([]byte(`{"id":"6f9619ff-8b86-4d11-b42d-00c04fc964ff","stepRuns":[{}]}`))
	f.Add([]byte(`{"id":1,"stepRuns":null,"metadata":{"a":{"type":"url"}}}`))
	f.Add([]byte(`[{"id":"x"}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		run, err := contract.ParseRun(body)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if u, err := uuid.Parse(run.ID); err != nil || u.Version() != 4 {
			t.Fatalf("accepted id %q", run.ID)
		}
		if !json.Valid(body) {
			t.Fatal("accepted invalid JSON")
		}
		for _, s := range run.StepRuns {
			if s.ModelParams == nil || s.Inputs == nil || s.Outputs == nil || s.ElapsedTime < 0 || s.StartTime.IsZero() {
				t.Fatalf("accepted incomplete step %+v", s)
			}
			if !json.Valid(s.RawInputs) || !json.Valid(s.RawOutputs) || !json.Valid(s.RawModelParams) {
				t.Fatalf("raw objects of step %+v are not JSON", s)
			}
		}
	})
}

func FuzzParseMetadataValue(f *testing.F) {
	for _, mc := range contracttest.MetadataCases {
		b, _ := json.Marshal(mc.Value)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return // the body as a whole is checked first
		}
		v, err := contract.ParseMetadataValue(`metadata["k"]`, raw)
		if err != nil {
			if !strings.HasPrefix(err.Error(), `metadata["k"]`) {
				t.Fatalf("error %q does not name the value", err)
			}
			return
		}
		// An accepted value encodes back to a value that is accepted and
		// decodes the same.
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		w, err := contract.ParseMetadataValue("again", again)
		if err != nil || w != v {
			t.Fatalf("%s accepted as %+v, but its encoding %s gives %+v, %v", raw, v, again, w, err)
		}
	})
}

func FuzzParseTestResult(f *testing.F) {
	f.Add(contracttest.TestResultJSON())
	f.Add([]byte(`{"pipelineSlug":"p","testRuns":[{"caseId":"6f9619ff-8b86-4d11-b42d-00c04fc964ff","inputs":{}}]}`))
	f.Add([]byte(`{"pipelineSlug":"","testRuns":[{"outputs":{"cost":{"type":"cents","value":-1}}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := contract.ParseTestResult(body)
		if err != nil {
			return
		}
		if res.PipelineSlug == "" {
			t.Fatal("accepted an empty pipelineSlug")
		}
		for _, tr := range res.TestRuns {
			if _, err := uuid.Parse(tr.CaseID); err != nil || tr.Inputs == nil {
				t.Fatalf("accepted test run %+v", tr)
			}
		}
	})
}

func FuzzParseNewTestCases(f *testing.F) {
	f.Add([]byte(`{"pipelineSlug":"p","name":"a","inputs":{"q":1}}`))
	f.Add([]byte(`{"pipelineSlug":"p","testCases":[{"name":"a","inputs":{},"expectedOutputs":{"x":1}}]}`))
	f.Add([]byte(`{"datasetId":"d","testCases":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		nc, err := contract.ParseNewTestCases(body)
		if err != nil {
			return
		}
		if nc.PipelineSlug == "" || len(nc.Cases) == 0 || nc.Single && len(nc.Cases) != 1 {
			t.Fatalf("accepted %+v", nc)
		}
		for _, c := range nc.Cases {
			var in map[string]any
			if err := json.Unmarshal(c.Inputs, &in); err != nil || in == nil {
				t.Fatalf("accepted inputs %s", c.Inputs)
			}
			if c.ExpectedOutputs != nil && !strings.HasPrefix(string(c.ExpectedOutputs), "{") {
				t.Fatalf("accepted expectedOutputs %s", c.ExpectedOutputs)
			}
		}
	})
}
