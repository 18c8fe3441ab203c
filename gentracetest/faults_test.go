package gentracetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// outcome summarises one request's fate: its status, or "error" when the
// connection was dropped.
func outcome(t testing.TB, srv *Server, body any) string {
	t.Helper()
	r, err := send(t, srv, http.MethodPost, "/v1/run", body)
	if err != nil {
		return "error"
	}
	if ra := r.header.Get("Retry-After"); ra != "" {
		return fmt.Sprintf("%d retry-after %s", r.status, ra)
	}
	return fmt.Sprint(r.status)
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	srv.FailNext(2, http.StatusServiceUnavailable)
	srv.FailNextWithRetryAfter(1, http.StatusTooManyRequests, "7")
	srv.FailNext(0, http.StatusInternalServerError) // queues nothing
	run := minimalRun()
	var got []string
	for range 4 {
		got = append(got, outcome(t, srv, run))
	}
	want := []string{"503", "503", "429 retry-after 7", "200"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("outcomes = %q, want %q", got, want)
	}
	if st := srv.Stats(); st != (Counts{Requests: 4, Stored: 1, Faults: 3}) {
		t.Errorf("Stats() = %+v", st)
	}
	// A failed request carries the API's error shape.
	srv.FailNext(1, http.StatusInternalServerError)
	wantStatus(t, postRun(t, srv, minimalRun()), http.StatusInternalServerError, "injected 500")
}

func TestFailNextBadStatus(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	for _, status := range []int{200, 302, 600} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "not an error status") {
					t.Errorf("FailNext(1, %d) recovered %v", status, r)
				}
			}()
			srv.FailNext(1, status)
		}()
	}
}

func TestFaultsApplyToEveryRoute(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	srv.AddTestCases("p")
	srv.FailNext(1, http.StatusBadGateway)
	wantStatus(t, mustSend(t, srv, http.MethodGet, "/v1/test-case?pipelineSlug=p", nil), http.StatusBadGateway)
	// Faults come before authentication, as a proxy's would.
	srv.FailNext(1, http.StatusBadGateway)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/test-case?pipelineSlug=p", nil)
	r, err := do(srv.Client(), req)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, r, http.StatusBadGateway)
}

func TestDropNext(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	srv.DropNext(2)
	run := minimalRun()
	for i := range 2 {
		if _, err := send(t, srv, http.MethodPost, "/v1/run", run); err == nil {
			t.Fatalf("request %d was answered, want a dropped connection", i)
		}
	}
	if len(srv.Runs()) != 0 {
		t.Error("a dropped request was stored")
	}
	wantStatus(t, postRun(t, srv, run), http.StatusOK)
	if st := srv.Stats(); st != (Counts{Requests: 3, Stored: 1, Faults: 2}) {
		t.Errorf("Stats() = %+v", st)
	}
}

func TestLoseResponseNext(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	srv.LoseResponseNext(1)
	run := minimalRun()
	if _, err := send(t, srv, http.MethodPost, "/v1/run", run); err == nil {
		t.Fatal("request was answered, want a dropped connection")
	}
	if _, ok := srv.Run(run["id"].(string)); !ok {
		t.Fatal("the request whose answer was lost was not stored")
	}
	// The client's retry is a duplicate.
	wantStatus(t, postRun(t, srv, run), http.StatusOK)
	if st := srv.Stats(); st != (Counts{Requests: 2, Stored: 1, Duplicates: 1, Faults: 1}) {
		t.Errorf("Stats() = %+v", st)
	}
}

func TestSetDown(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	srv.FailNext(1, http.StatusInternalServerError)
	srv.SetDown(true)
	for range 3 {
		if got := outcome(t, srv, minimalRun()); got != "error" {
			t.Fatalf("request while down got %s, want a dropped connection", got)
		}
	}
	srv.SetDown(false)
	// Down takes precedence and leaves queued faults in place.
	if got := outcome(t, srv, minimalRun()); got != "500" {
		t.Errorf("first request after down got %s, want the queued 500", got)
	}
	wantStatus(t, postRun(t, srv, minimalRun()), http.StatusOK)
	if st := srv.Stats(); st != (Counts{Requests: 5, Stored: 1, Faults: 4}) {
		t.Errorf("Stats() = %+v", st)
	}
}

