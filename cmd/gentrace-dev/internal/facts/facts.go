// Package facts reads what the viewer shows about a step and a run out of
// a run as the SDK sends it: cost, token usage, time to first token, the
// model, the user and the session.
//
// The SDK's conventions are optional annotations inside a step's outputs
// (see [Step]); anything missing or malformed is simply absent, never an
// error, because the API accepts any outputs object.
package facts

import (
	"fmt"
	"math"
	"time"

	"github.com/gentrace/gentrace-go/internal/contract"
)

// Usage is a step's or a run's token usage. Counts the source did not give
// are 0.
type Usage struct {
	Prompt     int64
	Completion int64
	Total      int64
	Cached     int64 // prompt tokens read from the cache
	Reasoning  int64 // completion tokens spent on hidden reasoning
	// Estimated is true when the SDK counted the tokens itself (a stream
	// that sent no usage), and Omits names what that estimate could not
	// count, such as "reasoning_tokens".
	Estimated bool
	Omits     []string
}

// Step is what the viewer shows about one step beyond its raw JSON.
type Step struct {
	// CostUSD is the step's cost in US dollars ("cents" converted); HasCost
	// is false when outputs.cost is absent.
	CostUSD float64
	HasCost bool
	// Usage is nil when outputs.usage is absent.
	Usage *Usage
	// TTFT is outputs.timeToFirstTokenMs, 0 when absent; HasTTFT tells a
	// real 0 from none.
	TTFT    time.Duration
	HasTTFT bool
	// ClosedEarly is true when the caller closed the stream before its end.
	ClosedEarly bool
	// Model is modelParams.model, else outputs.model, else "".
	Model string
}

// FromStep reads a step's facts from its decoded outputs and model params.
//
// Outputs conventions: "cost" {"type": "dollars"|"cents", "value": N};
// "usage" as OpenAI sends it, for chat, completions and embeddings
// {prompt_tokens, completion_tokens, total_tokens,
// prompt_tokens_details.cached_tokens,
// completion_tokens_details.reasoning_tokens} or for the Responses API
// {input_tokens, output_tokens, total_tokens,
// input_tokens_details.cached_tokens, output_tokens_details.reasoning_tokens};
// "usageEstimated" true; "usageEstimateOmits" a list of strings;
// "timeToFirstTokenMs" an integer; "closedEarly" true.
func FromStep(s contract.StepRun) Step {
	var f Step
	out := s.Outputs
	if cost, ok := out["cost"].(map[string]any); ok {
		if v, ok := number(cost["value"]); ok && v >= 0 {
			switch cost["type"] {
			case "dollars":
				f.CostUSD, f.HasCost = v, true
			case "cents":
				f.CostUSD, f.HasCost = v/100, true
			}
		}
	}
	if u, ok := out["usage"].(map[string]any); ok {
		f.Usage = usage(u)
		if f.Usage != nil {
			f.Usage.Estimated = out["usageEstimated"] == true
			if omits, ok := out["usageEstimateOmits"].([]any); ok {
				for _, o := range omits {
					if s, ok := o.(string); ok {
						f.Usage.Omits = append(f.Usage.Omits, s)
					}
				}
			}
		}
	}
	if ms, ok := number(out["timeToFirstTokenMs"]); ok && ms >= 0 {
		f.TTFT, f.HasTTFT = time.Duration(ms*float64(time.Millisecond)), true
	}
	f.ClosedEarly = out["closedEarly"] == true
	if m, ok := s.ModelParams["model"].(string); ok {
		f.Model = m
	} else if m, ok := out["model"].(string); ok {
		f.Model = m
	}
	return f
}

// usage reads either usage shape; nil when it has no count at all.
func usage(u map[string]any) *Usage {
	var r Usage
	found := false
	read := func(dst *int64, m map[string]any, keys ...string) {
		for _, k := range keys {
			if v, ok := number(m[k]); ok && v >= 0 {
				*dst, found = int64(v), true
				return
			}
		}
	}
	read(&r.Prompt, u, "prompt_tokens", "input_tokens")
	read(&r.Completion, u, "completion_tokens", "output_tokens")
	read(&r.Total, u, "total_tokens")
	for _, k := range []string{"prompt_tokens_details", "input_tokens_details"} {
		if d, ok := u[k].(map[string]any); ok {
			read(&r.Cached, d, "cached_tokens")
		}
	}
	for _, k := range []string{"completion_tokens_details", "output_tokens_details"} {
		if d, ok := u[k].(map[string]any); ok {
			read(&r.Reasoning, d, "reasoning_tokens")
		}
	}
	if !found {
		return nil
	}
	if r.Total == 0 {
		r.Total = r.Prompt + r.Completion
	}
	return &r
}

// number reads a JSON number decoded by encoding/json.
func number(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok && !math.IsInf(f, 0) && !math.IsNaN(f)
}

// Run is what the runs list shows about a run.
type Run struct {
	Start, End time.Time
	// Latency is the wall time from the first step's start to the last
	// step's end.
	Latency time.Duration
	// CostUSD sums the steps' costs; HasCost is false when no step has one.
	CostUSD float64
	HasCost bool
	// Usage sums the steps' usage; nil when no step has any. Estimated is
	// true when any step's usage is.
	Usage *Usage
	// UserID is the first userId found in the steps' contexts (the SDK
	// copies the run's user into every step).
	UserID string
	// SessionID is the string value of the run metadata "sessionId".
	SessionID string
	// Error is the run's error, else the first failing step's, prefixed
	// with its position.
	Error string
	// Steps holds each step's facts, in order.
	Steps []Step
}

// FromRun reads a run's facts. A run without steps starts and ends at
// received.
func FromRun(r contract.Run, received time.Time) Run {
	f := Run{Steps: make([]Step, len(r.StepRuns)), Error: r.Error}
	for i, s := range r.StepRuns {
		sf := FromStep(s)
		f.Steps[i] = sf
		if i == 0 || s.StartTime.Before(f.Start) {
			f.Start = s.StartTime
		}
		if i == 0 || s.EndTime.After(f.End) {
			f.End = s.EndTime
		}
		if sf.HasCost {
			f.CostUSD += sf.CostUSD
			f.HasCost = true
		}
		if u := sf.Usage; u != nil {
			if f.Usage == nil {
				f.Usage = &Usage{}
			}
			f.Usage.Prompt += u.Prompt
			f.Usage.Completion += u.Completion
			f.Usage.Total += u.Total
			f.Usage.Cached += u.Cached
			f.Usage.Reasoning += u.Reasoning
			f.Usage.Estimated = f.Usage.Estimated || u.Estimated
		}
		if f.UserID == "" {
			f.UserID = s.Context.UserID
		}
		if f.Error == "" && s.Error != "" {
			f.Error = fmt.Sprintf("step %d: %s", i+1, s.Error)
		}
	}
	if len(r.StepRuns) == 0 {
		f.Start, f.End = received, received
	}
	if f.End.After(f.Start) {
		f.Latency = f.End.Sub(f.Start)
	}
	if v, ok := r.Metadata["sessionId"]; ok && v.Type == "string" {
		f.SessionID, _ = v.Value.(string)
	}
	return f
}
