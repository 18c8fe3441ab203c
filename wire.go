package gentrace

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gentrace/gentrace-go/internal/jsonscan"
	"github.com/gentrace/gentrace-go/internal/rawjson"
)

// wireTime is the API's timestamp layout: UTC, RFC 3339, milliseconds.
const wireTime = "2006-01-02T15:04:05.000Z"

// runSnapshot is a submitted run, frozen for delivery. Its steps are
// completed, transformed and encoded off the caller's path, once for the
// delivery and the observers together (see finalSteps).
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
	// stepBytes is the estimated encoded size of the steps, summed from
	// estimateStep when they were recorded; 0 when the recorder did not
	// say, and estimate then assumes defaultStepBytes a step.
	stepBytes int64

	finalOnce sync.Once
	final     []Step
}

type wireRun struct {
	ID               string
	Slug             string
	CollectionMethod string
	PreviousRunID    *string
	Metadata         Metadata
	StepRuns         []wireStep
	Error            *string
}

type wireStep struct {
	ProviderName string
	Invocation   string
	// ModelParams, Inputs and Outputs hold each value already encoded, in
	// key order, so that their sizes are known before the body is built.
	ModelParams []wireEntry
	Inputs      []wireEntry
	Outputs     []wireEntry
	Context     wireStepContext
	ElapsedTime int64
	StartTime   string
	EndTime     string
	Error       *string
}

type wireEntry struct {
	key string
	val []byte // JSON
}

type wireStepContext struct {
	UserID string
	Render *Render
}

// finalSteps returns the run's steps as they are delivered and observed:
// completed (Step.Complete run once), then, when there is a transform,
// copied (see cloneStep) and transformed. It does that work once, on
// whichever goroutine asks first, so that the transform runs once per step
// and never on the runner's own maps. The result is shared: read it, or
// clone it before handing it to code that may change it.
func (s *runSnapshot) finalSteps(transform func(*Step)) []Step {
	s.finalOnce.Do(func() {
		s.final = make([]Step, len(s.steps))
		for i, e := range s.steps {
			step := *e.completed()
			step.Complete = nil
			if transform != nil {
				step = cloneStep(step)
				transform(&step)
				step.Complete = nil
			}
			s.final[i] = step
		}
	})
	return s.final
}

// encode returns the request body of POST /v1/run, at most maxBytes long
// (no cap when maxBytes <= 0): when the run is larger, its largest
// top-level input, output and model-parameter values are truncated (see
// truncateValue), all to one length, the longest that fits. It fails with
// ErrInvalidStep for a step that cannot be encoded and ErrRunTooLarge for a
// run that does not fit even with every such value cut to its marker.
func (s *runSnapshot) encode(transform func(*Step), maxBytes int) ([]byte, error) {
	steps := s.finalSteps(transform)
	run := wireRun{
		ID:               s.id,
		Slug:             s.slug,
		CollectionMethod: "runner",
		PreviousRunID:    nullable(s.previousRunID),
		StepRuns:         make([]wireStep, len(steps)),
		Error:            nullable(s.err),
	}
	stepMeta := make([]Metadata, len(steps))
	for i := range steps {
		step := &steps[i]
		if err := step.validateOutputs(); err != nil {
			return nil, fmt.Errorf("step %d (%s): %w", i, step.Invocation, err)
		}
		stepMeta[i] = step.Metadata
		w := wireStep{
			ProviderName: step.ProviderName,
			Invocation:   step.Invocation,
			Context:      wireStepContext{UserID: s.userID, Render: step.Render},
			ElapsedTime:  step.Elapsed().Milliseconds(),
			StartTime:    formatTime(step.StartTime),
			EndTime:      formatTime(step.EndTime),
			Error:        nullable(step.Error),
		}
		var err error
		for _, f := range []struct {
			name string
			dst  *[]wireEntry
			obj  map[string]any
		}{{"modelParams", &w.ModelParams, step.ModelParams}, {"inputs", &w.Inputs, step.Inputs}, {"outputs", &w.Outputs, step.Outputs}} {
			if *f.dst, err = encodeEntries(f.obj); err != nil {
				return nil, fmt.Errorf("%w: encoding run: step %d %s%v", ErrInvalidStep, i, f.name, err)
			}
		}
		run.StepRuns[i] = w
	}
	run.Metadata = MergeMetadata(s.metadata, stepMeta...)
	meta, err := json.Marshal(run.Metadata)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding run: %v", ErrInvalidStep, err)
	}
	size := run.size(len(meta))
	if maxBytes > 0 && size > maxBytes {
		if err := run.truncate(len(meta), size, maxBytes); err != nil {
			return nil, err
		}
		size = run.size(len(meta))
	}
	return run.appendJSON(make([]byte, 0, size), meta), nil
}

