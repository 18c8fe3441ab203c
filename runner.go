package gentrace

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Runner records one run of a pipeline: its steps, metadata, user and
// error, and submits it. Pipeline.Start makes one and returns a context
// carrying it; RunnerFromContext finds it again. End it on every path with
// End (typically deferred) or Submit.
//
// A Runner is safe for concurrent use; steps keep the order in which they
// were recorded. Recording is in memory and never fails because a context
// was cancelled. The runner returned by RunnerFromContext for a context
// without a run records nothing: its IsRecording is false and its methods
// do nothing.
type Runner struct {
	st *runState // nil: records nothing
}

// runState is the run itself. It is kept apart from the Runner so that a
// run nobody ended can still be delivered after its Runner becomes
// unreachable (see watchUnended): the cleanup holds the state, never the
// Runner.
type runState struct {
	client        *Client
	slug          string
	id            string
	userID        string
	sessionID     string
	previousRunID string
	metadata      Metadata // never changed after Start
	attrs         Attributes
	observed      []any // observers' states, in the client's observer order
	oneStep       bool  // simple mode: submitted when its step is recorded
	start         time.Time

	ended   atomic.Bool     // set once, when the run is handed to the client
	cleanup runtime.Cleanup // delivers the run if its Runner is lost unended

	mu        sync.Mutex
	steps     []*stepEntry
	stepBytes int64 // the steps' estimated encoded size (see estimateStep)
	lastEnd   time.Time
	err       string
	end       time.Time
}

// noRunner is what RunnerFromContext returns for a context without a run.
var noRunner = &Runner{}

func newRunner(st *runState) *Runner {
	r := &Runner{st: st}
	st.cleanup = runtime.AddCleanup(r, (*runState).unreachable, st)
	return r
}

// unreachable runs when the Runner of a run that is still open can no
// longer be reached: its code forgot to end it. The run is delivered with
// an error saying so, counted, and reported once, so it is never lost
// silently.
func (st *runState) unreachable() {
	if st.ended.Load() {
		return
	}
	const msg = "gentrace: run was never ended (call run.End or run.Submit)"
	st.mu.Lock()
	if st.err == "" {
		st.err = msg
	}
	st.mu.Unlock()
	c := st.client
	c.unended.Add(1)
	c.report(fmt.Errorf("gentrace: run %s of pipeline %q was never ended; delivering it with its %d step(s)",
		st.id, st.slug, st.stepCount()))
	if _, err := st.submit(context.Background(), false); err != nil && !errors.Is(err, ErrRunSubmitted) {
		c.report(fmt.Errorf("gentrace: run %s not submitted: %w", st.id, err))
	}
}

func (st *runState) stepCount() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.steps)
}

// IsRecording reports whether the runner records a run; false for the
// runner RunnerFromContext returns for a context without one.
func (r *Runner) IsRecording() bool { return r != nil && r.st != nil }

// ID returns the run's ID (the PipelineRunID), a UUID v4 made at Start and
// sent on every delivery attempt; "" when not recording.
func (r *Runner) ID() string {
	if !r.IsRecording() {
		return ""
	}
	return r.st.id
}

// Slug returns the slug of the run's pipeline.
func (r *Runner) Slug() string {
	if !r.IsRecording() {
		return ""
	}
	return r.st.slug
}

// UserID returns the run's user ID, or "".
func (r *Runner) UserID() string {
	if !r.IsRecording() {
		return ""
	}
	return r.st.userID
}

// SessionID returns the run's session ID, or "".
func (r *Runner) SessionID() string {
	if !r.IsRecording() {
		return ""
	}
	return r.st.sessionID
}

// PreviousRunID returns the ID of the run before this one in its thread,
// or "".
func (r *Runner) PreviousRunID() string {
	if !r.IsRecording() {
		return ""
	}
	return r.st.previousRunID
}

// String describes the run by its pipeline and ID.
func (r *Runner) String() string {
	if !r.IsRecording() {
		return "gentrace.Runner(not recording)"
	}
	return fmt.Sprintf("gentrace.Runner(%s %s)", r.st.slug, r.st.id)
}

// SetError records an error for the whole run; nil clears it. It does
// nothing once the run is submitted.
func (r *Runner) SetError(err error) {
	if !r.IsRecording() {
		return
	}
	st := r.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ended.Load() {
		return
	}
	st.err = ""
	if err != nil {
		st.err = err.Error()
	}
}

