package gentrace

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/gentracetest"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1", time.Second, true},
		{" 3 ", 3 * time.Second, true},
		{"0", 0, true},
		{"86400", maxRetryAfter, true},
		{"99999999999999999999", maxRetryAfter, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{now.Add(time.Hour).Format(http.TimeFormat), maxRetryAfter, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoffIsCappedJitteredAndHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	min, max := 100*time.Millisecond, 2*time.Second
	for attempt := range 40 {
		want := max
		if attempt < 5 {
			want = min << attempt
		}
		for range 20 {
			d := backoff(min, max, attempt, nil)
			if d < want/2 || d > want {
				t.Fatalf("attempt %d: backoff %v outside [%v, %v]", attempt, d, want/2, want)
			}
		}
	}
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"7"}}}
	if d := backoff(min, max, 0, resp); d != 7*time.Second {
		t.Errorf("429 with Retry-After 7: waited %v", d)
	}
	resp = &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"junk"}}}
	if d := backoff(min, max, 0, resp); d > min {
		t.Errorf("unparsable Retry-After: waited %v, want the backoff", d)
	}
}

// The redirect policy: only a GET follows a redirect, and only to the same
// scheme, host and port (default ports included), so that the key never
// leaves for another origin or for clear text.
func TestCheckRedirect(t *testing.T) {
	t.Parallel()
	req := func(method, raw string) *http.Request {
		r, err := http.NewRequest(method, raw, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name   string
		method string
		from   string
		to     string
		via    int
		follow bool
	}{
		{"GET same origin", "GET", "https://gentrace.ai/api/v1/test-case", "https://gentrace.ai/api/v1/test-case/", 1, true},
		{"GET default port spelled out", "GET", "https://gentrace.ai/api/x", "https://gentrace.ai:443/api/y", 1, true},
		{"GET https to http on the same host and port", "GET", "https://h.test:8443/api/x", "http://h.test:8443/api/x", 1, false},
		{"GET https to http default ports", "GET", "https://h.test/api/x", "http://h.test/api/x", 1, false},
		{"GET other host", "GET", "https://gentrace.ai/api/x", "https://evil.test/api/x", 1, false},
		{"GET other port", "GET", "http://127.0.0.1:1000/api/x", "http://127.0.0.1:1001/api/x", 1, false},
		{"GET too many", "GET", "https://gentrace.ai/api/x", "https://gentrace.ai/api/y", maxRedirects, false},
		{"POST same origin", "POST", "https://gentrace.ai/api/v1/run", "https://gentrace.ai/api/v1/run/", 1, false},
		{"POST http to https", "POST", "http://gentrace.ai/api/v1/run", "https://gentrace.ai/api/v1/run", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			via := []*http.Request{req(tt.method, tt.from)}
			for len(via) < tt.via {
				via = append(via, req("GET", tt.from))
			}
			// net/http turns a POST into a GET on 301/302/303: the policy
			// must look at the first request, not at the new one.
			err := checkRedirect(req("GET", tt.to), via)
			if followed := err == nil; followed != tt.follow {
				t.Errorf("checkRedirect = %v, want follow = %v", err, tt.follow)
			}
			if err != nil && !errors.Is(err, http.ErrUseLastResponse) {
				t.Errorf("checkRedirect = %v, want http.ErrUseLastResponse so the 3xx itself is returned", err)
			}
		})
	}
}

// A redirect answer to POST /v1/run is never followed: the run is not
// counted as delivered, the error is an *APIError naming the Location,
// reported once and not retried.
func TestRunRedirectIsAnErrorNotRetried(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			srv := gentracetest.Start(t)
			var log gentracetest.ErrorLog
			c := backendClient(t, srv, WithErrorHandler(log.Add))
			// The http API moved to https on the same host.
			srv.RedirectNext(1, status, "")
			_, err := submitOne(t, c, RunContext{}, WaitForServer())
			var apiErr *APIError
			ok := errors.As(err, &apiErr)
			wantLoc := "https://" + strings.TrimPrefix(srv.URL, "http://") + "/v1/run"
			if !ok || apiErr.StatusCode != status || apiErr.Location != wantLoc || !strings.Contains(err.Error(), wantLoc) {
				t.Fatalf("Submit = %v, want an *APIError %d naming %s", err, status, wantLoc)
			}
			// Without waiting: reported once.
			srv.RedirectNext(1, status, "https://elsewhere.test/api/v1/run")
			if _, err := submitOne(t, c, RunContext{}); err != nil {
				t.Fatal(err)
			}
			if err := c.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			errs := log.Errors()
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), "elsewhere.test") {
				t.Errorf("reported %v, want the redirect once", errs)
			}
			if st := srv.Stats(); st.Requests != 2 || st.Stored != 0 {
				t.Errorf("server saw %+v; want 2 requests (no retry, nothing followed), nothing stored", st)
			}
			if st := c.Stats(); st.Delivered != 0 || st.Failed != 2 || st.Retried != 0 {
				t.Errorf("client stats %+v; want 2 failed, none delivered or retried", st)
			}
		})
	}
}

// A GET follows a redirect to the same origin with its key, and refuses
// one to another origin at once, without retrying and without sending the
// key there; a client given with WithHTTPClient gets the same policy.
func TestGetRedirects(t *testing.T) {
	t.Parallel()
	var leaked atomic.Value
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		leaked.Store(r.Header.Get("Authorization"))
		fmt.Fprint(w, `{"testCases":[]}`)
	}))
	defer other.Close()
	var redirects atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/test-case", func(w http.ResponseWriter, r *http.Request) {
		redirects.Add(1)
		switch r.URL.Query().Get("pipelineSlug") {
		case "same":
			http.Redirect(w, r, "/api/v1/moved?pipelineSlug=same", http.StatusFound)
		default:
			http.Redirect(w, r, other.URL+"/api/v1/test-case", http.StatusTemporaryRedirect)
		}
	})
	mux.HandleFunc("/api/v1/moved", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer test-key" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"testCases":[{"id":"c1","name":"moved"}]}`)
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()
	follows := &http.Client{} // follows every redirect by default
	for name, opts := range map[string][]Option{
		"own client":  nil,
		"user client": {WithHTTPClient(follows)},
	} {
		t.Run(name, func(t *testing.T) {
			redirects.Store(0)
			c := offlineClient(t, append([]Option{WithBaseURL(ts.URL + "/api"), WithRetry(5, time.Millisecond, time.Millisecond)}, opts...)...)
			cases, err := c.GetTestCases(context.Background(), "same")
			if err != nil || len(cases) != 1 || cases[0].Name != "moved" {
				t.Fatalf("same-origin redirect: %v, %v", cases, err)
			}
			_, err = c.GetTestCases(context.Background(), "other")
			if apiErr := (*APIError)(nil); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTemporaryRedirect || !strings.HasPrefix(apiErr.Location, other.URL) {
				t.Fatalf("cross-origin redirect: %v, want a 307 *APIError naming %s", err, other.URL)
			}
			if n := redirects.Load(); n != 2 {
				t.Errorf("redirector saw %d requests, want 2 (the refused redirect is not retried)", n)
			}
		})
	}
	if otherHits.Load() != 0 {
		t.Errorf("the other origin was reached %d times (Authorization %q)", otherHits.Load(), leaked.Load())
	}
	if follows.CheckRedirect != nil {
		t.Error("the caller's http.Client was modified")
	}
}
