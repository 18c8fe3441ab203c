package support

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// A model that fails: the caller gets 502, and the run is delivered with
// the step's and the run's error.
func TestHandlerRecordsAFailedCall(t *testing.T) {
	ai := openaitest.NewServer()
	t.Cleanup(ai.Close)
	ai.Enqueue(openaitest.RouteChatCompletions, openaitest.Error(http.StatusServiceUnavailable, "overloaded"))
	backend := gentracetest.Start(t)
	gc, err := gentrace.New(gentrace.WithBaseURL(backend.URL), gentrace.WithAPIKey(backend.APIKey))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gc.Shutdown(context.Background()) })
	pipeline, err := gc.NewPipeline("support")
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{Pipeline: pipeline, OpenAI: goopenai.NewClientWithConfig(openai.Record(ai.ClientConfig()))}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/ask", strings.NewReader("Where is my order?")))
	if rec.Code != http.StatusBadGateway {
		t.Fatalf("got %d %q, want 502", rec.Code, rec.Body)
	}
	if err := gc.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	runs := backend.Runs()
	if len(runs) != 1 || len(runs[0].StepRuns) != 1 {
		t.Fatalf("got %d runs, want 1 with one step", len(runs))
	}
	if step := runs[0].StepRuns[0]; !strings.Contains(step.Error, "overloaded") {
		t.Errorf("step error %q, want OpenAI's", step.Error)
	}
	if !strings.Contains(runs[0].Error, "overloaded") {
		t.Errorf("run error %q, want OpenAI's", runs[0].Error)
	}
}
