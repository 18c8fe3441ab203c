package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/internal/contract"
	"github.com/google/uuid"
)

// open opens a store on a new file in t's temporary directory.
func open(t testing.TB) (*Store, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "dev.db")
	s, err := Open(t.Context(), file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, file
}

var t0 = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

// run makes a valid run with n steps starting at start, each 100 ms long,
// through the contract parser so that it is exactly what the API stores.
func run(t testing.TB, id, prev string, start time.Time, n int, edit func(m map[string]any)) contract.Run {
	t.Helper()
	m := map[string]any{"id": id, "slug": "pipe", "collectionMethod": "runner", "stepRuns": []any{}}
	if prev != "" {
		m["previousRunId"] = prev
	}
	steps := []any{}
	for i := range n {
		s := start.Add(time.Duration(i) * 100 * time.Millisecond)
		steps = append(steps, map[string]any{
			"providerName": "openai", "invocation": "openai_createChatCompletion",
			"modelParams": map[string]any{"model": "gpt-4o-mini"},
			"inputs":      map[string]any{"messages": []any{map[string]any{"role": "user", "content": fmt.Sprintf("q%d", i)}}},
			"outputs": map[string]any{"cost": map[string]any{"type": "dollars", "value": 0.001},
				"usage": map[string]any{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}},
			"context":     map[string]any{"userId": "user-1"},
			"elapsedTime": 100, "startTime": s.Format(time.RFC3339Nano), "endTime": s.Add(100 * time.Millisecond).Format(time.RFC3339Nano),
		})
	}
	m["stepRuns"] = steps
	if edit != nil {
		edit(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	r, err := contract.ParseRun(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func add(t testing.TB, s *Store, r contract.Run) {
	t.Helper()
	dup, err := s.AddRun(t.Context(), r, t0)
	if err != nil || dup {
		t.Fatalf("AddRun(%s) = %v, %v", r.ID, dup, err)
	}
}

func TestMigrations(t *testing.T) {
	t.Parallel()
	s, file := open(t)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.SchemaVersion(t.Context()); err != nil || v != len(ms) || v < 1 {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, len(ms))
	}
	s.Close()

	// Reopening applies nothing twice.
	s2, err := Open(t.Context(), file)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	s2.Close()

	// A file from a newer gentrace-dev is refused, not damaged.
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", len(ms)+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(t.Context(), file); err == nil || !strings.Contains(err.Error(), "newer than this gentrace-dev knows") {
		t.Errorf("Open of a newer schema: %v", err)
	}
}

func TestMigrationFailureRollsBack(t *testing.T) {
	t.Parallel()
	// A table in the way makes migration 1 fail; the version must stay 0
	// and nothing of the migration may remain.
	file := filepath.Join(t.TempDir(), "dev.db")
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE steps (x)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(t.Context(), file); err == nil || !strings.Contains(err.Error(), "migration 0001_init.sql") {
		t.Fatalf("Open = %v, want the failing migration named", err)
	}
	db, _ = sql.Open("sqlite", file)
	defer db.Close()
	var v, n int
	db.QueryRow("PRAGMA user_version").Scan(&v)
	db.QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'runs'").Scan(&n)
	if v != 0 || n != 0 {
		t.Errorf("after a failed migration: version %d, runs table %d", v, n)
	}
}

func TestPersistsAcrossRestart(t *testing.T) {
	t.Parallel()
	s, file := open(t)
	id := uuid.NewString()
	add(t, s, run(t, id, "", t0, 3, func(m map[string]any) {
		m["metadata"] = map[string]any{"sessionId": map[string]any{"type": "string", "value": "sess-1"},
			"docs": map[string]any{"type": "url", "url": "https://example.com", "text": "Docs"}}
	}))
	if _, err := s.AddTestCases(t.Context(), "pipe", []NewTestCase{{Name: "c", Inputs: json.RawMessage(`{"q":1}`)}}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(t.Context(), file)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	d, ok, err := s2.Run(t.Context(), strings.ToUpper(id))
	if err != nil || !ok {
		t.Fatalf("Run after restart = %v, %v", ok, err)
	}
	if len(d.Steps) != 3 || d.SessionID != "sess-1" || d.UserID != "user-1" || len(d.Metadata) != 2 ||
		d.Metadata[0].Key != "docs" || d.Metadata[0].URL != "https://example.com" {
		t.Errorf("run after restart = %+v", d)
	}
	if !d.HasCost || d.CostUSD < 0.0029 || d.CostUSD > 0.0031 || d.Tokens != 45 || d.Latency != 300*time.Millisecond {
		t.Errorf("run facts after restart: cost %v %v, tokens %d, latency %v", d.HasCost, d.CostUSD, d.Tokens, d.Latency)
	}
	cases, err := s2.TestCases(t.Context(), "pipe")
	if err != nil || len(cases) != 1 || string(cases[0].Inputs) != `{"q":1}` {
		t.Errorf("test cases after restart = %+v, %v", cases, err)
	}
	// The same ID is still a duplicate after the restart.
	if dup, err := s2.AddRun(t.Context(), run(t, id, "", t0, 1, nil), t0); !dup || err != nil {
		t.Errorf("AddRun of a stored ID after restart = %v, %v", dup, err)
	}
}

func TestDedup(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	id := uuid.NewString()
	prev := uuid.NewString()
	r := run(t, id, prev, t0, 2, nil)
	add(t, s, r)
	// Concurrent retries, some spelling the ID in upper case: one row.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			r := r
			if i%2 == 1 {
				r.ID = strings.ToUpper(r.ID)
			}
			if dup, err := s.AddRun(context.Background(), r, t0); !dup || err != nil {
				t.Errorf("retry %d = %v, %v; want a duplicate", i, dup, err)
			}
		})
	}
	wg.Wait()
	var runs, steps int
	s.r.QueryRow(`SELECT count(*) FROM runs`).Scan(&runs)
	s.r.QueryRow(`SELECT count(*) FROM steps`).Scan(&steps)
	if runs != 1 || steps != 2 {
		t.Errorf("%d runs and %d steps stored, want 1 and 2", runs, steps)
	}
}