// encodeEntries encodes the values of m, in key order, as encoding/json
// would (without escaping HTML). json.RawMessage values are checked with
// json.Valid and kept as they are, not scanned and copied again.
func encodeEntries(m map[string]any) ([]wireEntry, error) {
	out := make([]wireEntry, 0, len(m))
	var buf [32]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch v := m[k].(type) {
		case *rawjson.Checked: // split from a body by a validating walk
			out = append(out, wireEntry{k, *v})
		case json.RawMessage:
			if v == nil {
				out = append(out, wireEntry{k, []byte("null")})
				continue
			}
			if !jsonscan.Valid(v) {
				return nil, fmt.Errorf(" %q: invalid json.RawMessage", k)
			}
			out = append(out, wireEntry{k, v})
		default:
			data, err := marshal(v)
			if err != nil {
				return nil, fmt.Errorf(" %q: %v", k, err)
			}
			out = append(out, wireEntry{k, data})
		}
	}
	return out, nil
}

// Fixed parts of the body, used to compute its size before writing it.
const (
	runFixed  = len(`{"id":,"slug":,"collectionMethod":,"previousRunId":,"metadata":,"stepRuns":[],"error":}`)
	stepFixed = len(`{"providerName":,"invocation":,"modelParams":{},"inputs":{},"outputs":{},"context":{},"elapsedTime":,"startTime":,"endTime":,"error":}`)
)

// size returns the length appendJSON will write, given the length of the
// encoded metadata.
func (run *wireRun) size(metaLen int) int {
	n := runFixed + stringLen(run.ID) + stringLen(run.Slug) + stringLen(run.CollectionMethod) +
		nullableLen(run.PreviousRunID) + metaLen + nullableLen(run.Error)
	for i := range run.StepRuns {
		st := &run.StepRuns[i]
		if i > 0 {
			n++ // comma
		}
		n += stepFixed + stringLen(st.ProviderName) + stringLen(st.Invocation) +
			entriesLen(st.ModelParams) + entriesLen(st.Inputs) + entriesLen(st.Outputs) +
			intLen(st.ElapsedTime) + stringLen(st.StartTime) + stringLen(st.EndTime) +
			nullableLen(st.Error) + st.Context.size()
	}
	return n
}

func (c *wireStepContext) size() int {
	n := 0
	if c.UserID != "" {
		n += len(`"userId":`) + stringLen(c.UserID)
	}
	if r := c.Render; r != nil {
		if c.UserID != "" {
			n++
		}
		n += len(`"render":{"type":,"key":}`) + stringLen(r.Type) + stringLen(r.Key)
	}
	return n
}

func entriesLen(es []wireEntry) int {
	n := 0
	for i, e := range es {
		if i > 0 {
			n++
		}
		n += stringLen(e.key) + 1 + len(e.val)
	}
	return n
}

// stringLen is len(appendString(nil, s)), without writing it.
func stringLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			n += escapedLen(rune(c), 1)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		n += escapedLen(r, size)
		i += size
	}
	return n
}

