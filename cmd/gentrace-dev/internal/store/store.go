// Package store keeps gentrace-dev's runs, steps, metadata, test cases and
// test results in an embedded SQLite file, through the pure-Go driver
// modernc.org/sqlite (no cgo).
//
// All writes go through one goroutine that groups concurrent requests into
// one transaction, each request inside a savepoint of its own, so that a
// burst of runs costs one commit instead of one per run while every request
// still succeeds or fails alone. Reads use a separate pool of read-only
// connections; SQLite's write-ahead log lets them run beside the writer.
//
// The schema is versioned: migrations/NNNN_name.sql are applied in order,
// each in a transaction, and PRAGMA user_version records the last one.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// ErrClosed is returned for a write requested after Close.
var ErrClosed = errors.New("store: closed")

//go:embed migrations/*.sql
var migrationFiles embed.FS

// A Store is an open gentrace-dev database. Make one with Open and Close it
// when done. All methods are safe for concurrent use.
type Store struct {
	w *sql.DB // one connection: the writer goroutine's
	r *sql.DB // read-only pool

	ops     chan op
	mu      sync.RWMutex // held for reading while sending on ops
	closed  bool
	stopped chan struct{} // closed when the writer goroutine returns

	pipelines map[string]bool // slugs known to exist; the writer's only
}

// op is one write request: fn runs inside a savepoint of the batch's
// transaction and its error (or the commit's) is sent on done.
type op struct {
	fn   func(*wtx) error
	done chan error
	// after runs on the writer goroutine once the batch has committed.
	after func()
}

// maxBatch bounds the requests committed together, so that one commit
// never holds answers back for long.
const maxBatch = 256

// Open opens (creating it if needed) the database file at path, applies
// the migrations it lacks, and starts the writer. It fails if the file was
// written by a newer gentrace-dev with migrations this one does not know.
func Open(ctx context.Context, file string) (*Store, error) {
	if file == "" {
		return nil, errors.New("store: empty database path")
	}
	dsn := func(extra ...string) string {
		q := url.Values{}
		for _, p := range append([]string{
			"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(ON)",
		}, extra...) {
			q.Add("_pragma", p)
		}
		return "file:" + (&url.URL{Path: file}).EscapedPath() + "?" + q.Encode()
	}
	w, err := sql.Open("sqlite", dsn()+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", file, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: %s: %w", file, err)
	}
	r, err := sql.Open("sqlite", dsn("query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: opening %s: %w", file, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	s := &Store{
		w: w, r: r,
		ops:       make(chan op, 1024),
		stopped:   make(chan struct{}),
		pipelines: make(map[string]bool),
	}
	go s.writer()
	return s, nil
}

// Close stops accepting writes, finishes those already requested, and
// closes the database. It may be called more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.stopped
		return nil
	}
	s.closed = true
	close(s.ops)
	s.mu.Unlock()
	<-s.stopped
	return errors.Join(s.r.Close(), s.w.Close())
}

// migration is one schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in order. Their names are
// NNNN_what.sql with NNNN counting from 1 without gaps.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	out := make([]migration, len(names))
	for i, name := range names {
		base := path.Base(name)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s: want number %04d", base, i+1)
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out[i] = migration{version: v, name: base, sql: string(b)}
	}
	return out, nil
}

// migrate applies the migrations newer than the database's user_version,
// each with its version bump in one transaction.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	var have int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	if have > len(ms) {
		return fmt.Errorf("schema version %d is newer than this gentrace-dev knows (%d): use a newer gentrace-dev or another -db file", have, len(ms))
	}
	for _, m := range ms[have:] {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		// PRAGMA takes no parameters; the version is an integer we made.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// SchemaVersion returns the database's schema version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// write runs fn in the writer's next transaction and returns its error, or
// the commit's. after, if not nil, runs on the writer once committed.
// If ctx ends first, write returns ctx.Err() and fn may still commit.
func (s *Store) write(ctx context.Context, fn func(*wtx) error, after func()) error {
	o := op{fn: fn, done: make(chan error, 1), after: after}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	select {
	case s.ops <- o:
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	s.mu.RUnlock()
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writer commits requests in batches until ops is closed and drained.
func (s *Store) writer() {
	defer close(s.stopped)
	for first := range s.ops {
		batch := []op{first}
	fill:
		for len(batch) < maxBatch {
			select {
			case o, ok := <-s.ops:
				if !ok {
					break fill
				}
				batch = append(batch, o)
			default:
				break fill
			}
		}
		s.commit(batch)
	}
}

// commit runs a batch in one transaction, each op in a savepoint so that a
// failing op leaves no trace and does not fail the others.
func (s *Store) commit(batch []op) {
	errs := make([]error, len(batch))
	fail := func(err error) {
		for _, o := range batch {
			o.done <- err
		}
	}
	ctx := context.Background()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("store: begin: %w", err))
		return
	}
	t := &wtx{ctx: ctx, tx: tx, s: s}
	for i, o := range batch {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT op"); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("store: savepoint: %w", err))
			return
		}
		errs[i] = o.fn(t)
		if errs[i] != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO op"); err != nil {
				tx.Rollback()
				fail(fmt.Errorf("store: rollback to savepoint: %w", err))
				return
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE op"); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("store: release savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		fail(fmt.Errorf("store: commit: %w", err))
		return
	}
	for i, o := range batch {
		if errs[i] == nil && o.after != nil {
			o.after()
		}
		o.done <- errs[i]
	}
}

// wtx is the writer's transaction, with its statements prepared once per
// batch.
type wtx struct {
	ctx   context.Context
	tx    *sql.Tx
	s     *Store
	stmts map[string]*sql.Stmt
}

func (t *wtx) stmt(query string) (*sql.Stmt, error) {
	if st, ok := t.stmts[query]; ok {
		return st, nil
	}
	st, err := t.tx.PrepareContext(t.ctx, query)
	if err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = make(map[string]*sql.Stmt)
	}
	t.stmts[query] = st
	return st, nil
}

func (t *wtx) exec(query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

func (t *wtx) queryRow(query string, args ...any) *sql.Row {
	st, err := t.stmt(query)
	if err != nil {
		return t.tx.QueryRowContext(t.ctx, query, args...) // reports the same error on Scan
	}
	return st.QueryRowContext(t.ctx, args...)
}
