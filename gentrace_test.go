package gentrace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/gentrace/gentrace-go/gentracetest"
)

const secretKey = "sk-very-secret-key-123"

func TestNewConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		opts    []Option
		wantErr error
		problem string
	}{
		{"missing key", nil, nil, ErrMissingAPIKey, "GENTRACE_API_KEY"},
		{"blank key option", map[string]string{"GENTRACE_API_KEY": "k"}, []Option{WithAPIKey(" ")}, ErrMissingAPIKey, "missing"},
		{"base URL path", nil, []Option{WithAPIKey("k"), WithBaseURL("https://gentrace.ai/v1")}, ErrInvalidBaseURL, `path is "/v1"`},
		{"base URL without path", nil, []Option{WithAPIKey("k"), WithBaseURL("https://gentrace.ai")}, ErrInvalidBaseURL, `want "/api"`},
		{"base URL relative", nil, []Option{WithAPIKey("k"), WithBaseURL("/api")}, ErrInvalidBaseURL, "absolute"},
		{"base URL scheme", nil, []Option{WithAPIKey("k"), WithBaseURL("ftp://gentrace.ai/api")}, ErrInvalidBaseURL, "http or https"},
		{"base URL from env", map[string]string{"GENTRACE_BASE_URL": "https://x.test/api/v2"}, []Option{WithAPIKey("k")}, ErrInvalidBaseURL, `"/api/v2"`},
		{"base URL with query", nil, []Option{WithAPIKey("k"), WithBaseURL("https://x.test/api?debug=1")}, ErrInvalidBaseURL, "query"},
		// An empty configured value must not mean production.
		{"empty base URL option", nil, []Option{WithAPIKey("k"), WithBaseURL("")}, ErrInvalidBaseURL, `WithBaseURL("")`},
		{"empty base URL option over env", map[string]string{"GENTRACE_BASE_URL": "http://127.0.0.1:1/api"}, []Option{WithAPIKey("k"), WithBaseURL("")}, ErrInvalidBaseURL, `WithBaseURL("")`},
		{"run cap", nil, []Option{WithAPIKey("k"), WithMaxRunBytes(100)}, ErrInvalidOption, "WithMaxRunBytes(100)"},
		{"queue bytes", nil, []Option{WithAPIKey("k"), WithQueueBytes(0)}, ErrInvalidOption, "WithQueueBytes(0)"},
		{"queue bytes below run cap", nil, []Option{WithAPIKey("k"), WithQueueBytes(MinRunBytes)}, ErrInvalidOption, "below the run cap"},
		{"empty spool dir", nil, []Option{WithAPIKey("k"), WithSpool("")}, ErrInvalidOption, `WithSpool("")`},
		{"spool bytes below run cap", nil, []Option{WithAPIKey("k"), WithSpool("x"), WithSpoolMaxBytes(10)}, ErrInvalidOption, "below the run cap"},
		{"queue size", nil, []Option{WithAPIKey("k"), WithQueueSize(0)}, ErrInvalidOption, "WithQueueSize(0)"},
		{"workers", nil, []Option{WithAPIKey("k"), WithWorkers(-1)}, ErrInvalidOption, "WithWorkers(-1)"},
		{"retry bounds", nil, []Option{WithAPIKey("k"), WithRetry(3, 0, 1)}, ErrInvalidOption, "WithRetry"},
		{"nil logger", nil, []Option{WithAPIKey("k"), WithLogger(nil)}, ErrInvalidOption, "WithLogger(nil)"},
		{"nil http client", nil, []Option{WithAPIKey("k"), WithHTTPClient(nil)}, ErrInvalidOption, "WithHTTPClient(nil)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GENTRACE_API_KEY", "")
			t.Setenv("GENTRACE_BASE_URL", "")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := New(tt.opts...)
			if c != nil {
				_ = c.Shutdown(context.Background())
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.problem) {
				t.Fatalf("New() = %v; want %v saying %q", err, tt.wantErr, tt.problem)
			}
		})
	}
}

func TestNewDefaultsFromEnvironment(t *testing.T) {
	t.Setenv("GENTRACE_API_KEY", "env-key")
	t.Setenv("GENTRACE_BASE_URL", "https://self-hosted.example.com/api/")
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown(context.Background())
	if c.BaseURL() != "https://self-hosted.example.com/api/" || c.transport.apiKey != "env-key" {
		t.Errorf("base URL %q, key %q", c.BaseURL(), c.transport.apiKey)
	}
	if c.transport.baseURL != "https://self-hosted.example.com/api" {
		t.Errorf("trailing slash kept: %q", c.transport.baseURL)
	}
	// Explicit options win.
	c2, err := New(WithAPIKey("opt-key"), WithBaseURL("http://127.0.0.1:1/api"))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Shutdown(context.Background())
	if c2.transport.apiKey != "opt-key" || c2.BaseURL() != "http://127.0.0.1:1/api" {
		t.Errorf("options lost to environment: %q %q", c2.transport.apiKey, c2.BaseURL())
	}
	t.Setenv("GENTRACE_BASE_URL", "")
	c3, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Shutdown(context.Background())
	if c3.BaseURL() != DefaultBaseURL {
		t.Errorf("default base URL = %q", c3.BaseURL())
	}
}

func TestAPIKeyNeverShown(t *testing.T) {
	var logs bytes.Buffer
	c := offlineClient(t, WithAPIKey(secretKey), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	// A delivery that fails logs an error.
	if _, err := submitOne(t, c, RunContext{}); err != nil {
		t.Fatal(err)
	}
	_ = c.Flush(context.Background())
	c.Logger().Info("client", "client", c)
	shown := []string{
		fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c),
		fmt.Sprintf("%+v", c.cfg), logs.String(),
	}
	for _, s := range shown {
		if strings.Contains(s, secretKey) {
			t.Errorf("API key shown in %q", s)
		}
	}
	if !strings.Contains(logs.String(), "not delivered") {
		t.Errorf("failed delivery not logged: %q", logs.String())
	}
	if _, err := New(WithAPIKey(secretKey), WithBaseURL("https://u:"+secretKey+"@x.test/nope")); err == nil || strings.Contains(err.Error(), secretKey) {
		t.Errorf("base URL error shows a secret: %v", err)
	}
}

func TestPackageLevelDefault(t *testing.T) {
	if err := Init(); Default() == nil && err == nil {
		t.Error("Init without a key succeeded")
	}
	if err := Init(WithAPIKey("k"), WithBaseURL("http://127.0.0.1:1/api"), WithLogger(slog.New(slog.DiscardHandler))); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = Default().Shutdown(context.Background()) }()
	p, err := Default().NewPipeline("p")
	if err != nil || p.client != Default() || p.Slug() != "p" {
		t.Fatalf("NewPipeline = %v, %v", p, err)
	}
	if err := Default().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestHandleErrorGoesToTheHandlerElseTheLogger(t *testing.T) {
	t.Parallel()
	var got gentracetest.ErrorLog
	c := offlineClient(t, WithErrorHandler(got.Add))
	c.HandleError(errors.New("wrapper failed"))
	if errs := got.Errors(); len(errs) != 1 || errs[0].Error() != "wrapper failed" {
		t.Errorf("handler got %v", errs)
	}
	var logs bytes.Buffer
	c2 := offlineClient(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	c2.HandleError(errors.New("wrapper failed"))
	if !strings.Contains(logs.String(), "wrapper failed") {
		t.Errorf("not logged: %q", logs.String())
	}
}
