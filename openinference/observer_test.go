package openinference_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/gentrace/gentrace-go/openinference"
	goopenai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// costOf returns the dollar cost Gentrace received in a step's outputs.
func costOf(t *testing.T, step gentracetest.StepRun) float64 {
	t.Helper()
	c, ok := step.Outputs["cost"].(map[string]any)
	if !ok || c["type"] != "dollars" {
		t.Fatalf("step outputs have no dollar cost: %v", step.Outputs["cost"])
	}
	return c["value"].(float64)
}

// usageOf returns the token usage Gentrace received in a step's outputs.
func usageOf(t *testing.T, step gentracetest.StepRun) (prompt, completion, total int) {
	t.Helper()
	u, ok := step.Outputs["usage"].(map[string]any)
	if !ok {
		t.Fatalf("step outputs have no usage: %v", step.Outputs)
	}
	return int(u["prompt_tokens"].(float64)), int(u["completion_tokens"].(float64)), int(u["total_tokens"].(float64))
}

// checkStatus asserts a span's status and, for an error, its exception
// event.
func checkStatus(t *testing.T, span sdktrace.ReadOnlySpan, code codes.Code, description string) {
	t.Helper()
	if got := span.Status(); got.Code != code || got.Description != description {
		t.Errorf("span %q: status %v %q, want %v %q", span.Name(), got.Code, got.Description, code, description)
	}
	var exceptions []string
	for _, ev := range span.Events() {
		if ev.Name == "exception" {
			for _, kv := range ev.Attributes {
				if kv.Key == "exception.message" {
					exceptions = append(exceptions, kv.Value.AsString())
				}
			}
		}
	}
	switch {
	case code == codes.Error && (len(exceptions) != 1 || exceptions[0] != description):
		t.Errorf("span %q: exception events %q, want one with %q", span.Name(), exceptions, description)
	case code != codes.Error && len(exceptions) != 0:
		t.Errorf("span %q: unexpected exception events %q", span.Name(), exceptions)
	}
}

// checkFirstToken asserts the first_token event lies at the start plus the
// time to first token the span records.
func checkFirstToken(t *testing.T, span sdktrace.ReadOnlySpan) {
	t.Helper()
	ms, _ := attributesOf(span)["gentrace.time_to_first_token_ms"].(float64)
	var events []sdktrace.Event
	for _, ev := range span.Events() {
		if ev.Name == "first_token" {
			events = append(events, ev)
		}
	}
	if len(events) != 1 {
		t.Fatalf("span %q: %d first_token events, want 1", span.Name(), len(events))
	}
	at := events[0].Time
	if got := float64(at.Sub(span.StartTime())) / float64(time.Millisecond); math.Abs(got-ms) > 0.001 {
		t.Errorf("first_token event %.3fms after start, attribute says %.3fms", got, ms)
	}
	if at.After(span.EndTime()) {
		t.Errorf("first_token event %v after the span's end %v", at, span.EndTime())
	}
}

