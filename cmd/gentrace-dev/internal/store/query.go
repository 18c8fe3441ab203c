package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gentrace/gentrace-go/cmd/gentrace-dev/internal/facts"
	"github.com/gentrace/gentrace-go/internal/contract"
)

// Filter selects runs for the runs list. Empty fields select everything.
// MetaValue applies only with MetaKey; MetaKey alone selects runs that
// have the key. A metadata value compares as its string, "true"/"false", or
// its URL.
type Filter struct {
	Pipeline, User, Session string
	MetaKey, MetaValue      string
}

// A Cursor is a position in the runs list, newest first: a run's start time
// and arrival order. Its text form is "startms-seq".
type Cursor struct {
	StartMS, Seq int64
}

// String returns the cursor's text form, for a page URL.
func (c Cursor) String() string { return fmt.Sprintf("%d-%d", c.StartMS, c.Seq) }

// ParseCursor reads a Cursor's text form.
func ParseCursor(s string) (Cursor, error) {
	a, b, ok := strings.Cut(s, "-")
	ms, err1 := strconv.ParseInt(a, 10, 64)
	seq, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return Cursor{}, fmt.Errorf("bad page cursor %q", s)
	}
	return Cursor{StartMS: ms, Seq: seq}, nil
}

// RunSummary is one row of the runs list.
type RunSummary struct {
	Seq             int64
	ID              string // as the client sent it
	Slug            string
	UserID          string
	SessionID       string
	Start           time.Time
	Latency         time.Duration
	StepCount       int
	CostUSD         float64
	HasCost         bool
	Tokens          int64
	HasTokens       bool
	TokensEstimated bool
	Error           string
	ThreadID        string
	ThreadTurns     int
}

// Cursor returns the run's position in the runs list.
func (r RunSummary) Cursor() Cursor { return Cursor{StartMS: r.Start.UnixMilli(), Seq: r.Seq} }

// RunPage is one page of the runs list. Older and Newer are the cursors of
// the neighbouring pages, nil at either end.
type RunPage struct {
	Runs         []RunSummary
	Older, Newer *Cursor
}

const summaryColumns = `r.seq, r.sent_id, r.slug, r.user_id, r.session_id, r.start_ms, r.latency_ms, r.step_count,
	r.cost_usd, r.total_tokens, r.tokens_estimated, r.error, r.thread_id, coalesce(t.turns, 1)`

// scanSummary scans summaryColumns, then the extra columns into extra.
func scanSummary(sc interface{ Scan(...any) error }, extra ...any) (RunSummary, error) {
	var r RunSummary
	var start, latency int64
	var cost sql.NullFloat64
	var tokens sql.NullInt64
	err := sc.Scan(append([]any{&r.Seq, &r.ID, &r.Slug, &r.UserID, &r.SessionID, &start, &latency, &r.StepCount,
		&cost, &tokens, &r.TokensEstimated, &r.Error, &r.ThreadID, &r.ThreadTurns}, extra...)...)
	r.Start = time.UnixMilli(start).UTC()
	r.Latency = time.Duration(latency) * time.Millisecond
	r.CostUSD, r.HasCost = cost.Float64, cost.Valid
	r.Tokens, r.HasTokens = tokens.Int64, tokens.Valid
	return r, err
}

// ListRuns returns up to limit runs that match f, newest first: those just
// older than before, or just newer than after, or the newest when both are
// nil. The query walks an index in list order, so a page costs the same at
// any depth.
func (s *Store) ListRuns(ctx context.Context, f Filter, before, after *Cursor, limit int) (RunPage, error) {
	if limit <= 0 {
		limit = 50
	}
	from := `runs r`
	k1, k2 := "r.start_ms", "r.seq"
	var where []string
	var args []any
	// A metadata filter walks the metadata index in list order. The session
	// is the metadata key sessionId, so a session filter alone does too.
	metaKey, metaValue := f.MetaKey, f.MetaValue
	if metaKey == "" && f.Session != "" {
		metaKey, metaValue = "sessionId", f.Session
	}
	if metaKey != "" {
		from = `run_metadata m JOIN runs r ON r.seq = m.run_seq`
		k1, k2 = "m.start_ms", "m.run_seq"
		where = append(where, "m.key = ?")
		args = append(args, metaKey)
		if metaValue != "" {
			where = append(where, "m.value = ?")
			args = append(args, metaValue)
		}
	}
	for _, c := range []struct{ col, v string }{
		{"r.slug", f.Pipeline}, {"r.user_id", f.User}, {"r.session_id", f.Session},
	} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	order := "DESC"
	if after != nil {
		where = append(where, fmt.Sprintf("(%s, %s) > (?, ?)", k1, k2))
		args = append(args, after.StartMS, after.Seq)
		order = "ASC"
	} else if before != nil {
		where = append(where, fmt.Sprintf("(%s, %s) < (?, ?)", k1, k2))
		args = append(args, before.StartMS, before.Seq)
	}
	q := `SELECT ` + summaryColumns + ` FROM ` + from + ` LEFT JOIN threads t ON t.thread_id = r.thread_id`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(` ORDER BY %s %s, %s %s LIMIT %d`, k1, order, k2, order, limit+1)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return RunPage{}, fmt.Errorf("store: listing runs: %w", err)
	}
	defer rows.Close()
	var page RunPage
	for rows.Next() {
		r, err := scanSummary(rows)
		if err != nil {
			return RunPage{}, err
		}
		page.Runs = append(page.Runs, r)
	}
	if err := rows.Err(); err != nil {
		return RunPage{}, err
	}
	more := len(page.Runs) > limit
	if more {
		page.Runs = page.Runs[:limit]
	}
	if after != nil {
		slices.Reverse(page.Runs)
	}
	if n := len(page.Runs); n > 0 {
		first, last := page.Runs[0].Cursor(), page.Runs[n-1].Cursor()
		if after != nil && more || after == nil && before != nil {
			page.Newer = &first
		}
		if after == nil && more || after != nil {
			page.Older = &last
		}
	}
	return page, nil
}

