package gentrace

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/gentracetest"
)

// spoolClient is backendClient with a spool in dir.
func spoolClient(t *testing.T, srv *gentracetest.Server, dir string, opts ...Option) *Client {
	t.Helper()
	return backendClient(t, srv, append([]Option{WithSpool(dir)}, opts...)...)
}

// spooled returns the run IDs whose files are in the spool directory,
// whichever instance holds them.
func spooled(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.run"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range files {
		if filepath.Base(filepath.Dir(f)) == "corrupt" {
			continue
		}
		ids = append(ids, strings.TrimSuffix(filepath.Base(f), ".run"))
	}
	return ids
}

// Submit returns only once the run is on disk; the file goes once the
// server accepted the run.
func TestSpoolWritesBeforeSubmitReturns(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	srv.SetHang(true)
	dir := t.TempDir()
	c := spoolClient(t, srv, dir)
	id, err := submitOne(t, c, RunContext{})
	if err != nil {
		t.Fatal(err)
	}
	if got := spooled(t, dir); len(got) != 1 || got[0] != id {
		t.Fatalf("spool holds %v right after Submit, want [%s]", got, id)
	}
	srv.SetHang(false)
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := spooled(t, dir); len(got) != 0 {
		t.Errorf("spool holds %v after delivery", got)
	}
	if _, ok := srv.Run(id); !ok {
		t.Error("run not stored")
	}
}

