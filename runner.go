package gentrace

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Runner records one run of a pipeline: its steps, metadata, user and
// error, and submits it. Make one with Pipeline.Start. All methods are safe
// for concurrent use; steps keep the order in which they were recorded.
// Recording is in memory and never fails because a context was cancelled.
type Runner struct {
	client        *Client
	slug          string
	id            string
	userID        string
	previousRunID string
	metadata      Metadata
	attrs         Attributes
	observed      []any // observers' states, in the client's observer order
	start         time.Time

	mu        sync.Mutex
	steps     []*stepEntry
	lastEnd   time.Time
	err       string
	submitted bool
	end       time.Time
}

// ID returns the run's ID (the PipelineRunID), a UUID v4 made at Start and
// sent on every delivery attempt.
func (r *Runner) ID() string { return r.id }

// Slug returns the slug of the run's pipeline.
func (r *Runner) Slug() string { return r.slug }

// UserID returns the run's user ID, or "".
func (r *Runner) UserID() string { return r.userID }

// PreviousRunID returns the ID of the run before this one in its thread, or "".
func (r *Runner) PreviousRunID() string { return r.previousRunID }

// Client returns the client that delivers the run.
func (r *Runner) Client() *Client { return r.client }

// Now returns the current time by the client's clock (see WithClock), for
// wrappers that time their own steps.
func (r *Runner) Now() time.Time { return r.client.now() }

// SetError records an error for the whole run; nil clears it.
func (r *Runner) SetError(err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.submitted {
		return ErrRunSubmitted
	}
	r.err = ""
	if err != nil {
		r.err = err.Error()
	}
	return nil
}

// Record adds a step to the run. Wrappers of model providers use it; most
// code uses Measure and Checkpoint. The step's maps are owned by the runner
// afterwards. It fails with ErrRunSubmitted after Submit, ErrStepUserID for
// a user ID other than the run's, and ErrInvalidMetadata, ErrInvalidRender
// or ErrInvalidCost for malformed values; a failed step is not recorded.
func (r *Runner) Record(s Step) error {
	if s.UserID != "" && s.UserID != r.userID {
		return fmt.Errorf("%w: step user ID %q, run user ID %q", ErrStepUserID, s.UserID, r.userID)
	}
	if err := s.Metadata.Validate(); err != nil {
		return err
	}
	if s.ProviderName == "" {
		s.ProviderName = Undeclared
	}
	if s.Invocation == "" {
		s.Invocation = Undeclared
	}
	for _, m := range []*map[string]any{&s.ModelParams, &s.Inputs, &s.Outputs} {
		if *m == nil {
			*m = map[string]any{}
		}
	}
	if s.Complete == nil {
		if err := s.validateOutputs(); err != nil {
			return err
		}
	}
	now := r.client.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.submitted {
		return ErrRunSubmitted
	}
	if s.StartTime.IsZero() {
		s.StartTime = r.lastEnd
	}
	if s.EndTime.IsZero() {
		s.EndTime = now
	}
	if s.EndTime.After(r.lastEnd) {
		r.lastEnd = s.EndTime
	}
	r.steps = append(r.steps, &stepEntry{step: s})
	return nil
}

// Checkpoint records a step whose inputs and outputs are already computed.
// Its timing follows the checkpoint rule: the first checkpoint starts at
// the runner's start, each later one where the previous step ended; it
// ends now. Outputs that do not encode to a JSON object are recorded as
// {"value": outputs}. Inputs and outputs are snapshotted as JSON now.
func (r *Runner) Checkpoint(inputs map[string]any, outputs any, opts ...StepOption) error {
	s, err := newStep(inputs, opts)
	if err != nil {
		return err
	}
	if s.Outputs, err = snapshotObject(outputs); err != nil {
		return fmt.Errorf("%w: outputs: %v", ErrInvalidStep, err)
	}
	return r.Record(s)
}

// Measure runs fn, times it and records it as a step of r with the given
// inputs and fn's result as outputs (a result that is not a JSON object is
// recorded as {"value": result}). When fn fails, the step is recorded with
// outputs {} and the error's text, and fn's error is returned unchanged.
// Invalid step options are reported before fn runs.
func Measure[T any](r *Runner, inputs map[string]any, fn func() (T, error), opts ...StepOption) (T, error) {
	s, err := newStep(inputs, opts)
	if err != nil {
		var zero T
		return zero, err
	}
	s.StartTime = r.client.now()
	result, fnErr := fn()
	s.EndTime = r.client.now()
	if fnErr != nil {
		s.Error = fnErr.Error()
		s.Render = nil
		if recErr := r.Record(s); recErr != nil {
			r.client.report(fmt.Errorf("gentrace: run %s: recording failed step: %w", r.id, recErr))
		}
		return result, fnErr
	}
	if s.Outputs, err = snapshotObject(result); err != nil {
		// Keep the step: record that its result could not be encoded.
		err = fmt.Errorf("%w: outputs: %v", ErrInvalidStep, err)
		s.Outputs, s.Error, s.Render = nil, err.Error(), nil
		return result, errors.Join(err, r.Record(s))
	}
	return result, r.Record(s)
}

