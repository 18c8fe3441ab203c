package exampleenv

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDevViewer(t *testing.T) {
	t.Parallel()
	dev := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Gentrace-Dev", "1")
	}))
	defer dev.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer other.Close()
	for _, tc := range []struct {
		base, want string
	}{
		{dev.URL + "/api", dev.URL},
		{strings.Replace(dev.URL, "127.0.0.1", "localhost", 1) + "/api/", strings.Replace(dev.URL, "127.0.0.1", "localhost", 1)},
		{other.URL + "/api", ""},
		{"https://gentrace.ai/api", ""}, // never asked: not loopback
		{"::nonsense", ""},
	} {
		if got := DevViewer(tc.base); got != tc.want {
			t.Errorf("DevViewer(%q) = %q, want %q", tc.base, got, tc.want)
		}
	}
}