// intLen is len(strconv.AppendInt(nil, v, 10)), without writing it.
func intLen(v int64) int {
	n := 1
	if v < 0 {
		n++
		if v == math.MinInt64 {
			return 20
		}
		v = -v
	}
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

func nullableLen(s *string) int {
	if s == nil {
		return len("null")
	}
	return stringLen(*s)
}

// markerRoom is the most a truncated value takes beyond the prefix it
// keeps: its quotes and its marker, whatever the figures in it.
const markerRoom = len(`""…[gentrace: truncated, 18446744073709551615 of 18446744073709551615 bytes cut]`)

// truncate cuts the values of the run's steps (model parameters, inputs,
// outputs; never a manual "cost") that are longer than a limit L, chosen
// as the largest that brings the body, now size bytes, to at most
// maxBytes: each such value becomes truncateValue(value, L).
func (run *wireRun) truncate(metaLen, size, maxBytes int) error {
	var cuttable []*wireEntry
	total := 0 // bytes of the cuttable values
	for i := range run.StepRuns {
		st := &run.StepRuns[i]
		for k, es := range [][]wireEntry{st.ModelParams, st.Inputs, st.Outputs} {
			for j := range es {
				if k == 2 && es[j].key == "cost" {
					continue // a manual cost must stay valid
				}
				cuttable = append(cuttable, &es[j])
				total += len(es[j].val)
			}
		}
	}
	base := size - total
	// fits reports whether every value cut at limit keeps the body within
	// maxBytes; a value longer than limit+markerRoom is cut to at most that.
	fits := func(limit int) bool {
		n := base
		for _, e := range cuttable {
			n += min(len(e.val), limit+markerRoom)
		}
		return n <= maxBytes
	}
	if !fits(0) {
		return fmt.Errorf("%w: %d bytes, and still %d with every input, output and model parameter truncated; the cap is %d (WithMaxRunBytes)",
			ErrRunTooLarge, size, base+len(cuttable)*markerRoom, maxBytes)
	}
	lo, hi := 0, maxBytes // fits(lo); find the largest
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	for _, e := range cuttable {
		if len(e.val) > lo+markerRoom {
			e.val = truncateValue(e.val, lo)
		}
	}
	return nil
}

// truncateValue returns, as a JSON string, the start of the JSON text val
// (at most limit bytes once escaped, cut between characters) followed by a
// marker saying how much was cut, such as
// "{\"data\":[0.1,…[gentrace: truncated, 48213 of 50000 bytes cut]". The
// result is at most limit + markerRoom bytes long.
func truncateValue(val []byte, limit int) []byte {
	kept, escaped := 0, 0
	for kept < len(val) {
		r, n := utf8.DecodeRune(val[kept:])
		w := escapedLen(r, n)
		if escaped+w > limit {
			break
		}
		escaped += w
		kept += n
	}
	out := appendString(make([]byte, 0, escaped+markerRoom), string(val[:kept]))
	out = out[:len(out)-1] // reopen the string
	out = fmt.Appendf(out, "…[gentrace: truncated, %d of %d bytes cut]\"", len(val)-kept, len(val))
	return out
}

// escapedLen is how many bytes appendString writes for the rune r, which
// took n bytes of the input.
func escapedLen(r rune, n int) int {
	switch {
	case r == utf8.RuneError && n == 1:
		return len(`\ufffd`)
	case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t' || r == '\b' || r == '\f':
		return 2
	case r < 0x20 || r == '\u2028' || r == '\u2029':
		return 6
	}
	return n
}

// appendJSON writes the run as JSON, in the field order of the API's
// examples, with meta as the encoded metadata. It is written out rather
// than left to encoding/json because the values are encoded already.
func (run *wireRun) appendJSON(b []byte, meta []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, run.ID)
	b = append(b, `,"slug":`...)
	b = appendString(b, run.Slug)
	b = append(b, `,"collectionMethod":`...)
	b = appendString(b, run.CollectionMethod)
	b = append(b, `,"previousRunId":`...)
	b = appendNullable(b, run.PreviousRunID)
	b = append(b, `,"metadata":`...)
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
		b = append(b, `,"modelParams":`...)
		b = appendEntries(b, st.ModelParams)
		b = append(b, `,"inputs":`...)
		b = appendEntries(b, st.Inputs)
		b = append(b, `,"outputs":`...)
		b = appendEntries(b, st.Outputs)
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
	return append(b, '}')
}

func appendEntries(b []byte, es []wireEntry) []byte {
	b = append(b, '{')
	for i, e := range es {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, e.key)
		b = append(b, ':')
		b = append(b, e.val...)
	}
	return append(b, '}')
}

// appendObject writes m with its keys sorted, as encoding/json does.
func appendObject(b []byte, m map[string]any) ([]byte, error) {
	es, err := encodeEntries(m)
	if err != nil {
		return nil, err
	}
	return appendEntries(b, es), nil
}

// observe shows the run to the observers, each with copies of its own of
// the final steps (see finalSteps), so that an observer cannot change
// what the runner, the delivery or another observer sees.
func (s *runSnapshot) observe(transform func(*Step), observers []Observer) {
	steps := s.finalSteps(transform)
	stepMeta := make([]Metadata, len(steps))
	for i := range steps {
		stepMeta[i] = steps[i].Metadata
	}
	merged := MergeMetadata(s.metadata, stepMeta...)
	for i, o := range observers {
		var state any
		if i < len(s.observed) {
			state = s.observed[i]
		}
		copies := make([]Step, len(steps))
		for j := range steps {
			copies[j] = cloneStep(steps[j])
		}
		o.EndRun(state, RunRecord{
			ID: s.id, Slug: s.slug, UserID: s.userID, SessionID: s.sessionID, PreviousRunID: s.previousRunID,
			Metadata: maps.Clone(merged), Attributes: cloneAttributes(s.attrs), Start: s.start, End: s.end,
			Steps: copies, Error: s.err,
		})
	}
}

