package gentracetest

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// FaultHeader is set on every answer an injected fault made or changed,
// with the fault's kind: "status" (FailNext, random 5xx, 429 and 413),
// "redirect" (RedirectNext, random redirects) or "slow-body" (SlowBodyNext,
// random slow bodies), so that tests can tell those answers apart. Dropped
// connections and lost answers have no answer to carry it.
const FaultHeader = "X-Gentracetest-Fault"

// Faults configures random faults for soak tests; see [Server.SetFaults].
// Each field but Seed and RetryAfter is the fraction of requests, from 0 to
// 1, that meets that fault; the fractions may add up to at most 1, and the
// rest of the requests are served normally. The zero value injects nothing.
type Faults struct {
	// Seed seeds the generator that picks the faulty requests, so that the
	// same sequence of requests meets the same faults on every run.
	Seed int64
	// ServerError is the fraction answered 500 without being processed.
	ServerError float64
	// RateLimit is the fraction answered 429 with a Retry-After header,
	// without being processed.
	RateLimit float64
	// RetryAfter is the Retry-After value sent with a 429; "1" when empty.
	RetryAfter string
	// Drop is the fraction whose connection is closed without an answer,
	// before the request is processed.
	Drop float64
	// LoseResponse is the fraction processed (and stored) whose answer is
	// lost by closing the connection, so the client's retry is a duplicate.
	LoseResponse float64
	// Redirect is the fraction answered 307 Temporary Redirect, without
	// being processed, with a Location of RedirectTo, or else of the same
	// URL with the https scheme (an API moved from http to https).
	Redirect float64
	// RedirectTo is the Location of Redirect answers; see Redirect.
	RedirectTo string
	// TooLarge is the fraction answered 413 Content Too Large without being
	// processed, as a server with a lower body limit would.
	TooLarge float64
	// SlowBody is the fraction processed normally whose answer's body is
	// sent SlowBodyDelay after its header (100ms when zero).
	SlowBody      float64
	SlowBodyDelay time.Duration
}

func (f Faults) validate() error {
	sum := 0.0
	for _, p := range []struct {
		name string
		v    float64
	}{
		{"ServerError", f.ServerError},
		{"RateLimit", f.RateLimit},
		{"Drop", f.Drop},
		{"LoseResponse", f.LoseResponse},
		{"Redirect", f.Redirect},
		{"TooLarge", f.TooLarge},
		{"SlowBody", f.SlowBody},
	} {
		if !(p.v >= 0 && p.v <= 1) {
			return fmt.Errorf("gentracetest: Faults.%s must be between 0 and 1, got %v", p.name, p.v)
		}
		sum += p.v
	}
	if sum > 1 {
		return fmt.Errorf("gentracetest: Faults fractions add up to %v, more than 1", sum)
	}
	if f.SlowBodyDelay < 0 {
		return fmt.Errorf("gentracetest: Faults.SlowBodyDelay must not be negative, got %v", f.SlowBodyDelay)
	}
	return nil
}

func (f Faults) total() float64 {
	return f.ServerError + f.RateLimit + f.Drop + f.LoseResponse + f.Redirect + f.TooLarge + f.SlowBody
}

// fault is what happens to one request instead of, or around, normal
// handling. The zero value is no fault.
type fault struct {
	status     int           // answer with this status without processing
	retryAfter string        // Retry-After header sent with status
	drop       bool          // close the connection without answering or processing
	lose       bool          // process, then close the connection without answering
	hang       bool          // wait until released, then apply the rest
	location   string        // Location of a 3xx status; "" for the https form of the request's URL
	slow       time.Duration // process, then send the answer's body this late
}

// faultState is the server's fault configuration, guarded by Server.mu.
type faultState struct {
	queue   []queuedFault
	down    bool
	hang    bool
	release chan struct{} // closed to let hanging requests proceed
	delay   time.Duration
	random  Faults
	rng     *rand.Rand // nil when random faults are off
}

type queuedFault struct {
	fault
	n int
}

func newFaultState() faultState {
	return faultState{release: make(chan struct{})}
}

// releaseLocked lets every hanging request proceed.
func (fs *faultState) releaseLocked() {
	close(fs.release)
	fs.release = make(chan struct{})
}

// roll draws a random fault.
func (fs *faultState) roll() fault {
	f := fs.random
	x := fs.rng.Float64()
	if x -= f.ServerError; x < 0 {
		return fault{status: http.StatusInternalServerError}
	}
	if x -= f.RateLimit; x < 0 {
		retryAfter := f.RetryAfter
		if retryAfter == "" {
			retryAfter = "1"
		}
		return fault{status: http.StatusTooManyRequests, retryAfter: retryAfter}
	}
	if x -= f.Drop; x < 0 {
		return fault{drop: true}
	}
	if x -= f.LoseResponse; x < 0 {
		return fault{lose: true}
	}
	if x -= f.Redirect; x < 0 {
		return fault{status: http.StatusTemporaryRedirect, location: f.RedirectTo}
	}
	if x -= f.TooLarge; x < 0 {
		return fault{status: http.StatusRequestEntityTooLarge}
	}
	if x -= f.SlowBody; x < 0 {
		return fault{slow: cmp.Or(f.SlowBodyDelay, 100*time.Millisecond)}
	}
	return fault{}
}

// arrival is what the server decided for one request when it arrived.
type arrival struct {
	fault
	delay   time.Duration
	release <-chan struct{}
}

