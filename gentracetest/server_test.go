package gentracetest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestURL(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") && !strings.HasPrefix(srv.URL, "http://[::1]:") {
		t.Errorf("URL %q is not on loopback", srv.URL)
	}
	if !strings.HasSuffix(srv.URL, "/api") {
		t.Errorf("URL %q does not end in /api", srv.URL)
	}
	if srv.APIKey != DefaultAPIKey {
		t.Errorf("APIKey = %q, want %q", srv.APIKey, DefaultAPIKey)
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithRequiredKey("sekret-key"))
	for _, tc := range []struct {
		name   string
		header string // "" sends none
		status int
		want   string
	}{
		{"valid", "Bearer sekret-key", http.StatusOK, ""},
		{"scheme case-insensitive", "bearer sekret-key", http.StatusOK, ""},
		{"missing", "", http.StatusUnauthorized, "missing Authorization header"},
		{"basic scheme", "Basic c2VrcmV0LWtleQ==", http.StatusUnauthorized, "Bearer scheme"},
		{"no key", "Bearer", http.StatusUnauthorized, "Bearer scheme"},
		{"wrong key", "Bearer other-key", http.StatusUnauthorized, "invalid API key"},
		{"default key", "Bearer " + DefaultAPIKey, http.StatusUnauthorized, "invalid API key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/run", strings.NewReader(`{"id":"`+newV4()+`","stepRuns":[]}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			r, err := do(srv.Client(), req)
			if err != nil {
				t.Fatal(err)
			}
			wantStatus(t, r, tc.status, tc.want)
			if tc.status == http.StatusUnauthorized {
				if strings.Contains(string(r.raw), "other-key") || strings.Contains(string(r.raw), "sekret") {
					t.Errorf("401 body %s repeats a key", r.raw)
				}
				if r.header.Get("WWW-Authenticate") != "Bearer" {
					t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
				}
			}
		})
	}
}

func TestInvalidOption(t *testing.T) {
	t.Parallel()
	if _, err := newServer([]Option{WithRequiredKey("")}); err == nil || !strings.Contains(err.Error(), "empty API key") {
		t.Errorf("newServer(WithRequiredKey(\"\")) error = %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("NewServer(WithRequiredKey(\"\")) did not panic")
		}
	}()
	NewServer(WithRequiredKey(""))
}

func TestRouting(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	run := `{"id":"` + newV4() + `","stepRuns":[]}`
	for _, tc := range []struct {
		name, method, path string
		contentType        string
		status             int
		want               string
	}{
		{"unknown path", http.MethodGet, "/v1/pipelines", "", http.StatusNotFound, "no route for GET /api/v1/pipelines"},
		{"outside api", http.MethodPost, "/../v1/run", "application/json", http.StatusNotFound, "no route"},
		{"wrong method", http.MethodGet, "/v1/run", "", http.StatusMethodNotAllowed, "want POST"},
		{"text body", http.MethodPost, "/v1/run", "text/plain", http.StatusUnsupportedMediaType, `Content-Type must be application/json, got "text/plain"`},
		{"no content type", http.MethodPost, "/v1/run", "", http.StatusUnsupportedMediaType, "Content-Type must be application/json"},
		{"charset allowed", http.MethodPost, "/v1/run", "application/json; charset=utf-8", http.StatusOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(run))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+srv.APIKey)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			r, err := do(srv.Client(), req)
			if err != nil {
				t.Fatal(err)
			}
			wantStatus(t, r, tc.status, tc.want)
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		opts  []Option
		limit int
	}{
		{"default limit", nil, DefaultMaxBodyBytes},
		{"WithMaxBodyBytes", []Option{WithMaxBodyBytes(1000)}, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := Start(t, tc.opts...)
			r := postRun(t, srv, make([]byte, tc.limit+1))
			wantStatus(t, r, http.StatusRequestEntityTooLarge,
				fmt.Sprintf("request body of %d bytes is larger than the limit of %d bytes", tc.limit+1, tc.limit))
			if st := srv.Stats(); st.Requests != 1 || st.Rejected != 1 {
				t.Errorf("Stats() = %+v", st)
			}
		})
	}
	for _, n := range []int{0, -1, DefaultMaxBodyBytes + 1} {
		if _, err := newServer([]Option{WithMaxBodyBytes(n)}); err == nil {
			t.Errorf("WithMaxBodyBytes(%d) accepted", n)
		}
	}
}

func TestWaitForRuns(t *testing.T) {
	t.Parallel()
	t.Run("arrive later", func(t *testing.T) {
		t.Parallel()
		srv := Start(t)
		done := make(chan error, 1)
		go func() { done <- srv.WaitForRuns(t.Context(), 3) }()
		// WaitForRuns must return only once the third run is stored.
		for i := range 3 {
			select {
			case err := <-done:
				t.Fatalf("WaitForRuns returned %v after %d runs", err, i)
			default:
			}
			wantStatus(t, postRun(t, srv, minimalRun()), http.StatusOK)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("already there", func(t *testing.T) {
		t.Parallel()
		srv := Start(t)
		wantStatus(t, postRun(t, srv, minimalRun()), http.StatusOK)
		if err := srv.WaitForRuns(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		t.Parallel()
		srv := Start(t)
		wantStatus(t, postRun(t, srv, minimalRun()), http.StatusOK)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := srv.WaitForRuns(ctx, 2)
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "waiting for 2 runs, 1 stored") {
			t.Errorf("WaitForRuns error = %v", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		t.Parallel()
		srv := NewServer()
		done := make(chan error, 1)
		go func() { done <- srv.WaitForRuns(context.Background(), 1) }()
		srv.Close()
		if err := <-done; !errors.Is(err, ErrClosed) {
			t.Errorf("WaitForRuns error = %v, want ErrClosed", err)
		}
		srv.Close() // idempotent
	})
}

func TestReset(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	run := minimalRun()
	wantStatus(t, postRun(t, srv, run), http.StatusOK)
	wantStatus(t, postRun(t, srv, `{`), http.StatusBadRequest)
	srv.AddTestCases("p", Case{Name: "c"})
	srv.FailNext(1, http.StatusInternalServerError)
	srv.SetDelay(time.Hour)
	srv.SetDown(true)

	srv.Reset()
	if st := srv.Stats(); st != (Counts{}) {
		t.Errorf("Stats() after Reset = %+v", st)
	}
	if len(srv.Runs()) != 0 || len(srv.TestResults()) != 0 {
		t.Error("records survive Reset")
	}
	// Faults are gone and the same run id is new again.
	wantStatus(t, postRun(t, srv, run), http.StatusOK)
	wantStatus(t, mustSend(t, srv, http.MethodGet, "/v1/test-case?pipelineSlug=p", nil), http.StatusNotFound)
	if st := srv.Stats(); st.Stored != 1 || st.Duplicates != 0 {
		t.Errorf("Stats() = %+v", st)
	}
}
