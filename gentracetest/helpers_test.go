package gentracetest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// response is what a test request got back.
type response struct {
	status int
	header http.Header
	raw    []byte
	json   map[string]any
}

func (r response) message() string {
	m, _ := r.json["message"].(string)
	return m
}

// send makes a request to srv with its API key. body is sent as is when it
// is a string or []byte, and marshalled otherwise; nil sends no body.
func send(t testing.TB, srv *Server, method, path string, body any) (response, error) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+srv.APIKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return do(srv.Client(), req)
}

func do(client *http.Client, req *http.Request) (response, error) {
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	r := response{status: resp.StatusCode, header: resp.Header}
	if r.raw, err = io.ReadAll(resp.Body); err != nil {
		return response{}, err
	}
	if len(r.raw) > 0 {
		if err := json.Unmarshal(r.raw, &r.json); err != nil {
			return response{}, err
		}
	}
	return r, nil
}

// mustSend is send for requests that must get an answer.
func mustSend(t testing.TB, srv *Server, method, path string, body any) response {
	t.Helper()
	r, err := send(t, srv, method, path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func postRun(t testing.TB, srv *Server, body any) response {
	t.Helper()
	return mustSend(t, srv, http.MethodPost, "/v1/run", body)
}

// wantStatus fails t unless r has the given status; for errors it also
// wants a message that contains every one of msgs.
func wantStatus(t testing.TB, r response, status int, msgs ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	if status >= 400 && r.message() == "" {
		t.Fatalf("error body %s has no message", r.raw)
	}
	for _, m := range msgs {
		if !strings.Contains(r.message(), m) {
			t.Errorf("message %q does not contain %q", r.message(), m)
		}
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// validRun returns testdata/run.json decoded, with a fresh id and
// previousRunId so that runs made from it never collide.
func validRun(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readTestdata(t, "run.json"), &m); err != nil {
		t.Fatal(err)
	}
	m["id"] = uuid.NewString()
	m["previousRunId"] = uuid.NewString()
	return m
}

// minimalRun is the smallest run the contract allows.
func minimalRun() map[string]any {
	return map[string]any{"id": uuid.NewString(), "stepRuns": []any{}}
}

func newV4() string { return uuid.NewString() }

type statusError struct{ r response }

func (e *statusError) Error() string {
	return "status " + http.StatusText(e.r.status) + ": " + string(e.r.raw)
}