// admit counts a request and picks its fault: down beats queued faults,
// which beat random ones; hanging and delay apply on top.
func (s *Server) admit() arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests++
	fs := &s.faults
	a := arrival{delay: fs.delay, release: fs.release}
	switch {
	case fs.down:
		a.fault = fault{drop: true}
		a.delay = 0
	case len(fs.queue) > 0:
		a.fault = fs.queue[0].fault
		if fs.queue[0].n--; fs.queue[0].n == 0 {
			fs.queue = fs.queue[1:]
		}
	case fs.rng != nil:
		a.fault = fs.roll()
	}
	if fs.hang && !fs.down {
		a.hang = true
	}
	if a.fault != (fault{}) {
		s.stats.Faults++
	}
	s.notifyLocked()
	return a
}

// await makes the request hang or wait as a says. It reports false if the
// request must be abandoned because its context ended or the server is
// closing.
func (s *Server) await(ctx context.Context, a arrival) bool {
	if a.hang {
		select {
		case <-a.release:
		case <-ctx.Done():
			return false
		case <-s.closing:
			return false
		}
	}
	if a.delay > 0 {
		t := time.NewTimer(a.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		case <-s.closing:
			return false
		}
	}
	return true
}

// dropConnection closes the connection without an answer, as a crashed
// server or a broken network would.
func dropConnection(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
		return
	}
	panic(http.ErrAbortHandler) // net/http closes the connection quietly
}

func (s *Server) enqueue(n int, f fault) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.queue = append(s.faults.queue, queuedFault{f, n})
}

func checkStatus(method string, status int) {
	if status < 400 || status > 599 {
		panic(fmt.Sprintf("gentracetest: %s: status %d is not an error status (400–599)", method, status))
	}
}

// FailNext makes the next n requests fail with status (400–599; anything
// else panics) and a JSON message, without processing them. Queued faults
// (FailNext, FailNextWithRetryAfter, DropNext, LoseResponseNext, HangNext)
// are consumed in the order they were queued, one per request on any route.
// n ≤ 0 queues nothing.
func (s *Server) FailNext(n, status int) {
	checkStatus("FailNext", status)
	s.enqueue(n, fault{status: status})
}

// FailNextWithRetryAfter is [Server.FailNext] with a Retry-After header,
// such as "2" (seconds) or an HTTP date, sent as given so that clients'
// parsers can be tested on odd values too.
func (s *Server) FailNextWithRetryAfter(n, status int, retryAfter string) {
	checkStatus("FailNextWithRetryAfter", status)
	s.enqueue(n, fault{status: status, retryAfter: retryAfter})
}

// RedirectNext makes the next n requests be answered with status (a
// redirect, 300–399; anything else panics) and a Location header, without
// being processed. An empty location redirects to the same URL with the
// https scheme, as a server that moved from http to https does. See
// [Server.FailNext] for the order of queued faults.
func (s *Server) RedirectNext(n, status int, location string) {
	if status < 300 || status > 399 {
		panic(fmt.Sprintf("gentracetest: RedirectNext: status %d is not a redirect status (300–399)", status))
	}
	s.enqueue(n, fault{status: status, location: location})
}

// SlowBodyNext makes the server process each of the next n requests
// normally, then send its answer's header at once and its body d later. A
// client whose timeout is shorter than d sees the request fail after the
// server stored it, so that its retry arrives as a duplicate. See
// [Server.FailNext] for the order of queued faults.
func (s *Server) SlowBodyNext(n int, d time.Duration) {
	if d <= 0 {
		panic(fmt.Sprintf("gentracetest: SlowBodyNext: delay %v must be positive", d))
	}
	s.enqueue(n, fault{slow: d})
}

// DropNext makes the server close the connection of each of the next n
// requests without answering or processing it; the client sees a network
// error. See [Server.FailNext] for the order of queued faults.
func (s *Server) DropNext(n int) { s.enqueue(n, fault{drop: true}) }

// LoseResponseNext makes the server process each of the next n requests
// (storing a valid run) and then close the connection instead of answering,
// so that a client's retry arrives as a duplicate. See [Server.FailNext] for
// the order of queued faults.
func (s *Server) LoseResponseNext(n int) { s.enqueue(n, fault{lose: true}) }

// HangNext makes each of the next n requests hang until its context ends
// (the client gives up), [Server.SetHang] (false) or [Server.Reset] releases
// it, or [Server.Close] drops it. A released request is then served
// normally. See [Server.FailNext] for the order of queued faults.
func (s *Server) HangNext(n int) { s.enqueue(n, fault{hang: true}) }

// SetHang sets whether every request hangs as [Server.HangNext] describes,
// to test a client's shutdown deadline. Turning it off releases every
// hanging request, including those of HangNext. Off by default.
func (s *Server) SetHang(hang bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.hang = hang
	if !hang {
		s.faults.releaseLocked()
	}
}

// SetDown sets whether the server is down: while it is, every request's
// connection is dropped without an answer, whatever other faults are set.
// Off by default.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.down = down
}

// SetDelay makes the server wait d before handling each request, to
// simulate latency; 0, the default, turns it off. A delayed request whose
// client gives up, or that is still waiting at [Server.Close], is dropped.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.delay = d
}

// SetFaults turns on random faults for requests that no queued fault
// applies to, drawing from a generator seeded with f.Seed; the zero Faults
// turns them off. Each call restarts the generator, so that the same calls
// in the same order meet the same faults. It returns an error, and changes
// nothing, if a fraction is outside [0, 1] or the fractions add up to more
// than 1.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.random = f
	s.faults.rng = nil
	if f.total() > 0 { // otherwise off
		seed := uint64(f.Seed)
		s.faults.rng = rand.New(rand.NewPCG(seed, seed))
	}
	return nil
}
