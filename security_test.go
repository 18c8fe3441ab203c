package gentrace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gentrace/gentrace-go/gentracetest"
)

// The key never appears in what the SDK sends as a payload, in errors, in
// logs, or in %v / %+v / %#v of the public types a program holds.
func TestAPIKeyNeverInPayloadsOrPublicTypes(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t, gentracetest.WithRequiredKey(secretKey))
	var logs bytes.Buffer
	c := backendClient(t, srv, WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	p, _ := c.NewPipeline("secure")
	_, r, _ := p.Start(context.Background(), RunContext{UserID: "u"})
	_ = r.Checkpoint(map[string]any{"q": 1}, "a")
	id, err := r.Submit(context.Background(), WaitForServer())
	if err != nil {
		t.Fatal(err)
	}
	run, _ := srv.Run(id)
	if bytes.Contains(run.Body, []byte(secretKey)) {
		t.Error("payload contains the API key")
	}
	if _, ok := run.Header["Authorization"]; ok {
		t.Error("gentracetest recorded the Authorization header")
	}
	// A refused request: the error and the log must not carry the key.
	srv.FailNext(1, http.StatusUnauthorized)
	_, r2, _ := p.Start(context.Background(), RunContext{})
	_, err = r2.Submit(context.Background(), WaitForServer())
	if err == nil {
		t.Fatal("want an error")
	}
	_, _ = submitOne(t, c, RunContext{PreviousRunID: id})
	_ = c.Flush(context.Background())
	steps := r.Steps()
	for _, s := range []string{
		err.Error(), logs.String(),
		fmt.Sprintf("%v %+v %#v", p, p, p), fmt.Sprintf("%v %+v %#v", r, r, r),
		fmt.Sprintf("%+v", c.Stats()), fmt.Sprintf("%+v", steps),
	} {
		if strings.Contains(s, secretKey) {
			t.Errorf("API key shown in %.200q", s)
		}
	}
}

// Answers are read with a cap: an endless success body is an error, and an
// error body is cut short.
func TestAnswerBodiesAreCapped(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("fail") != "" {
			w.WriteHeader(http.StatusBadRequest)
		}
		_, _ = io.Copy(w, io.LimitReader(zeros{}, 100<<20))
	}))
	defer ts.Close()
	c := offlineClient(t, WithBaseURL(ts.URL+"/api"))
	err := c.transport.do(context.Background(), "GET", "/v1/test-case", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "larger than 64 MiB") {
		t.Errorf("endless answer: %v", err)
	}
	err = c.transport.do(context.Background(), "GET", "/v1/test-case?fail=1", nil, nil)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || len(apiErr.Message) > 300 {
		t.Errorf("error answer: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}
