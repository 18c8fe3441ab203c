package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gentrace/gentrace-go/cmd/gentrace-dev/internal/facts"
	"github.com/gentrace/gentrace-go/internal/contract"
	"github.com/google/uuid"
)

// A ForkError refuses a run whose previous run is already the previous run
// of another: threads are singly-linked. Its text is the API's 400 message.
type ForkError struct {
	PreviousRunID string // as the refused run spelled it
	OtherRunID    string // the run already stored after it
}

// Error returns the API's message.
func (e *ForkError) Error() string { return contract.ForkMessage(e.PreviousRunID, e.OtherRunID) }

// AddRun stores a valid run received at the given time. A run whose ID is
// already stored (a client's retry) is not stored again: duplicate is true
// and err nil. A run that would fork a thread is refused with *ForkError.
func (s *Store) AddRun(ctx context.Context, run contract.Run, received time.Time) (duplicate bool, err error) {
	rec, err := newRunRecord(run, received)
	if err != nil {
		return false, err
	}
	var newSlug bool
	err = s.write(ctx, func(t *wtx) error {
		var dup bool
		dup, newSlug, err = t.addRun(rec)
		duplicate = dup
		return err
	}, func() {
		if newSlug {
			s.pipelines[rec.run.Slug] = true
		}
	})
	return duplicate, err
}

// runRecord is a run with everything computed that does not need the
// database, so that the writer's critical section stays short.
type runRecord struct {
	run      contract.Run
	id, prev string // lower-case
	facts    facts.Run
	metadata []byte
	steps    []stepRecord
	received time.Time
}

type stepRecord struct {
	context []byte
	usage   []byte // nil when none
}

// stepContextJSON is how a step's context is stored.
type stepContextJSON struct {
	UserID   string                            `json:"userId,omitempty"`
	Render   *contract.Render                  `json:"render,omitempty"`
	Metadata map[string]contract.MetadataValue `json:"metadata,omitempty"`
}

func newRunRecord(run contract.Run, received time.Time) (*runRecord, error) {
	if err := checkStepCount(len(run.StepRuns)); err != nil {
		return nil, err
	}
	rec := &runRecord{
		run:      run,
		id:       strings.ToLower(run.ID),
		prev:     strings.ToLower(run.PreviousRunID),
		facts:    facts.FromRun(run, received),
		received: received,
		steps:    make([]stepRecord, len(run.StepRuns)),
	}
	md := run.Metadata
	if md == nil {
		md = map[string]contract.MetadataValue{}
	}
	var err error
	if rec.metadata, err = json.Marshal(md); err != nil {
		return nil, fmt.Errorf("store: encoding metadata: %w", err)
	}
	for i, s := range run.StepRuns {
		c := stepContextJSON{UserID: s.Context.UserID, Render: s.Context.Render, Metadata: s.Context.Metadata}
		if rec.steps[i].context, err = json.Marshal(c); err != nil {
			return nil, fmt.Errorf("store: encoding step context: %w", err)
		}
		if u := rec.facts.Steps[i].Usage; u != nil {
			if rec.steps[i].usage, err = json.Marshal(u); err != nil {
				return nil, fmt.Errorf("store: encoding usage: %w", err)
			}
		}
	}
	return rec, nil
}

// MaxSteps is the most steps a run may have: a step's key keeps its index
// in 20 bits.
const MaxSteps = 1<<20 - 1

// ErrTooManySteps refuses a run with more than MaxSteps steps.
var ErrTooManySteps = fmt.Errorf("store: a run may have at most %d steps", MaxSteps)

func checkStepCount(n int) error {
	if n > MaxSteps {
		return fmt.Errorf("%w; this one has %d", ErrTooManySteps, n)
	}
	return nil
}

// stepKey is the steps table's key of step idx of the run with sequence
// number seq.
func stepKey(seq int64, idx int) int64 { return seq<<20 | int64(idx) }

// nullable helpers turn "absent" into SQL NULL.
func nullFloat(v float64, ok bool) sql.NullFloat64 { return sql.NullFloat64{Float64: v, Valid: ok} }
func nullString(s string) sql.NullString           { return sql.NullString{String: s, Valid: s != ""} }
func nullInt(v int64, ok bool) sql.NullInt64       { return sql.NullInt64{Int64: v, Valid: ok} }

// metadataFilterValue is the value the runs list filters a metadata key on.
func metadataFilterValue(v contract.MetadataValue) string {
	switch v.Type {
	case "url":
		return v.URL
	case "boolean":
		if v.Value == true {
			return "true"
		}
		return "false"
	default:
		s, _ := v.Value.(string)
		return s
	}
}