// A simple-mode chat call under a traced request and context attributes:
// the run span is a child of the request's span, and both spans carry
// exactly the OpenInference attributes.
func TestChatSpans(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.fakeAI.Enqueue(openaitest.RouteChatCompletions, openaitest.JSON(goopenai.ChatCompletionResponse{
		Model: "gpt-4o-2024-08-06", // a dated snapshot: the span names the model that answered
		Choices: []goopenai.ChatCompletionChoice{{
			Message:      goopenai.ChatCompletionMessage{Role: goopenai.ChatMessageRoleAssistant, Content: "Bonjour, Ada !"},
			FinishReason: goopenai.FinishReasonStop,
		}},
		Usage: goopenai.Usage{PromptTokens: 25, CompletionTokens: 7, TotalTokens: 32,
			PromptTokensDetails: &goopenai.PromptTokensDetails{CachedTokens: 5}},
	}))
	ctx, err := gentrace.WithAttributes(context.Background(),
		gentrace.AttrSession("session-1"),
		gentrace.AttrUser("user-1"),
		gentrace.AttrMetadata(gentrace.Metadata{
			"tier": gentrace.String("gold"),
			"beta": gentrace.Bool(true),
			"doc":  gentrace.URL("https://example.com/doc", "Doc"),
		}),
		gentrace.AttrTags("greeting", "fr"),
		gentrace.AttrPromptTemplate("Greet {{name}} in French."),
		gentrace.AttrPromptTemplateVersion("v2"),
		gentrace.AttrPromptTemplateVariables(map[string]any{"name": "Ada"}),
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx, request := e.parentSpan(ctx)
	defer request.End()
	const previous = "7d3f0c2e-4b1a-4c8e-9f6d-2a5b8c9d0e1f"
	resp, err := e.openai.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model:       goopenai.GPT4o,
		Temperature: 0.2,
		Messages: []goopenai.ChatCompletionMessage{
			{Role: goopenai.ChatMessageRoleSystem, Content: "You are polite."},
			{Role: goopenai.ChatMessageRoleUser, Content: "Greet Ada in French."},
		},
		Tools: []goopenai.Tool{{Type: goopenai.ToolTypeFunction, Function: &goopenai.FunctionDefinition{
			Name:        "lookup",
			Description: "Looks a word up.",
			Parameters:  json.RawMessage(`{"type":"object","properties":{"word":{"type":"string"}}}`),
		}}},
	}, openai.WithPipelineSlug("greeter"), openai.WithPreviousRunID(previous),
		openai.WithMetadata(gentrace.Metadata{"env": gentrace.String("test")}))
	if err != nil {
		t.Fatal(err)
	}

	spans := e.flush()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want a run span and a chat span", len(spans))
	}
	checkFamily(t, spans, request.SpanContext())
	run := e.run()
	step := run.StepRuns[0]
	ctxAttrs := map[string]any{
		"session.id":                    "session-1",
		"user.id":                       "user-1",
		"tag.tags":                      []string{"greeting", "fr"},
		"llm.prompt_template.template":  "Greet {{name}} in French.",
		"llm.prompt_template.version":   "v2",
		"llm.prompt_template.variables": jsonText(`{"name":"Ada"}`),
	}
	with := func(m map[string]any) map[string]any {
		for k, v := range ctxAttrs {
			m[k] = v
		}
		return m
	}

	if spans[0].Name() != "greeter" {
		t.Errorf("run span name %q, want the pipeline slug", spans[0].Name())
	}
	checkAttributes(t, spans[0], with(map[string]any{
		"openinference.span.kind":  "CHAIN",
		"gentrace.run_id":          resp.PipelineRunID,
		"gentrace.pipeline_slug":   "greeter",
		"gentrace.previous_run_id": previous,
		// The run's metadata as sent: context metadata, session, call metadata.
		"metadata": jsonText(`{"tier":"gold","beta":true,"doc":"https://example.com/doc","sessionId":"session-1","env":"test"}`),
	}))
	checkStatus(t, spans[0], codes.Unset, "")

	if spans[1].Name() != "ChatCompletion" {
		t.Errorf("chat span name %q, want ChatCompletion", spans[1].Name())
	}
	checkAttributes(t, spans[1], with(map[string]any{
		"openinference.span.kind":                   "LLM",
		"llm.model_name":                            "gpt-4o-2024-08-06",
		"llm.provider":                              "openai",
		"llm.system":                                "openai",
		"llm.invocation_parameters":                 jsonOf(t, step.ModelParams),
		"llm.input_messages.0.message.role":         "system",
		"llm.input_messages.0.message.content":      "You are polite.",
		"llm.input_messages.1.message.role":         "user",
		"llm.input_messages.1.message.content":      "Greet Ada in French.",
		"llm.tools.0.tool.json_schema":              jsonText(`{"type":"function","function":{"name":"lookup","description":"Looks a word up.","parameters":{"type":"object","properties":{"word":{"type":"string"}}}}}`),
		"llm.output_messages.0.message.role":        "assistant",
		"llm.output_messages.0.message.content":     "Bonjour, Ada !",
		"llm.token_count.prompt":                    25,
		"llm.token_count.completion":                7,
		"llm.token_count.total":                     32,
		"llm.token_count.prompt_details.cache_read": 5,
		"llm.cost.total":                            costOf(t, step),
		"input.value":                               jsonOf(t, step.Inputs),
		"input.mime_type":                           "application/json",
		"output.value":                              jsonOf(t, step.Outputs),
		"output.mime_type":                          "application/json",
		"gentrace.run_id":                           resp.PipelineRunID,
		"gentrace.provider_name":                    "openai",
		"gentrace.invocation":                       "openai_createChatCompletion",
		// The context's metadata; the run's extra keys are on the run span.
		"metadata": jsonText(`{"tier":"gold","beta":true,"doc":"https://example.com/doc"}`),
	}))
	checkStatus(t, spans[1], codes.Unset, "")
	checkTimes(t, spans[1], step)
	// The model parameters are those of the request.
	var params map[string]any
	_ = json.Unmarshal([]byte(attributesOf(spans[1])["llm.invocation_parameters"].(string)), &params)
	if params["model"] != "gpt-4o" || params["temperature"] != 0.2 {
		t.Errorf("llm.invocation_parameters = %v, want model gpt-4o and temperature 0.2", params)
	}
}

