package gentrace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Undeclared is the provider name and invocation of a Measure or Checkpoint
// step that does not name its own.
const Undeclared = "undeclared"

// Step is one recorded unit of work in a run: a model call, a Measure or a
// Checkpoint. Runner.Steps returns copies; wrappers of other providers build
// one and pass it to Runner.Record.
type Step struct {
	// ProviderName and Invocation name what ran, such as "openai" and
	// "openai_createChatCompletion". Empty means Undeclared.
	ProviderName string
	Invocation   string
	// ModelParams, Inputs and Outputs are JSON objects. Outputs may hold a
	// "cost" (see Cost) that counts towards the run's cost.
	ModelParams map[string]any
	Inputs      map[string]any
	Outputs     map[string]any
	// Metadata is merged into the run's metadata (see MergeMetadata).
	Metadata Metadata
	// Render tells Gentrace how to show one output; nil for none.
	Render *Render
	// StartTime and EndTime bound the step. Zero times mean checkpoint
	// timing: the step starts where the previous one ended (the first at the
	// runner's start) and ends when it is recorded.
	StartTime time.Time
	EndTime   time.Time
	// Error is the text of the error the step ended with, or "".
	Error string
	// Usage is the token usage of a model call, or nil.
	Usage *Usage
	// TimeToFirstToken is the delay until a stream's first chunk, or 0.
	TimeToFirstToken time.Duration
	// SizeHint is, for a step whose Complete fills it in later, about how
	// many bytes it will hold: the delivery queue's byte bound counts it
	// from the start (see WithQueueBytes). Wrappers set it from the sizes
	// of the bodies they keep; 0 means unknown.
	SizeHint int64
	// Platform is where the provider's API was served when that differs
	// from ProviderName, such as "azure" for Azure OpenAI; "" otherwise.
	// It is not sent to Gentrace (providerName stays the API's, "openai"),
	// but observers use it (OpenInference's llm.provider).
	Platform string
	// Attributes are the context attributes of the call that made the
	// step (see WithAttributes), for observers such as tracing; they are
	// not sent to Gentrace with the step.
	Attributes Attributes
	// Complete, when set, is called once before the step is read or
	// delivered, off the caller's path, to fill in what is costly to
	// compute (such as estimated token usage). The step's maps are
	// non-nil when it runs. Copies returned by
	// Runner.Steps have it nil.
	Complete func(*Step)
}

// Elapsed returns the step's duration.
func (s *Step) Elapsed() time.Duration { return s.EndTime.Sub(s.StartTime) }

// Cost returns the cost recorded in the step's outputs under "cost", and
// false when there is none or it is malformed.
func (s *Step) Cost() (Cost, bool) {
	v, ok := s.Outputs["cost"]
	if !ok {
		return Cost{}, false
	}
	c, err := costOf(v)
	return c, err == nil
}

// Render tells Gentrace to show a step's output as HTML: Type must be
// "html" and Key a top-level key of the step's outputs.
type Render struct {
	Type string `json:"type"`
	Key  string `json:"key"`
}

// validateOutputs checks what depends on the outputs: render and cost.
func (s *Step) validateOutputs() error {
	if s.Render != nil {
		if s.Render.Type != "html" {
			return fmt.Errorf("%w: type %q: want \"html\"", ErrInvalidRender, s.Render.Type)
		}
		if s.Render.Key == "" {
			return fmt.Errorf("%w: empty key", ErrInvalidRender)
		}
		if _, ok := s.Outputs[s.Render.Key]; !ok {
			return fmt.Errorf("%w: key %q is not a top-level key of the outputs", ErrInvalidRender, s.Render.Key)
		}
	}
	if v, ok := s.Outputs["cost"]; ok {
		if _, err := costOf(v); err != nil {
			return err
		}
	}
	return nil
}

// StepOption configures a Measure or Checkpoint step.
type StepOption func(*Step)

// WithStepMetadata sets a step's metadata, merged into the run's metadata.
func WithStepMetadata(m Metadata) StepOption {
	return func(s *Step) { s.Metadata = maps.Clone(m) }
}

// WithRender asks Gentrace to show the output under key as HTML.
func WithRender(key string) StepOption {
	return func(s *Step) { s.Render = &Render{Type: "html", Key: key} }
}

// WithProvider names the step's provider and invocation (default
// Undeclared for both).
func WithProvider(providerName, invocation string) StepOption {
	return func(s *Step) { s.ProviderName, s.Invocation = providerName, invocation }
}

// WithModelParams sets the step's model parameters (default {}).
func WithModelParams(params map[string]any) StepOption {
	return func(s *Step) { s.ModelParams = params }
}

// snapshotObject encodes v as a JSON object now, so later changes by the
// caller do not change the record. A value that does not encode to an
// object is wrapped as {"value": v}. The result maps keys to
// json.RawMessage.
func snapshotObject(v any) (map[string]any, error) {
	if v == nil {
		return map[string]any{}, nil
	}
	if m, ok := v.(map[string]any); ok {
		// The common case: encode each value, no second parse.
		out := make(map[string]any, len(m))
		for k, val := range m {
			data, err := marshal(val)
			if err != nil {
				return nil, fmt.Errorf("key %q: %v", k, err)
			}
			out[k] = json.RawMessage(data)
		}
		return out, nil
	}
	data, err := marshal(v)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(data, []byte("{")) {
		return map[string]any{"value": json.RawMessage(data)}, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(fields))
	for k, raw := range fields {
		out[k] = raw
	}
	return out, nil
}

// marshal encodes v as JSON without escaping HTML characters, so that
// payloads read as the values did.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// stepEntry is a recorded step and the once that completes it.
type stepEntry struct {
	once sync.Once
	step Step
}

// completed returns the step after running its Complete function once.
func (e *stepEntry) completed() *Step {
	e.once.Do(func() {
		if fn := e.step.Complete; fn != nil {
			e.step.Complete = nil
			e.step.emptyMaps()
			fn(&e.step)
			e.step.emptyMaps()
		}
	})
	return &e.step
}

// emptyMaps gives the step empty maps where it has none. A step with a
// Complete function gets them when it completes, off the caller's path.
func (s *Step) emptyMaps() {
	for _, m := range []*map[string]any{&s.ModelParams, &s.Inputs, &s.Outputs} {
		if *m == nil {
			*m = map[string]any{}
		}
	}
}

// clone returns a copy of s whose maps, slices and raw JSON are its own,
// all the way down (values of other types, such as a caller's pointers, are
// shared), so that changing the copy (a transform masking a value) never
// changes the run.
func (s *Step) clone() Step {
	c := *s
	c.ModelParams = cloneMap(s.ModelParams)
	c.Inputs = cloneMap(s.Inputs)
	c.Outputs = cloneMap(s.Outputs)
	c.Metadata = maps.Clone(s.Metadata)
	if s.Render != nil {
		r := *s.Render
		c.Render = &r
	}
	if s.Usage != nil {
		u := *s.Usage
		u.EstimateOmits = slices.Clone(u.EstimateOmits)
		c.Usage = &u
	}
	c.Attributes = cloneAttributes(s.Attributes)
	c.Complete = nil
	return c
}
