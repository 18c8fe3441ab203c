// Package benchkit holds what the SDK's benchmarks share: the process's
// CPU time, reported per operation, and a Gentrace backend that discards
// runs, served by a child process so that its CPU is not counted as the
// SDK's.
package benchkit

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// ProcessCPU returns the CPU time (user and system, all goroutines) the
// process has used so far, or 0 where the platform does not say.
func ProcessCPU() time.Duration { return processCPU() }

// ReportCPU starts measuring the process's CPU time and returns a function
// that reports it per operation as cpu-ns/op. CPU time is steadier than
// wall time on a shared virtual machine, whose steal time it does not
// count.
func ReportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((processCPU()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

// sinkEnv, set in a child process, makes ServeSinkIfChild serve.
const sinkEnv = "GENTRACE_BENCH_SINK"

// ServeSinkIfChild, called first in a TestMain, makes the test binary
// started by StartSink serve the discarding backend: it prints its
// address and serves until its standard input closes, then exits. In any
// other process it returns at once.
func ServeSinkIfChild() {
	if os.Getenv(sinkEnv) != "1" {
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"pipelineRunId":"00000000-0000-4000-8000-000000000000"}`)
		}))
	}()
	_, _ = os.Stdout.WriteString(ln.Addr().String() + "\n")
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// StartSink starts the test binary again as the discarding backend (its
// TestMain must call ServeSinkIfChild) and returns the backend's base URL,
// for gentrace.WithBaseURL. The child stops when the benchmark ends.
func StartSink(tb testing.TB) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), sinkEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		tb.Fatal(err)
	}
	return "http://" + strings.TrimSpace(addr) + "/api"
}
