package gentracetest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRunRecorded(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	body := readTestdata(t, "run.json")
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/run", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+srv.APIKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "gentrace-go/test")
	r, err := do(srv.Client(), req)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, r, http.StatusOK)
	const id = "6f9619ff-8b86-4d11-b42d-00c04fc964ff"
	if got := r.json["pipelineRunId"]; got != id {
		t.Errorf("pipelineRunId = %v, want %s", got, id)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}

	run, ok := srv.Run(strings.ToUpper(id))
	if !ok {
		t.Fatalf("Run(%s) not found", id)
	}
	if runs := srv.Runs(); len(runs) != 1 || runs[0].ID != id {
		t.Fatalf("Runs() = %+v", runs)
	}
	if !bytes.Equal(run.Body, body) {
		t.Errorf("Body is not the exact request body:\n%s", run.Body)
	}
	if got := run.Header.Get("User-Agent"); got != "gentrace-go/test" {
		t.Errorf("Header User-Agent = %q", got)
	}
	if got := run.Header.Get("Authorization"); got != "" {
		t.Errorf("Header keeps Authorization %q", got)
	}
	if run.Slug != "guess-the-year" || run.CollectionMethod != "runner" ||
		run.PreviousRunID != "0e7d2a6b-3c1f-4b6e-9a59-1d2e3f4a5b6c" || run.Error != "" {
		t.Errorf("run fields = %+v", run)
	}
	wantMD := map[string]Meta{
		"sessionId": {Type: "string", Value: "session-1"},
		"beta":      {Type: "boolean", Value: true},
		"docs":      {Type: "url", URL: "https://example.com/docs", Text: "Docs"},
	}
	if len(run.Metadata) != len(wantMD) {
		t.Errorf("Metadata = %+v, want %+v", run.Metadata, wantMD)
	}
	for k, v := range wantMD {
		if run.Metadata[k] != v {
			t.Errorf("Metadata[%q] = %+v, want %+v", k, run.Metadata[k], v)
		}
	}
	if len(run.StepRuns) != 2 {
		t.Fatalf("%d steps, want 2", len(run.StepRuns))
	}
	s0 := run.StepRuns[0]
	if s0.ProviderName != "openai" || s0.Invocation != "openai_createChatCompletion" || s0.ElapsedTime != 187 || s0.Error != "" {
		t.Errorf("step 0 = %+v", s0)
	}
	if s0.ModelParams["model"] != "gpt-4o-mini" || s0.ModelParams["temperature"] != 0.2 {
		t.Errorf("step 0 modelParams = %v", s0.ModelParams)
	}
	if cost := s0.Outputs["cost"].(map[string]any); cost["value"] != 0.000123 {
		t.Errorf("step 0 cost = %v", cost)
	}
	wantStart := time.Date(2023, 3, 23, 21, 16, 37, 1e6, time.UTC)
	if !s0.StartTime.Equal(wantStart) || s0.EndTime.Sub(s0.StartTime) != 187*time.Millisecond {
		t.Errorf("step 0 times = %v, %v", s0.StartTime, s0.EndTime)
	}
	c := s0.Context
	if c.UserID != "user-42" || c.Render == nil || *c.Render != (RenderHint{Type: "html", Key: "page"}) ||
		c.Metadata["temperature"] != (Meta{Type: "string", Value: "low"}) {
		t.Errorf("step 0 context = %+v", c)
	}
	s1 := run.StepRuns[1]
	if s1.Context.Render != nil || s1.Context.Metadata != nil || s1.Outputs["value"] != 2009.0 || len(s1.ModelParams) != 0 {
		t.Errorf("step 1 = %+v", s1)
	}
	if st := srv.Stats(); st != (Counts{Requests: 1, Stored: 1}) {
		t.Errorf("Stats() = %+v", st)
	}
}

func TestRunDeduplicated(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	m := validRun(t)
	first := postRun(t, srv, m)
	wantStatus(t, first, http.StatusOK)
	// A retry carries the same body, previousRunId included: it must not
	// count as a second run in the thread.
	for range 2 {
		r := postRun(t, srv, m)
		wantStatus(t, r, http.StatusOK)
		if r.json["pipelineRunId"] != m["id"] {
			t.Errorf("retry answered %s, want pipelineRunId %s", r.raw, m["id"])
		}
	}
	m["id"] = strings.ToUpper(m["id"].(string)) // ids are UUIDs: case does not matter
	wantStatus(t, postRun(t, srv, m), http.StatusOK)
	if st := srv.Stats(); st.Stored != 1 || st.Duplicates != 3 || st.Requests != 4 || st.Rejected != 0 {
		t.Errorf("Stats() = %+v, want 1 stored and 3 duplicates of 4 requests", st)
	}
	if runs := srv.Runs(); len(runs) != 1 {
		t.Errorf("%d runs stored, want 1", len(runs))
	}
}

func TestPreviousRunIDReuse(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	first := minimalRun()
	wantStatus(t, postRun(t, srv, first), http.StatusOK)

	second := minimalRun()
	second["previousRunId"] = first["id"]
	wantStatus(t, postRun(t, srv, second), http.StatusOK)
	wantStatus(t, postRun(t, srv, second), http.StatusOK) // a retry, not a reuse

	third := minimalRun()
	third["previousRunId"] = first["id"]
	wantStatus(t, postRun(t, srv, third), http.StatusBadRequest,
		`previousRunId "`+first["id"].(string)+`" is already the previous run of run "`+second["id"].(string)+`"`,
		"singly-linked")
	if _, ok := srv.Run(third["id"].(string)); ok {
		t.Error("rejected run was stored")
	}

	// The thread continues from its last run.
	third["previousRunId"] = second["id"]
	wantStatus(t, postRun(t, srv, third), http.StatusOK)
	if st := srv.Stats(); st.Stored != 3 || st.Rejected != 1 || st.Duplicates != 1 {
		t.Errorf("Stats() = %+v", st)
	}
}

// TestConcurrentRuns stores thousands of runs from 50 goroutines, each
// posted twice as a client retrying would, in threads.
func TestConcurrentRuns(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	const workers, perWorker = 50, 40
	errs := make(chan error, workers)
	waited := make(chan error, 1)
	go func() { waited <- srv.WaitForRuns(t.Context(), workers*perWorker) }()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prev := ""
			for range perWorker {
				run := minimalRun()
				if prev != "" {
					run["previousRunId"] = prev
				}
				body, _ := json.Marshal(run)
				for range 2 {
					r, err := send(t, srv, http.MethodPost, "/v1/run", body)
					if err == nil && r.status != http.StatusOK {
						err = &statusError{r}
					}
					if err != nil {
						errs <- err
						return
					}
				}
				prev = run["id"].(string)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		// Fatal, not Error: the wait below would block until the test's
		// context ends, which is only after the test returns.
		t.Fatal(err)
	}
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	const n = workers * perWorker
	st := srv.Stats()
	if st.Stored != n || st.Duplicates != n || st.Requests != 2*n || st.Rejected != 0 {
		t.Errorf("Stats() = %+v, want %d stored and %d duplicates", st, n, n)
	}
	seen := make(map[string]bool)
	for _, r := range srv.Runs() {
		if seen[r.ID] {
			t.Fatalf("run %s listed twice", r.ID)
		}
		seen[r.ID] = true
	}
}