// cloneStep returns a copy of s that shares nothing a caller could change
// in place with s: its maps, slices, raw JSON and byte values are copied
// all the way down, and so are Metadata, Render, Usage and Attributes.
// Other values held in the maps (numbers, strings, structs, pointers) are
// shared; code given the copy replaces them rather than modifying them.
// Complete is not copied.
func cloneStep(s Step) Step { return s.clone() }

func cloneAttributes(a Attributes) Attributes {
	a.Metadata = maps.Clone(a.Metadata)
	a.Tags = slices.Clone(a.Tags)
	a.PromptTemplateVariables = cloneMap(a.PromptTemplateVariables)
	return a
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch v := v.(type) {
	case *rawjson.Checked: // copies hold the type users know
		return json.RawMessage(slices.Clone(*v))
	case json.RawMessage:
		return slices.Clone(v)
	case []byte:
		return slices.Clone(v)
	case map[string]any:
		return cloneMap(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneValue(e)
		}
		return out
	case []string:
		return slices.Clone(v)
	case map[string]string:
		return maps.Clone(v)
	}
	return v
}

// Estimates of encoded sizes, for the byte bound of the delivery queue.
const (
	// runOverhead is a run's fixed part (field names, times, punctuation).
	runOverhead = runFixed + 64
	// stepOverhead is a step's fixed part.
	stepOverhead = stepFixed + 96
	// defaultStepBytes is assumed for a step whose size is unknown: what a
	// small chat call or checkpoint takes.
	defaultStepBytes = 2 << 10
	// valueOverhead is assumed for a value whose size is not read, such as
	// a number or a struct.
	valueOverhead = 16
)

// estimate returns the run's encoded size as the delivery queue accounts
// for it, at most maxBytes (the body is truncated to that) when maxBytes
// is positive. It reads only what is fixed once the run is submitted (its
// own fields and metadata, and stepBytes); it never reads the steps, whose
// values a step's Complete may be filling in on another goroutine.
func (s *runSnapshot) estimate(maxBytes int) int64 {
	n := int64(runOverhead + len(s.id) + len(s.slug) + len(s.previousRunID) + len(s.err))
	for k, v := range s.metadata {
		n += int64(len(k) + len(v.str) + len(v.text) + 40)
	}
	if s.stepBytes > 0 {
		n += s.stepBytes
	} else {
		n += int64(len(s.steps)) * defaultStepBytes
	}
	if maxBytes > 0 {
		n = min(n, int64(maxBytes))
	}
	return n
}

// estimateStep returns the encoded size of a step from the lengths of the
// values it holds, without encoding them: raw JSON and strings count their
// length, maps and slices their elements, other values a few bytes. The
// recorder calls it when it records a step, before another goroutine can
// see the step, and sums it into runSnapshot.stepBytes.
func estimateStep(s *Step) int64 {
	n := int64(stepOverhead+len(s.ProviderName)+len(s.Invocation)+len(s.Error)) + s.SizeHint
	for _, m := range []map[string]any{s.ModelParams, s.Inputs, s.Outputs} {
		n += estimateValue(m)
	}
	for k, v := range s.Metadata {
		n += int64(len(k) + len(v.str) + len(v.text) + 40)
	}
	return n
}

func estimateValue(v any) int64 {
	switch v := v.(type) {
	case json.RawMessage:
		return int64(len(v))
	case *rawjson.Checked:
		return int64(len(*v))
	case []byte:
		return int64(len(v))*4/3 + 2
	case string:
		return int64(len(v)) + 2
	case map[string]any:
		n := int64(2)
		for k, e := range v {
			n += int64(len(k)) + 4 + estimateValue(e)
		}
		return n
	case []any:
		n := int64(2)
		for _, e := range v {
			n += 1 + estimateValue(e)
		}
		return n
	case []string:
		n := int64(2)
		for _, e := range v {
			n += int64(len(e)) + 3
		}
		return n
	}
	return valueOverhead
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