func TestFork(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	a, b, c := uuid.NewString(), uuid.NewString(), uuid.NewString()
	add(t, s, run(t, a, "", t0, 1, nil))
	add(t, s, run(t, b, a, t0.Add(time.Second), 1, nil))
	_, err := s.AddRun(t.Context(), run(t, c, strings.ToUpper(a), t0.Add(2*time.Second), 1, nil), t0)
	fe, ok := errors.AsType[*ForkError](err)
	if !ok || fe.OtherRunID != b || fe.PreviousRunID != strings.ToUpper(a) {
		t.Fatalf("fork error = %v", err)
	}
	if _, ok, _ := s.Run(t.Context(), c); ok {
		t.Error("the refused run was stored")
	}
	// A refused run leaves nothing behind, and others in the same batch
	// are unaffected: the thread goes on from b.
	add(t, s, run(t, c, b, t0.Add(2*time.Second), 1, nil))
	turns, missing, ok, err := s.Thread(t.Context(), a)
	if err != nil || !ok || missing || len(turns) != 3 {
		t.Fatalf("Thread = %d turns, missing %v, ok %v, %v", len(turns), missing, ok, err)
	}
}

func TestThreadsArriveInAnyOrder(t *testing.T) {
	t.Parallel()
	ids := []string{uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()}
	for _, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}, {1, 3, 0, 2}, {0, 2, 3, 1}, {3, 0, 1, 2}} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			t.Parallel()
			s, _ := open(t)
			for _, i := range order {
				prev := ""
				if i > 0 {
					prev = ids[i-1]
				}
				add(t, s, run(t, ids[i], prev, t0.Add(time.Duration(i)*time.Minute), 1, nil))
			}
			turns, missing, ok, err := s.Thread(t.Context(), ids[0])
			if err != nil || !ok || missing {
				t.Fatalf("Thread = ok %v, missing %v, %v", ok, missing, err)
			}
			for i, turn := range turns {
				if turn.ID != ids[i] {
					t.Errorf("turn %d is %s, want %s", i, turn.ID, ids[i])
				}
			}
			if len(turns) != 4 {
				t.Fatalf("%d turns, want 4", len(turns))
			}
			list, _, err := s.Threads(t.Context(), nil, 10)
			if err != nil || len(list) != 1 || list[0].Turns != 4 || list[0].ID != ids[0] ||
				!list[0].First.Equal(t0) || !list[0].Last.Equal(t0.Add(3*time.Minute)) {
				t.Errorf("Threads = %+v, %v", list, err)
			}
			if !list[0].HasCost || list[0].CostUSD < 0.0039 || list[0].CostUSD > 0.0041 {
				t.Errorf("thread cost = %v", list[0].CostUSD)
			}
			var rows int
			s.r.QueryRow(`SELECT count(*) FROM threads`).Scan(&rows)
			if rows != 1 {
				t.Errorf("%d thread rows, want 1", rows)
			}
		})
	}
}

