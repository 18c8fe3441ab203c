package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/cmd/gentrace-dev/internal/store"
	"github.com/gentrace/gentrace-go/internal/contract/contracttest"
	"github.com/google/uuid"
)

// start serves the API over a store on file (a new one when "") and
// returns the base URL ending in /api.
func start(t *testing.T, file string, cfg Config) (string, *store.Store) {
	t.Helper()
	if file == "" {
		file = filepath.Join(t.TempDir(), "dev.db")
	}
	s, err := store.Open(t.Context(), file)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store = s
	srv := httptest.NewServer(New(cfg))
	t.Cleanup(func() { srv.Close(); s.Close() })
	return srv.URL + "/api", s
}

// TestContract runs the contract suite that gentracetest passes too.
func TestContract(t *testing.T) {
	t.Parallel()
	url, s := start(t, "", Config{})
	contracttest.Run(t, contracttest.Backend{
		URL:    url,
		APIKey: "any-key",
		AddTestCases: func(t testing.TB, slug string, ids ...string) {
			cases := make([]store.NewTestCase, len(ids))
			for i, id := range ids {
				cases[i] = store.NewTestCase{ID: id, Name: "case " + id[:8]}
			}
			if _, err := s.AddTestCases(t.Context(), slug, cases, time.Now()); err != nil {
				t.Fatal(err)
			}
		},
	})
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func send(t *testing.T, method, url, key, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("answer %q: %v", raw, err)
	}
	return a
}

func minimalRun() string { return `{"id":"` + uuid.NewString() + `","stepRuns":[]}` }

