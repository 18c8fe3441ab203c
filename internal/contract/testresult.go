package contract

import (
	"encoding/json"
	"fmt"
	"net/url"
)

// A TestResult is a decoded, valid body of POST /v1/test-result-simple.
// Optional fields the body left out or set to null are zero.
type TestResult struct {
	PipelineSlug string
	Name         string
	Branch       string
	Commit       string
	Metadata     map[string]MetadataValue // nil when absent
	TestRuns     []TestRun
}

// A TestRun is one decoded element of a test result's testRuns.
type TestRun struct {
	ID     string // optional in the request
	CaseID string
	// Inputs and Outputs are decoded with encoding/json, so numbers are
	// float64. Outputs is nil when the request had none.
	Inputs  map[string]any
	Outputs map[string]any
	// RawInputs and RawOutputs are the same objects as the body spelled
	// them (RawOutputs nil when absent). They alias the body.
	RawInputs  json.RawMessage
	RawOutputs json.RawMessage
	Error      string
}

// ParseTestResult validates the body of POST /v1/test-result-simple and
// decodes it. The error's text is the 400 message. Whether the pipeline and
// its cases exist is the server's to check (see [PipelineNotFoundMessage]
// and [UnknownCaseMessage]).
func ParseTestResult(body []byte) (TestResult, error) {
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
	runs, err := parseArray("testRuns", raw)
	if err != nil {
		return TestResult{}, err
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
	tr.RawInputs = o.value("inputs")
	if tr.Inputs, err = parseMap(o.at("inputs"), tr.RawInputs); err != nil {
		return TestRun{}, err
	}
	if outputs, ok, err := o.obj("outputs", false, false); err != nil {
		return TestRun{}, err
	} else if ok {
		if err := checkCost(outputs); err != nil {
			return TestRun{}, err
		}
		tr.RawOutputs = o.value("outputs")
		if tr.Outputs, err = parseMap(outputs.path, tr.RawOutputs); err != nil {
			return TestRun{}, err
		}
	}
	if tr.Error, err = o.str("error", false, true); err != nil {
		return TestRun{}, err
	}
	return tr, nil
}

// TestCaseQuery returns the pipeline slug that GET /v1/test-case asks for.
// The API also takes pipelineId and datasetId; the local backends look test
// cases up by slug only, and say so in the error.
func TestCaseQuery(q url.Values) (slug string, err error) {
	slug = q.Get("pipelineSlug")
	if slug == "" {
		return "", fmt.Errorf("pipelineSlug query parameter is required (this fake does not look test cases up by pipelineId or datasetId)")
	}
	return slug, nil
}

// PipelineNotFoundMessage is the 404 message for a pipeline slug the server
// does not know.
func PipelineNotFoundMessage(slug string) string {
	return fmt.Sprintf("pipeline %q not found", slug)
}

// UnknownCaseMessage is the 400 message for testRuns[i] naming a case that
// is not one of the pipeline's.
func UnknownCaseMessage(i int, caseID, slug string) string {
	return fmt.Sprintf("testRuns[%d].caseId %q is not a test case of pipeline %q", i, caseID, slug)
}