func TestThreadMissingFirst(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	a, b, c := uuid.NewString(), uuid.NewString(), uuid.NewString()
	add(t, s, run(t, b, a, t0, 1, nil))
	add(t, s, run(t, c, b, t0.Add(time.Minute), 1, nil))
	turns, missing, ok, err := s.Thread(t.Context(), a)
	if err != nil || !ok || !missing || len(turns) != 2 || turns[0].ID != b {
		t.Fatalf("Thread = %d turns, missing %v, ok %v, %v", len(turns), missing, ok, err)
	}
	if _, _, ok, _ := s.Thread(t.Context(), uuid.NewString()); ok {
		t.Error("an unknown thread was found")
	}
}

func TestListRuns(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	const n = 23
	var ids []string
	for i := range n {
		id := uuid.NewString()
		ids = append(ids, id)
		add(t, s, run(t, id, "", t0.Add(time.Duration(i)*time.Second), 1, func(m map[string]any) {
			if i%2 == 0 {
				m["slug"] = "even"
			}
			md := map[string]any{"sessionId": map[string]any{"type": "string", "value": fmt.Sprintf("s%d", i%3)},
				"beta": map[string]any{"type": "boolean", "value": i%5 == 0}}
			m["metadata"] = md
			step := m["stepRuns"].([]any)[0].(map[string]any)
			step["context"] = map[string]any{"userId": fmt.Sprintf("u%d", i%4)}
		}))
	}
	// All of it, page by page, newest first, and back.
	var seen []string
	var page RunPage
	var err error
	for cursor := (*Cursor)(nil); ; cursor = page.Older {
		if page, err = s.ListRuns(t.Context(), Filter{}, cursor, nil, 5); err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Runs {
			seen = append(seen, r.ID)
		}
		if page.Older == nil {
			break
		}
	}
	if len(seen) != n {
		t.Fatalf("paged through %d runs, want %d", len(seen), n)
	}
	for i, id := range seen {
		if id != ids[n-1-i] {
			t.Fatalf("run %d is %s, want %s (newest first)", i, id, ids[n-1-i])
		}
	}
	// From the last page, Newer leads back to the page before it.
	back, err := s.ListRuns(t.Context(), Filter{}, nil, page.Newer, 5)
	if err != nil || len(back.Runs) != 5 || back.Runs[0].ID != seen[15] || back.Older == nil || back.Newer == nil {
		t.Fatalf("page back = %+v, %v", back, err)
	}
	first, _ := s.ListRuns(t.Context(), Filter{}, nil, nil, 5)
	if first.Newer != nil || first.Older == nil {
		t.Errorf("first page cursors = %v, %v", first.Newer, first.Older)
	}

	for _, tc := range []struct {
		name string
		f    Filter
		want func(i int) bool
	}{
		{"pipeline", Filter{Pipeline: "even"}, func(i int) bool { return i%2 == 0 }},
		{"user", Filter{User: "u1"}, func(i int) bool { return i%4 == 1 }},
		{"session", Filter{Session: "s2"}, func(i int) bool { return i%3 == 2 }},
		{"metadata key and value", Filter{MetaKey: "beta", MetaValue: "true"}, func(i int) bool { return i%5 == 0 }},
		{"metadata key only", Filter{MetaKey: "beta"}, func(int) bool { return true }},
		{"metadata and pipeline", Filter{MetaKey: "sessionId", MetaValue: "s0", Pipeline: "even"}, func(i int) bool { return i%3 == 0 && i%2 == 0 }},
		{"nothing", Filter{MetaKey: "nope"}, func(int) bool { return false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for i := n - 1; i >= 0; i-- {
				if tc.want(i) {
					want = append(want, ids[i])
				}
			}
			var got []string
			for cursor := (*Cursor)(nil); ; {
				p, err := s.ListRuns(t.Context(), tc.f, cursor, nil, 3)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range p.Runs {
					got = append(got, r.ID)
				}
				if cursor = p.Older; cursor == nil {
					break
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("got %v\nwant %v", got, want)
			}
		})
	}
}

func TestListRunsUsesIndexes(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	// Every list query must walk an index in list order: no temporary
	// B-tree for ORDER BY, whatever the filter and direction.
	for _, q := range []string{
		`SELECT r.seq FROM runs r WHERE (r.start_ms, r.seq) < (1, 1) ORDER BY r.start_ms DESC, r.seq DESC LIMIT 51`,
		`SELECT r.seq FROM runs r WHERE (r.start_ms, r.seq) > (1, 1) ORDER BY r.start_ms ASC, r.seq ASC LIMIT 51`,
		`SELECT r.seq FROM runs r WHERE r.slug = 'x' AND (r.start_ms, r.seq) < (1, 1) ORDER BY r.start_ms DESC, r.seq DESC LIMIT 51`,
		`SELECT r.seq FROM runs r WHERE r.user_id = 'x' ORDER BY r.start_ms DESC, r.seq DESC LIMIT 51`,
		`SELECT r.seq FROM run_metadata m JOIN runs r ON r.seq = m.run_seq WHERE m.key = 'k' AND m.value = 'v' AND (m.start_ms, m.run_seq) < (1, 1) ORDER BY m.start_ms DESC, m.run_seq DESC LIMIT 51`,
		`SELECT t.thread_id FROM threads t JOIN runs r ON r.seq = t.last_seq WHERE t.turns > 1 ORDER BY t.last_ms DESC, t.thread_id DESC LIMIT 51`,
	} {
		rows, err := s.r.Query(`EXPLAIN QUERY PLAN ` + q)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		for _, p := range plan {
			if strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, " USING ") {
				t.Errorf("%s\nplan: %s", q, joined)
			}
		}
	}
}

