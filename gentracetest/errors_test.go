package gentracetest_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/gentrace/gentrace-go/gentracetest"
)

func TestErrorLogKeepsEveryErrorInOrder(t *testing.T) {
	var log gentracetest.ErrorLog
	if got := log.Errors(); len(got) != 0 {
		t.Fatalf("a new log has %v", got)
	}
	first, second := errors.New("first"), errors.New("second")
	log.Add(first)
	log.Add(second)
	got := log.Errors()
	if len(got) != 2 || got[0] != first || got[1] != second {
		t.Fatalf("Errors = %v", got)
	}
	got[0] = nil
	if log.Errors()[0] != first {
		t.Error("Errors returned the log's own slice")
	}

	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				log.Add(first)
			}
		}()
	}
	wg.Wait()
	if n := len(log.Errors()); n != 802 {
		t.Errorf("%d errors after concurrent adds, want 802", n)
	}
}