// Runs left in the spool by a client that could not deliver them (backend
// down until its Shutdown deadline) are sent by the next client on the
// directory, threads in order, each once.
func TestSpoolResendsAfterRestart(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t, gentracetest.WithStrictThreads())
	srv.SetDown(true)
	dir := t.TempDir()
	first := spoolClient(t, srv, dir)
	var ids []string
	prev := ""
	for range 5 { // a thread of five turns
		id, err := submitOne(t, first, RunContext{PreviousRunID: prev})
		if err != nil {
			t.Fatal(err)
		}
		ids, prev = append(ids, id), id
	}
	for range 3 {
		id, err := submitOne(t, first, RunContext{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_ = first.Shutdown(ctx) // the backend is down: every run is dropped, and kept on disk
	if got := spooled(t, dir); len(got) != len(ids) {
		t.Fatalf("spool holds %d runs after Shutdown, want %d", len(got), len(ids))
	}
	srv.SetDown(false)
	var log gentracetest.ErrorLog
	next := spoolClient(t, srv, dir, WithErrorHandler(log.Add))
	if err := next.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := next.Stats()
	if st.Recovered != uint64(len(ids)) || st.Delivered != uint64(len(ids)) || st.Submitted != uint64(len(ids)) {
		t.Errorf("stats %+v, want %d recovered and delivered", st, len(ids))
	}
	for _, id := range ids {
		if _, ok := srv.Run(id); !ok {
			t.Errorf("run %s not stored", id)
		}
	}
	if ss := srv.Stats(); ss.Stored != len(ids) || ss.Rejected != 0 {
		t.Errorf("server %+v, want %d stored, none refused (threads in order)", ss, len(ids))
	}
	if errs := log.Errors(); len(errs) != 0 {
		t.Errorf("reported %v", errs)
	}
	if got := spooled(t, dir); len(got) != 0 {
		t.Errorf("spool holds %v after delivery", got)
	}
}

// A spool file damaged on disk is reported and never sent; the others are.
func TestSpoolCorruptFileIsReportedNeverSent(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	srv.SetDown(true)
	dir := t.TempDir()
	first := spoolClient(t, srv, dir)
	var ids []string
	for range 3 {
		id, err := submitOne(t, first, RunContext{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	damaged := filepath.Join(first.spool.Dir(), ids[1]+".run")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_ = first.Shutdown(ctx)
	data, err := os.ReadFile(damaged)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x20
	if err := os.WriteFile(damaged, data, 0o600); err != nil {
		t.Fatal(err)
	}
	srv.SetDown(false)
	var log gentracetest.ErrorLog
	next := spoolClient(t, srv, dir, WithErrorHandler(log.Add))
	if err := next.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	errs := log.Errors()
	if len(errs) != 1 || !errors.Is(errs[0], ErrSpoolCorrupt) {
		t.Errorf("reported %v, want one ErrSpoolCorrupt", errs)
	}
	if _, ok := srv.Run(ids[1]); ok {
		t.Error("the damaged run was sent")
	}
	if st := srv.Stats(); st.Stored != 2 || st.Rejected != 0 {
		t.Errorf("server %+v, want the 2 intact runs stored", st)
	}
	if moved, _ := os.ReadDir(filepath.Join(dir, "corrupt")); len(moved) != 1 {
		t.Errorf("corrupt directory holds %d files, want 1", len(moved))
	}
}

// The spool's full policy: new runs are dropped (ErrSpoolFull, which is an
// ErrQueueFull), counted and reported; runs already spooled are kept and
// delivered.
func TestSpoolFullDropsNewRuns(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	srv.SetHang(true)
	dir := t.TempDir()
	var log gentracetest.ErrorLog
	c := spoolClient(t, srv, dir, WithMaxRunBytes(MinRunBytes), WithSpoolMaxBytes(MinRunBytes), WithErrorHandler(log.Add))
	var accepted, full int
	for range 100 {
		switch _, err := submitOne(t, c, RunContext{}); {
		case err == nil:
			accepted++
		case errors.Is(err, ErrSpoolFull) && errors.Is(err, ErrQueueFull):
			full++
		default:
			t.Fatal(err)
		}
	}
	if accepted == 0 || full == 0 {
		t.Fatalf("%d accepted, %d refused: want the spool's bound to be reached", accepted, full)
	}
	if st := c.Stats(); st.Dropped != uint64(full) || st.Submitted != 100 {
		t.Errorf("stats %+v, want %d dropped of 100", st, full)
	}
	if got := spooled(t, dir); len(got) != accepted {
		t.Errorf("spool holds %d runs, want the %d accepted", len(got), accepted)
	}
	srv.SetHang(false)
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.Stored != accepted {
		t.Errorf("server stored %d, want %d", st.Stored, accepted)
	}
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	reported := 0
	for _, err := range log.Errors() {
		if errors.Is(err, ErrSpoolFull) {
			reported += droppedInReport(t, err)
		}
	}
	if reported != full {
		t.Errorf("reports count %d drops, want %d", reported, full)
	}
}

// A run refused for good leaves the spool; one that may still go through
// (retries ran out on a 503) stays for the next client.
func TestSpoolKeepsOnlyRunsThatMayStillGoThrough(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	dir := t.TempDir()
	c := spoolClient(t, srv, dir, WithRetry(0, time.Millisecond, time.Millisecond))
	srv.FailNext(1, 400)
	refused, _ := submitOne(t, c, RunContext{}, WaitForServer())
	srv.FailNext(1, 503)
	unavailable, _ := submitOne(t, c, RunContext{}, WaitForServer())
	if got := spooled(t, dir); len(got) != 1 || got[0] != unavailable {
		t.Errorf("spool holds %v, want only %s (not the refused %s)", got, unavailable, refused)
	}
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	next := spoolClient(t, srv, dir)
	if err := next.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.Run(unavailable); !ok || next.Stats().Recovered != 1 {
		t.Errorf("the run refused with 503 was not resent: stats %+v", next.Stats())
	}
}

// Two live clients on one directory leave each other's runs alone.
func TestSpoolSharedByLiveClients(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	srv.SetHang(true)
	dir := t.TempDir()
	a := spoolClient(t, srv, dir)
	if _, err := submitOne(t, a, RunContext{}); err != nil {
		t.Fatal(err)
	}
	b := spoolClient(t, srv, dir)
	if st := b.Stats(); st.Recovered != 0 {
		t.Errorf("a second live client took %d runs of the first", st.Recovered)
	}
	srv.SetHang(false)
	for _, c := range []*Client{a, b} {
		if err := c.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if st := srv.Stats(); st.Stored != 1 || st.Duplicates != 0 {
		t.Errorf("server %+v, want the run stored once", st)
	}
}

// TestSpoolSurvivesSIGKILL builds a small program, starts it to submit N
// runs through a spool to a slow backend, kills it with SIGKILL while it
// delivers, starts it again on the same spool, and finds every run stored
// exactly once.
func TestSpoolSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("needs SIGKILL and subprocesses")
	}
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the program: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "spoolkill")
	if out, err := exec.Command(goTool, "build", "-o", bin, "./testdata/spoolkill").CombinedOutput(); err != nil {
		t.Fatalf("building the program: %v\n%s", err, out)
	}
	const n = 200
	srv := gentracetest.Start(t)
	srv.SetDelay(20 * time.Millisecond) // two workers: about 2 s to deliver everything
	dir := t.TempDir()
	start := func(n int) (*exec.Cmd, *bufio.Scanner, *strings.Builder) {
		cmd := exec.Command(bin, "-dir", dir, "-url", srv.URL, "-key", srv.APIKey, "-n", strconv.Itoa(n))
		stderr := new(strings.Builder)
		cmd.Stderr = stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, bufio.NewScanner(out), stderr
	}

	cmd, lines, stderr := start(n)
	var ids []string
	for lines.Scan() {
		line := lines.Text()
		if id, ok := strings.CutPrefix(line, "submitted "); ok {
			ids = append(ids, id)
		}
		if line == "all submitted" {
			break
		}
	}
	if len(ids) != n {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the program submitted %d of %d runs; stderr:\n%s", len(ids), n, stderr)
	}
	// Kill it mid-delivery: once some runs are stored, well before all.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.WaitForRuns(ctx, n/10); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	atKill := srv.Stats()
	if atKill.Stored >= n {
		t.Fatalf("all %d runs were stored before the kill; the test needs a slower backend", n)
	}
	onDisk := len(spooled(t, dir))

	srv.SetDelay(0)
	cmd, lines, stderr = start(0)
	var recovered int
	var done string
	for lines.Scan() {
		line := lines.Text()
		if v, ok := strings.CutPrefix(line, "recovered "); ok {
			recovered, _ = strconv.Atoi(v)
		}
		if strings.HasPrefix(line, "done ") {
			done = line
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("second run: %v; stderr:\n%s", err, stderr)
	}
	st := srv.Stats()
	t.Logf("N = %d; stored at the kill: %d; on disk at the kill: %d; resent after restart: %d (%s); "+
		"server: %d stored, %d duplicate POSTs answered without storing", n, atKill.Stored, onDisk, recovered, done, st.Stored, st.Duplicates)
	if stderr.Len() > 0 {
		t.Errorf("second run reported:\n%s", stderr)
	}
	for _, id := range ids {
		if _, ok := srv.Run(id); !ok {
			t.Errorf("run %s never stored", id)
		}
	}
	if st.Stored != n {
		t.Errorf("server stored %d distinct runs, want %d", st.Stored, n)
	}
	if recovered != onDisk || recovered < n-atKill.Stored {
		t.Errorf("resent %d runs; %d were on disk and %d not stored at the kill", recovered, onDisk, n-atKill.Stored)
	}
	if left := spooled(t, dir); len(left) != 0 {
		t.Errorf("spool still holds %d runs", len(left))
	}
}