// A streamed call in a runner: token counts are estimated (the stream
// carried no usage) and flagged, the time to first token is recorded, and
// the step's own context wins except for the user, which is the run's.
func TestStreamSpan(t *testing.T) {
	t.Parallel()
	e := setup(t)
	runCtx, err := gentrace.WithAttributes(context.Background(), gentrace.AttrSession("session-run"), gentrace.AttrUser("user-run"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.gentrace.NewPipeline("streamer")
	if err != nil {
		t.Fatal(err)
	}
	runner, err := p.Start(runCtx, gentrace.RunContext{})
	if err != nil {
		t.Fatal(err)
	}
	callCtx, err := gentrace.WithAttributes(runCtx, gentrace.AttrSession("session-call"), gentrace.AttrUser("user-call"), gentrace.AttrTags("stream"))
	if err != nil {
		t.Fatal(err)
	}
	stream, err := e.openai.ForRunner(runner).CreateChatCompletionStream(callCtx, goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Say hello"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunk.Choices {
			text.WriteString(c.Delta.Content)
		}
	}
	stream.Close()
	if _, err := runner.Submit(context.Background()); err != nil {
		t.Fatal(err)
	}

	spans := e.flush()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want 2", len(spans))
	}
	checkFamily(t, spans, trace.SpanContext{}) // no span in the context: the run span is a root
	step := e.run().StepRuns[0]
	prompt, completion, total := usageOf(t, step)
	checkAttributes(t, spans[0], map[string]any{
		"openinference.span.kind": "CHAIN",
		"gentrace.run_id":         runner.ID(),
		"gentrace.pipeline_slug":  "streamer",
		"session.id":              "session-run",
		"user.id":                 "user-run",
		"metadata":                jsonText(`{"sessionId":"session-run"}`),
	})
	checkAttributes(t, spans[1], map[string]any{
		"openinference.span.kind":               "LLM",
		"llm.model_name":                        "gpt-4o-mini",
		"llm.provider":                          "openai",
		"llm.system":                            "openai",
		"llm.invocation_parameters":             jsonOf(t, step.ModelParams),
		"llm.input_messages.0.message.role":     "user",
		"llm.input_messages.0.message.content":  "Say hello",
		"llm.output_messages.0.message.role":    "assistant",
		"llm.output_messages.0.message.content": text.String(),
		"llm.token_count.prompt":                prompt,
		"llm.token_count.completion":            completion,
		"llm.token_count.total":                 total,
		"gentrace.token_count.estimated":        true,
		"gentrace.time_to_first_token_ms":       positive{},
		"llm.cost.total":                        costOf(t, step),
		"input.value":                           jsonOf(t, step.Inputs),
		"input.mime_type":                       "application/json",
		"output.value":                          jsonOf(t, step.Outputs),
		"output.mime_type":                      "application/json",
		"gentrace.run_id":                       runner.ID(),
		"gentrace.provider_name":                "openai",
		"gentrace.invocation":                   "openai_createChatCompletion",
		"session.id":                            "session-call",
		"user.id":                               "user-run",
		"tag.tags":                              []string{"stream"},
	})
	if text.String() != openaitest.DefaultChatReply {
		t.Errorf("streamed text %q, want the built-in reply", text.String())
	}
	checkStatus(t, spans[1], codes.Unset, "")
	checkFirstToken(t, spans[1])
	checkTimes(t, spans[1], step)
}

