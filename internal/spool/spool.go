// Package spool keeps submitted runs on disk until they are delivered, so
// that they survive a crash of the process. It knows nothing of runs or
// HTTP: it stores records (an ID, the ID of the record to deliver first,
// and a body) durably, gives them back, and hands the records of clients
// that are gone to the next one.
//
// # Layout
//
// A spool directory is shared by the clients (processes, or clients of one
// process) that use it. Each client, an instance, owns:
//
//	<root>/<instance>.lock   its lock (see below)
//	<root>/<instance>/       its records, one file <id>.run each
//
// and damaged files are moved to <root>/corrupt/.
//
// # Durability
//
// Put writes a record to a temporary file created with O_EXCL, syncs it,
// renames it to its final name and syncs the directory, so that once Put
// returns the record is on disk under its name, whole. A crash before the
// rename leaves a temporary file, which recovery reports and never sends;
// a file damaged later fails its SHA-256 checksum (see Marshal).
//
// # Sharing a directory
//
// An instance holds its lock for as long as it is open: an exclusive flock
// on Unix, which the kernel releases when the process dies, and elsewhere
// a lease file whose modification time the instance refreshes (a lease
// unrefreshed for LeaseTTL is the mark of a dead instance). Recover takes
// the lock of every instance that is gone, moves its records into the
// caller's own directory, and removes what is left of it, so that each
// record has one owner at a time and is sent by one instance only.
package spool

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// ErrFull reports a Put refused because the instance's records would pass
// its byte bound.
var ErrFull = errors.New("spool is full")

const (
	recordExt   = ".run"
	lockExt     = ".lock"
	tempMark    = ".tmp-"
	corruptDir  = "corrupt"
	dirPerm     = 0o700
	filePerm    = 0o600
	nameRandLen = 8 // bytes of randomness in instance and temporary names
)

// Entry describes a record found by Recover, without its body.
type Entry struct {
	ID    string
	After string
	Seq   uint64
	// Size is the file's size in bytes.
	Size int64
}

// Spool is one instance's view of a spool directory. Its methods are safe
// for concurrent use.
type Spool struct {
	root   string
	name   string // the instance
	dir    string // root/name
	locker locker
	lock   heldLock
	max    int64

	mu      sync.Mutex
	closed  bool
	bytes   int64
	files   map[string]int64 // record ID → file size
	lastSeq uint64
}

// Open makes an instance in the spool directory root (creating root if
// needed), which may keep at most maxBytes of records. Call Recover to take
// over the records of instances that are gone, and Close when done.
func Open(root string, maxBytes int64) (*Spool, error) {
	return open(root, maxBytes, defaultLocker())
}

func open(root string, maxBytes int64, l locker) (*Spool, error) {
	if maxBytes < 1 {
		return nil, fmt.Errorf("spool %s: byte bound %d, want at least 1", root, maxBytes)
	}
	if err := os.MkdirAll(root, dirPerm); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	name := time.Now().UTC().Format("20060102T150405") + "-" + randomHex()
	s := &Spool{
		root:   root,
		name:   name,
		dir:    filepath.Join(root, name),
		locker: l,
		max:    maxBytes,
		files:  make(map[string]int64),
	}
	// The lock comes first: a directory is never seen without its lock.
	lock, err := l.create(filepath.Join(root, name+lockExt))
	if err != nil {
		return nil, fmt.Errorf("spool %s: locking: %w", root, err)
	}
	s.lock = lock
	if err := os.Mkdir(s.dir, dirPerm); err != nil {
		_ = lock.release(true)
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := syncDir(root); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("spool %s: %w", root, err)
	}
	return s, nil
}

func randomHex() string {
	b := make([]byte, nameRandLen)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// Dir returns the instance's own directory.
func (s *Spool) Dir() string { return s.dir }

// Bytes returns the bytes of the records the instance holds.
func (s *Spool) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// Len returns the number of records the instance holds.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.files)
}

