package contract

import (
	"encoding/json"
	"fmt"
)

// TimeLayout is the API's date-time format in answers: UTC with the
// milliseconds always shown, as in 2023-03-23T21:16:37.188Z.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// TestCase is a test case as GET /v1/test-case serves it, in its
// {"testCases": [...]} answer. Inputs is never null; ExpectedOutputs is null
// when the case has none. Times are formatted with [TimeLayout].
type TestCase struct {
	ID              string          `json:"id"`
	Name            string          `json:"name"`
	Inputs          json.RawMessage `json:"inputs"`
	ExpectedOutputs json.RawMessage `json:"expectedOutputs"`
	PipelineID      string          `json:"pipelineId"`
	DatasetID       string          `json:"datasetId"`
	CreatedAt       string          `json:"createdAt"`
	UpdatedAt       string          `json:"updatedAt"`
	ArchivedAt      *string         `json:"archivedAt"`
	DeletedAt       *string         `json:"deletedAt"`
}

// NewTestCases is a decoded, valid body of POST /v1/test-case, which
// creates one test case ({"name", "inputs", ...}, answered with
// {"caseId"}) or several ({"testCases": [...]}, answered with
// {"creationCount"}).
type NewTestCases struct {
	PipelineSlug string
	// Single is true for the one-case form of the body.
	Single bool
	Cases  []NewTestCase
}

// NewTestCase is one test case to create. Inputs is a JSON object;
// ExpectedOutputs a JSON object or nil.
type NewTestCase struct {
	Name            string
	Inputs          json.RawMessage
	ExpectedOutputs json.RawMessage
}

// ParseNewTestCases validates the body of POST /v1/test-case and decodes
// it. The API also takes a datasetId instead of the pipeline slug; the local
// backends file test cases by pipeline slug only, and say so in the error.
func ParseNewTestCases(body []byte) (NewTestCases, error) {
	o, err := decodeBody(body)
	if err != nil {
		return NewTestCases{}, err
	}
	var out NewTestCases
	if _, ok := o.get("pipelineSlug"); !ok {
		return NewTestCases{}, fmt.Errorf("pipelineSlug is required (this server does not file test cases by datasetId)")
	}
	if out.PipelineSlug, err = o.str("pipelineSlug", true, false); err != nil {
		return NewTestCases{}, err
	}
	if out.PipelineSlug == "" {
		return NewTestCases{}, fmt.Errorf("pipelineSlug must not be empty")
	}
	raw, many, err := o.field("testCases", false, false)
	if err != nil {
		return NewTestCases{}, err
	}
	if !many {
		c, err := parseNewTestCase(o, false)
		if err != nil {
			return NewTestCases{}, err
		}
		out.Single, out.Cases = true, []NewTestCase{c}
		return out, nil
	}
	if err := wantKind("testCases", raw, "array"); err != nil {
		return NewTestCases{}, err
	}
	items, err := parseArray("testCases", raw)
	if err != nil {
		return NewTestCases{}, err
	}
	if len(items) == 0 {
		return NewTestCases{}, fmt.Errorf("testCases must not be empty")
	}
	out.Cases = make([]NewTestCase, len(items))
	for i, raw := range items {
		item, err := parseObject(fmt.Sprintf("testCases[%d]", i), raw)
		if err != nil {
			return NewTestCases{}, err
		}
		if out.Cases[i], err = parseNewTestCase(item, true); err != nil {
			return NewTestCases{}, err
		}
	}
	return out, nil
}

// parseNewTestCase reads name, inputs and expectedOutputs from o; in a list
// of cases the name must not be empty and expectedOutputs is not nullable,
// as the API's schema says.
func parseNewTestCase(o object, inList bool) (NewTestCase, error) {
	var c NewTestCase
	var err error
	if c.Name, err = o.str("name", true, false); err != nil {
		return NewTestCase{}, err
	}
	if inList && c.Name == "" {
		return NewTestCase{}, fmt.Errorf("%s must not be empty", o.at("name"))
	}
	if _, _, err := o.obj("inputs", true, false); err != nil {
		return NewTestCase{}, err
	}
	if _, err := parseMap(o.at("inputs"), o.value("inputs")); err != nil {
		return NewTestCase{}, err
	}
	c.Inputs = o.value("inputs")
	if _, ok, err := o.obj("expectedOutputs", false, !inList); err != nil {
		return NewTestCase{}, err
	} else if ok {
		if _, err := parseMap(o.at("expectedOutputs"), o.value("expectedOutputs")); err != nil {
			return NewTestCase{}, err
		}
		c.ExpectedOutputs = o.value("expectedOutputs")
	}
	return c, nil
}
