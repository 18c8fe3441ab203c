package facts

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/internal/contract"
)

func step(t *testing.T, outputs string) contract.StepRun {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(outputs), &m); err != nil {
		t.Fatal(err)
	}
	return contract.StepRun{Outputs: m, ModelParams: map[string]any{}}
}

func TestFromStep(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		outputs string
		want    Step
	}{
		{"nothing", `{}`, Step{}},
		{"dollars", `{"cost":{"type":"dollars","value":0.5}}`, Step{CostUSD: 0.5, HasCost: true}},
		{"cents", `{"cost":{"type":"cents","value":25}}`, Step{CostUSD: 0.25, HasCost: true}},
		{"cost of unknown unit", `{"cost":{"type":"euros","value":1}}`, Step{}},
		{"negative cost", `{"cost":{"type":"dollars","value":-1}}`, Step{}},
		{"chat usage", `{"usage":{"prompt_tokens":10,"completion_tokens":4,"total_tokens":14,
			"prompt_tokens_details":{"cached_tokens":6},"completion_tokens_details":{"reasoning_tokens":2}}}`,
			Step{Usage: &Usage{Prompt: 10, Completion: 4, Total: 14, Cached: 6, Reasoning: 2}}},
		{"responses usage", `{"usage":{"input_tokens":7,"output_tokens":3,"total_tokens":10,
			"input_tokens_details":{"cached_tokens":1},"output_tokens_details":{"reasoning_tokens":2}}}`,
			Step{Usage: &Usage{Prompt: 7, Completion: 3, Total: 10, Cached: 1, Reasoning: 2}}},
		{"total computed", `{"usage":{"prompt_tokens":7,"completion_tokens":3}}`, Step{Usage: &Usage{Prompt: 7, Completion: 3, Total: 10}}},
		{"usage without counts", `{"usage":{"note":"x"}}`, Step{}},
		{"estimated", `{"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6},"usageEstimated":true,
			"usageEstimateOmits":["reasoning_tokens",3,"remote_images"]}`,
			Step{Usage: &Usage{Prompt: 5, Completion: 1, Total: 6, Estimated: true, Omits: []string{"reasoning_tokens", "remote_images"}}}},
		{"ttft and closed early", `{"timeToFirstTokenMs":120,"closedEarly":true}`, Step{TTFT: 120 * time.Millisecond, HasTTFT: true, ClosedEarly: true}},
		{"ttft zero", `{"timeToFirstTokenMs":0}`, Step{HasTTFT: true}},
		{"closedEarly not true", `{"closedEarly":"yes"}`, Step{}},
		{"model from outputs", `{"model":"gpt-4o-2024-08-06"}`, Step{Model: "gpt-4o-2024-08-06"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := FromStep(step(t, tc.outputs)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("FromStep(%s) =\n%+v\nwant\n%+v", tc.outputs, got, tc.want)
			}
		})
	}
}

func TestFromRun(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	s1 := step(t, `{"cost":{"type":"cents","value":10},"usage":{"prompt_tokens":3,"completion_tokens":2}}`)
	s1.StartTime, s1.EndTime = t0.Add(time.Second), t0.Add(3*time.Second)
	s1.Context.UserID = "u"
	s2 := step(t, `{"cost":{"type":"dollars","value":0.5},"usage":{"prompt_tokens":1,"completion_tokens":1},"usageEstimated":true}`)
	s2.StartTime, s2.EndTime = t0, t0.Add(2*time.Second)
	s2.Error = "boom"
	s2.ModelParams = map[string]any{"model": "gpt-4o"}
	r := contract.Run{StepRuns: []contract.StepRun{s1, s2}, Metadata: map[string]contract.MetadataValue{
		"sessionId": {Type: "string", Value: "sess"}}}
	f := FromRun(r, t0.Add(time.Hour))
	if !f.Start.Equal(t0) || !f.End.Equal(t0.Add(3*time.Second)) || f.Latency != 3*time.Second {
		t.Errorf("times = %v..%v, %v", f.Start, f.End, f.Latency)
	}
	if !f.HasCost || f.CostUSD != 0.6 || f.Usage == nil || f.Usage.Total != 7 || !f.Usage.Estimated {
		t.Errorf("cost %v, usage %+v", f.CostUSD, f.Usage)
	}
	if f.UserID != "u" || f.SessionID != "sess" || f.Error != "step 2: boom" || f.Steps[1].Model != "gpt-4o" {
		t.Errorf("facts = %+v", f)
	}
	r.Error = "run failed"
	if f := FromRun(r, t0); f.Error != "run failed" {
		t.Errorf("run error = %q", f.Error)
	}
	empty := FromRun(contract.Run{Metadata: map[string]contract.MetadataValue{"sessionId": {Type: "boolean", Value: true}}}, t0)
	if !empty.Start.Equal(t0) || empty.Latency != 0 || empty.HasCost || empty.Usage != nil || empty.SessionID != "" {
		t.Errorf("run without steps = %+v", empty)
	}
}
