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

func TestHandlerRecordsARun(t *testing.T) {
	// The model: a fake OpenAI server with a scripted answer.
	ai := openaitest.NewServer()
	t.Cleanup(ai.Close)
	ai.Enqueue(openaitest.RouteChatCompletions, openaitest.TextReply("Your order shipped on Monday."))

	// Gentrace: a fake backend, and a client that delivers to it.
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

	req := httptest.NewRequest(http.MethodPost, "/ask", strings.NewReader("Where is my order?"))
	req.Header.Set("X-User-ID", "user-7")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.String() != "Your order shipped on Monday." {
		t.Fatalf("got %d %q", rec.Code, rec.Body)
	}

	// Deliver what is pending, then check the run Gentrace received.
	if err := gc.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	runs := backend.Runs()
	if len(runs) != 1 || len(runs[0].StepRuns) != 1 {
		t.Fatalf("got %d runs, want 1 with one step", len(runs))
	}
	step := runs[0].StepRuns[0]
	if step.Invocation != "openai_createChatCompletion" || step.Context.UserID != "user-7" {
		t.Errorf("step %s for user %q", step.Invocation, step.Context.UserID)
	}
	if !strings.Contains(string(runs[0].Body), "Where is my order?") {
		t.Error("the question is not in the recorded inputs")
	}
	if _, ok := step.Outputs["cost"]; !ok {
		t.Error("the model call has no cost")
	}
}