// A stream the caller closes early is marked, holds the partial answer,
// and is not an error.
func TestStreamClosedEarlySpan(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.fakeAI.Enqueue(openaitest.RouteChatCompletions, openaitest.ChatStream(
		openaitest.ChatChunks(4, openaitest.Choice{Content: "one two three four five six"})...))
	stream, err := e.openai.CreateChatCompletionStream(context.Background(), goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Count"}},
	}, openai.WithPipelineSlug("counter"))
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for range 2 {
		chunk, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(chunk.Choices[0].Delta.Content)
	}
	stream.Close()

	spans := e.flush()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want 2", len(spans))
	}
	checkFamily(t, spans, trace.SpanContext{})
	step := e.run().StepRuns[0]
	prompt, completion, total := usageOf(t, step)
	checkAttributes(t, spans[1], map[string]any{
		"openinference.span.kind":               "LLM",
		"llm.model_name":                        "gpt-4o-mini",
		"llm.provider":                          "openai",
		"llm.system":                            "openai",
		"llm.invocation_parameters":             jsonOf(t, step.ModelParams),
		"llm.input_messages.0.message.role":     "user",
		"llm.input_messages.0.message.content":  "Count",
		"llm.output_messages.0.message.role":    "assistant",
		"llm.output_messages.0.message.content": text.String(),
		"llm.token_count.prompt":                prompt,
		"llm.token_count.completion":            completion,
		"llm.token_count.total":                 total,
		"gentrace.token_count.estimated":        true,
		"gentrace.stream.closed_early":          true,
		"gentrace.time_to_first_token_ms":       positive{},
		"llm.cost.total":                        costOf(t, step),
		"input.value":                           jsonOf(t, step.Inputs),
		"input.mime_type":                       "application/json",
		"output.value":                          jsonOf(t, step.Outputs),
		"output.mime_type":                      "application/json",
		"gentrace.run_id":                       e.run().ID,
		"gentrace.provider_name":                "openai",
		"gentrace.invocation":                   "openai_createChatCompletion",
	})
	if text.String() == "" || text.String() == "one two three four five six" {
		t.Errorf("partial text %q: want a strict, non-empty prefix", text.String())
	}
	checkStatus(t, spans[1], codes.Unset, "")
	checkFirstToken(t, spans[1])
}

// An embeddings call is an EMBEDDING span in OpenInference's embedding
// conventions: embedding.model_name rather than llm.system and
// llm.provider, and one embedding.embeddings entry per input.
func TestEmbeddingSpan(t *testing.T) {
	t.Parallel()
	e := setup(t)
	resp, err := e.openai.CreateEmbeddings(context.Background(), goopenai.EmbeddingRequest{
		Model: goopenai.SmallEmbedding3,
		Input: []string{"alpha", "beta"},
	}, openai.WithPipelineSlug("embedder"))
	if err != nil {
		t.Fatal(err)
	}
	spans := e.flush()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want 2", len(spans))
	}
	checkFamily(t, spans, trace.SpanContext{})
	step := e.run().StepRuns[0]
	// The vectors as OpenAI sent them (JSON numbers), which is what
	// Gentrace received.
	var out struct {
		Data []struct {
			Embedding []float64 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(jsonOf(t, step.Outputs)), &out); err != nil || len(out.Data) != 2 {
		t.Fatalf("Gentrace received outputs %v (%v), want 2 embeddings", step.Outputs, err)
	}
	vectors := [][]float64{out.Data[0].Embedding, out.Data[1].Embedding}
	u := resp.Usage
	if spans[1].Name() != "CreateEmbeddings" {
		t.Errorf("embedding span name %q, want CreateEmbeddings", spans[1].Name())
	}
	checkAttributes(t, spans[1], map[string]any{
		"openinference.span.kind":                 "EMBEDDING",
		"embedding.model_name":                    "text-embedding-3-small",
		"embedding.invocation_parameters":         jsonText(`{"model":"text-embedding-3-small"}`),
		"embedding.embeddings.0.embedding.text":   "alpha",
		"embedding.embeddings.1.embedding.text":   "beta",
		"embedding.embeddings.0.embedding.vector": vectors[0],
		"embedding.embeddings.1.embedding.vector": vectors[1],
		"llm.token_count.prompt":                  u.PromptTokens,
		"llm.token_count.total":                   u.TotalTokens,
		"llm.cost.total":                          costOf(t, step),
		"input.value":                             jsonOf(t, step.Inputs),
		"input.mime_type":                         "application/json",
		"output.value":                            jsonOf(t, step.Outputs),
		"output.mime_type":                        "application/json",
		"gentrace.run_id":                         resp.PipelineRunID,
		"gentrace.provider_name":                  "openai",
		"gentrace.invocation":                     "openai_createEmbedding",
	})
	if len(vectors[0]) != openaitest.DefaultEmbeddingDimensions {
		t.Errorf("vector of %d dimensions, want %d", len(vectors[0]), openaitest.DefaultEmbeddingDimensions)
	}
	checkTimes(t, spans[1], step)
}

