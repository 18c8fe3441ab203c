// Package store keeps gentrace-dev's runs, steps, metadata, test cases and
// test results in an embedded SQLite file, through the pure-Go driver
// modernc.org/sqlite (no cgo).
//
// All writes go through one goroutine that groups concurrent requests into
// one transaction, so that a burst of runs costs one commit instead of one
// per run, while every request still succeeds or fails alone (a failing
// request's batch is rolled back and run again without it). Reads use a separate pool of read-only
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

	// prepared holds the writer's statements, prepared once at Open on the
	// writer's one connection, where every transaction reuses them
	// (database/sql re-prepares a statement only on another connection).
	prepared map[string]*sql.Stmt
	// pipelines holds the slugs known to exist; the writer's only.
	pipelines map[string]bool
}

// op is one write request: fn runs in the batch's transaction (again if
// another op of the batch fails) and its error, or the commit's, is sent on
// done.
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
			"cache_size(-65536)", "mmap_size(268435456)", "temp_store(MEMORY)",
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
		prepared:  make(map[string]*sql.Stmt, len(writeStatements)),
		pipelines: make(map[string]bool),
	}
	for _, q := range writeStatements {
		st, err := w.PrepareContext(ctx, q)
		if err != nil {
			s.closeStatements()
			r.Close()
			w.Close()
			return nil, fmt.Errorf("store: preparing %q: %w", q, err)
		}
		s.prepared[q] = st
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

// closeStatements releases the writer's statements.
func (s *Store) closeStatements() {
	for _, st := range s.prepared {
		st.Close()
	}
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
	defer s.closeStatements()
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

// commit runs a batch in one transaction. An op that fails takes the
// transaction down with it: the batch is rolled back, that op gets its
// error, and the others run again without it, so that a failing op leaves
// no trace and fails no other. Failures are rare (a forked thread, an
// unknown test case), so the common path runs no savepoints.
func (s *Store) commit(batch []op) {
	batch = slices.Clone(batch)
	for len(batch) > 0 {
		failed, err := s.try(batch)
		if failed < 0 { // committed, or the transaction itself failed
			for _, o := range batch {
				if err == nil && o.after != nil {
					o.after()
				}
				o.done <- err
			}
			return
		}
		batch[failed].done <- err
		batch = slices.Delete(batch, failed, failed+1)
	}
}

// try runs the batch in one transaction. It returns -1 and nil after a
// commit, -1 and the error when the transaction itself failed, and i and
// the error when op i failed (the transaction is rolled back).
func (s *Store) try(batch []op) (int, error) {
	ctx := context.Background()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return -1, fmt.Errorf("store: begin: %w", err)
	}
	t := &wtx{ctx: ctx, tx: tx, s: s}
	for i, o := range batch {
		if err := o.fn(t); err != nil {
			tx.Rollback()
			return i, err
		}
	}
	if err := tx.Commit(); err != nil {
		return -1, fmt.Errorf("store: commit: %w", err)
	}
	return -1, nil
}

// wtx is the writer's transaction. Its statements are prepared once on the
// writer's connection and bound to each transaction, which reuses them.
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
	p, ok := t.s.prepared[query]
	if !ok {
		// Preparing now would wait for the connection this transaction
		// holds: every statement the writer runs is in writeStatements.
		return nil, fmt.Errorf("store: statement not in writeStatements: %q", query)
	}
	st := t.tx.StmtContext(t.ctx, p)
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
		panic(err) // a statement missing from writeStatements: a bug that every test meets
	}
	return st.QueryRowContext(t.ctx, args...)
}