// MetadataEntry is one typed metadata value with its key.
type MetadataEntry struct {
	Key string
	contract.MetadataValue
}

func decodeMetadata(raw []byte) ([]MetadataEntry, error) {
	var m map[string]contract.MetadataValue
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	out := make([]MetadataEntry, 0, len(m))
	for k, v := range m {
		out = append(out, MetadataEntry{Key: k, MetadataValue: v})
	}
	slices.SortFunc(out, func(a, b MetadataEntry) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// RunDetail is everything the run page shows.
type RunDetail struct {
	RunSummary
	CollectionMethod string
	PreviousRunID    string // lower-case, "" when the run starts a thread
	NextRunID        string // the run after it in its thread, if stored
	RunError         string // the run's own error field
	End, Received    time.Time
	Usage            *facts.Usage // summed over steps, nil when none
	Metadata         []MetadataEntry
	Steps            []StepDetail
}

// StepDetail is one step of a run as stored.
type StepDetail struct {
	Index                        int
	ProviderName, Invocation     string
	Model                        string
	ModelParams, Inputs, Outputs json.RawMessage
	UserID                       string
	Render                       *contract.Render
	Metadata                     []MetadataEntry
	Elapsed                      time.Duration
	Start, End                   time.Time
	Error                        string
	CostUSD                      float64
	HasCost                      bool
	Usage                        *facts.Usage
	TTFT                         time.Duration
	HasTTFT                      bool
	ClosedEarly                  bool
}

// Run returns the run with the given ID (any case), and false when there
// is none.
func (s *Store) Run(ctx context.Context, id string) (RunDetail, bool, error) {
	id = strings.ToLower(id)
	row := s.r.QueryRowContext(ctx, `SELECT `+summaryColumns+`, r.collection_method, coalesce(r.previous_run_id, ''),
		coalesce(r.run_error, ''), r.end_ms, r.received_ms, r.metadata, r.prompt_tokens, r.completion_tokens,
		coalesce((SELECT n.id FROM runs n WHERE n.previous_run_id = r.id), '')
		FROM runs r LEFT JOIN threads t ON t.thread_id = r.thread_id WHERE r.id = ?`, id)
	var d RunDetail
	var end, received int64
	var metadata []byte
	var prompt, completion sql.NullInt64
	sum, err := scanSummary(row, &d.CollectionMethod, &d.PreviousRunID, &d.RunError, &end, &received, &metadata,
		&prompt, &completion, &d.NextRunID)
	if errors.Is(err, sql.ErrNoRows) {
		return RunDetail{}, false, nil
	}
	if err != nil {
		return RunDetail{}, false, fmt.Errorf("store: run %s: %w", id, err)
	}
	d.RunSummary = sum
	d.End, d.Received = time.UnixMilli(end).UTC(), time.UnixMilli(received).UTC()
	if d.Metadata, err = decodeMetadata(metadata); err != nil {
		return RunDetail{}, false, fmt.Errorf("store: run %s metadata: %w", id, err)
	}
	if prompt.Valid {
		d.Usage = &facts.Usage{Prompt: prompt.Int64, Completion: completion.Int64, Total: d.Tokens, Estimated: d.TokensEstimated}
	}
	if d.Steps, err = s.steps(ctx, d.Seq); err != nil {
		return RunDetail{}, false, fmt.Errorf("store: run %s steps: %w", id, err)
	}
	return d, true, nil
}

func (s *Store) steps(ctx context.Context, seq int64) ([]StepDetail, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT idx, provider_name, invocation, model, model_params, inputs, outputs,
		context, elapsed_ms, start_ms, end_ms, coalesce(error, ''), cost_usd, usage, ttft_ms, closed_early
		FROM steps WHERE key BETWEEN ? AND ? ORDER BY key`, stepKey(seq, 0), stepKey(seq, MaxSteps))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var steps []StepDetail
	for rows.Next() {
		var st StepDetail
		var ctxJSON, usage []byte
		var elapsed, start, end int64
		var cost, ttft sql.NullFloat64
		if err := rows.Scan(&st.Index, &st.ProviderName, &st.Invocation, &st.Model, &st.ModelParams, &st.Inputs, &st.Outputs,
			&ctxJSON, &elapsed, &start, &end, &st.Error, &cost, &usage, &ttft, &st.ClosedEarly); err != nil {
			return nil, err
		}
		st.Elapsed = time.Duration(elapsed) * time.Millisecond
		st.Start, st.End = time.UnixMilli(start).UTC(), time.UnixMilli(end).UTC()
		st.CostUSD, st.HasCost = cost.Float64, cost.Valid
		if ttft.Valid {
			st.TTFT, st.HasTTFT = time.Duration(ttft.Float64*float64(time.Millisecond)), true
		}
		var c stepContextJSON
		if err := json.Unmarshal(ctxJSON, &c); err != nil {
			return nil, err
		}
		st.UserID, st.Render = c.UserID, c.Render
		for k, v := range c.Metadata {
			st.Metadata = append(st.Metadata, MetadataEntry{Key: k, MetadataValue: v})
		}
		slices.SortFunc(st.Metadata, func(a, b MetadataEntry) int { return strings.Compare(a.Key, b.Key) })
		if usage != nil {
			st.Usage = new(facts.Usage)
			if err := json.Unmarshal(usage, st.Usage); err != nil {
				return nil, err
			}
		}
		steps = append(steps, st)
	}
	return steps, rows.Err()
}
