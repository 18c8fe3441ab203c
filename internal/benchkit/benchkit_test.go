package benchkit

import (
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	ServeSinkIfChild()
	os.Exit(m.Run())
}

func TestProcessCPUAdvances(t *testing.T) {
	start := ProcessCPU()
	if start <= 0 {
		t.Skip("the platform does not report CPU time")
	}
	x := 0
	for i := range 50_000_000 {
		x ^= i * i
	}
	if ProcessCPU() <= start {
		t.Errorf("CPU time did not advance over a busy loop (%d)", x)
	}
}

func TestSinkAnswersRuns(t *testing.T) {
	base := StartSink(t)
	resp, err := http.Post(base+"/v1/pipeline-run", "application/json", strings.NewReader(`{"pipelineSlug":"s","stepRuns":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("sink answered %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