func (s *Spool) path(id string) string { return filepath.Join(s.dir, id+recordExt) }

// Put writes r durably (see the package documentation), setting r.Seq. It
// fails with ErrFull, writing nothing, when the instance's records would
// pass its byte bound; records already written are kept, never evicted.
func (s *Spool) Put(r *Record) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("spool %s: closed", s.root)
	}
	s.lastSeq = max(s.lastSeq+1, uint64(time.Now().UnixNano()))
	r.Seq = s.lastSeq
	s.mu.Unlock()
	data, err := Marshal(*r)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	size := int64(len(data))
	s.mu.Lock()
	if _, dup := s.files[r.ID]; dup {
		s.mu.Unlock()
		return fmt.Errorf("spool: record %s is there already", r.ID)
	}
	if s.bytes+size > s.max {
		s.mu.Unlock()
		return fmt.Errorf("%w: %d bytes held, %d more would pass the bound of %d", ErrFull, s.bytes, size, s.max)
	}
	s.bytes += size
	s.files[r.ID] = size
	s.mu.Unlock()
	if err := writeFile(s.dir, r.ID, data); err != nil {
		s.forget(r.ID)
		return fmt.Errorf("spool: writing record %s: %w", r.ID, err)
	}
	return nil
}

// writeFile writes data to dir/id.run: a temporary file, synced, then
// renamed, then the directory synced.
func writeFile(dir, id string, data []byte) error {
	tmp := filepath.Join(dir, id+tempMark+randomHex())
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, id+recordExt))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable. Windows cannot sync a directory;
// its renames are durable once they return on NTFS.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s *Spool) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if size, ok := s.files[id]; ok {
		s.bytes -= size
		delete(s.files, id)
	}
}

// Read returns the record with the given ID, checked. A record that fails
// its checks is moved to the corrupt directory, and the error wraps
// ErrCorrupt.
func (s *Spool) Read(id string) (Record, error) {
	if !validName(id) {
		return Record{}, fmt.Errorf("spool: invalid record ID %q", id)
	}
	path := s.path(id)
	data, err := os.ReadFile(path)
	if err != nil {
		return Record{}, fmt.Errorf("spool: %w", err)
	}
	r, err := Unmarshal(data)
	if err == nil && r.ID != id {
		err = fmt.Errorf("%w: file %s holds record %s", ErrCorrupt, id+recordExt, r.ID)
	}
	if err != nil {
		s.forget(id)
		return Record{}, s.quarantine(path, err)
	}
	return r, nil
}

// Remove deletes the record with the given ID; a record that is not there
// is no error.
func (s *Spool) Remove(id string) error {
	if !validName(id) {
		return fmt.Errorf("spool: invalid record ID %q", id)
	}
	s.forget(id)
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// quarantine moves a damaged file out of the way, to the corrupt directory,
// and returns cause wrapped with where it went.
func (s *Spool) quarantine(path string, cause error) error {
	dst := filepath.Join(s.root, corruptDir, filepath.Base(filepath.Dir(path))+"-"+filepath.Base(path))
	err := os.MkdirAll(filepath.Join(s.root, corruptDir), dirPerm)
	if err == nil {
		err = os.Rename(path, dst)
	}
	if err != nil {
		if rmErr := os.Remove(path); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
			return fmt.Errorf("spool: file %s: %w (and it could not be moved aside: %v)", path, cause, err)
		}
		return fmt.Errorf("spool: file %s: %w (removed: it could not be moved aside: %v)", path, cause, err)
	}
	return fmt.Errorf("spool: file %s: %w (moved to %s)", path, cause, dst)
}

