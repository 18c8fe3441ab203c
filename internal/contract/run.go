package contract

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// A Run is a decoded, valid body of POST /v1/run. Optional fields the body
// left out or set to null are zero.
type Run struct {
	ID               string
	Slug             string
	CollectionMethod string
	PreviousRunID    string
	Metadata         map[string]MetadataValue // nil when absent
	StepRuns         []StepRun
	Error            string
}

// A StepRun is one decoded element of a run's stepRuns.
type StepRun struct {
	ProviderName string
	Invocation   string
	// ModelParams, Inputs and Outputs are decoded with encoding/json, so
	// numbers are float64.
	ModelParams map[string]any
	Inputs      map[string]any
	Outputs     map[string]any
	// RawModelParams, RawInputs and RawOutputs are the same objects as the
	// body spelled them, for a server that stores or shows them exactly
	// (large integers, key order). They alias the body.
	RawModelParams json.RawMessage
	RawInputs      json.RawMessage
	RawOutputs     json.RawMessage
	Context        StepContext
	// ElapsedTime is the step's duration in milliseconds, as sent.
	ElapsedTime int64
	StartTime   time.Time
	EndTime     time.Time
	Error       string
}

// StepContext is the decoded context of a step.
type StepContext struct {
	UserID   string
	Render   *Render                  // nil when absent
	Metadata map[string]MetadataValue // nil when absent
}

// Render is a step's render hint, such as {"type": "html", "key": "page"}.
type Render struct {
	Type string
	Key  string
}

// ParseRun validates the body of POST /v1/run against the contract and
// decodes it. The error's text is the 400 message. It checks only the body;
// deduplication by ID and the thread rule (see [ForkMessage]) need the
// server's state.
func ParseRun(body []byte) (Run, error) {
	o, err := decodeBody(body)
	if err != nil {
		return Run{}, err
	}
	var run Run
	raw, _, err := o.field("id", true, false)
	if err != nil {
		return Run{}, err
	}
	if run.ID, err = parseUUID("id", raw, true); err != nil {
		return Run{}, err
	}
	if run.Slug, err = o.str("slug", false, false); err != nil {
		return Run{}, err
	}
	if run.CollectionMethod, err = o.str("collectionMethod", false, false); err != nil {
		return Run{}, err
	}
	if _, present := o.get("collectionMethod"); present && run.CollectionMethod != "manual" && run.CollectionMethod != "runner" {
		return Run{}, fmt.Errorf(`collectionMethod must be "manual" or "runner", got %q`, run.CollectionMethod)
	}
	if raw, ok, err := o.field("previousRunId", false, true); err != nil {
		return Run{}, err
	} else if ok {
		if run.PreviousRunID, err = parseUUID("previousRunId", raw, false); err != nil {
			return Run{}, err
		}
		if strings.EqualFold(run.PreviousRunID, run.ID) {
			return Run{}, fmt.Errorf("previousRunId must not be the run's own id %q", run.ID)
		}
	}
	if raw, ok, err := o.field("metadata", false, true); err != nil {
		return Run{}, err
	} else if ok {
		if run.Metadata, err = parseMetadata("metadata", raw); err != nil {
			return Run{}, err
		}
	}
	if run.Error, err = o.str("error", false, true); err != nil {
		return Run{}, err
	}
	raw, _, err = o.field("stepRuns", true, false)
	if err != nil {
		return Run{}, err
	}
	if err := wantKind("stepRuns", raw, "array"); err != nil {
		return Run{}, err
	}
	steps, err := parseArray("stepRuns", raw)
	if err != nil {
		return Run{}, err
	}
	run.StepRuns = make([]StepRun, len(steps))
	for i, raw := range steps {
		if run.StepRuns[i], err = parseStep(fmt.Sprintf("stepRuns[%d]", i), raw); err != nil {
			return Run{}, err
		}
	}
	return run, nil
}

func parseStep(path string, raw json.RawMessage) (StepRun, error) {
	o, err := parseObject(path, raw)
	if err != nil {
		return StepRun{}, err
	}
	var step StepRun
	if step.ProviderName, err = o.str("providerName", true, false); err != nil {
		return StepRun{}, err
	}
	if step.Invocation, err = o.str("invocation", true, false); err != nil {
		return StepRun{}, err
	}
	for _, f := range []struct {
		key string
		dst *map[string]any
		raw *json.RawMessage
	}{
		{"modelParams", &step.ModelParams, &step.RawModelParams},
		{"inputs", &step.Inputs, &step.RawInputs},
		{"outputs", &step.Outputs, &step.RawOutputs},
	} {
		obj, _, err := o.obj(f.key, true, false)
		if err != nil {
			return StepRun{}, err
		}
		if f.key == "outputs" {
			if err := checkCost(obj); err != nil {
				return StepRun{}, err
			}
		}
		*f.raw, _ = o.get(f.key)
		if *f.dst, err = parseMap(obj.path, *f.raw); err != nil {
			return StepRun{}, err
		}
	}
	if step.Context, err = parseStepContext(o); err != nil {
		return StepRun{}, err
	}
	if step.ElapsedTime, err = o.millis("elapsedTime"); err != nil {
		return StepRun{}, err
	}
	if step.StartTime, err = o.time("startTime"); err != nil {
		return StepRun{}, err
	}
	if step.EndTime, err = o.time("endTime"); err != nil {
		return StepRun{}, err
	}
	if step.Error, err = o.str("error", false, true); err != nil {
		return StepRun{}, err
	}
	return step, nil
}

func parseStepContext(step object) (StepContext, error) {
	o, ok, err := step.obj("context", false, false)
	if err != nil || !ok {
		return StepContext{}, err
	}
	var c StepContext
	if c.UserID, err = o.str("userId", false, false); err != nil {
		return StepContext{}, err
	}
	if render, ok, err := o.obj("render", false, false); err != nil {
		return StepContext{}, err
	} else if ok {
		c.Render = new(Render)
		if c.Render.Type, err = render.str("type", true, false); err != nil {
			return StepContext{}, err
		}
		if c.Render.Key, err = render.str("key", false, false); err != nil {
			return StepContext{}, err
		}
	}
	if raw, ok, err := o.field("metadata", false, true); err != nil {
		return StepContext{}, err
	} else if ok {
		if c.Metadata, err = parseMetadata(o.at("metadata"), raw); err != nil {
			return StepContext{}, err
		}
	}
	return c, nil
}

// ForkMessage is the 400 message for a run whose previousRunId is already
// the previous run of another run: threads are singly-linked.
func ForkMessage(previousRunID, otherRunID string) string {
	return fmt.Sprintf("previousRunId %q is already the previous run of run %q: threads are singly-linked",
		previousRunID, otherRunID)
}
