package openaigo_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/gentrace/gentrace-go/openaigo"
	"github.com/gentrace/gentrace-go/openaihttp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// world is one test's set-up: a fake Gentrace backend, a client delivering
// to it, and a fake OpenAI server.
type world struct {
	t       *testing.T
	backend *gentracetest.Server
	gc      *gentrace.Client
	oai     *openaitest.Server
	errs    *gentracetest.ErrorLog
}

func newWorld(t *testing.T) *world {
	t.Helper()
	backend := gentracetest.Start(t)
	errs := &gentracetest.ErrorLog{}
	gc, err := gentrace.New(
		gentrace.WithAPIKey(backend.APIKey),
		gentrace.WithBaseURL(backend.URL),
		gentrace.WithHTTPClient(backend.Client()),
		gentrace.WithLogger(slog.New(slog.DiscardHandler)),
		gentrace.WithErrorHandler(errs.Add),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := gc.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	oai := openaitest.NewServer()
	t.Cleanup(oai.Close)
	return &world{t: t, backend: backend, gc: gc, oai: oai, errs: errs}
}

// base are the options that point openai-go at the fake server, without
// retries unless a test asks for them.
func (w *world) base() []option.RequestOption {
	return []option.RequestOption{
		option.WithBaseURL(w.oai.URL() + "/"),
		option.WithAPIKey("test-key"),
		option.WithHTTPClient(w.oai.HTTPClient()),
		option.WithMaxRetries(0),
	}
}

// bare is an openai-go client of the fake server that does not record.
func (w *world) bare(opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append(w.base(), opts...)...)
}

// client is an openai-go client of the fake server that records with a
// recorder configured by recOpts; opts come after.
func (w *world) client(recOpts []openaihttp.Option, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append(append(w.base(), openaigo.Record(recOpts...)), opts...)...)
}

func (w *world) pipeline(slug string) *gentrace.Pipeline {
	w.t.Helper()
	p, err := w.gc.NewPipeline(slug)
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

// start starts a run of the pipeline "openaigo-test" for user u-1.
func (w *world) start() (context.Context, *gentrace.Runner) {
	w.t.Helper()
	ctx, r, err := w.pipeline("openaigo-test").Start(context.Background(), gentrace.RunContext{UserID: "u-1"})
	if err != nil {
		w.t.Fatal(err)
	}
	return ctx, r
}

// end submits r, waits for the backend to store it and returns it.
func (w *world) end(r *gentrace.Runner) gentracetest.Run {
	w.t.Helper()
	if _, err := r.Submit(context.Background(), gentrace.WaitForServer()); err != nil {
		w.t.Fatal(err)
	}
	run, ok := w.backend.Run(r.ID())
	if !ok {
		w.t.Fatalf("run %s not stored", r.ID())
	}
	return run
}

// stored delivers what is pending and returns the run with the given ID.
func (w *world) stored(id string) gentracetest.Run {
	w.t.Helper()
	if err := w.gc.Flush(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	run, ok := w.backend.Run(id)
	if !ok {
		w.t.Fatalf("run %q not stored", id)
	}
	return run
}

// oneStep returns the one step of a run.
func oneStep(t *testing.T, run gentracetest.Run) gentracetest.StepRun {
	t.Helper()
	if len(run.StepRuns) != 1 {
		t.Fatalf("run has %d steps, want 1: %+v", len(run.StepRuns), run.StepRuns)
	}
	return run.StepRuns[0]
}

// rawJSON is a recorded value's JSON.
func rawJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// costOf returns the dollars of outputs.cost, and whether there is one.
func costOf(t *testing.T, outputs map[string]any) (float64, bool) {
	t.Helper()
	c, ok := outputs["cost"].(map[string]any)
	if !ok {
		return 0, false
	}
	if c["type"] != "dollars" {
		t.Fatalf("cost = %v", c)
	}
	return c["value"].(float64), true
}

func userMessage(text string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)},
	}
}

var weatherTool = openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
	Name:       "get_weather",
	Parameters: openai.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
})

var calls = []openaitest.ToolCall{
	{Name: "get_weather", Arguments: `{"city":"Paris"}`},
	{Name: "get_weather", Arguments: `{"city":"Rome"}`},
}
