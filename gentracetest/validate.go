package gentracetest

import (
	"encoding/json"
	"fmt"

	"github.com/gentrace/gentrace-go/internal/contract"
)

// Request bodies are validated by internal/contract, which the gentrace-dev
// command shares, so that both backends accept and refuse the same bodies
// with the same messages. The functions here turn its results into this
// package's public types.

// parseRun validates a run body against the contract and decodes it. It
// checks only the body; rules that need the server's state (deduplication,
// previousRunId reuse) are applied by handleRun.
func parseRun(body []byte) (Run, error) {
	c, err := contract.ParseRun(body)
	if err != nil {
		return Run{}, err
	}
	run := Run{
		ID:               c.ID,
		Slug:             c.Slug,
		CollectionMethod: c.CollectionMethod,
		PreviousRunID:    c.PreviousRunID,
		Metadata:         metadata(c.Metadata),
		StepRuns:         make([]StepRun, len(c.StepRuns)),
		Error:            c.Error,
	}
	for i, s := range c.StepRuns {
		run.StepRuns[i] = StepRun{
			ProviderName: s.ProviderName,
			Invocation:   s.Invocation,
			ModelParams:  s.ModelParams,
			Inputs:       s.Inputs,
			Outputs:      s.Outputs,
			Context: StepContext{
				UserID:   s.Context.UserID,
				Metadata: metadata(s.Context.Metadata),
			},
			ElapsedTime: s.ElapsedTime,
			StartTime:   s.StartTime,
			EndTime:     s.EndTime,
			Error:       s.Error,
		}
		if r := s.Context.Render; r != nil {
			run.StepRuns[i].Context.Render = &RenderHint{Type: r.Type, Key: r.Key}
		}
	}
	return run, nil
}

// parseTestResult validates a test-result-simple body and decodes it. Rules
// that need the server's state (the pipeline and its cases) are applied by
// handleTestResult.
func parseTestResult(body []byte) (TestResult, error) {
	c, err := contract.ParseTestResult(body)
	if err != nil {
		return TestResult{}, err
	}
	res := TestResult{
		PipelineSlug: c.PipelineSlug,
		Name:         c.Name,
		Branch:       c.Branch,
		Commit:       c.Commit,
		Metadata:     metadata(c.Metadata),
		TestRuns:     make([]TestRun, len(c.TestRuns)),
	}
	for i, tr := range c.TestRuns {
		res.TestRuns[i] = TestRun{ID: tr.ID, CaseID: tr.CaseID, Inputs: tr.Inputs, Outputs: tr.Outputs, Error: tr.Error}
	}
	return res, nil
}

// metadata converts decoded metadata, keeping nil for absent metadata.
func metadata(m map[string]contract.MetadataValue) map[string]Meta {
	if m == nil {
		return nil
	}
	out := make(map[string]Meta, len(m))
	for k, v := range m {
		out[k] = Meta(v)
	}
	return out
}

// mustJSON encodes a test case's inputs or expected outputs for an answer;
// AddTestCases has already checked that they encode.
func mustJSON(m map[string]any) json.RawMessage {
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("gentracetest: encoding a seeded test case: %v", err))
	}
	return b
}