// A runner with Measure steps and a model call under a traced request:
// one trace, the run span under the request's span, every step span under
// the run span in order; failed steps and a failed run have status Error.
func TestRunnerSpans(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, err := gentrace.WithAttributes(context.Background(),
		gentrace.AttrSession("session-2"),
		gentrace.AttrMetadata(gentrace.Metadata{"tier": gentrace.String("free")}),
		gentrace.AttrTags("rag"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, request := e.parentSpan(ctx)
	defer request.End()
	p, err := e.gentrace.NewPipeline("rag")
	if err != nil {
		t.Fatal(err)
	}
	runner, err := p.Start(ctx, gentrace.RunContext{UserID: "user-2"})
	if err != nil {
		t.Fatal(err)
	}
	docs, err := gentrace.Measure(runner, map[string]any{"query": "capital of France"},
		func() (map[string]any, error) { return map[string]any{"docs": []string{"Paris is the capital."}}, nil },
		gentrace.WithProvider("vectordb", "search"),
		gentrace.WithStepMetadata(gentrace.Metadata{"index": gentrace.String("wiki")}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.openai.ForRunner(runner).CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: docs["docs"].([]string)[0]}},
	}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("ranker unavailable")
	if _, err := gentrace.Measure(runner, nil, func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("Measure returned %v, want %v", err, boom)
	}
	if err := runner.SetError(errors.New("pipeline failed")); err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Submit(context.Background()); err != nil {
		t.Fatal(err)
	}

	spans := e.flush()
	if len(spans) != 4 {
		t.Fatalf("got %d spans, want a run span and 3 step spans", len(spans))
	}
	checkFamily(t, spans, request.SpanContext())
	run := e.run()
	type shape struct{ name, kind string }
	want := []shape{{"rag", "CHAIN"}, {"search", "CHAIN"}, {"ChatCompletion", "LLM"}, {"step", "CHAIN"}}
	for i, s := range spans {
		if got := (shape{s.Name(), attributesOf(s)["openinference.span.kind"].(string)}); got != want[i] {
			t.Errorf("span %d is %v, want %v", i, got, want[i])
		}
		if i > 0 {
			checkTimes(t, s, run.StepRuns[i-1])
		}
	}
	checkAttributes(t, spans[0], map[string]any{
		"openinference.span.kind": "CHAIN",
		"gentrace.run_id":         runner.ID(),
		"gentrace.pipeline_slug":  "rag",
		"session.id":              "session-2",
		"user.id":                 "user-2",
		"tag.tags":                []string{"rag"},
		"metadata":                jsonText(`{"tier":"free","sessionId":"session-2","index":"wiki"}`),
	})
	checkStatus(t, spans[0], codes.Error, "pipeline failed")
	// A Measure step has no context of its own: it takes the run's.
	checkAttributes(t, spans[1], map[string]any{
		"openinference.span.kind": "CHAIN",
		"input.value":             jsonText(`{"query":"capital of France"}`),
		"input.mime_type":         "application/json",
		"output.value":            jsonText(`{"docs":["Paris is the capital."]}`),
		"output.mime_type":        "application/json",
		"gentrace.run_id":         runner.ID(),
		"gentrace.provider_name":  "vectordb",
		"gentrace.invocation":     "search",
		"session.id":              "session-2",
		"user.id":                 "user-2",
		"tag.tags":                []string{"rag"},
		"metadata":                jsonText(`{"tier":"free","index":"wiki"}`),
	})
	checkStatus(t, spans[1], codes.Unset, "")
	checkStatus(t, spans[2], codes.Unset, "")
	checkAttributes(t, spans[3], map[string]any{
		"openinference.span.kind": "CHAIN",
		"gentrace.run_id":         runner.ID(),
		"gentrace.provider_name":  "undeclared",
		"gentrace.invocation":     "undeclared",
		"session.id":              "session-2",
		"user.id":                 "user-2",
		"tag.tags":                []string{"rag"},
		"metadata":                jsonText(`{"tier":"free"}`),
	})
	checkStatus(t, spans[3], codes.Error, "ranker unavailable")
	// The run span covers its steps.
	if spans[0].StartTime().After(spans[1].StartTime()) || spans[0].EndTime().Before(spans[3].EndTime()) {
		t.Errorf("run span %v – %v does not cover its steps %v – %v",
			spans[0].StartTime(), spans[0].EndTime(), spans[1].StartTime(), spans[3].EndTime())
	}
}

// A call OpenAI answers with an error is an LLM span with status Error.
func TestFailedCallSpan(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.fakeAI.Enqueue(openaitest.RouteChatCompletions, openaitest.Error(500, "The server had an error"))
	_, callErr := e.openai.CreateChatCompletion(context.Background(), goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Hi"}},
	}, openai.WithPipelineSlug("failing"))
	if callErr == nil {
		t.Fatal("call succeeded, want OpenAI's error")
	}
	spans := e.flush()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want 2", len(spans))
	}
	step := e.run().StepRuns[0]
	if step.Error == "" {
		t.Fatal("Gentrace received no step error")
	}
	checkStatus(t, spans[0], codes.Unset, "")
	checkStatus(t, spans[1], codes.Error, step.Error)
	checkAttributes(t, spans[1], map[string]any{
		"openinference.span.kind":              "LLM",
		"llm.model_name":                       "gpt-4o-mini",
		"llm.provider":                         "openai",
		"llm.system":                           "openai",
		"llm.invocation_parameters":            jsonOf(t, step.ModelParams),
		"llm.input_messages.0.message.role":    "user",
		"llm.input_messages.0.message.content": "Hi",
		"input.value":                          jsonOf(t, step.Inputs),
		"input.mime_type":                      "application/json",
		"gentrace.run_id":                      e.run().ID,
		"gentrace.provider_name":               "openai",
		"gentrace.invocation":                  "openai_createChatCompletion",
	})
}