func TestSetDelay(t *testing.T) {
	t.Parallel()
	t.Run("slows requests", func(t *testing.T) {
		t.Parallel()
		srv := Start(t)
		const d = 50 * time.Millisecond
		srv.SetDelay(d)
		start := time.Now()
		wantStatus(t, postRun(t, srv, minimalRun()), http.StatusOK)
		if elapsed := time.Since(start); elapsed < d {
			t.Errorf("answered after %v, want at least %v", elapsed, d)
		}
		srv.SetDelay(0)
		if st := srv.Stats(); st.Faults != 0 || st.Stored != 1 {
			t.Errorf("Stats() = %+v: a delay is not a fault", st)
		}
	})
	t.Run("client gives up", func(t *testing.T) {
		t.Parallel()
		srv := Start(t)
		srv.SetDelay(time.Hour)
		client := &http.Client{Transport: srv.Client().Transport, Timeout: 20 * time.Millisecond}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/run", strings.NewReader(`{}`))
		if _, err := do(client, req); err == nil {
			t.Fatal("delayed request answered")
		}
		// Close must not wait out the delay.
	})
}

// hangingRequest starts a request that the server will hang and returns its
// result channel once the server has admitted it.
func hangingRequest(ctx context.Context, t *testing.T, srv *Server, run map[string]any) <-chan error {
	t.Helper()
	before := srv.Stats().Requests
	done := make(chan error, 1)
	go func() {
		body := strings.NewReader(fmt.Sprintf(`{"id":%q,"stepRuns":[]}`, run["id"]))
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/run", body)
		req.Header.Set("Authorization", "Bearer "+srv.APIKey)
		req.Header.Set("Content-Type", "application/json")
		r, err := do(srv.Client(), req)
		if err == nil && r.status != http.StatusOK {
			err = &statusError{r}
		}
		done <- err
	}()
	if err := srv.WaitFor(t.Context(), func(st Counts) bool { return st.Requests > before }); err != nil {
		t.Fatal(err)
	}
	return done
}

func TestHang(t *testing.T) {
	t.Parallel()
	t.Run("until client deadline", func(t *testing.T) {
		t.Parallel()
		srv := Start(t)
		srv.SetHang(true)
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
		defer cancel()
		err := <-hangingRequest(ctx, t, srv, minimalRun())
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("hung request error = %v, want deadline exceeded", err)
		}
		if st := srv.Stats(); st.Stored != 0 || st.Faults != 1 {
			t.Errorf("Stats() = %+v", st)
		}
	})
	t.Run("until close", func(t *testing.T) {
		t.Parallel()
		srv := NewServer()
		srv.SetHang(true)
		done := hangingRequest(t.Context(), t, srv, minimalRun())
		closed := make(chan struct{})
		go func() { srv.Close(); close(closed) }()
		if err := <-done; err == nil {
			t.Error("hung request answered at Close, want a dropped connection")
		}
		<-closed
	})
	t.Run("released", func(t *testing.T) {
		t.Parallel()
		srv := Start(t)
		srv.HangNext(1)
		run := minimalRun()
		done := hangingRequest(t.Context(), t, srv, run)
		select {
		case err := <-done:
			t.Fatalf("request answered (%v) before release", err)
		default:
		}
		srv.SetHang(false)
		if err := <-done; err != nil {
			t.Fatalf("released request: %v", err)
		}
		if _, ok := srv.Run(run["id"].(string)); !ok {
			t.Error("released request was not processed")
		}
	})
	t.Run("released by reset", func(t *testing.T) {
		t.Parallel()
		srv := Start(t)
		srv.SetHang(true)
		done := hangingRequest(t.Context(), t, srv, minimalRun())
		srv.Reset()
		if err := <-done; err != nil {
			t.Fatalf("request released by Reset: %v", err)
		}
	})
}

