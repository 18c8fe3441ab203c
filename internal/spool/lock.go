package spool

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// locker makes and takes the locks that mark which instance owns which
// records.
type locker interface {
	// create makes the lock file at path, held by the caller. The file
	// appears at path already locked, so that no other instance can take
	// it in between.
	create(path string) (heldLock, error)
	// take takes the lock file at path when its owner is gone. It reports
	// false, and takes nothing, when the owner is alive or another instance
	// took it first. by names the taking instance.
	take(path, by string) (heldLock, bool, error)
}

// heldLock is a lock held by this process.
type heldLock interface {
	// release gives the lock up, removing its file when remove is set;
	// otherwise the file stays, free for another instance to take.
	release(remove bool) error
}

// LeaseTTL is how long a lease file may go unrefreshed before its instance
// counts as gone, on systems without flock.
const LeaseTTL = time.Minute

// leaser is the portable locker: a lock is a lease file whose owner
// refreshes its modification time; one unrefreshed for ttl is free. Taking
// one renames it to a name of the taker's, which only one taker can do.
type leaser struct {
	ttl, refresh time.Duration
}

type lease struct {
	path string
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func (l leaser) create(path string) (heldLock, error) {
	tmp := path + tempMark + randomHex()
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return nil, err
	}
	h := &lease{path: path, stop: make(chan struct{}), done: make(chan struct{})}
	go h.keep(l.refresh)
	return h, nil
}

// keep refreshes the lease until released, or until another instance took
// it (the file is gone: this instance was stalled past the TTL).
func (h *lease) keep(every time.Duration) {
	defer close(h.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			now := time.Now()
			if err := os.Chtimes(h.path, now, now); errors.Is(err, fs.ErrNotExist) {
				return
			}
		}
	}
}

func (l leaser) take(path, by string) (heldLock, bool, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if time.Since(st.ModTime()) < l.ttl {
		return nil, false, nil
	}
	base := filepath.Base(path)
	inst, _, _ := strings.Cut(strings.TrimSuffix(base, lockExt), ".")
	claimed := filepath.Join(filepath.Dir(path), inst+"."+by+lockExt)
	if err := os.Rename(path, claimed); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, nil // another instance took it
		}
		return nil, false, err
	}
	now := time.Now()
	_ = os.Chtimes(claimed, now, now) // read as alive while the records move
	h := &lease{path: claimed, stop: make(chan struct{}), done: make(chan struct{})}
	close(h.done) // no refresher: taking over is quick
	return h, true, nil
}

func (h *lease) release(remove bool) error {
	h.once.Do(func() { close(h.stop) })
	<-h.done
	if remove {
		if err := os.Remove(h.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	// Free at once for the next instance, rather than after the TTL.
	return os.Chtimes(h.path, time.Unix(0, 0), time.Unix(0, 0))
}
