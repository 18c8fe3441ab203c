package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// ThreadSummary is one row of the threads list: a conversation of runs
// linked by previousRunId, rolled into one row as Gentrace shows it.
type ThreadSummary struct {
	ID          string // the first run's ID (lower-case)
	Turns       int
	First, Last time.Time
	CostUSD     float64
	HasCost     bool
	// Slug, UserID and SessionID are the latest run's.
	Slug, UserID, SessionID string
}

// ThreadCursor is a position in the threads list, latest first.
type ThreadCursor struct {
	LastMS int64
	ID     string
}

// Threads returns up to limit threads of two turns or more, latest first,
// starting after before (nil: from the latest), and the cursor of the next
// page (nil at the end).
func (s *Store) Threads(ctx context.Context, before *ThreadCursor, limit int) ([]ThreadSummary, *ThreadCursor, error) {
	if limit <= 0 {
		limit = 50
	}
	q := `SELECT t.thread_id, t.turns, t.first_ms, t.last_ms, t.cost_usd, r.slug, r.user_id, r.session_id
		FROM threads t JOIN runs r ON r.seq = t.last_seq WHERE t.turns > 1`
	var args []any
	if before != nil {
		q += ` AND (t.last_ms, t.thread_id) < (?, ?)`
		args = append(args, before.LastMS, before.ID)
	}
	q += fmt.Sprintf(` ORDER BY t.last_ms DESC, t.thread_id DESC LIMIT %d`, limit+1)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("store: listing threads: %w", err)
	}
	defer rows.Close()
	var out []ThreadSummary
	for rows.Next() {
		var t ThreadSummary
		var first, last int64
		var cost sql.NullFloat64
		if err := rows.Scan(&t.ID, &t.Turns, &first, &last, &cost, &t.Slug, &t.UserID, &t.SessionID); err != nil {
			return nil, nil, err
		}
		t.First, t.Last = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
		t.CostUSD, t.HasCost = cost.Float64, cost.Valid
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	var next *ThreadCursor
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = &ThreadCursor{LastMS: last.Last.UnixMilli(), ID: last.ID}
	}
	return out, next, nil
}

// ThreadTurn is one run of a thread with what its turn said: the first
// step's inputs and the last step's outputs.
type ThreadTurn struct {
	RunSummary
	PreviousRunID   string
	FirstInvocation string
	FirstInputs     json.RawMessage // nil for a run without steps
	LastInvocation  string
	LastOutputs     json.RawMessage
}

// Thread returns the turns of the thread with the given ID in conversation
// order (each turn's previous run before it), and false when there is no
// such thread. missingFirst is true when the thread's first run has not
// arrived: its ID is known only from the second run's previousRunId.
func (s *Store) Thread(ctx context.Context, id string) (turns []ThreadTurn, missingFirst, ok bool, err error) {
	id = strings.ToLower(id)
	// The thread's first run is found by its id, the others through the
	// partial index of runs that name a previous run.
	const turn = `SELECT ` + summaryColumns + `, coalesce(r.previous_run_id, ''),
		coalesce(f.invocation, ''), f.inputs, coalesce(l.invocation, ''), l.outputs
		FROM runs r LEFT JOIN threads t ON t.thread_id = r.thread_id
		LEFT JOIN steps f ON f.key = r.seq << 20
		LEFT JOIN steps l ON l.key = (r.seq << 20) + r.step_count - 1`
	rows, err := s.r.QueryContext(ctx, turn+` WHERE r.id = ?1 UNION ALL `+
		turn+` WHERE r.thread_id = ?1 AND r.previous_run_id IS NOT NULL`, id)
	if err != nil {
		return nil, false, false, fmt.Errorf("store: thread %s: %w", id, err)
	}
	defer rows.Close()
	var all []ThreadTurn
	for rows.Next() {
		var t ThreadTurn
		var firstIn, lastOut []byte
		t.RunSummary, err = scanSummary(rows, &t.PreviousRunID, &t.FirstInvocation, &firstIn, &t.LastInvocation, &lastOut)
		if err != nil {
			return nil, false, false, err
		}
		t.FirstInputs, t.LastOutputs = firstIn, lastOut
		all = append(all, t)
	}
	if err := rows.Err(); err != nil {
		return nil, false, false, err
	}
	if len(all) == 0 {
		return nil, false, false, nil
	}
	// Walk the links from the first run: each run names its previous one.
	next := make(map[string]int, len(all)) // previous run id → index
	byID := make(map[string]bool, len(all))
	for i, t := range all {
		byID[strings.ToLower(t.ID)] = true
		if t.PreviousRunID != "" {
			next[t.PreviousRunID] = i
		}
	}
	start := id
	if !byID[id] {
		missingFirst = true
	} else {
		turns = append(turns, all[indexOf(all, id)])
	}
	for cur := start; ; {
		i, ok := next[cur]
		if !ok || len(turns) > len(all) {
			break
		}
		turns = append(turns, all[i])
		cur = strings.ToLower(all[i].ID)
	}
	return turns, missingFirst, true, nil
}

func indexOf(turns []ThreadTurn, id string) int {
	for i, t := range turns {
		if strings.EqualFold(t.ID, id) {
			return i
		}
	}
	return -1
}
