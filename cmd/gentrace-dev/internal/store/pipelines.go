package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// PipelineStats sums a pipeline's runs over a window of days.
type PipelineStats struct {
	Slug string
	Runs int
	// CostUSD sums the runs' costs; HasCost is false when none had one.
	CostUSD float64
	HasCost bool
	// Token totals over the RunsWithUsage runs that had usage;
	// EstimatedRuns counts those whose usage the SDK estimated.
	PromptTokens, CompletionTokens, TotalTokens int64
	RunsWithUsage, EstimatedRuns                int
	// P50 and P95 are the latency percentiles over the whole window.
	P50, P95 time.Duration
	// Days has one entry per day of the window, oldest first, days without
	// runs included.
	Days []DayStats
}

// DayStats is one UTC day of a pipeline's runs.
type DayStats struct {
	Day      time.Time
	Runs     int
	CostUSD  float64
	P50, P95 time.Duration
}

// Pipelines returns the statistics of every known pipeline over the days
// from the UTC day of from to that of to, both included, by run start
// time, sorted by slug. Pipelines without runs in the window are listed
// with zero counts.
func (s *Store) Pipelines(ctx context.Context, from, to time.Time) ([]PipelineStats, error) {
	firstDay := from.UTC().Truncate(24 * time.Hour)
	lastDay := to.UTC().Truncate(24 * time.Hour)
	if lastDay.Before(firstDay) {
		return nil, fmt.Errorf("store: window ends before it starts")
	}
	nDays := int(lastDay.Sub(firstDay)/(24*time.Hour)) + 1

	var slugs []string
	rows, err := s.r.QueryContext(ctx, `SELECT slug FROM pipelines ORDER BY slug`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var slug string
		if err := rows.Scan(&slug); err != nil {
			rows.Close()
			return nil, err
		}
		slugs = append(slugs, slug)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	out := make([]PipelineStats, 0, len(slugs))
	for _, slug := range slugs {
		st, err := s.pipelineStats(ctx, slug, firstDay, nDays)
		if err != nil {
			return nil, fmt.Errorf("store: pipeline %s: %w", slug, err)
		}
		out = append(out, st)
	}
	return out, nil
}

// pipelineStats reads one pipeline's runs in the window, in time order
// through the index runs_slug.
func (s *Store) pipelineStats(ctx context.Context, slug string, firstDay time.Time, nDays int) (PipelineStats, error) {
	st := PipelineStats{Slug: slug, Days: make([]DayStats, nDays)}
	for i := range st.Days {
		st.Days[i].Day = firstDay.Add(time.Duration(i) * 24 * time.Hour)
	}
	end := firstDay.Add(time.Duration(nDays) * 24 * time.Hour)
	rows, err := s.r.QueryContext(ctx, `SELECT start_ms, latency_ms, cost_usd, prompt_tokens, completion_tokens,
		total_tokens, tokens_estimated FROM runs
		WHERE slug = ? AND start_ms >= ? AND start_ms < ? ORDER BY start_ms`,
		slug, firstDay.UnixMilli(), end.UnixMilli())
	if err != nil {
		return PipelineStats{}, err
	}
	defer rows.Close()
	all := []int64{}
	perDay := make([][]int64, nDays)
	for rows.Next() {
		var start, latency int64
		var cost sql.NullFloat64
		var prompt, completion, total sql.NullInt64
		var estimated bool
		if err := rows.Scan(&start, &latency, &cost, &prompt, &completion, &total, &estimated); err != nil {
			return PipelineStats{}, err
		}
		d := int((start - firstDay.UnixMilli()) / (24 * 3600 * 1000))
		st.Runs++
		st.Days[d].Runs++
		if cost.Valid {
			st.CostUSD += cost.Float64
			st.HasCost = true
			st.Days[d].CostUSD += cost.Float64
		}
		if total.Valid {
			st.RunsWithUsage++
		}
		st.PromptTokens += prompt.Int64
		st.CompletionTokens += completion.Int64
		st.TotalTokens += total.Int64
		if estimated {
			st.EstimatedRuns++
		}
		all = append(all, latency)
		perDay[d] = append(perDay[d], latency)
	}
	if err := rows.Err(); err != nil {
		return PipelineStats{}, err
	}
	st.P50, st.P95 = percentiles(all)
	for d, l := range perDay {
		st.Days[d].P50, st.Days[d].P95 = percentiles(l)
	}
	return st, nil
}

// percentiles returns the 50th and 95th percentiles of latencies in
// milliseconds by the nearest-rank method; 0 for none.
func percentiles(ms []int64) (p50, p95 time.Duration) {
	if len(ms) == 0 {
		return 0, 0
	}
	slices.Sort(ms)
	rank := func(p int) time.Duration {
		i := (p*len(ms)+99)/100 - 1 // ceil(p/100 × n) − 1
		return time.Duration(ms[max(i, 0)]) * time.Millisecond
	}
	return rank(50), rank(95)
}
