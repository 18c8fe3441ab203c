//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package spool

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// defaultLocker is flock: the kernel releases the lock of a process that
// dies, however it dies, so a free lock is a sure sign of a gone instance.
func defaultLocker() locker { return flocker{} }

type flocker struct{}

type flockHeld struct {
	f    *os.File
	path string
}

func lockNB(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

func (flocker) create(path string) (heldLock, error) {
	tmp := path + tempMark + randomHex()
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return nil, err
	}
	if err := lockNB(f); err != nil {
		f.Close()
		_ = os.Remove(tmp)
		return nil, err
	}
	// The lock belongs to the open file, not the name: it holds across the
	// rename, so the file appears at path locked.
	if err := os.Rename(tmp, path); err != nil {
		f.Close()
		_ = os.Remove(tmp)
		return nil, err
	}
	return &flockHeld{f: f, path: path}, nil
}

func (flocker) take(path, _ string) (heldLock, bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if err := lockNB(f); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil // its owner is alive
		}
		return nil, false, err
	}
	// Another taker may have finished and removed the file between our
	// open and our lock: then ours is a lock on a file nobody sees.
	held, err1 := f.Stat()
	named, err2 := os.Stat(path)
	if err1 != nil || err2 != nil || !os.SameFile(held, named) {
		f.Close()
		return nil, false, nil
	}
	return &flockHeld{f: f, path: path}, true, nil
}

func (h *flockHeld) release(remove bool) error {
	var err error
	if remove {
		// Removed while still locked, so that no one takes it in between.
		if rmErr := os.Remove(h.path); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
			err = rmErr
		}
	}
	if cerr := h.f.Close(); err == nil {
		err = cerr
	}
	return err
}
