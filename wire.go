package gentrace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// wireTime is the API's timestamp layout: UTC, RFC 3339, milliseconds.
const wireTime = "2006-01-02T15:04:05.000Z"

// runSnapshot is a submitted run, frozen for delivery. Its steps are
// completed and encoded by a delivery worker, off the caller's path.
type runSnapshot struct {
	id            string
	slug          string
	userID        string
	previousRunID string
	metadata      Metadata
	steps         []*stepEntry
	err           string
	attrs         Attributes
	observed      []any
	start, end    time.Time
}

type wireRun struct {
	ID               string     `json:"id"`
	Slug             string     `json:"slug"`
	CollectionMethod string     `json:"collectionMethod"`
	PreviousRunID    *string    `json:"previousRunId"`
	Metadata         Metadata   `json:"metadata"`
	StepRuns         []wireStep `json:"stepRuns"`
	Error            *string    `json:"error"`
}

type wireStep struct {
	ProviderName string          `json:"providerName"`
	Invocation   string          `json:"invocation"`
	ModelParams  map[string]any  `json:"modelParams"`
	Inputs       map[string]any  `json:"inputs"`
	Outputs      map[string]any  `json:"outputs"`
	Context      wireStepContext `json:"context"`
	ElapsedTime  int64           `json:"elapsedTime"`
	StartTime    string          `json:"startTime"`
	EndTime      string          `json:"endTime"`
	Error        *string         `json:"error"`
}

type wireStepContext struct {
	UserID string  `json:"userId,omitempty"`
	Render *Render `json:"render,omitempty"`
}

// encode completes the run's steps, applies the transform and returns the
// request body of POST /v1/run.
func (s *runSnapshot) encode(transform func(*Step), observers []Observer) ([]byte, error) {
	run := wireRun{
		ID:               s.id,
		Slug:             s.slug,
		CollectionMethod: "runner",
		PreviousRunID:    nullable(s.previousRunID),
		StepRuns:         make([]wireStep, len(s.steps)),
		Error:            nullable(s.err),
	}
	stepMeta := make([]Metadata, len(s.steps))
	var steps []Step
	if len(observers) > 0 {
		steps = make([]Step, len(s.steps))
	}
	for i, e := range s.steps {
		step := *e.completed()
		if transform != nil {
			transform(&step)
		}
		if steps != nil {
			steps[i] = step
		}
		if err := step.validateOutputs(); err != nil {
			return nil, fmt.Errorf("step %d (%s): %w", i, step.Invocation, err)
		}
		stepMeta[i] = step.Metadata
		run.StepRuns[i] = wireStep{
			ProviderName: step.ProviderName,
			Invocation:   step.Invocation,
			ModelParams:  orEmpty(step.ModelParams),
			Inputs:       orEmpty(step.Inputs),
			Outputs:      orEmpty(step.Outputs),
			Context:      wireStepContext{UserID: s.userID, Render: step.Render},
			ElapsedTime:  step.Elapsed().Milliseconds(),
			StartTime:    formatTime(step.StartTime),
			EndTime:      formatTime(step.EndTime),
			Error:        nullable(step.Error),
		}
	}
	run.Metadata = MergeMetadata(s.metadata, stepMeta...)
	for i, o := range observers {
		o.EndRun(s.observed[i], RunRecord{
			ID: s.id, Slug: s.slug, UserID: s.userID, PreviousRunID: s.previousRunID,
			Metadata: run.Metadata, Attributes: s.attrs, Start: s.start, End: s.end,
			Steps: steps, Error: s.err,
		})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(run); err != nil {
		return nil, fmt.Errorf("%w: encoding run: %v", ErrInvalidStep, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func formatTime(t time.Time) string { return t.UTC().Format(wireTime) }

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