// Legacy completions use llm.prompts and llm.choices; moderations are
// GUARDRAIL spans.
func TestCompletionAndModerationSpans(t *testing.T) {
	t.Parallel()
	e := setup(t)
	p, err := e.gentrace.NewPipeline("misc")
	if err != nil {
		t.Fatal(err)
	}
	runner, err := p.Start(context.Background(), gentrace.RunContext{})
	if err != nil {
		t.Fatal(err)
	}
	client := e.openai.ForRunner(runner)
	if _, err := client.CreateCompletion(context.Background(), goopenai.CompletionRequest{
		Model: goopenai.GPT3Dot5TurboInstruct, Prompt: "Say this is a test",
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Moderations(context.Background(), goopenai.ModerationRequest{Input: "I like tea."}); err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Submit(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := e.flush()
	if len(spans) != 3 {
		t.Fatalf("got %d spans, want 3", len(spans))
	}
	checkFamily(t, spans, trace.SpanContext{})
	run := e.run()
	completion := run.StepRuns[0]
	prompt, compl, total := usageOf(t, completion)
	wantCompletion := map[string]any{
		"openinference.span.kind":       "LLM",
		"llm.model_name":                "gpt-3.5-turbo-instruct",
		"llm.provider":                  "openai",
		"llm.system":                    "openai",
		"llm.invocation_parameters":     jsonOf(t, completion.ModelParams),
		"llm.prompts.0.prompt.text":     "Say this is a test",
		"llm.choices.0.completion.text": openaitest.DefaultCompletionText,
		"llm.token_count.prompt":        prompt,
		"llm.token_count.completion":    compl,
		"llm.token_count.total":         total,
		"input.value":                   jsonOf(t, completion.Inputs),
		"input.mime_type":               "application/json",
		"output.value":                  jsonOf(t, completion.Outputs),
		"output.mime_type":              "application/json",
		"gentrace.run_id":               runner.ID(),
		"gentrace.provider_name":        "openai",
		"gentrace.invocation":           "openai_createCompletion",
	}
	if _, ok := completion.Outputs["cost"]; ok {
		wantCompletion["llm.cost.total"] = costOf(t, completion)
	}
	if spans[1].Name() != "Completion" {
		t.Errorf("completion span name %q", spans[1].Name())
	}
	checkAttributes(t, spans[1], wantCompletion)

	moderation := run.StepRuns[1]
	if spans[2].Name() != "Moderation" {
		t.Errorf("moderation span name %q", spans[2].Name())
	}
	checkAttributes(t, spans[2], map[string]any{
		"openinference.span.kind":     "GUARDRAIL",
		"llm.model_name":              "omni-moderation-latest",
		"llm.provider":                "openai",
		"llm.system":                  "openai",
		"llm.invocation_parameters":   jsonOf(t, moderation.ModelParams),
		"gentrace.moderation.flagged": false,
		"llm.cost.total":              costOf(t, moderation), // moderations are free
		"input.value":                 jsonText(`{"input":"I like tea."}`),
		"input.mime_type":             "application/json",
		"output.value":                jsonOf(t, moderation.Outputs),
		"output.mime_type":            "application/json",
		"gentrace.run_id":             runner.ID(),
		"gentrace.provider_name":      "openai",
		"gentrace.invocation":         "openai_createModeration",
	})
}

// The privacy options leave prompts, answers and vectors out and keep the
// rest.
func TestHideInputsAndOutputs(t *testing.T) {
	t.Parallel()
	e := setup(t, openinference.WithHideInputs(), openinference.WithHideOutputs())
	ctx, err := gentrace.WithAttributes(context.Background(),
		gentrace.AttrPromptTemplate("Hello {{name}}"),
		gentrace.AttrPromptTemplateVariables(map[string]any{"name": "secret"}))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.openai.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Hello secret"}},
	}, openai.WithPipelineSlug("private"))
	if err != nil {
		t.Fatal(err)
	}
	spans := e.flush()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want 2", len(spans))
	}
	step := e.run().StepRuns[0]
	u := resp.Usage
	checkAttributes(t, spans[1], map[string]any{
		"openinference.span.kind":      "LLM",
		"llm.model_name":               "gpt-4o-mini",
		"llm.provider":                 "openai",
		"llm.system":                   "openai",
		"llm.invocation_parameters":    jsonOf(t, step.ModelParams),
		"llm.token_count.prompt":       u.PromptTokens,
		"llm.token_count.completion":   u.CompletionTokens,
		"llm.token_count.total":        u.TotalTokens,
		"llm.cost.total":               costOf(t, step),
		"llm.prompt_template.template": "Hello {{name}}",
		"gentrace.run_id":              resp.PipelineRunID,
		"gentrace.provider_name":       "openai",
		"gentrace.invocation":          "openai_createChatCompletion",
	})
}