func TestSetFaults(t *testing.T) {
	t.Parallel()
	faults := Faults{Seed: 42, ServerError: 0.2, RateLimit: 0.2, RetryAfter: "3", Drop: 0.15, LoseResponse: 0.15}
	sequence := func() ([]string, Counts) {
		srv := Start(t)
		if err := srv.SetFaults(faults); err != nil {
			t.Fatal(err)
		}
		var got []string
		for range 100 {
			got = append(got, outcome(t, srv, minimalRun()))
		}
		return got, srv.Stats()
	}
	first, st1 := sequence()
	second, st2 := sequence()
	if fmt.Sprint(first) != fmt.Sprint(second) || st1 != st2 {
		t.Fatalf("same seed, different faults:\n%q %+v\n%q %+v", first, st1, second, st2)
	}
	count := make(map[string]int)
	for _, o := range first {
		count[o]++
	}
	for _, o := range []string{"200", "500", "429 retry-after 3", "error"} {
		if count[o] == 0 {
			t.Errorf("no %q among %v", o, count)
		}
	}
	// Lost responses store the run although the client saw an error.
	if st1.Stored <= count["200"] || st1.Faults != 100-count["200"] {
		t.Errorf("Stats() = %+v for outcomes %v", st1, count)
	}

	t.Run("default retry after", func(t *testing.T) {
		t.Parallel()
		srv := Start(t)
		if err := srv.SetFaults(Faults{RateLimit: 1}); err != nil {
			t.Fatal(err)
		}
		if got := outcome(t, srv, minimalRun()); got != "429 retry-after 1" {
			t.Errorf("got %s", got)
		}
		if err := srv.SetFaults(Faults{}); err != nil {
			t.Fatal(err)
		}
		if got := outcome(t, srv, minimalRun()); got != "200" {
			t.Errorf("after turning faults off got %s", got)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		srv := Start(t)
		for _, f := range []Faults{
			{ServerError: -0.1},
			{Drop: 1.5},
			{RateLimit: 0.6, LoseResponse: 0.6},
		} {
			if err := srv.SetFaults(f); err == nil {
				t.Errorf("SetFaults(%+v) accepted", f)
			}
		}
	})
}

// noRedirects returns a client of srv that returns redirect answers as
// they are.
func noRedirects(srv *Server) *http.Client {
	c := *srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func TestRedirectNext(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	srv.RedirectNext(1, http.StatusMovedPermanently, "")
	srv.RedirectNext(1, http.StatusTemporaryRedirect, "https://elsewhere.example/api/v1/run")
	run := minimalRun()
	data, _ := json.Marshal(run)
	for _, want := range []struct {
		status   int
		location string
	}{
		{http.StatusMovedPermanently, "https://" + strings.TrimPrefix(srv.URL, "http://") + "/v1/run"},
		{http.StatusTemporaryRedirect, "https://elsewhere.example/api/v1/run"},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/run", bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+srv.APIKey)
		req.Header.Set("Content-Type", "application/json")
		r, err := do(noRedirects(srv), req)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != want.status || r.header.Get("Location") != want.location {
			t.Errorf("answer %d Location %q, want %d %q", r.status, r.header.Get("Location"), want.status, want.location)
		}
	}
	if len(srv.Runs()) != 0 {
		t.Error("a redirected request was stored")
	}
	if st := srv.Stats(); st != (Counts{Requests: 2, Faults: 2}) {
		t.Errorf("Stats() = %+v", st)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "not a redirect status") {
			t.Errorf("RedirectNext(1, 500, ...) recovered %v", r)
		}
	}()
	srv.RedirectNext(1, http.StatusInternalServerError, "")
}

func TestSlowBodyNext(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	post := func(ctx context.Context, run map[string]any) (*http.Response, error) {
		data, _ := json.Marshal(run)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/run", bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+srv.APIKey)
		req.Header.Set("Content-Type", "application/json")
		return srv.Client().Do(req)
	}
	// The header comes at once, after the run was stored, and the body
	// is held back: with an hour's delay, a reader gives up first, and the
	// server drops the connection.
	srv.SlowBodyNext(1, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	run := minimalRun()
	resp, err := post(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if _, ok := srv.Run(run["id"].(string)); !ok {
		t.Error("run not stored when the header arrived")
	}
	read := make(chan error, 1)
	go func() { _, err := io.ReadAll(resp.Body); read <- err }()
	cancel()
	if err := <-read; err == nil {
		t.Error("the body arrived although it was held back for an hour")
	}
	resp.Body.Close()

	// With a short delay the whole answer arrives.
	srv.SlowBodyNext(1, time.Millisecond)
	run2 := minimalRun()
	resp, err = post(context.Background(), run2)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || !strings.Contains(string(body), run2["id"].(string)) {
		t.Fatalf("body %q, %v", body, err)
	}
	if st := srv.Stats(); st.Stored != 2 || st.Faults != 2 {
		t.Errorf("Stats() = %+v, want both stored and counted as faults", st)
	}
}

func TestRandomRedirectTooLargeAndSlowBody(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	if err := srv.SetFaults(Faults{Seed: 3, Redirect: 0.3, RedirectTo: "https://moved.example/api/v1/run", TooLarge: 0.3, SlowBody: 0.3, SlowBodyDelay: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	count := map[int]int{}
	stored := 0
	for range 60 {
		run := minimalRun()
		data, _ := json.Marshal(run)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/run", bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+srv.APIKey)
		req.Header.Set("Content-Type", "application/json")
		r, err := do(noRedirects(srv), req)
		if err != nil {
			t.Fatal(err)
		}
		count[r.status]++
		if r.status == http.StatusTemporaryRedirect && r.header.Get("Location") != "https://moved.example/api/v1/run" {
			t.Errorf("Location %q", r.header.Get("Location"))
		}
		want := map[int]string{http.StatusTemporaryRedirect: "redirect", http.StatusRequestEntityTooLarge: "status"}[r.status]
		if got := r.header.Get(FaultHeader); r.status != http.StatusOK && got != want || r.status == http.StatusOK && got != "" && got != "slow-body" {
			t.Errorf("answer %d has %s %q", r.status, FaultHeader, got)
		}
		if _, ok := srv.Run(run["id"].(string)); ok {
			stored++
			if r.status != http.StatusOK {
				t.Errorf("a run answered %d was stored", r.status)
			}
		}
	}
	if count[http.StatusTemporaryRedirect] == 0 || count[http.StatusRequestEntityTooLarge] == 0 || count[http.StatusOK] == 0 {
		t.Errorf("outcomes %v, want redirects, 413s and successes", count)
	}
	if stored != count[http.StatusOK] {
		t.Errorf("%d stored, %d answered 200 (slow bodies included)", stored, count[http.StatusOK])
	}
	// Slow bodies are faults too, so faults outnumber the refusals.
	if st := srv.Stats(); st.Faults <= 60-count[http.StatusOK] || st.Stored != stored {
		t.Errorf("Stats() = %+v for outcomes %v", st, count)
	}
}

func TestStrictThreads(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithStrictThreads())
	first := minimalRun()
	orphan := minimalRun()
	orphan["previousRunId"] = newV4()
	wantStatus(t, postRun(t, srv, orphan), http.StatusBadRequest, "names no stored run")
	wantStatus(t, postRun(t, srv, first), http.StatusOK)
	second := minimalRun()
	second["previousRunId"] = first["id"]
	wantStatus(t, postRun(t, srv, second), http.StatusOK)
	// A retry of a stored run is still a duplicate, not a refusal.
	wantStatus(t, postRun(t, srv, second), http.StatusOK)
	if st := srv.Stats(); st != (Counts{Requests: 4, Stored: 2, Duplicates: 1, Rejected: 1}) {
		t.Errorf("Stats() = %+v", st)
	}
	// Without the option, the orphan is stored.
	lax := Start(t)
	wantStatus(t, postRun(t, lax, orphan), http.StatusOK)
}
