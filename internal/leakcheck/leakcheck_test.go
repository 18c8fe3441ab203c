package leakcheck

import (
	"strings"
	"testing"
	"time"
)

func TestWaitFindsALeakAndSeesItEnd(t *testing.T) {
	before := Snapshot()
	stop := make(chan struct{})
	go func() { <-stop }()
	err := Wait(before, 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "1 goroutine(s)") || !strings.Contains(err.Error(), "leakcheck.TestWaitFindsALeakAndSeesItEnd") {
		t.Fatalf("Wait = %v", err)
	}
	close(stop)
	if err := Wait(before, 2*time.Second); err != nil {
		t.Errorf("after the goroutine ended: %v", err)
	}
}

func TestMain(m *testing.M) { Main(m) }
