// Package leakcheck fails a test binary whose tests leave goroutines
// running, as go.uber.org/goleak's VerifyTestMain does. It is written here
// because a test dependency of the core module is a requirement of every
// program that imports it: goleak would appear in their module graphs
// (SPEC §8), while these few lines do not.
package leakcheck

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Main runs the tests and, when they pass, waits up to five seconds for
// the goroutines they started to end; it exits with status 1, printing
// their stacks, if some are still running.
func Main(m *testing.M) {
	before := ids(goroutines())
	code := m.Run()
	if code == 0 {
		if err := Wait(before, 5*time.Second); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// Wait returns nil once every goroutine but the caller's, those in before
// and the runtime's own has ended, or an error listing the others when
// timeout passes first.
func Wait(before map[string]bool, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	delay := time.Millisecond
	for {
		leaked := leaks(before)
		if len(leaked) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("leakcheck: %d goroutine(s) still running after the tests:\n\n%s",
				len(leaked), strings.Join(leaked, "\n\n"))
		}
		time.Sleep(delay)
		delay = min(2*delay, 100*time.Millisecond)
	}
}

// Snapshot returns the IDs of the goroutines running now, for Wait.
func Snapshot() map[string]bool { return ids(goroutines()) }

func leaks(before map[string]bool) []string {
	all := goroutines()
	var out []string
	for i, g := range all {
		if i == 0 { // the caller's
			continue
		}
		if before[id(g)] || ignored(g) {
			continue
		}
		out = append(out, g)
	}
	return out
}

// ignored reports the goroutines the runtime and the testing package keep.
func ignored(stack string) bool {
	for _, s := range []string{"os/signal.signal_recv", "os/signal.loop", "runtime.ensureSigM",
		"testing.(*M).startAlarm", "runtime.goexit0", "testing.tRunner.func1"} {
		if strings.Contains(stack, s) {
			return true
		}
	}
	return false
}

// goroutines returns the stacks of every goroutine, the caller's first.
func goroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if s := strings.TrimSpace(string(g)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func ids(stacks []string) map[string]bool {
	m := make(map[string]bool, len(stacks))
	for _, g := range stacks {
		m[id(g)] = true
	}
	return m
}

// id is a goroutine's number, from its header line "goroutine 7 [...]:".
func id(stack string) string {
	header, _, _ := strings.Cut(stack, "\n")
	fields := strings.Fields(header)
	if len(fields) < 2 {
		return header
	}
	return fields[1]
}
