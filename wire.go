package gentrace

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gentrace/gentrace-go/internal/jsonscan"
)

// wireTime is the API's timestamp layout: UTC, RFC 3339, milliseconds.
const wireTime = "2006-01-02T15:04:05.000Z"

// runSnapshot is a submitted run, frozen for delivery. Its steps are
// completed and encoded by a delivery worker, off the caller's path.
type runSnapshot struct {
	id            string
	slug          string
	userID        string
	sessionID     string
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
			ID: s.id, Slug: s.slug, UserID: s.userID, SessionID: s.sessionID, PreviousRunID: s.previousRunID,
			Metadata: run.Metadata, Attributes: s.attrs, Start: s.start, End: s.end,
			Steps: steps, Error: s.err,
		})
	}
	body, err := run.appendJSON(make([]byte, 0, 4096))
	if err != nil {
		return nil, fmt.Errorf("%w: encoding run: %v", ErrInvalidStep, err)
	}
	return body, nil
}

// appendJSON writes the run as JSON, in the field order of the structs.
// It is written out rather than left to encoding/json because steps hold
// values already encoded (json.RawMessage), which encoding/json would scan
// and copy again; here they are checked with json.Valid and appended as
// they are.
func (run *wireRun) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = appendString(b, run.ID)
	b = append(b, `,"slug":`...)
	b = appendString(b, run.Slug)
	b = append(b, `,"collectionMethod":`...)
	b = appendString(b, run.CollectionMethod)
	b = append(b, `,"previousRunId":`...)
	b = appendNullable(b, run.PreviousRunID)
	b = append(b, `,"metadata":`...)
	meta, err := json.Marshal(run.Metadata)
	if err != nil {
		return nil, err
	}
	b = append(b, meta...)
	b = append(b, `,"stepRuns":[`...)
	for i := range run.StepRuns {
		if i > 0 {
			b = append(b, ',')
		}
		st := &run.StepRuns[i]
		b = append(b, `{"providerName":`...)
		b = appendString(b, st.ProviderName)
		b = append(b, `,"invocation":`...)
		b = appendString(b, st.Invocation)
		for _, f := range []struct {
			name string
			obj  map[string]any
		}{{`,"modelParams":`, st.ModelParams}, {`,"inputs":`, st.Inputs}, {`,"outputs":`, st.Outputs}} {
			b = append(b, f.name...)
			if b, err = appendObject(b, f.obj); err != nil {
				return nil, fmt.Errorf("step %d %s%v", i, f.name[2:len(f.name)-2], err)
			}
		}
		b = append(b, `,"context":{`...)
		if st.Context.UserID != "" {
			b = append(b, `"userId":`...)
			b = appendString(b, st.Context.UserID)
		}
		if r := st.Context.Render; r != nil {
			if st.Context.UserID != "" {
				b = append(b, ',')
			}
			b = append(b, `"render":{"type":`...)
			b = appendString(b, r.Type)
			b = append(b, `,"key":`...)
			b = appendString(b, r.Key)
			b = append(b, '}')
		}
		b = append(b, `},"elapsedTime":`...)
		b = strconv.AppendInt(b, st.ElapsedTime, 10)
		b = append(b, `,"startTime":`...)
		b = appendString(b, st.StartTime)
		b = append(b, `,"endTime":`...)
		b = appendString(b, st.EndTime)
		b = append(b, `,"error":`...)
		b = appendNullable(b, st.Error)
		b = append(b, '}')
	}
	b = append(b, `],"error":`...)
	b = appendNullable(b, run.Error)
	return append(b, '}'), nil
}

// appendObject writes m with its keys sorted, as encoding/json does.
func appendObject(b []byte, m map[string]any) ([]byte, error) {
	b = append(b, '{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		switch v := m[k].(type) {
		case json.RawMessage:
			if v == nil {
				b = append(b, "null"...)
				continue
			}
			if !jsonscan.Valid(v) {
				return nil, fmt.Errorf(" %q: invalid json.RawMessage", k)
			}
			b = append(b, v...)
		default:
			data, err := marshal(v)
			if err != nil {
				return nil, fmt.Errorf(" %q: %v", k, err)
			}
			b = append(b, data...)
		}
	}
	return append(b, '}'), nil
}

// appendString writes s as a JSON string, without escaping HTML characters.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendNullable(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
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
