package gentracetest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func FuzzParseRun(f *testing.F) {
	f.Add(readTestdata(f, "run.json"))
	f.Add([]byte(`{"id":"6f9619ff-8b86-4d11-b42d-00c04fc964ff","stepRuns":[]}`))
	f.Add([]byte(`{"id":"6f9619ff-8b86-4d11-b42d-00c04fc964ff","stepRuns":[{}]}`))
	f.Add([]byte(`{"id":1,"stepRuns":null,"metadata":{"a":{"type":"url"}}}`))
	f.Add([]byte(`[{"id":"x"}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		run, err := parseRun(body)
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
		}
	})
}

func FuzzParseMetadataValue(f *testing.F) {
	for _, mc := range metadataCases {
		b, _ := json.Marshal(mc.value)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return // the body as a whole is checked first
		}
		v, err := parseMetadataValue(`metadata["k"]`, raw)
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
		w, err := parseMetadataValue("again", again)
		if err != nil || w != v {
			t.Fatalf("%s accepted as %+v, but its encoding %s gives %+v, %v", raw, v, again, w, err)
		}
	})
}

func FuzzParseTestResult(f *testing.F) {
	f.Add(readTestdata(f, "test_result.json"))
	f.Add([]byte(`{"pipelineSlug":"p","testRuns":[{"caseId":"6f9619ff-8b86-4d11-b42d-00c04fc964ff","inputs":{}}]}`))
	f.Add([]byte(`{"pipelineSlug":"","testRuns":[{"outputs":{"cost":{"type":"cents","value":-1}}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := parseTestResult(body)
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