// newStep applies step options and checks what can be checked before the
// step's work runs.
func newStep(inputs map[string]any, opts []StepOption) (Step, error) {
	var s Step
	for _, opt := range opts {
		opt(&s)
	}
	if err := s.Metadata.Validate(); err != nil {
		return Step{}, err
	}
	if s.Render != nil && (s.Render.Type != "html" || s.Render.Key == "") {
		return Step{}, fmt.Errorf("%w: want type \"html\" and a non-empty key", ErrInvalidRender)
	}
	var err error
	if s.Inputs, err = snapshotObject(inputs); err != nil {
		return Step{}, fmt.Errorf("%w: inputs: %v", ErrInvalidStep, err)
	}
	if s.ModelParams != nil {
		if s.ModelParams, err = snapshotObject(s.ModelParams); err != nil {
			return Step{}, fmt.Errorf("%w: model params: %v", ErrInvalidStep, err)
		}
	}
	return s, nil
}

// Steps returns copies of the recorded steps, in order, completed (see
// Step.Complete).
func (r *Runner) Steps() []Step {
	r.mu.Lock()
	entries := append([]*stepEntry(nil), r.steps...)
	r.mu.Unlock()
	out := make([]Step, len(entries))
	for i, e := range entries {
		out[i] = *e.completed()
	}
	return out
}

// Metadata returns the run's metadata merged with its steps' metadata, as
// it is sent (see MergeMetadata).
func (r *Runner) Metadata() Metadata {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mergedMetadataLocked()
}

func (r *Runner) mergedMetadataLocked() Metadata {
	stepMeta := make([]Metadata, len(r.steps))
	for i, e := range r.steps {
		stepMeta[i] = e.step.Metadata
	}
	return MergeMetadata(r.metadata, stepMeta...)
}

// Cost returns the run's total cost in US dollars, the sum of its steps'
// costs (cents converted), and false when no step has a cost.
func (r *Runner) Cost() (float64, bool) {
	total, any := 0.0, false
	for _, s := range r.Steps() {
		if c, ok := s.Cost(); ok {
			total += c.USD()
			any = true
		}
	}
	return total, any
}

// Elapsed returns the time from Start to Submit, or to now before Submit.
func (r *Runner) Elapsed() time.Duration {
	r.mu.Lock()
	end := r.end
	r.mu.Unlock()
	if end.IsZero() {
		end = r.client.now()
	}
	return end.Sub(r.start)
}

// SubmitOption configures Submit.
type SubmitOption func(*submitConfig)

type submitConfig struct{ wait bool }

// WaitForServer makes Submit wait until the server has answered and return
// its error: an *APIError for a non-2xx answer, or the context's error when
// ctx ends first (delivery goes on in the background).
func WaitForServer() SubmitOption {
	return func(c *submitConfig) { c.wait = true }
}

// Submit hands the run to the client for delivery and returns its ID at
// once; the run is posted in the background, with retries. After Submit the
// runner accepts no more steps. Submit fails with ErrRunSubmitted the second
// time, ErrClientClosed after Shutdown and ErrQueueFull when the delivery
// queue is full (the run is dropped and counted). With WaitForServer it
// waits for the server's answer.
func (r *Runner) Submit(ctx context.Context, opts ...SubmitOption) (string, error) {
	var cfg submitConfig
	for _, opt := range opts {
		opt(&cfg)
	}
	r.mu.Lock()
	if r.submitted {
		r.mu.Unlock()
		return r.id, ErrRunSubmitted
	}
	r.submitted = true
	r.end = r.client.now()
	snap := &runSnapshot{
		id:            r.id,
		slug:          r.slug,
		userID:        r.userID,
		previousRunID: r.previousRunID,
		metadata:      r.metadata, // never changed after Start
		steps:         append([]*stepEntry(nil), r.steps...),
		err:           r.err,
		attrs:         r.attrs,
		observed:      r.observed,
		start:         r.start,
		end:           r.end,
	}
	r.mu.Unlock()
	wait, err := r.client.enqueue(snap, cfg.wait)
	if err != nil || wait == nil {
		return r.id, err
	}
	return r.id, wait(ctx)
}