func TestAuth(t *testing.T) {
	t.Parallel()
	anyURL, _ := start(t, "", Config{})
	oneURL, _ := start(t, "", Config{APIKey: "sekret-key"})
	for _, tc := range []struct {
		name   string
		url    string
		header string
		status int
		want   string
	}{
		{"any key: some key", anyURL, "Bearer whatever", http.StatusOK, ""},
		{"any key: none", anyURL, "", http.StatusUnauthorized, "missing Authorization header"},
		{"any key: empty key", anyURL, "Bearer ", http.StatusUnauthorized, "Bearer scheme"},
		{"any key: basic", anyURL, "Basic eDp5", http.StatusUnauthorized, "Bearer scheme"},
		{"given key: right", oneURL, "Bearer sekret-key", http.StatusOK, ""},
		{"given key: scheme case", oneURL, "bearer sekret-key", http.StatusOK, ""},
		{"given key: wrong", oneURL, "Bearer other-key", http.StatusUnauthorized, "invalid API key"},
		{"given key: none", oneURL, "", http.StatusUnauthorized, "missing Authorization header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := send(t, http.MethodPost, tc.url+"/v1/run", tc.header, minimalRun())
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %v", a.status, tc.status, a.body)
			}
			msg, _ := a.body["message"].(string)
			if !strings.Contains(msg, tc.want) || strings.Contains(msg, "sekret") || strings.Contains(msg, "other-key") {
				t.Errorf("message %q, want one containing %q and no key", msg, tc.want)
			}
			if tc.status == http.StatusUnauthorized && a.header.Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("WWW-Authenticate = %q", a.header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestBodyCap(t *testing.T) {
	t.Parallel()
	url, _ := start(t, "", Config{MaxBodyBytes: 1000})
	big := `{"id":"` + uuid.NewString() + `","stepRuns":[],"error":"` + strings.Repeat("x", 1000) + `"}`
	a := send(t, http.MethodPost, url+"/v1/run", "Bearer k", big)
	if msg, _ := a.body["message"].(string); a.status != http.StatusRequestEntityTooLarge || !strings.Contains(msg, "too large") {
		t.Errorf("oversized body: %d %v", a.status, a.body)
	}
	if a := send(t, http.MethodPost, url+"/v1/run", "Bearer k", minimalRun()); a.status != http.StatusOK {
		t.Errorf("small body: %d %v", a.status, a.body)
	}
}

func TestNoCORS(t *testing.T) {
	t.Parallel()
	url, _ := start(t, "", Config{})
	req, _ := http.NewRequest(http.MethodOptions, url+"/v1/run", nil)
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 {
		t.Errorf("preflight answered %d", resp.StatusCode)
	}
	for k := range resp.Header {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("preflight answer has %s", k)
		}
	}
}

func TestCreateTestCases(t *testing.T) {
	t.Parallel()
	url, _ := start(t, "", Config{})
	a := send(t, http.MethodPost, url+"/v1/test-case", "Bearer k", `{"pipelineSlug":"p","name":"one","inputs":{"q":1},"expectedOutputs":{"a":2}}`)
	caseID, _ := a.body["caseId"].(string)
	if a.status != http.StatusOK || uuid.Validate(caseID) != nil {
		t.Fatalf("single: %d %v", a.status, a.body)
	}
	a = send(t, http.MethodPost, url+"/v1/test-case", "Bearer k", `{"pipelineSlug":"p","testCases":[{"name":"two","inputs":{}},{"name":"three","inputs":{"x":[1]}}]}`)
	if a.status != http.StatusOK || a.body["creationCount"] != 2.0 {
		t.Fatalf("many: %d %v", a.status, a.body)
	}
	a = send(t, http.MethodPost, url+"/v1/test-case", "Bearer k", `{"pipelineSlug":"p","testCases":[{"name":"","inputs":{}}]}`)
	if a.status != http.StatusBadRequest || !strings.Contains(a.body["message"].(string), "testCases[0].name must not be empty") {
		t.Fatalf("invalid: %d %v", a.status, a.body)
	}
	a = send(t, http.MethodGet, url+"/v1/test-case?pipelineSlug=p", "Bearer k", "")
	cases, _ := a.body["testCases"].([]any)
	if a.status != http.StatusOK || len(cases) != 3 {
		t.Fatalf("GET: %d %v", a.status, a.body)
	}
	first := cases[0].(map[string]any)
	if first["id"] != caseID || first["name"] != "one" || first["expectedOutputs"].(map[string]any)["a"] != 2.0 ||
		cases[1].(map[string]any)["expectedOutputs"] != nil {
		t.Errorf("test cases = %v", cases)
	}
	// A test result can now name them.
	body := `{"pipelineSlug":"p","testRuns":[{"caseId":"` + caseID + `","inputs":{"q":1},"outputs":{"a":2}}]}`
	if a := send(t, http.MethodPost, url+"/v1/test-result-simple", "Bearer k", body); a.status != http.StatusOK {
		t.Errorf("test result: %d %v", a.status, a.body)
	}
	a = send(t, http.MethodPut, url+"/v1/test-case", "Bearer k", "")
	if a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != "GET, POST" {
		t.Errorf("PUT: %d, Allow %q", a.status, a.header.Get("Allow"))
	}
}

// TestPersistenceAndDedup stores runs, restarts the server on the same
// file, and checks that they are still there and still deduplicated.
func TestPersistenceAndDedup(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "dev.db")
	url, s := start(t, file, Config{})
	first := uuid.NewString()
	body := `{"id":"` + first + `","slug":"p","stepRuns":[{"providerName":"a","invocation":"b","modelParams":{},"inputs":{},
		"outputs":{"value":1},"elapsedTime":5,"startTime":"2025-01-01T00:00:00.000Z","endTime":"2025-01-01T00:00:00.005Z"}]}`
	for range 3 {
		if a := send(t, http.MethodPost, url+"/v1/run", "Bearer k", body); a.status != http.StatusOK || a.body["pipelineRunId"] != first {
			t.Fatalf("post: %d %v", a.status, a.body)
		}
	}
	second := `{"id":"` + uuid.NewString() + `","previousRunId":"` + first + `","stepRuns":[]}`
	if a := send(t, http.MethodPost, url+"/v1/run", "Bearer k", second); a.status != http.StatusOK {
		t.Fatalf("second: %d %v", a.status, a.body)
	}
	s.Close()

	url2, s2 := start(t, file, Config{})
	if a := send(t, http.MethodPost, url2+"/v1/run", "Bearer k", body); a.status != http.StatusOK {
		t.Fatalf("retry after restart: %d %v", a.status, a.body)
	}
	// The thread rule holds across the restart too.
	fork := `{"id":"` + uuid.NewString() + `","previousRunId":"` + first + `","stepRuns":[]}`
	if a := send(t, http.MethodPost, url2+"/v1/run", "Bearer k", fork); a.status != http.StatusBadRequest {
		t.Fatalf("fork after restart: %d %v", a.status, a.body)
	}
	page, err := s2.ListRuns(t.Context(), store.Filter{}, nil, nil, 10)
	if err != nil || len(page.Runs) != 2 {
		t.Fatalf("after restart: %d runs, %v; want 2", len(page.Runs), err)
	}
	d, ok, err := s2.Run(t.Context(), first)
	if err != nil || !ok || len(d.Steps) != 1 || !bytes.Equal(d.Steps[0].Outputs, []byte(`{"value":1}`)) || d.ThreadTurns != 2 {
		t.Errorf("run after restart = %+v, %v, %v", d, ok, err)
	}
}
