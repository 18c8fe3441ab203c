package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// lockers are the two lock implementations, both run on this system: the
// lease with a short TTL so that a gone instance is seen quickly.
var lockers = map[string]func() locker{
	"default": defaultLocker,
	"lease":   func() locker { return leaser{ttl: 200 * time.Millisecond, refresh: 20 * time.Millisecond} },
}

func openT(t *testing.T, root string, max int64, l locker) *Spool {
	t.Helper()
	s, err := open(root, max, l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func rec(i int, after string) *Record {
	id := fmt.Sprintf("run-%04d", i)
	return &Record{ID: id, After: after, Body: []byte(`{"id":"` + id + `"}`)}
}

// crash releases an instance's lock the way the death of its process does,
// leaving its files.
func crash(t *testing.T, s *Spool) {
	t.Helper()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	switch h := s.lock.(type) {
	case *lease:
		// A dead process stops refreshing; its lease then expires.
		h.once.Do(func() { close(h.stop) })
		<-h.done
		old := time.Now().Add(-time.Hour)
		if err := os.Chtimes(h.path, old, old); err != nil {
			t.Fatal(err)
		}
	default:
		if err := s.lock.release(false); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPutReadRemove(t *testing.T) {
	t.Parallel()
	for name, l := range lockers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := openT(t, t.TempDir(), 1<<20, l())
			r := rec(1, "run-0000")
			if err := s.Put(r); err != nil {
				t.Fatal(err)
			}
			if r.Seq == 0 {
				t.Error("Put left Seq zero")
			}
			got, err := s.Read(r.ID)
			if err != nil || got.ID != r.ID || got.After != r.After || string(got.Body) != string(r.Body) || got.Seq != r.Seq {
				t.Fatalf("Read = %+v, %v", got, err)
			}
			if s.Len() != 1 || s.Bytes() == 0 {
				t.Errorf("Len %d, Bytes %d", s.Len(), s.Bytes())
			}
			if err := s.Put(rec(1, "")); err == nil {
				t.Error("a second Put of the same ID succeeded")
			}
			if err := s.Remove(r.ID); err != nil {
				t.Fatal(err)
			}
			if s.Len() != 0 || s.Bytes() != 0 {
				t.Errorf("after Remove: Len %d, Bytes %d", s.Len(), s.Bytes())
			}
			if _, err := os.Stat(s.path(r.ID)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("file still there: %v", err)
			}
			if err := s.Remove(r.ID); err != nil {
				t.Errorf("second Remove = %v", err)
			}
			// No temporary files are left behind.
			des, _ := os.ReadDir(s.Dir())
			if len(des) != 0 {
				t.Errorf("instance directory holds %d files", len(des))
			}
			// An empty instance leaves nothing on Close.
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			left, _ := os.ReadDir(s.root)
			if len(left) != 0 {
				t.Errorf("root holds %v after Close", left)
			}
		})
	}
}

func TestPutHonoursTheByteBound(t *testing.T) {
	t.Parallel()
	s := openT(t, t.TempDir(), 300, defaultLocker())
	var kept int
	for i := range 10 {
		err := s.Put(rec(i, ""))
		switch {
		case err == nil:
			kept++
		case errors.Is(err, ErrFull):
		default:
			t.Fatal(err)
		}
	}
	if kept == 0 || kept == 10 || s.Bytes() > 300 {
		t.Errorf("%d of 10 kept, %d bytes held; want some refused and at most 300 bytes", kept, s.Bytes())
	}
	// Nothing already written is evicted, and room comes back on Remove.
	for i := range kept {
		if _, err := s.Read(fmt.Sprintf("run-%04d", i)); err != nil {
			t.Errorf("record %d: %v", i, err)
		}
	}
	_ = s.Remove("run-0000")
	if err := s.Put(rec(99, "")); err != nil {
		t.Errorf("Put after Remove = %v", err)
	}
}

func TestRecoverTakesOverGoneInstances(t *testing.T) {
	t.Parallel()
	for name, l := range lockers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			gone := openT(t, root, 1<<20, l())
			prev := ""
			for i := range 5 {
				r := rec(i, prev)
				if err := gone.Put(r); err != nil {
					t.Fatal(err)
				}
				prev = r.ID
			}
			_ = gone.Remove("run-0002") // delivered before the crash
			crash(t, gone)
			next := openT(t, root, 1<<20, l())
			entries, problems := next.Recover()
			if len(problems) != 0 {
				t.Errorf("problems: %v", problems)
			}
			var ids []string
			for _, e := range entries {
				ids = append(ids, e.ID)
				if _, err := next.Read(e.ID); err != nil {
					t.Errorf("Read(%s) after Recover: %v", e.ID, err)
				}
			}
			if want := []string{"run-0000", "run-0001", "run-0003", "run-0004"}; !slices.Equal(ids, want) {
				t.Errorf("recovered %v, want %v in write order", ids, want)
			}
			if entries[1].After != "run-0000" {
				t.Errorf("After lost: %+v", entries[1])
			}
			if next.Len() != 4 {
				t.Errorf("Len = %d", next.Len())
			}
			if _, err := os.Stat(gone.Dir()); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the gone instance's directory is still there: %v", err)
			}
			// Nothing is taken twice.
			if again, _ := openT(t, root, 1<<20, l()).Recover(); len(again) != 0 {
				t.Errorf("a third instance recovered %d records", len(again))
			}
		})
	}
}

