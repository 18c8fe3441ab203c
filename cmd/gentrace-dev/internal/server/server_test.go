package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheckAddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr   string
		remote bool
		key    string
		want   error
	}{
		{"127.0.0.1:8787", false, "", nil},
		{"localhost:0", false, "", nil},
		{"[::1]:8787", false, "", nil},
		{"127.3.4.5:1", false, "", nil},
		{"0.0.0.0:8787", false, "k", ErrRemoteNeedsFlag},
		{":8787", false, "", ErrRemoteNeedsFlag},
		{"192.168.1.10:8787", false, "", ErrRemoteNeedsFlag},
		{"0.0.0.0:8787", true, "", ErrRemoteNeedsKey},
		{"0.0.0.0:8787", true, "k", nil},
	} {
		if err := CheckAddr(tc.addr, tc.remote, tc.key); !errors.Is(err, tc.want) {
			t.Errorf("CheckAddr(%q, %v, %q) = %v, want %v", tc.addr, tc.remote, tc.key, err, tc.want)
		}
	}
	if err := CheckAddr("nonsense", false, ""); err == nil {
		t.Error("CheckAddr(nonsense) = nil")
	}
}

func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	cfg.DB = filepath.Join(t.TempDir(), "dev.db")
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return s
}

func request(t *testing.T, method, url string, header map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestServes(t *testing.T) {
	t.Parallel()
	s := startServer(t, Config{})
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %s", s.URL)
	}
	run := `{"id":"6f9619ff-8b86-4d11-b42d-00c04fc964ff","slug":"p","stepRuns":[]}`
	resp, body := request(t, http.MethodPost, s.URL+"/api/v1/run", map[string]string{"Authorization": "Bearer x", "Content-Type": "application/json"}, run)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "6f9619ff") {
		t.Fatalf("POST run: %d %s", resp.StatusCode, body)
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'", IdentityHeader: "1"} {
		if resp.Header.Get(k) != v {
			t.Errorf("API %s = %q, want %q", k, resp.Header.Get(k), v)
		}
	}
	resp, body = request(t, http.MethodGet, s.URL+"/", nil, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "6f9619ff") {
		t.Errorf("GET /: %d", resp.StatusCode)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get(IdentityHeader) != "1" {
		t.Errorf("page headers = %v", resp.Header)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("the page sends CORS headers")
	}
}

func TestLoopbackHostsOnly(t *testing.T) {
	t.Parallel()
	s := startServer(t, Config{AllowedHosts: []string{"dev.internal"}})
	for host, want := range map[string]int{
		"127.0.0.1":              http.StatusOK,
		"localhost:8787":         http.StatusOK,
		"[::1]:1":                http.StatusOK,
		"dev.internal:8787":      http.StatusOK,
		"evil.example":           http.StatusMisdirectedRequest,
		"evil.example:8787":      http.StatusMisdirectedRequest,
		"127.0.0.1.evil.example": http.StatusMisdirectedRequest,
	} {
		resp, _ := request(t, http.MethodGet, s.URL+"/", map[string]string{"Host": host}, "")
		if resp.StatusCode != want {
			t.Errorf("Host %q: %d, want %d", host, resp.StatusCode, want)
		}
	}
}

func TestRemoteNeedsFlagAndKey(t *testing.T) {
	t.Parallel()
	if _, err := Start(t.Context(), Config{Addr: "0.0.0.0:0", DB: filepath.Join(t.TempDir(), "x.db")}); !errors.Is(err, ErrRemoteNeedsFlag) {
		t.Errorf("Start on 0.0.0.0 = %v", err)
	}
	if _, err := Start(t.Context(), Config{Addr: "0.0.0.0:0", AllowRemote: true, DB: filepath.Join(t.TempDir(), "x.db")}); !errors.Is(err, ErrRemoteNeedsKey) {
		t.Errorf("Start with -allow-remote and no key = %v", err)
	}
}

func TestRemoteViewerAsksForKey(t *testing.T) {
	t.Parallel()
	// Listening on loopback with AllowRemote behaves as a remote server
	// would, without opening a port beyond this machine.
	s := startServer(t, Config{AllowRemote: true, APIKey: "sekret"})
	resp, _ := request(t, http.MethodGet, s.URL+"/", nil, "")
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("no credentials: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/", nil)
	req.SetBasicAuth("me", "wrong")
	if r, _ := http.DefaultClient.Do(req); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", r.StatusCode)
	}
	req.SetBasicAuth("me", "sekret")
	if r, _ := http.DefaultClient.Do(req); r.StatusCode != http.StatusOK {
		t.Errorf("right password: %d", r.StatusCode)
	}
	// The API takes only the key, and any Host.
	resp, _ = request(t, http.MethodPost, s.URL+"/api/v1/run", map[string]string{"Authorization": "Bearer other", "Content-Type": "application/json", "Host": "box.lan"}, `{}`)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("API with another key: %d", resp.StatusCode)
	}
}