// Recover takes over the records of every instance of the directory that
// is gone (its lock free, or its lease expired), moving them into this
// instance's directory, and returns them in the order they were written.
// Files that fail their checks, and temporary files of writes a crash cut
// short, are moved to the corrupt directory and returned as problems
// (wrapping ErrCorrupt); they are never returned as records. Instances
// still alive are left alone.
func (s *Spool) Recover() ([]Entry, []error) {
	des, err := os.ReadDir(s.root)
	if err != nil {
		return nil, []error{fmt.Errorf("spool: %w", err)}
	}
	var entries []Entry
	var problems []error
	for _, de := range des {
		name := de.Name()
		if de.IsDir() || !strings.HasSuffix(name, lockExt) || strings.Contains(name, tempMark) {
			continue
		}
		inst, _, _ := strings.Cut(strings.TrimSuffix(name, lockExt), ".")
		if inst == s.name || inst == corruptDir || inst == "" {
			continue
		}
		lock, ok, err := s.locker.take(filepath.Join(s.root, name), s.name)
		if err != nil {
			problems = append(problems, fmt.Errorf("spool: lock %s: %w", name, err))
			continue
		}
		if !ok {
			continue // alive
		}
		es, ps := s.adopt(inst)
		entries = append(entries, es...)
		problems = append(problems, ps...)
		if err := os.Remove(filepath.Join(s.root, inst)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			problems = append(problems, fmt.Errorf("spool: removing the directory of gone instance %s: %w", inst, err))
			_ = lock.release(false)
			continue
		}
		if err := lock.release(true); err != nil {
			problems = append(problems, fmt.Errorf("spool: removing the lock of gone instance %s: %w", inst, err))
		}
	}
	if err := syncDir(s.dir); err != nil {
		problems = append(problems, fmt.Errorf("spool: %w", err))
	}
	slices.SortFunc(entries, func(a, b Entry) int {
		if a.Seq != b.Seq {
			if a.Seq < b.Seq {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return entries, problems
}

// adopt moves the records of a gone instance into this one's directory.
func (s *Spool) adopt(inst string) ([]Entry, []error) {
	dir := filepath.Join(s.root, inst)
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []error{fmt.Errorf("spool: %w", err)}
	}
	var entries []Entry
	var problems []error
	for _, de := range des {
		name := de.Name()
		path := filepath.Join(dir, name)
		id, isRecord := strings.CutSuffix(name, recordExt)
		switch {
		case strings.Contains(name, tempMark):
			problems = append(problems, s.quarantine(path, fmt.Errorf("%w: unfinished write, cut short by a crash", ErrCorrupt)))
			continue
		case !isRecord || !validName(id) || de.IsDir():
			problems = append(problems, s.quarantine(path, fmt.Errorf("%w: not a spool record", ErrCorrupt)))
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			problems = append(problems, fmt.Errorf("spool: %w", err))
			continue
		}
		r, err := Unmarshal(data)
		if err == nil && r.ID != id {
			err = fmt.Errorf("%w: file %s holds record %s", ErrCorrupt, name, r.ID)
		}
		if err != nil {
			problems = append(problems, s.quarantine(path, err))
			continue
		}
		size := int64(len(data))
		s.mu.Lock()
		_, dup := s.files[id]
		if !dup {
			s.files[id] = size
			s.bytes += size
		}
		s.mu.Unlock()
		if dup {
			// The same run spooled twice: keep one copy.
			_ = os.Remove(path)
			continue
		}
		if err := os.Rename(path, s.path(id)); err != nil {
			s.forget(id)
			problems = append(problems, fmt.Errorf("spool: taking over %s: %w", path, err))
			continue
		}
		entries = append(entries, Entry{ID: r.ID, After: r.After, Seq: r.Seq, Size: size})
	}
	return entries, problems
}

// Close releases the instance. Records it still holds stay on disk for the
// next instance's Recover; when it holds none, its directory and lock are
// removed. Close may be called more than once.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	empty := len(s.files) == 0
	s.mu.Unlock()
	if empty {
		// Stray files (none are expected) keep the directory, and then the
		// lock too, for a later Recover to report.
		empty = os.Remove(s.dir) == nil
	}
	return s.lock.release(empty)
}