func TestRecoverLeavesLiveInstancesAlone(t *testing.T) {
	t.Parallel()
	for name, l := range lockers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			live := openT(t, root, 1<<20, l())
			if err := live.Put(rec(1, "")); err != nil {
				t.Fatal(err)
			}
			if name == "lease" {
				time.Sleep(300 * time.Millisecond) // past the TTL: the refresher must keep it alive
			}
			other := openT(t, root, 1<<20, l())
			if entries, problems := other.Recover(); len(entries) != 0 || len(problems) != 0 {
				t.Errorf("recovered %v (problems %v) from a live instance", entries, problems)
			}
			if _, err := live.Read("run-0001"); err != nil {
				t.Errorf("the live instance lost its record: %v", err)
			}
			// Closed with a record left, it hands it over at once.
			if err := live.Close(); err != nil {
				t.Fatal(err)
			}
			if entries, _ := other.Recover(); len(entries) != 1 {
				t.Errorf("after Close, recovered %d records, want 1", len(entries))
			}
		})
	}
}

func TestRecoverQuarantinesCorruptAndTornFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	gone := openT(t, root, 1<<20, defaultLocker())
	for i := range 3 {
		if err := gone.Put(rec(i, "")); err != nil {
			t.Fatal(err)
		}
	}
	// One record damaged on disk, one cut short, one write that a crash
	// interrupted before its rename, and a stray file.
	damage := func(id string, f func([]byte) []byte) {
		p := gone.path(id)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	damage("run-0000", func(b []byte) []byte { b[len(b)/2] ^= 1; return b })
	damage("run-0001", func(b []byte) []byte { return b[:len(b)-5] })
	if err := os.WriteFile(filepath.Join(gone.Dir(), "run-0009"+tempMark+"abc"), []byte("GTSPOOL1 half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(gone.Dir(), "notes.txt"), []byte("?"), 0o600); err != nil {
		t.Fatal(err)
	}
	crash(t, gone)
	next := openT(t, root, 1<<20, defaultLocker())
	entries, problems := next.Recover()
	if len(entries) != 1 || entries[0].ID != "run-0002" {
		t.Errorf("recovered %v, want only run-0002", entries)
	}
	if len(problems) != 4 {
		t.Errorf("%d problems, want 4: %v", len(problems), problems)
	}
	for _, p := range problems {
		if !errors.Is(p, ErrCorrupt) {
			t.Errorf("problem %v does not wrap ErrCorrupt", p)
		}
	}
	moved, _ := os.ReadDir(filepath.Join(root, corruptDir))
	if len(moved) != 4 {
		t.Errorf("corrupt directory holds %d files, want 4", len(moved))
	}
}

// A record damaged after it was written is refused when read for sending,
// and moved aside.
func TestReadRefusesADamagedRecord(t *testing.T) {
	t.Parallel()
	s := openT(t, t.TempDir(), 1<<20, defaultLocker())
	if err := s.Put(rec(1, "")); err != nil {
		t.Fatal(err)
	}
	p := s.path("run-0001")
	data, _ := os.ReadFile(p)
	data[len(magic)+3] ^= 0x10
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read("run-0001"); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), corruptDir) {
		t.Fatalf("Read = %v, want ErrCorrupt naming where the file went", err)
	}
	if s.Len() != 0 {
		t.Errorf("Len = %d after the damaged record was moved aside", s.Len())
	}
}

// Instances recovering at once share out the records of a gone one: each
// record goes to exactly one of them.
func TestConcurrentRecoverShareOut(t *testing.T) {
	t.Parallel()
	for name, l := range lockers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			const gones, each = 4, 25
			for g := range gones {
				s := openT(t, root, 1<<20, l())
				for i := range each {
					if err := s.Put(rec(g*each+i, "")); err != nil {
						t.Fatal(err)
					}
				}
				crash(t, s)
			}
			const takers = 4
			got := make([][]Entry, takers)
			var wg sync.WaitGroup
			for k := range takers {
				s := openT(t, root, 1<<20, l())
				wg.Add(1)
				go func() { defer wg.Done(); got[k], _ = s.Recover() }()
			}
			wg.Wait()
			seen := map[string]int{}
			for _, es := range got {
				for _, e := range es {
					seen[e.ID]++
				}
			}
			if len(seen) != gones*each {
				t.Errorf("%d distinct records recovered, want %d", len(seen), gones*each)
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("record %s recovered %d times", id, n)
				}
			}
		})
	}
}