// Checkpoint records a step whose inputs and outputs are already computed.
// Its timing follows the checkpoint rule: the first checkpoint starts at
// the runner's start, each later one where the previous step ended; it
// ends now. Outputs that do not encode to a JSON object are recorded as
// {"value": outputs}. Inputs and outputs are snapshotted as JSON now. It
// fails with ErrRunSubmitted once the run is ended, ErrInvalidStep for
// values that cannot be encoded, and ErrInvalidMetadata, ErrInvalidRender
// or ErrInvalidCost for malformed options or outputs.
func (r *Runner) Checkpoint(inputs map[string]any, outputs any, opts ...StepOption) error {
	if !r.IsRecording() {
		return nil
	}
	s, err := newStep(inputs, opts)
	if err != nil {
		return err
	}
	if s.Outputs, err = snapshotObject(outputs); err != nil {
		return fmt.Errorf("%w: outputs: %v", ErrInvalidStep, err)
	}
	return r.Record(s)
}

// Measure runs fn with ctx, times it and records it as a step of the run
// ctx carries, with the given inputs and fn's result as outputs (a result
// that is not a JSON object is recorded as {"value": result}). fn receives
// ctx, so model calls and Measures inside it record into the same run.
//
// When fn fails, the step is recorded with outputs {} and the error's text,
// and fn's error is returned unchanged. Invalid step options, and a run
// already ended (ErrRunSubmitted), are reported before fn runs, so fn never
// runs for a step that cannot be recorded. Without a run in ctx, Measure
// just runs fn.
func Measure[T any](ctx context.Context, inputs map[string]any, fn func(context.Context) (T, error), opts ...StepOption) (T, error) {
	var zero T
	s, err := newStep(inputs, opts)
	if err != nil {
		return zero, err
	}
	r := RunnerFromContext(ctx)
	if !r.IsRecording() {
		return fn(ctx)
	}
	if r.st.ended.Load() {
		return zero, fmt.Errorf("%w: run %s", ErrRunSubmitted, r.st.id)
	}
	s.StartTime = r.Now()
	result, fnErr := fn(ctx)
	s.EndTime = r.Now()
	if fnErr != nil {
		s.Error, s.Render = fnErr.Error(), nil
		if recErr := r.Record(s); recErr != nil {
			r.st.client.report(fmt.Errorf("gentrace: run %s: recording a failed step: %w", r.st.id, recErr))
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

// Steps returns deep copies of the recorded steps, in order, completed
// (see Step.Complete): changing them changes nothing in the run.
func (r *Runner) Steps() []Step {
	if !r.IsRecording() {
		return nil
	}
	r.st.mu.Lock()
	entries := append([]*stepEntry(nil), r.st.steps...)
	r.st.mu.Unlock()
	out := make([]Step, len(entries))
	for i, e := range entries {
		out[i] = e.completed().clone()
	}
	return out
}

// Metadata returns the run's metadata merged with its steps' metadata, as
// it is sent (see MergeMetadata).
func (r *Runner) Metadata() Metadata {
	if !r.IsRecording() {
		return nil
	}
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	stepMeta := make([]Metadata, len(r.st.steps))
	for i, e := range r.st.steps {
		stepMeta[i] = e.step.Metadata
	}
	return MergeMetadata(r.st.metadata, stepMeta...)
}

// Cost returns the run's total cost in US dollars, the sum of its steps'
// costs (cents converted), and false when no step has a cost.
func (r *Runner) Cost() (Cost, bool) {
	if !r.IsRecording() {
		return Cost{}, false
	}
	r.st.mu.Lock()
	entries := append([]*stepEntry(nil), r.st.steps...)
	r.st.mu.Unlock()
	total, found := 0.0, false
	for _, e := range entries {
		if c, ok := e.completed().Cost(); ok {
			total += c.USD()
			found = true
		}
	}
	return Dollars(total), found
}

// Elapsed returns the time from Start to the end of the run, or to now
// before it ends.
func (r *Runner) Elapsed() time.Duration {
	if !r.IsRecording() {
		return 0
	}
	r.st.mu.Lock()
	end := r.st.end
	r.st.mu.Unlock()
	if end.IsZero() {
		end = r.st.client.now()
	}
	return end.Sub(r.st.start)
}

// SubmitOption configures Submit.
type SubmitOption func(*submitConfig)

type submitConfig struct{ wait bool }

// WaitForServer makes Submit wait until the server has answered and return
// its error: an *APIError for a non-2xx answer, or the context's error when
// ctx ends first. Delivery then goes on in the background, and a later
// failure goes to the client's error handler, as for runs nobody waits for.
func WaitForServer() SubmitOption {
	return func(c *submitConfig) { c.wait = true }
}

// Submit ends the run and hands it to the client for delivery, returning
// its ID at once; the run is posted in the background, with retries. The
// runner accepts no more steps afterwards. Submit fails with
// ErrRunSubmitted when the run has already ended (End or Submit),
// ErrClientClosed after Shutdown and ErrQueueFull when the delivery queue
// is full (the run is dropped and counted). With WaitForServer it waits for
// the server's answer.
func (r *Runner) Submit(ctx context.Context, opts ...SubmitOption) (string, error) {
	if !r.IsRecording() {
		return "", nil
	}
	var cfg submitConfig
	for _, opt := range opts {
		opt(&cfg)
	}
	id, err := r.st.submit(ctx, cfg.wait)
	runtime.KeepAlive(r)
	return id, err
}

// End ends the run on every path: it records *errp as the run's error when
// errp and *errp are non-nil, then submits the run, reporting a submission
// failure to the client's error handler. It is idempotent: after End or
// Submit it does nothing and returns the same ID. Use it deferred:
//
//	ctx, run, err := pipeline.Start(ctx, gentrace.RunContext{UserID: user})
//	if err != nil {
//		return err
//	}
//	defer run.End(&err)
func (r *Runner) End(errp *error) string {
	if !r.IsRecording() {
		return ""
	}
	st := r.st
	if errp != nil && *errp != nil {
		st.mu.Lock()
		if !st.ended.Load() {
			st.err = (*errp).Error()
		}
		st.mu.Unlock()
	}
	if _, err := st.submit(context.Background(), false); err != nil && !errors.Is(err, ErrRunSubmitted) &&
		!errors.Is(err, ErrQueueFull) { // a full queue is counted and reported by the client
		st.client.report(fmt.Errorf("gentrace: run %s not submitted: %w", st.id, err))
	}
	runtime.KeepAlive(r)
	return st.id
}

// submit ends the run once and enqueues it.
func (st *runState) submit(ctx context.Context, wait bool) (string, error) {
	st.mu.Lock()
	if st.ended.Load() {
		st.mu.Unlock()
		return st.id, ErrRunSubmitted
	}
	st.ended.Store(true)
	st.cleanup.Stop()
	st.end = st.client.now()
	snap := &runSnapshot{
		id:            st.id,
		slug:          st.slug,
		userID:        st.userID,
		sessionID:     st.sessionID,
		previousRunID: st.previousRunID,
		metadata:      st.metadata,
		steps:         append([]*stepEntry(nil), st.steps...),
		err:           st.err,
		attrs:         st.attrs,
		observed:      st.observed,
		start:         st.start,
		end:           st.end,
		stepBytes:     st.stepBytes,
	}
	st.mu.Unlock()
	waitFor, err := st.client.enqueue(snap, wait)
	if err != nil || waitFor == nil {
		return st.id, err
	}
	return st.id, waitFor(ctx)
}

// Record adds a step to the run; it is for wrappers of model providers
// (most code uses Measure and Checkpoint). The step's maps are owned by the
// runner afterwards. Zero StartTime and EndTime follow the checkpoint rule
// (see Checkpoint); a start after the end is moved to the end. In simple
// mode (WithPipeline, StartCall) recording the step also submits its run.
// Record fails with ErrRunSubmitted after the run ended, and with
// ErrInvalidMetadata, ErrInvalidRender or ErrInvalidCost for malformed
// values; a step that fails is not recorded.
func (r *Runner) Record(s Step) error {
	if !r.IsRecording() {
		return nil
	}
	st := r.st
	if err := s.Metadata.Validate(); err != nil {
		return err
	}
	if s.ProviderName == "" {
		s.ProviderName = Undeclared
	}
	if s.Invocation == "" {
		s.Invocation = Undeclared
	}
	if s.Complete == nil {
		s.emptyMaps()
		if err := s.validateOutputs(); err != nil {
			return err
		}
	}
	st.mu.Lock()
	if st.ended.Load() {
		st.mu.Unlock()
		return fmt.Errorf("%w: run %s", ErrRunSubmitted, st.id)
	}
	// The clock is read under the lock, so steps recorded concurrently
	// get ends in the order they are appended and no step starts after it
	// ends.
	now := st.client.now()
	if s.StartTime.IsZero() {
		s.StartTime = st.lastEnd
	}
	if s.EndTime.IsZero() {
		s.EndTime = now
	}
	if s.StartTime.After(s.EndTime) {
		s.StartTime = s.EndTime
	}
	if s.EndTime.After(st.lastEnd) {
		st.lastEnd = s.EndTime
	}
	st.stepBytes += estimateStep(&s)
	st.steps = append(st.steps, &stepEntry{step: s})
	st.mu.Unlock()
	if st.oneStep {
		r.End(nil)
	}
	return nil
}

// Now returns the current time by the client's clock (see WithClock), for
// wrappers that time their own steps.
func (r *Runner) Now() time.Time {
	if !r.IsRecording() {
		return time.Now()
	}
	return r.st.client.now()
}

// Client returns the client that delivers the run, or nil when not
// recording. Wrappers use its HandleError and Logger.
func (r *Runner) Client() *Client {
	if !r.IsRecording() {
		return nil
	}
	return r.st.client
}
