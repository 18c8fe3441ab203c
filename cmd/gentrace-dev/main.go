// Command gentrace-dev is a local Gentrace backend with a web viewer, so
// that the runs a program records with gentrace-go can be seen without an
// account and without sending data anywhere.
//
//	go run github.com/gentrace/gentrace-go/cmd/gentrace-dev@latest
//
// It listens on 127.0.0.1:8787, speaks the Gentrace v1 API that the SDK
// uses under /api, keeps runs in ./gentrace-dev.db (SQLite), and shows them
// at http://127.0.0.1:8787/. Point a program at it with
//
//	GENTRACE_BASE_URL=http://127.0.0.1:8787/api GENTRACE_API_KEY=dev
//
// Flags:
//
//	-addr host:port    where to listen (default 127.0.0.1:8787)
//	-db file           the SQLite file (default ./gentrace-dev.db)
//	-key key           accept only this API key (default: any key;
//	                   GENTRACE_DEV_KEY sets it without showing it in ps)
//	-allow-remote      allow a non-loopback -addr; needs -key, which the
//	                   viewer then asks for as a basic-auth password
//	-allow-host name   also accept this Host header on loopback (repeatable)
//	-max-body bytes    cap on API request bodies (default 32 MiB)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gentrace/gentrace-go/cmd/gentrace-dev/internal/api"
	"github.com/gentrace/gentrace-go/cmd/gentrace-dev/internal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(2)
	}
}

// hosts collects repeated -allow-host flags.
type hosts []string

// String and Set make hosts a flag.Value.
func (h *hosts) String() string     { return strings.Join(*h, ",") }
func (h *hosts) Set(v string) error { *h = append(*h, v); return nil }

// run parses the flags, serves until ctx ends, then shuts down gracefully.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gentrace-dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := server.Config{}
	var allowHosts hosts
	fs.StringVar(&cfg.Addr, "addr", server.DefaultAddr, "`host:port` to listen on; non-loopback needs -allow-remote and -key")
	fs.StringVar(&cfg.DB, "db", "gentrace-dev.db", "SQLite `file` that keeps runs across restarts")
	fs.StringVar(&cfg.APIKey, "key", os.Getenv("GENTRACE_DEV_KEY"), "accept only this API `key` (default: any key; or set GENTRACE_DEV_KEY)")
	fs.BoolVar(&cfg.AllowRemote, "allow-remote", false, "allow listening on a non-loopback address (needs -key)")
	fs.Var(&allowHosts, "allow-host", "also accept this Host `name` on loopback (repeatable)")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body", api.DefaultMaxBodyBytes, "cap on API request bodies, in `bytes`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("gentrace-dev: unexpected arguments %q", fs.Args())
	}
	cfg.AllowedHosts = allowHosts
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	cfg.Logger = logger

	srv, err := server.Start(ctx, cfg)
	if err != nil {
		return err
	}
	key := "any key"
	if cfg.APIKey != "" {
		key = "the key given with -key"
	}
	fmt.Fprintf(stdout, "gentrace-dev: runs in %s\n", cfg.DB)
	fmt.Fprintf(stdout, "gentrace-dev: viewer at %s/\n", srv.URL)
	fmt.Fprintf(stdout, "gentrace-dev: point the SDK at it with GENTRACE_BASE_URL=%s/api (%s is accepted)\n", srv.URL, key)

	<-ctx.Done()
	fmt.Fprintln(stdout, "gentrace-dev: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
