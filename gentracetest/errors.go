package gentracetest

import "sync"

// ErrorLog collects the background errors a client reports, for a test to
// check: pass its Add to gentrace.WithErrorHandler. It is safe for
// concurrent use; its zero value is ready.
type ErrorLog struct {
	mu   sync.Mutex
	errs []error
}

// Add records err. It has the signature gentrace.WithErrorHandler takes.
func (l *ErrorLog) Add(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

// Errors returns a copy of the errors recorded so far, in order.
func (l *ErrorLog) Errors() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}
