package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestRunRefuses(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "dev.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-db", db, "-addr", "0.0.0.0:0"}, "needs -allow-remote"},
		{[]string{"-db", db, "-addr", "0.0.0.0:0", "-allow-remote", "-key="}, "-allow-remote needs -key"},
		{[]string{"-db", db, "extra"}, "unexpected arguments"},
		{[]string{"-nope"}, "flag provided but not defined"},
	} {
		var stdout, stderr syncBuffer
		err := run(t.Context(), tc.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error()+stderr.String(), tc.want) {
			t.Errorf("run(%q) = %v (stderr %q), want %q", tc.args, err, stderr.String(), tc.want)
		}
	}
	var stdout, stderr syncBuffer
	if err := run(t.Context(), []string{"-h"}, &stdout, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	if !strings.Contains(stderr.String(), "-allow-remote") {
		t.Errorf("-h does not list the flags: %s", stderr.String())
	}
}

// TestRunServesUntilCancelled starts the command on a free port, waits for
// its banner, uses it, and stops it as a signal would.
func TestRunServesUntilCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "dev.db"), "-key", "k"}, &stdout, &stderr)
	}()
	re := regexp.MustCompile(`GENTRACE_BASE_URL=(http://\S+/api)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v; stderr %s", err, stderr.String())
		case <-time.After(10 * time.Millisecond): // polling the banner, not timing anything
		}
	}
	if base == "" {
		t.Fatalf("no banner: %q", stdout.String())
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/test-case?pipelineSlug=x", nil)
	req.Header.Set("Authorization", "Bearer k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET test cases of an unknown pipeline: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run after cancel = %v", err)
	}
	if !strings.Contains(stdout.String(), "shutting down") || !strings.Contains(stdout.String(), "the key given with -key") {
		t.Errorf("stdout = %q", stdout.String())
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}