func TestHideEmbeddingVectors(t *testing.T) {
	t.Parallel()
	e := setup(t, openinference.WithHideEmbeddingVectors())
	if _, err := e.openai.CreateEmbeddings(context.Background(), goopenai.EmbeddingRequest{
		Model: goopenai.SmallEmbedding3, Input: "alpha",
	}, openai.WithPipelineSlug("embedder")); err != nil {
		t.Fatal(err)
	}
	spans := e.flush()
	got := attributesOf(spans[1])
	if _, ok := got["embedding.embeddings.0.embedding.vector"]; ok {
		t.Error("vector recorded despite WithHideEmbeddingVectors")
	}
	if got["embedding.embeddings.0.embedding.text"] != "alpha" {
		t.Errorf("embedding text = %v, want alpha", got["embedding.embeddings.0.embedding.text"])
	}
}

// Runs recorded concurrently under different requests each join their own
// request's trace.
func TestConcurrentRuns(t *testing.T) {
	t.Parallel()
	e := setup(t)
	const n = 16
	parents := make([]trace.SpanContext, n)
	var wg sync.WaitGroup
	for i := range n {
		ctx, request := e.parentSpan(context.Background())
		parents[i] = request.SpanContext()
		wg.Go(func() {
			defer request.End()
			if _, err := e.openai.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
				Model:    goopenai.GPT4oMini,
				Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Hi"}},
			}, openai.WithPipelineSlug("concurrent")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.gentrace.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	byTrace := map[trace.TraceID][]sdktrace.ReadOnlySpan{}
	for _, s := range e.spans.Ended() {
		byTrace[s.SpanContext().TraceID()] = append(byTrace[s.SpanContext().TraceID()], s)
	}
	for _, parent := range parents {
		spans := byTrace[parent.TraceID()]
		var run, chat sdktrace.ReadOnlySpan
		for _, s := range spans {
			switch s.Name() {
			case "concurrent":
				run = s
			case "ChatCompletion":
				chat = s
			}
		}
		if len(spans) != 3 || run == nil || chat == nil {
			t.Errorf("trace %v has %d spans, want the request, a run and a chat span", parent.TraceID(), len(spans))
			continue
		}
		if run.Parent().SpanID() != parent.SpanID() || chat.Parent().SpanID() != run.SpanContext().SpanID() {
			t.Errorf("trace %v: wrong parents", parent.TraceID())
		}
	}
}

// The Observer never changes the global tracer provider, and without
// WithTracerProvider it uses the global one, looked up when the spans are
// made. Not parallel: it sets the global provider for its duration.
func TestGlobalTracerProvider(t *testing.T) {
	before := otel.GetTracerProvider()

	// An explicit provider: the global one is left alone.
	e := setup(t)
	if _, err := e.openai.CreateChatCompletion(context.Background(), goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Hi"}},
	}, openai.WithPipelineSlug("explicit")); err != nil {
		t.Fatal(err)
	}
	if got := len(e.flush()); got != 2 {
		t.Fatalf("got %d spans from the explicit provider, want 2", got)
	}
	if otel.GetTracerProvider() != before {
		t.Fatal("the global tracer provider changed")
	}

	// No provider given: the global one, installed after New, is used.
	observer := openinference.New()
	recorder := tracetest.NewSpanRecorder()
	global := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	otel.SetTracerProvider(global)
	t.Cleanup(func() {
		otel.SetTracerProvider(before)
		_ = global.Shutdown(context.Background())
	})
	backend := gentracetest.Start(t)
	gc, err := gentrace.New(gentrace.WithAPIKey(backend.APIKey), gentrace.WithBaseURL(backend.URL), gentrace.WithObserver(observer))
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Shutdown(context.Background())
	p, err := gc.NewPipeline("global")
	if err != nil {
		t.Fatal(err)
	}
	runner, err := p.Start(context.Background(), gentrace.RunContext{})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Checkpoint(map[string]any{"a": 1}, map[string]any{"b": 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Submit(context.Background(), gentrace.WaitForServer()); err != nil {
		t.Fatal(err)
	}
	spans := recorder.Ended()
	if len(spans) != 2 || spans[1].Name() != "global" || spans[0].Name() != "step" {
		names := []string{}
		for _, s := range spans {
			names = append(names, s.Name())
		}
		t.Errorf("global provider recorded %q, want [step global]", names)
	}
	if otel.GetTracerProvider() != global {
		t.Error("the global tracer provider changed")
	}
}