func TestPipelines(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	// Day 0: latencies 100..1000 ms; day 2: one run; day 1: none.
	for i := range 10 {
		add(t, s, run(t, uuid.NewString(), "", t0.Add(time.Duration(i)*time.Minute), i+1, nil))
	}
	add(t, s, run(t, uuid.NewString(), "", t0.Add(48*time.Hour), 1, func(m map[string]any) { m["slug"] = "other" }))
	add(t, s, run(t, uuid.NewString(), "", t0.Add(48*time.Hour), 2, nil))
	add(t, s, run(t, uuid.NewString(), "", t0.Add(-72*time.Hour), 1, nil)) // outside the window

	stats, err := s.Pipelines(t.Context(), t0, t0.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 2 || stats[0].Slug != "other" || stats[1].Slug != "pipe" {
		t.Fatalf("Pipelines = %+v", stats)
	}
	p := stats[1]
	if p.Runs != 11 || len(p.Days) != 3 || p.Days[0].Runs != 10 || p.Days[1].Runs != 0 || p.Days[2].Runs != 1 {
		t.Fatalf("pipe = %+v", p)
	}
	if p.Days[0].P50 != 500*time.Millisecond || p.Days[0].P95 != 1000*time.Millisecond || p.Days[2].P50 != 200*time.Millisecond {
		t.Errorf("day percentiles = %v/%v, %v", p.Days[0].P50, p.Days[0].P95, p.Days[2].P50)
	}
	// 57 steps at $0.001 and 15 tokens each.
	if p.TotalTokens != 57*15 || p.PromptTokens != 57*10 || p.CostUSD < 0.0569 || p.CostUSD > 0.0571 {
		t.Errorf("totals = %d tokens, $%v", p.TotalTokens, p.CostUSD)
	}
}

func TestPercentiles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in       []int64
		p50, p95 time.Duration
	}{
		{nil, 0, 0},
		{[]int64{7}, 7 * time.Millisecond, 7 * time.Millisecond},
		{[]int64{4, 1, 3, 2}, 2 * time.Millisecond, 4 * time.Millisecond},
	} {
		if p50, p95 := percentiles(tc.in); p50 != tc.p50 || p95 != tc.p95 {
			t.Errorf("percentiles(%v) = %v, %v; want %v, %v", tc.in, p50, p95, tc.p50, tc.p95)
		}
	}
}