// addRun stores rec unless its ID is already there. newSlug reports a
// pipeline created with it.
func (t *wtx) addRun(rec *runRecord) (duplicate, newSlug bool, err error) {
	var stored, earlyThread sql.NullInt64
	var prevThread, other sql.NullString
	if err := t.queryRow(sqlRunLookup, rec.id, rec.prev).Scan(&stored, &prevThread, &other, &earlyThread); err != nil {
		return false, false, err
	}
	if stored.Valid {
		return true, false, nil
	}
	// The thread is the first run's id. The previous run may not have
	// arrived yet: then its id stands for the thread until it does.
	thread := rec.id
	if rec.prev != "" {
		if other.Valid {
			return false, false, &ForkError{PreviousRunID: rec.run.PreviousRunID, OtherRunID: other.String}
		}
		thread = rec.prev
		if prevThread.Valid {
			thread = prevThread.String
		}
	}

	f := rec.facts
	var prompt, completion, total int64
	estimated := false
	if f.Usage != nil {
		prompt, completion, total, estimated = f.Usage.Prompt, f.Usage.Completion, f.Usage.Total, f.Usage.Estimated
	}
	res, err := t.exec(sqlInsertRun,
		rec.id, rec.run.ID, rec.run.Slug, rec.run.CollectionMethod, nullString(rec.prev), thread,
		f.UserID, f.SessionID, f.Start.UnixMilli(), f.End.UnixMilli(), f.Latency.Milliseconds(), len(rec.run.StepRuns),
		nullFloat(f.CostUSD, f.HasCost),
		nullInt(prompt, f.Usage != nil), nullInt(completion, f.Usage != nil), nullInt(total, f.Usage != nil),
		estimated, f.Error, nullString(rec.run.Error), rec.metadata, rec.received.UnixMilli())
	if err != nil {
		return false, false, err
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return false, false, err
	}
	for i, s := range rec.run.StepRuns {
		sf := f.Steps[i]
		_, err := t.exec(sqlInsertStep,
			stepKey(seq, i), i, s.ProviderName, s.Invocation, sf.Model, []byte(s.RawModelParams), []byte(s.RawInputs), []byte(s.RawOutputs),
			rec.steps[i].context, s.ElapsedTime, s.StartTime.UnixMilli(), s.EndTime.UnixMilli(), nullString(s.Error),
			nullFloat(sf.CostUSD, sf.HasCost), rec.steps[i].usage,
			nullFloat(float64(sf.TTFT)/float64(time.Millisecond), sf.HasTTFT), sf.ClosedEarly)
		if err != nil {
			return false, false, err
		}
	}
	for k, v := range rec.run.Metadata {
		if _, err := t.exec(sqlInsertMetadata,
			seq, k, metadataFilterValue(v), f.Start.UnixMilli()); err != nil {
			return false, false, err
		}
	}

	if err := t.fileInThread(rec, thread, earlyThread.Valid, seq); err != nil {
		return false, false, err
	}

	if !t.s.pipelines[rec.run.Slug] {
		if err := t.ensurePipeline(rec.run.Slug, rec.received); err != nil {
			return false, false, err
		}
		newSlug = true
	}
	return false, newSlug, nil
}

// fileInThread keeps the threads table for a run just stored in thread. A
// thread has a row once it has two runs (counting the runs that arrived
// before their previous run), so that a run outside any thread writes
// nothing here. early tells that runs which arrived before this one named
// it as their previous run: their row is filed under this run's id.
func (t *wtx) fileInThread(rec *runRecord, thread string, early bool, seq int64) error {
	start := rec.facts.Start.UnixMilli()
	cost := nullFloat(rec.facts.CostUSD, rec.facts.HasCost)
	if rec.prev == "" {
		if !early {
			return nil // a run on its own, so far
		}
		return t.addToThread(thread, 1, start, start, seq, cost)
	}
	// The thread gets a row with its first run, if stored, before anything
	// is added to it.
	var one int
	switch err := t.queryRow(sqlThreadRow, thread).Scan(&one, new(int64), new(int64), new(int64), new(sql.NullFloat64)); {
	case errors.Is(err, sql.ErrNoRows):
		var rootSeq, rootStart int64
		var rootCost sql.NullFloat64
		switch err := t.queryRow(sqlThreadRoot, thread).Scan(&rootSeq, &rootStart, &rootCost); {
		case err == nil:
			if err := t.addToThread(thread, 1, rootStart, rootStart, rootSeq, rootCost); err != nil {
				return err
			}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
	case err != nil:
		return err
	}
	// Runs that arrived before this one and named it (directly or through
	// others) used its id as their thread: move them to its thread.
	if early {
		if err := t.mergeThread(rec.id, thread); err != nil {
			return err
		}
	}
	return t.addToThread(thread, 1, start, start, seq, cost)
}

// mergeThread moves the runs and the thread row filed under from into to.
func (t *wtx) mergeThread(from, to string) error {
	if _, err := t.exec(sqlMoveThread, to, from); err != nil {
		return err
	}
	var turns, first, last, lastSeq int64
	var cost sql.NullFloat64
	err := t.queryRow(sqlThreadRow, from).
		Scan(&turns, &first, &last, &lastSeq, &cost)
	if err != nil {
		return fmt.Errorf("thread %s: %w", from, err)
	}
	if _, err := t.exec(sqlDeleteThread, from); err != nil {
		return err
	}
	return t.addToThread(to, turns, first, last, lastSeq, cost)
}

// addToThread adds turns to a thread's row, making it if needed.
func (t *wtx) addToThread(thread string, turns, first, last, lastSeq int64, cost sql.NullFloat64) error {
	_, err := t.exec(sqlAddToThread,
		thread, turns, first, last, lastSeq, cost)
	return err
}

// ensurePipeline makes the pipeline with the given slug known.
func (t *wtx) ensurePipeline(slug string, now time.Time) error {
	_, err := t.exec(sqlEnsurePipeline, slug, uuid.NewString(), uuid.NewString(), now.UnixMilli())
	return err
}
