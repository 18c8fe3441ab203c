// Package server puts gentrace-dev together: it opens the store, serves the
// API under /api/ and the viewer everywhere else, and enforces the rules
// that keep a local server local.
//
//   - It listens on a loopback address unless told otherwise with
//     Config.AllowRemote, which also needs Config.APIKey. A remote viewer
//     then asks for that key as the password of HTTP basic authentication.
//   - On loopback it answers only requests whose Host is a loopback name or
//     address (or one of Config.AllowedHosts), so that a web page cannot
//     reach it through DNS rebinding.
//   - It sends no CORS headers, so pages of other origins cannot call the
//     API from a browser, and every answer forbids MIME sniffing, referrers
//     and framing by other origins.
package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gentrace/gentrace-go/cmd/gentrace-dev/internal/api"
	"github.com/gentrace/gentrace-go/cmd/gentrace-dev/internal/store"
	"github.com/gentrace/gentrace-go/cmd/gentrace-dev/internal/viewer"
)

// DefaultAddr is where gentrace-dev listens unless told otherwise.
const DefaultAddr = "127.0.0.1:8787"

// Config configures a Server.
type Config struct {
	// Addr is the host:port to listen on; DefaultAddr when empty. Port 0
	// picks a free port.
	Addr string
	// DB is the SQLite file. Required.
	DB string
	// APIKey, when set, is the only bearer key the API accepts; otherwise
	// any key is.
	APIKey string
	// AllowRemote allows a non-loopback Addr. It requires APIKey.
	AllowRemote bool
	// AllowedHosts are further Host header values (host names without
	// port) accepted on loopback, for a proxy or a name in /etc/hosts.
	AllowedHosts []string
	// MaxBodyBytes caps API request bodies; 0 means api.DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Logger receives the server's diagnostics; nil means slog.Default().
	Logger *slog.Logger
	// Now is the server's clock; nil means time.Now.
	Now func() time.Time
}

// ErrRemoteNeedsFlag and ErrRemoteNeedsKey refuse to listen beyond
// loopback without both an explicit flag and a key.
var (
	ErrRemoteNeedsFlag = errors.New("gentrace-dev: a non-loopback address needs -allow-remote (and -key)")
	ErrRemoteNeedsKey  = errors.New("gentrace-dev: -allow-remote needs -key, so that only holders of the key can send runs and see them")
)

// CheckAddr applies the listening rule to addr: a loopback IP address or
// "localhost" is always allowed; anything else (including an empty host,
// which means every interface) needs allowRemote and a key.
func CheckAddr(addr string, allowRemote bool, key string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("gentrace-dev: address %q: %w", addr, err)
	}
	if isLoopback(host) {
		return nil
	}
	if !allowRemote {
		return fmt.Errorf("%w: %q", ErrRemoteNeedsFlag, addr)
	}
	if key == "" {
		return ErrRemoteNeedsKey
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// A Server is a running gentrace-dev.
type Server struct {
	// URL is the viewer's address, such as http://127.0.0.1:8787; the API
	// base URL to give the SDK is URL + "/api".
	URL string

	store *store.Store
	http  *http.Server
	done  chan error
}

// Start opens the store, listens and serves in the background until
// Shutdown.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := CheckAddr(cfg.Addr, cfg.AllowRemote, cfg.APIKey); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	h, err := Handler(st, cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("gentrace-dev: %w", err)
	}
	s := &Server{
		URL:   "http://" + ln.Addr().String(),
		store: st,
		http: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       time.Minute,
			WriteTimeout:      time.Minute,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		},
		done: make(chan error, 1),
	}
	go func() { s.done <- s.http.Serve(ln) }()
	return s, nil
}

// Store returns the server's store, for tests and benchmarks that seed it.
func (s *Server) Store() *store.Store { return s.store }

// Shutdown stops accepting requests, waits for those in flight until ctx
// ends, then closes the store.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	if serveErr := <-s.done; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return errors.Join(err, s.store.Close())
}

// Handler returns gentrace-dev's whole HTTP handler over st.
func Handler(st *store.Store, cfg Config) (http.Handler, error) {
	v, err := viewer.New(viewer.Config{Store: st, Logger: cfg.Logger, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	a := api.New(api.Config{Store: st, APIKey: cfg.APIKey, MaxBodyBytes: cfg.MaxBodyBytes, Logger: cfg.Logger, Now: cfg.Now})
	var pages http.Handler = v
	if cfg.AllowRemote {
		pages = basicAuth(cfg.APIKey, v)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", a)
	mux.Handle("/", pages)
	var h http.Handler = mux
	if !cfg.AllowRemote {
		h = loopbackHosts(cfg.AllowedHosts, h)
	}
	return commonHeaders(h), nil
}

// IdentityHeader marks every answer of gentrace-dev, so that a program
// pointed at it (such as the quickstart) can print the viewer's address.
const IdentityHeader = "X-Gentrace-Dev"

// commonHeaders sets the headers every answer carries. API answers also
// get a CSP, in case a browser is made to render one.
func commonHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set(IdentityHeader, "1")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		}
		next.ServeHTTP(w, r)
	})
}

// loopbackHosts refuses requests whose Host is not a loopback name or
// address, nor one of extra: a page on another site that rebinds its own
// name to 127.0.0.1 sends its own name as Host.
func loopbackHosts(extra []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		ok := isLoopback(host)
		for _, e := range extra {
			ok = ok || strings.EqualFold(host, e)
		}
		if !ok {
			http.Error(w, fmt.Sprintf("gentrace-dev: Host %q is not a loopback name; add it with -allow-host if you reach this server through it", host), http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// basicAuth asks for the API key as the password (any user name).
func basicAuth(key string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pass, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(pass), []byte(key)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="gentrace-dev", charset="UTF-8"`)
			http.Error(w, "gentrace-dev: sign in with any user name and the server's key as the password", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