func TestTestResults(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ids, err := s.AddTestCases(t.Context(), "pipe", []NewTestCase{
		{Name: "go", Inputs: json.RawMessage(`{"q":"go?"}`), ExpectedOutputs: json.RawMessage(`{"a":"2009"}`)},
		{Name: "rust", Inputs: json.RawMessage(`{"q":"rust?"}`)},
	}, t0)
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"pipelineSlug":"pipe","name":"nightly","testRuns":[
		{"caseId":%q,"inputs":{"q":"go?"},"outputs":{"a":"2009","cost":{"type":"cents","value":1}}},
		{"caseId":%q,"inputs":{"q":"rust?"},"error":"timeout"}]}`, ids[0], strings.ToUpper(ids[1]))
	res, err := contract.ParseTestResult([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.AddTestResult(t.Context(), res, t0)
	if err != nil {
		t.Fatal(err)
	}
	d, ok, err := s.TestResult(t.Context(), id)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if d.Name != "nightly" || d.ErrorCount != 1 || !d.HasCost || d.CostUSD != 0.01 || len(d.TestRuns) != 2 {
		t.Fatalf("result = %+v", d)
	}
	if r := d.TestRuns[0]; r.CaseName != "go" || string(r.ExpectedOutputs) != `{"a":"2009"}` || !strings.Contains(string(r.Outputs), `"2009"`) {
		t.Errorf("run 0 = %+v", r)
	}
	if r := d.TestRuns[1]; r.CaseName != "rust" || r.ExpectedOutputs != nil || r.Outputs != nil || r.Error != "timeout" {
		t.Errorf("run 1 = %+v", r)
	}
	list, err := s.TestResults(t.Context(), 0, 10)
	if err != nil || len(list) != 1 || list[0].ID != id {
		t.Errorf("TestResults = %+v, %v", list, err)
	}

	res.PipelineSlug = "nope"
	if _, err := s.AddTestResult(t.Context(), res, t0); !errors.As(err, new(*UnknownPipelineError)) {
		t.Errorf("unknown pipeline: %v", err)
	}
	res.PipelineSlug = "pipe"
	res.TestRuns[1].CaseID = uuid.NewString()
	if _, err := s.AddTestResult(t.Context(), res, t0); !errors.As(err, new(*UnknownCaseError)) || !strings.Contains(err.Error(), "testRuns[1].caseId") {
		t.Errorf("unknown case: %v", err)
	}
	if _, err := s.AddTestCases(t.Context(), "pipe", []NewTestCase{{ID: ids[0], Name: "again"}}, t0); err == nil {
		t.Error("a test case ID was used twice")
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if _, err := s.AddRun(t.Context(), run(t, uuid.NewString(), "", t0, 1, nil), t0); !errors.Is(err, ErrClosed) {
		t.Errorf("AddRun after Close = %v, want ErrClosed", err)
	}
}

// TestFailingOpLeavesNoTrace commits one batch in which the middle request
// fails after writing: the others are stored, it leaves nothing.
func TestFailingOpLeavesNoTrace(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	a, b, c := uuid.NewString(), uuid.NewString(), uuid.NewString()
	addOp := func(id string) op {
		rec, err := newRunRecord(run(t, id, "", t0, 2, nil), t0)
		if err != nil {
			t.Fatal(err)
		}
		return op{fn: func(w *wtx) error { _, _, err := w.addRun(rec); return err }, done: make(chan error, 1)}
	}
	boom := errors.New("boom")
	failing := addOp(b)
	inner := failing.fn
	failing.fn = func(w *wtx) error {
		if err := inner(w); err != nil {
			return err
		}
		return boom // after the run and its steps were written
	}
	batch := []op{addOp(a), failing, addOp(c)}
	s.commit(batch) // the writer goroutine is idle: no other write runs meanwhile
	for i, o := range batch {
		want := error(nil)
		if i == 1 {
			want = boom
		}
		if err := <-o.done; !errors.Is(err, want) {
			t.Errorf("op %d: %v, want %v", i, err, want)
		}
	}
	for id, want := range map[string]bool{a: true, b: false, c: true} {
		if _, ok, err := s.Run(t.Context(), id); ok != want || err != nil {
			t.Errorf("run %s stored = %v (%v), want %v", id, ok, err, want)
		}
	}
	var steps int
	s.r.QueryRow(`SELECT count(*) FROM steps`).Scan(&steps)
	if steps != 4 {
		t.Errorf("%d steps stored, want 4 (the failed run's are rolled back)", steps)
	}
}

func TestStepKeys(t *testing.T) {
	t.Parallel()
	if err := checkStepCount(MaxSteps); err != nil {
		t.Errorf("checkStepCount(MaxSteps) = %v", err)
	}
	if err := checkStepCount(MaxSteps + 1); !errors.Is(err, ErrTooManySteps) {
		t.Errorf("checkStepCount(MaxSteps+1) = %v", err)
	}
	// Keys of consecutive runs never overlap, and a run's keys are in order.
	if stepKey(7, MaxSteps) >= stepKey(8, 0) || stepKey(7, 1) <= stepKey(7, 0) {
		t.Error("step keys overlap or are out of order")
	}
}
