package openinference_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/gentrace/gentrace-go/openaihttp"
	"github.com/gentrace/gentrace-go/openinference"
	goopenai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// llmAttributes are the attributes every LLM span of an OpenAI step
// carries, from what Gentrace received for the step; the model name and
// the call's own attributes are the test's to add.
func llmAttributes(t *testing.T, step gentracetest.StepRun, runID string, extra map[string]any) map[string]any {
	t.Helper()
	m := map[string]any{
		"openinference.span.kind":   "LLM",
		"llm.provider":              "openai",
		"llm.system":                "openai",
		"llm.invocation_parameters": jsonOf(t, step.ModelParams),
		"input.value":               jsonOf(t, step.Inputs),
		"input.mime_type":           "application/json",
		"output.value":              jsonOf(t, step.Outputs),
		"output.mime_type":          "application/json",
		"gentrace.run_id":           runID,
		"gentrace.provider_name":    "openai",
		"gentrace.invocation":       step.Invocation,
	}
	if _, ok := step.Outputs["cost"]; ok {
		m["llm.cost.total"] = costOf(t, step)
	}
	maps.Copy(m, extra)
	return m
}

// A simple-mode chat call under a traced request and context attributes:
// the run span is a child of the request's span, and both spans carry
// exactly the OpenInference attributes, token details included.
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
			PromptTokensDetails:     &goopenai.PromptTokensDetails{CachedTokens: 5, AudioTokens: 3},
			CompletionTokensDetails: &goopenai.CompletionTokensDetails{ReasoningTokens: 2, AudioTokens: 1}},
	}))
	ctx, err := gentrace.WithSession(context.Background(), "session-1")
	if err != nil {
		t.Fatal(err)
	}
	if ctx, err = gentrace.WithUser(ctx, "user-1"); err != nil {
		t.Fatal(err)
	}
	ctx, err = gentrace.WithAttributes(ctx, gentrace.Attributes{
		Metadata: gentrace.Metadata{
			"tier": gentrace.String("gold"),
			"beta": gentrace.Bool(true),
			"doc":  gentrace.URL("https://example.com/doc", "Doc"),
		},
		Tags:                    []string{"greeting", "fr"},
		PromptTemplate:          "Greet {{name}} in French.",
		PromptTemplateVersion:   "v2",
		PromptTemplateVariables: map[string]any{"name": "Ada"},
	})
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
			{Role: goopenai.ChatMessageRoleUser, MultiContent: []goopenai.ChatMessagePart{
				{Type: goopenai.ChatMessagePartTypeText, Text: "Greet the person in this picture in French."},
				{Type: goopenai.ChatMessagePartTypeImageURL, ImageURL: &goopenai.ChatMessageImageURL{URL: "https://example.com/ada.png"}},
			}},
			{Role: goopenai.ChatMessageRoleAssistant, ToolCalls: []goopenai.ToolCall{{
				ID: "call_1", Type: goopenai.ToolTypeFunction,
				Function: goopenai.FunctionCall{Name: "lookup", Arguments: `{"word":"bonjour"}`},
			}}},
			{Role: goopenai.ChatMessageRoleTool, ToolCallID: "call_1", Name: "lookup", Content: "hello"},
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

	spans := e.flush(2)
	checkFamily(t, spans, request.SpanContext())
	step := e.run().StepRuns[0]
	ctxAttrs := map[string]any{
		"session.id":                    "session-1",
		"user.id":                       "user-1",
		"tag.tags":                      []string{"greeting", "fr"},
		"llm.prompt_template.template":  "Greet {{name}} in French.",
		"llm.prompt_template.version":   "v2",
		"llm.prompt_template.variables": jsonText(`{"name":"Ada"}`),
	}
	with := func(m map[string]any) map[string]any {
		maps.Copy(m, ctxAttrs)
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
	checkAttributes(t, spans[1], with(llmAttributes(t, step, resp.PipelineRunID, map[string]any{
		"llm.model_name":                                                          "gpt-4o-2024-08-06",
		"llm.input_messages.0.message.role":                                       "system",
		"llm.input_messages.0.message.content":                                    "You are polite.",
		"llm.input_messages.1.message.role":                                       "user",
		"llm.input_messages.1.message.contents.0.message_content.type":            "text",
		"llm.input_messages.1.message.contents.0.message_content.text":            "Greet the person in this picture in French.",
		"llm.input_messages.1.message.contents.1.message_content.type":            "image",
		"llm.input_messages.1.message.contents.1.message_content.image.image.url": "https://example.com/ada.png",
		"llm.input_messages.2.message.role":                                       "assistant",
		"llm.input_messages.2.message.tool_calls.0.tool_call.id":                  "call_1",
		"llm.input_messages.2.message.tool_calls.0.tool_call.function.name":       "lookup",
		"llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments":  `{"word":"bonjour"}`,
		"llm.input_messages.3.message.role":                                       "tool",
		"llm.input_messages.3.message.content":                                    "hello",
		"llm.input_messages.3.message.name":                                       "lookup",
		"llm.input_messages.3.message.tool_call_id":                               "call_1",
		"llm.tools.0.tool.json_schema":                                            jsonText(`{"type":"function","function":{"name":"lookup","description":"Looks a word up.","parameters":{"type":"object","properties":{"word":{"type":"string"}}}}}`),
		"llm.output_messages.0.message.role":                                      "assistant",
		"llm.output_messages.0.message.content":                                   "Bonjour, Ada !",
		"llm.token_count.prompt":                                                  25,
		"llm.token_count.completion":                                              7,
		"llm.token_count.total":                                                   32,
		"llm.token_count.prompt_details.cache_read":                               5,
		"llm.token_count.prompt_details.audio":                                    3,
		"llm.token_count.completion_details.reasoning":                            2,
		"llm.token_count.completion_details.audio":                                1,
		// The context's metadata; the run's extra keys are on the run span.
		"metadata": jsonText(`{"tier":"gold","beta":true,"doc":"https://example.com/doc"}`),
	})))
	checkStatus(t, spans[1], codes.Unset, "")
	checkTimes(t, spans[1], step)
	// The model parameters are those of the request.
	var params map[string]any
	_ = json.Unmarshal([]byte(attributesOf(spans[1])["llm.invocation_parameters"].(string)), &params)
	if params["model"] != "gpt-4o" || params["temperature"] != 0.2 {
		t.Errorf("llm.invocation_parameters = %v, want model gpt-4o and temperature 0.2", params)
	}
}

// A chat stream answered with tool calls: the output message carries them;
// its time to first token is an attribute and an event.
func TestChatStreamToolCallSpan(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.fakeAI.Enqueue(openaitest.RouteChatCompletions, openaitest.ChatStream(openaitest.ChatChunks(2, openaitest.Choice{
		ToolCalls: []openaitest.ToolCall{
			{Name: "get_weather", Arguments: `{"city":"Paris"}`},
			{Name: "get_weather", Arguments: `{"city":"Rome"}`},
		},
	})...))
	ctx, run := e.start(context.Background(), "tools", gentrace.RunContext{})
	stream, err := e.plain.CreateChatCompletionStream(ctx, goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Weather in Paris and Rome?"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int]string{}
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunk.Choices {
			for _, tc := range c.Delta.ToolCalls {
				if tc.ID != "" {
					ids[*tc.Index] = tc.ID
				}
			}
		}
	}
	stream.Close()
	run.End(nil)

	spans := e.flush(2)
	step := e.run().StepRuns[0]
	prompt, completion, total := usageOf(t, step)
	checkAttributes(t, spans[1], llmAttributes(t, step, run.ID(), map[string]any{
		"llm.model_name":                                                          "gpt-4o-mini",
		"llm.input_messages.0.message.role":                                       "user",
		"llm.input_messages.0.message.content":                                    "Weather in Paris and Rome?",
		"llm.output_messages.0.message.role":                                      "assistant",
		"llm.output_messages.0.message.tool_calls.0.tool_call.id":                 ids[0],
		"llm.output_messages.0.message.tool_calls.0.tool_call.function.name":      "get_weather",
		"llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": `{"city":"Paris"}`,
		"llm.output_messages.0.message.tool_calls.1.tool_call.id":                 ids[1],
		"llm.output_messages.0.message.tool_calls.1.tool_call.function.name":      "get_weather",
		"llm.output_messages.0.message.tool_calls.1.tool_call.function.arguments": `{"city":"Rome"}`,
		"llm.token_count.prompt":                                                  prompt,
		"llm.token_count.completion":                                              completion,
		"llm.token_count.total":                                                   total,
		"gentrace.token_count.estimated":                                          true,
		"gentrace.time_to_first_token_ms":                                         positive{},
	}))
	if ids[0] == "" || ids[1] == "" {
		t.Errorf("tool call IDs %v: want two", ids)
	}
	checkFirstToken(t, spans[1])
	checkTimes(t, spans[1], step)
}

// A stream the caller closes early is marked, holds the partial answer,
// and is not an error. A reasoning model's estimate says what it omits.
func TestStreamClosedEarlySpan(t *testing.T) {
	t.Parallel()
	e := setup(t)
	// A model that sends two chunks and then thinks until the caller
	// gives up.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, delta := range []string{`{"role":"assistant","content":""}`, `{"content":"one two"}`} {
			fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1741000000,"+
				"\"model\":\"o3-mini-2025-01-31\",\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":null}]}\n\n", delta)
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	cfg := goopenai.DefaultConfig("test-key")
	cfg.BaseURL = srv.URL + "/v1"
	client := goopenai.NewClientWithConfig(openai.Record(cfg))
	ctx, run := e.start(context.Background(), "counter", gentrace.RunContext{})
	stream, err := client.CreateChatCompletionStream(ctx, goopenai.ChatCompletionRequest{
		Model:    "o3-mini",
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Count"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for text.Len() == 0 {
		chunk, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunk.Choices {
			text.WriteString(c.Delta.Content)
		}
	}
	stream.Close()
	run.End(nil)

	spans := e.flush(2)
	checkFamily(t, spans, trace.SpanContext{})
	step := e.run().StepRuns[0]
	prompt, completion, total := usageOf(t, step)
	checkAttributes(t, spans[1], llmAttributes(t, step, run.ID(), map[string]any{
		"llm.model_name":                        "o3-mini-2025-01-31",
		"llm.input_messages.0.message.role":     "user",
		"llm.input_messages.0.message.content":  "Count",
		"llm.output_messages.0.message.role":    "assistant",
		"llm.output_messages.0.message.content": "one two",
		"llm.token_count.prompt":                prompt,
		"llm.token_count.completion":            completion,
		"llm.token_count.total":                 total,
		"gentrace.token_count.estimated":        true,
		"gentrace.token_count.estimate_omits":   []string{"hidden reasoning tokens of o3-mini-2025-01-31 not counted (a stream without usage does not show them)"},
		"gentrace.stream.closed_early":          true,
		"gentrace.time_to_first_token_ms":       positive{},
	}))
	checkStatus(t, spans[1], codes.Unset, "")
	checkFirstToken(t, spans[1])
}

// An embeddings call is an EMBEDDING span in OpenInference's embedding
// conventions: embedding.model_name rather than llm.system and
// llm.provider, every request field but the input in
// embedding.invocation_parameters, and one embedding.embeddings entry per
// input, with vectors sent as floats or as base64 alike.
func TestEmbeddingSpan(t *testing.T) {
	t.Parallel()
	for _, format := range []goopenai.EmbeddingEncodingFormat{goopenai.EmbeddingEncodingFormatFloat, goopenai.EmbeddingEncodingFormatBase64} {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			resp, err := e.openai.CreateEmbeddings(context.Background(), goopenai.EmbeddingRequest{
				Model:          goopenai.SmallEmbedding3,
				Input:          []string{"alpha", "beta"},
				Dimensions:     4,
				EncodingFormat: format,
				User:           "u-9",
			}, openai.WithPipelineSlug("embedder"))
			if err != nil {
				t.Fatal(err)
			}
			spans := e.flush(2)
			checkFamily(t, spans, trace.SpanContext{})
			step := e.run().StepRuns[0]
			if spans[1].Name() != "CreateEmbeddings" {
				t.Errorf("embedding span name %q, want CreateEmbeddings", spans[1].Name())
			}
			// The vectors as they crossed the wire: JSON numbers, or
			// base64 float32s, which go-openai decodes for the caller.
			var vectors [][]float64
			if format == goopenai.EmbeddingEncodingFormatBase64 {
				if _, ok := step.Outputs["data"].([]any)[0].(map[string]any)["embedding"].(string); !ok {
					t.Fatalf("Gentrace received %v, want base64 vectors", step.Outputs["data"])
				}
				for _, d := range resp.Data {
					var v []float64
					for _, f := range d.Embedding {
						v = append(v, float64(f))
					}
					vectors = append(vectors, v)
				}
			} else {
				var out struct {
					Data []struct {
						Embedding []float64 `json:"embedding"`
					} `json:"data"`
				}
				if err := json.Unmarshal([]byte(jsonOf(t, step.Outputs)), &out); err != nil {
					t.Fatal(err)
				}
				for _, d := range out.Data {
					vectors = append(vectors, d.Embedding)
				}
			}
			if len(vectors) != 2 || len(vectors[0]) != 4 {
				t.Fatalf("got vectors %v, want 2 of 4 dimensions", vectors)
			}
			checkAttributes(t, spans[1], map[string]any{
				"openinference.span.kind":                 "EMBEDDING",
				"embedding.model_name":                    "text-embedding-3-small",
				"embedding.invocation_parameters":         jsonText(`{"model":"text-embedding-3-small","dimensions":4,"encoding_format":"` + string(format) + `","user":"u-9"}`),
				"embedding.embeddings.0.embedding.text":   "alpha",
				"embedding.embeddings.1.embedding.text":   "beta",
				"embedding.embeddings.0.embedding.vector": vectors[0],
				"embedding.embeddings.1.embedding.vector": vectors[1],
				"llm.token_count.prompt":                  resp.Usage.PromptTokens,
				"llm.token_count.total":                   resp.Usage.TotalTokens,
				"llm.cost.total":                          costOf(t, step),
				"input.value":                             jsonOf(t, step.Inputs),
				"input.mime_type":                         "application/json",
				"output.value":                            jsonOf(t, step.Outputs),
				"output.mime_type":                        "application/json",
				"gentrace.run_id":                         resp.PipelineRunID,
				"gentrace.provider_name":                  "openai",
				"gentrace.invocation":                     "openai_createEmbedding",
			})
			checkTimes(t, spans[1], step)
		})
	}
}

// A call OpenAI answers with an error is an LLM span with status Error.
func TestFailedCallSpan(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.fakeAI.Enqueue(openaitest.RouteChatCompletions, openaitest.Error(400, "Invalid model"))
	_, callErr := e.openai.CreateChatCompletion(context.Background(), goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Hi"}},
	}, openai.WithPipelineSlug("failing"))
	if callErr == nil {
		t.Fatal("call succeeded, want OpenAI's error")
	}
	spans := e.flush(2)
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
	ctx, run := e.start(context.Background(), "misc", gentrace.RunContext{})
	if _, err := e.openai.CreateCompletion(ctx, goopenai.CompletionRequest{
		Model: goopenai.GPT3Dot5TurboInstruct, Prompt: "Say this is a test",
	}); err != nil {
		t.Fatal(err)
	}
	e.fakeAI.Enqueue(openaitest.RouteModerations, openaitest.JSON(goopenai.ModerationResponse{
		Model:   "omni-moderation-latest",
		Results: []goopenai.Result{{Flagged: false}, {Flagged: true}},
	}))
	if _, err := e.plain.Moderations(ctx, goopenai.ModerationRequest{Input: "I like tea."}); err != nil {
		t.Fatal(err)
	}
	run.End(nil)
	spans := e.flush(3)
	checkFamily(t, spans, trace.SpanContext{})
	stored := e.run()
	completion := stored.StepRuns[0]
	prompt, compl, total := usageOf(t, completion)
	if spans[1].Name() != "Completion" {
		t.Errorf("completion span name %q", spans[1].Name())
	}
	checkAttributes(t, spans[1], llmAttributes(t, completion, run.ID(), map[string]any{
		"llm.model_name":                "gpt-3.5-turbo-instruct",
		"llm.prompts.0.prompt.text":     "Say this is a test",
		"llm.choices.0.completion.text": openaitest.DefaultCompletionText,
		"llm.token_count.prompt":        prompt,
		"llm.token_count.completion":    compl,
		"llm.token_count.total":         total,
		// openaitest answers with every detail, as OpenAI does.
		"llm.token_count.prompt_details.cache_read":    0,
		"llm.token_count.prompt_details.audio":         0,
		"llm.token_count.completion_details.reasoning": 0,
		"llm.token_count.completion_details.audio":     0,
	}))

	moderation := stored.StepRuns[1]
	if spans[2].Name() != "Moderation" {
		t.Errorf("moderation span name %q", spans[2].Name())
	}
	checkAttributes(t, spans[2], map[string]any{
		"openinference.span.kind":     "GUARDRAIL",
		"llm.model_name":              "omni-moderation-latest",
		"llm.provider":                "openai",
		"llm.system":                  "openai",
		"llm.invocation_parameters":   jsonOf(t, moderation.ModelParams),
		"gentrace.moderation.flagged": true,
		"llm.cost.total":              costOf(t, moderation), // moderations are free
		"input.value":                 jsonText(`{"input":"I like tea."}`),
		"input.mime_type":             "application/json",
		"output.value":                jsonOf(t, moderation.Outputs),
		"output.mime_type":            "application/json",
		"gentrace.run_id":             run.ID(),
		"gentrace.provider_name":      "openai",
		"gentrace.invocation":         "openai_createModeration",
	})
}

// responseBody is a Responses API answer with reasoning, a message and two
// parallel function calls, and usage with cached and reasoning tokens.
const responseBody = `{"id":"resp_1","object":"response","created_at":1741000000,"status":"completed",` +
	`"model":"gpt-4.1-2025-04-14","output":[` +
	`{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Need the weather tool."}]},` +
	`{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[` +
	`{"type":"output_text","text":"Checking ","annotations":[]},{"type":"output_text","text":"both.","annotations":[]}]},` +
	`{"type":"function_call","id":"fc_1","call_id":"call_P","name":"get_weather","arguments":"{\"city\":\"Paris\"}","status":"completed"},` +
	`{"type":"function_call","id":"fc_2","call_id":"call_R","name":"get_weather","arguments":"{\"city\":\"Rome\"}","status":"completed"}],` +
	`"usage":{"input_tokens":2000,"input_tokens_details":{"cached_tokens":1500},"output_tokens":40,` +
	`"output_tokens_details":{"reasoning_tokens":12},"total_tokens":2040}}`

// A Responses API call is an LLM span: instructions and input items as
// input messages (function calls as the assistant's tool calls, their
// outputs as tool messages, reasoning left out), output items as output
// messages, flat tool definitions, and the Responses usage shape's token
// details.
func TestResponseSpan(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.fakeAI.Enqueue("/v1/responses", openaitest.Raw(200, []byte(responseBody)))
	ctx, run := e.start(context.Background(), "responses", gentrace.RunContext{})
	if _, err := e.openai.CreateResponse(ctx, goopenai.CreateResponseRequest{
		Model:        "gpt-4.1",
		Instructions: "Be brief.",
		Input: []any{
			map[string]any{"role": "user", "content": "Weather in Paris and Rome?"},
			map[string]any{"type": "message", "role": "user", "content": []any{
				map[string]any{"type": "input_text", "text": "Use Celsius."},
				map[string]any{"type": "input_image", "image_url": "https://example.com/map.png"},
			}},
			map[string]any{"type": "reasoning", "id": "rs_0", "summary": []any{}},
			map[string]any{"type": "function_call", "call_id": "call_0", "name": "get_time", "arguments": "{}"},
			map[string]any{"type": "function_call_output", "call_id": "call_0", "output": "12:00"},
		},
		ExtraBody: map[string]any{"tools": []any{map[string]any{
			"type": "function", "name": "get_weather",
			"parameters": map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
		}}},
	}); err != nil {
		t.Fatal(err)
	}
	run.End(nil)
	spans := e.flush(2)
	step := e.run().StepRuns[0]
	if spans[1].Name() != "Response" {
		t.Errorf("span name %q, want Response", spans[1].Name())
	}
	checkAttributes(t, spans[1], llmAttributes(t, step, run.ID(), map[string]any{
		"llm.model_name":                                                          "gpt-4.1-2025-04-14",
		"llm.input_messages.0.message.role":                                       "system",
		"llm.input_messages.0.message.content":                                    "Be brief.",
		"llm.input_messages.1.message.role":                                       "user",
		"llm.input_messages.1.message.content":                                    "Weather in Paris and Rome?",
		"llm.input_messages.2.message.role":                                       "user",
		"llm.input_messages.2.message.contents.0.message_content.type":            "text",
		"llm.input_messages.2.message.contents.0.message_content.text":            "Use Celsius.",
		"llm.input_messages.2.message.contents.1.message_content.type":            "image",
		"llm.input_messages.2.message.contents.1.message_content.image.image.url": "https://example.com/map.png",
		"llm.input_messages.3.message.role":                                       "assistant",
		"llm.input_messages.3.message.tool_calls.0.tool_call.id":                  "call_0",
		"llm.input_messages.3.message.tool_calls.0.tool_call.function.name":       "get_time",
		"llm.input_messages.3.message.tool_calls.0.tool_call.function.arguments":  "{}",
		"llm.input_messages.4.message.role":                                       "tool",
		"llm.input_messages.4.message.tool_call_id":                               "call_0",
		"llm.input_messages.4.message.content":                                    "12:00",
		"llm.tools.0.tool.json_schema":                                            jsonText(`{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}`),
		"llm.output_messages.0.message.role":                                      "assistant",
		"llm.output_messages.0.message.content":                                   "Checking both.",
		"llm.output_messages.0.message.tool_calls.0.tool_call.id":                 "call_P",
		"llm.output_messages.0.message.tool_calls.0.tool_call.function.name":      "get_weather",
		"llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": `{"city":"Paris"}`,
		"llm.output_messages.0.message.tool_calls.1.tool_call.id":                 "call_R",
		"llm.output_messages.0.message.tool_calls.1.tool_call.function.name":      "get_weather",
		"llm.output_messages.0.message.tool_calls.1.tool_call.function.arguments": `{"city":"Rome"}`,
		"llm.token_count.prompt":                                                  2000,
		"llm.token_count.completion":                                              40,
		"llm.token_count.total":                                                   2040,
		"llm.token_count.prompt_details.cache_read":                               1500,
		"llm.token_count.completion_details.reasoning":                            12,
	}))
	if _, ok := step.Outputs["cost"]; !ok {
		t.Error("Gentrace received no cost for gpt-4.1: the span's llm.cost.total went unchecked")
	}
}

// responseEvents is a streamed Responses API answer, as OpenAI sends it.
const responseEvents = "event: response.created\n" +
	`data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_s1","object":"response","created_at":1741000000,"status":"in_progress","model":"gpt-4.1-2025-04-14","output":[],"usage":null}}` + "\n\n" +
	"event: response.output_item.added\n" +
	`data: {"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"id":"msg_1","type":"message","status":"in_progress","content":[],"role":"assistant"}}` + "\n\n" +
	"event: response.output_text.delta\n" +
	`data: {"type":"response.output_text.delta","sequence_number":2,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hello"}` + "\n\n" +
	"event: response.output_text.delta\n" +
	`data: {"type":"response.output_text.delta","sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,"delta":" there!"}` + "\n\n" +
	"event: response.output_item.done\n" +
	`data: {"type":"response.output_item.done","sequence_number":4,"output_index":0,"item":{"id":"msg_1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"text":"Hello there!"}],"role":"assistant"}}` + "\n\n" +
	"event: response.completed\n" +
	`data: {"type":"response.completed","sequence_number":5,"response":{"id":"resp_s1","object":"response","created_at":1741000000,"status":"completed","model":"gpt-4.1-2025-04-14",` +
	`"output":[{"id":"msg_1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"text":"Hello there!"}],"role":"assistant"}],` +
	`"usage":{"input_tokens":9,"input_tokens_details":{"cached_tokens":0},"output_tokens":3,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":12}}}` + "\n\n"

// A streamed Responses API call records the response of its
// response.completed event: the details the answer has are attributes
// even when they are zero.
func TestResponseStreamSpan(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.fakeAI.Enqueue("/v1/responses", openaitest.Raw(200, []byte(responseEvents)).WithHeader("Content-Type", "text/event-stream"))
	ctx, run := e.start(context.Background(), "responses", gentrace.RunContext{})
	stream, err := e.plain.CreateResponseStream(ctx, goopenai.CreateResponseRequest{Model: "gpt-4.1", Input: "Say hello"})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := stream.Recv(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	stream.Close()
	run.End(nil)
	spans := e.flush(2)
	step := e.run().StepRuns[0]
	checkAttributes(t, spans[1], llmAttributes(t, step, run.ID(), map[string]any{
		"llm.model_name":                               "gpt-4.1-2025-04-14",
		"llm.input_messages.0.message.role":            "user",
		"llm.input_messages.0.message.content":         "Say hello",
		"llm.output_messages.0.message.role":           "assistant",
		"llm.output_messages.0.message.content":        "Hello there!",
		"llm.token_count.prompt":                       9,
		"llm.token_count.completion":                   3,
		"llm.token_count.total":                        12,
		"llm.token_count.prompt_details.cache_read":    0,
		"llm.token_count.completion_details.reasoning": 0,
		"gentrace.time_to_first_token_ms":              positive{},
	}))
	checkFirstToken(t, spans[1])
}

// Images and audio calls are LLM spans with their parameters and their
// inputs and outputs as JSON, without the image or audio bytes; a
// transcription's usage has audio token details.
func TestImageAndAudioSpans(t *testing.T) {
	t.Parallel()
	e := setup(t)
	image := strings.Repeat("iVBORw0KGgo=", 100)
	e.fakeAI.Enqueue("/v1/images/generations", openaitest.Raw(200, []byte(`{"created":1741000000,"data":[{"b64_json":"`+image+`"}],`+
		`"usage":{"total_tokens":300,"input_tokens":28,"output_tokens":272,"input_tokens_details":{"text_tokens":28,"image_tokens":0}}}`)))
	e.fakeAI.Enqueue("/v1/audio/transcriptions", openaitest.Raw(200, []byte(`{"text":"Ada and Grace met at noon.",`+
		`"usage":{"type":"tokens","input_tokens":120,"input_token_details":{"text_tokens":8,"audio_tokens":112},"output_tokens":9,"total_tokens":129}}`)))
	e.fakeAI.Enqueue("/v1/audio/translations", openaitest.Raw(200, []byte(`{"text":"Hello, world."}`)))
	e.fakeAI.Enqueue("/v1/audio/speech", openaitest.Raw(200, bytes.Repeat([]byte{0xff}, 1024)).WithHeader("Content-Type", "audio/mpeg"))

	ctx, run := e.start(context.Background(), "media", gentrace.RunContext{})
	if _, err := e.openai.CreateImage(ctx, goopenai.ImageRequest{
		Model: "gpt-image-1", Prompt: "A lighthouse at dusk", Size: "1024x1024", Quality: "low", N: 1,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.openai.CreateTranscription(ctx, goopenai.AudioRequest{
		Model: "gpt-4o-transcribe", FilePath: "meeting.mp3", Reader: bytes.NewReader(make([]byte, 1000)),
		Prompt: "Names: Ada, Grace.", Format: goopenai.AudioResponseFormatJSON,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.openai.CreateTranslation(ctx, goopenai.AudioRequest{
		Model: "whisper-1", FilePath: "hallo.mp3", Reader: bytes.NewReader(make([]byte, 500)),
		Format: goopenai.AudioResponseFormatJSON,
	}); err != nil {
		t.Fatal(err)
	}
	speech, err := e.openai.CreateSpeech(ctx, goopenai.CreateSpeechRequest{Model: "tts-1", Input: "Hello!", Voice: goopenai.VoiceAlloy})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, speech); err != nil {
		t.Fatal(err)
	}
	speech.Close()
	run.End(nil)

	spans := e.flush(5)
	steps := e.run().StepRuns
	names := []string{"Image", "Transcription", "Translation", "Speech"}
	for i, name := range names {
		if spans[i+1].Name() != name {
			t.Errorf("span %d named %q, want %q", i+1, spans[i+1].Name(), name)
		}
	}

	// The image travels to Gentrace; the span says how long it was.
	imageOut := maps.Clone(steps[0].Outputs)
	imageOut["data"] = []any{map[string]any{"b64_json": "(1200 base64 characters left out)"}}
	if got := attributesOf(spans[1])["output.value"]; strings.Contains(got.(string), image) {
		t.Error("the image's base64 is in output.value")
	}
	checkAttributes(t, spans[1], llmAttributes(t, steps[0], run.ID(), map[string]any{
		"llm.model_name":             "gpt-image-1",
		"output.value":               jsonOf(t, imageOut),
		"llm.token_count.prompt":     28,
		"llm.token_count.completion": 272,
		"llm.token_count.total":      300,
	}))
	checkAttributes(t, spans[2], llmAttributes(t, steps[1], run.ID(), map[string]any{
		"llm.model_name":                       "gpt-4o-transcribe",
		"llm.token_count.prompt":               120,
		"llm.token_count.completion":           9,
		"llm.token_count.total":                129,
		"llm.token_count.prompt_details.audio": 112,
	}))
	if steps[1].Inputs["file"].(map[string]any)["bytes"] != 1000.0 {
		t.Errorf("transcription inputs %v: want the file by its size", steps[1].Inputs)
	}
	checkAttributes(t, spans[3], llmAttributes(t, steps[2], run.ID(), map[string]any{
		"llm.model_name": "whisper-1",
	}))
	checkAttributes(t, spans[4], llmAttributes(t, steps[3], run.ID(), map[string]any{
		"llm.model_name": "tts-1",
		"output.value":   jsonText(`{"contentType":"audio/mpeg","bytes":1024,"cost":{"type":"dollars","value":0.00009}}`),
	}))
}

// A call to Azure OpenAI, through an unmodified go-openai client made with
// its Azure configuration, says llm.provider azure and names the model
// that answered, not the deployment; llm.system stays openai.
func TestAzureSpan(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.fakeAI.Enqueue("/openai/deployments/support-bot/chat/completions", openaitest.JSON(goopenai.ChatCompletionResponse{
		Model: "gpt-4o-2024-11-20",
		Choices: []goopenai.ChatCompletionChoice{{
			Message:      goopenai.ChatCompletionMessage{Role: goopenai.ChatMessageRoleAssistant, Content: "Hi!"},
			FinishReason: goopenai.FinishReasonStop,
		}},
		Usage: goopenai.Usage{PromptTokens: 8, CompletionTokens: 2, TotalTokens: 10},
	}))
	cfg := goopenai.DefaultAzureConfig("azure-key", strings.TrimSuffix(e.fakeAI.URL(), "/v1"))
	cfg.AzureModelMapperFunc = func(string) string { return "support-bot" }
	azure := goopenai.NewClientWithConfig(openai.Record(cfg))
	ctx, run := e.start(context.Background(), "azure", gentrace.RunContext{})
	if _, err := azure.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model:    "support-bot",
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Hello"}},
	}); err != nil {
		t.Fatal(err)
	}
	run.End(nil)
	spans := e.flush(2)
	step := e.run().StepRuns[0]
	if step.ProviderName != "openai" {
		t.Errorf("Gentrace received provider %q, want openai", step.ProviderName)
	}
	checkAttributes(t, spans[1], llmAttributes(t, step, run.ID(), map[string]any{
		"llm.provider":                          "azure",
		"llm.model_name":                        "gpt-4o-2024-11-20",
		"llm.input_messages.0.message.role":     "user",
		"llm.input_messages.0.message.content":  "Hello",
		"llm.output_messages.0.message.role":    "assistant",
		"llm.output_messages.0.message.content": "Hi!",
		"llm.token_count.prompt":                8,
		"llm.token_count.completion":            2,
		"llm.token_count.total":                 10,
		// The fake server, like OpenAI, sends the detail objects (zeros).
		"llm.token_count.prompt_details.cache_read":    0,
		"llm.token_count.prompt_details.audio":         0,
		"llm.token_count.completion_details.reasoning": 0,
		"llm.token_count.completion_details.audio":     0,
	}))
	if _, ok := step.Outputs["cost"]; !ok {
		t.Error("no cost: the Azure call was not priced by the model that answered")
	}
}

// The privacy options leave prompts, answers and vectors out and keep the
// rest.
func TestHideInputsAndOutputs(t *testing.T) {
	t.Parallel()
	e := setup(t, openinference.WithHideInputs(), openinference.WithHideOutputs())
	ctx, err := gentrace.WithAttributes(context.Background(), gentrace.Attributes{
		PromptTemplate:          "Hello {{name}}",
		PromptTemplateVariables: map[string]any{"name": "secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.fakeAI.Enqueue("/v1/responses", openaitest.Raw(200, []byte(responseBody)))
	ctx, run := e.start(ctx, "private", gentrace.RunContext{})
	if _, err := e.openai.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Hello secret"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.plain.CreateResponse(ctx, goopenai.CreateResponseRequest{Model: "gpt-4.1", Input: "Hello secret", Instructions: "secret"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.plain.CreateEmbeddings(ctx, goopenai.EmbeddingRequest{Model: goopenai.SmallEmbedding3, Input: "secret"}); err != nil {
		t.Fatal(err)
	}
	run.End(nil)
	spans := e.flush(4)
	steps := e.run().StepRuns
	for i, span := range spans[1:] {
		for key := range attributesOf(span) {
			for _, hidden := range []string{"input.", "output.", "llm.input_messages.", "llm.output_messages.", "embedding.embeddings.", "llm.prompt_template.variables"} {
				if strings.HasPrefix(key, hidden) {
					t.Errorf("span %d (%s) has %s despite the privacy options", i+1, span.Name(), key)
				}
			}
		}
	}
	prompt, completion, total := usageOf(t, steps[0])
	checkAttributes(t, spans[1], map[string]any{
		"openinference.span.kind":                      "LLM",
		"llm.model_name":                               "gpt-4o-mini",
		"llm.provider":                                 "openai",
		"llm.system":                                   "openai",
		"llm.invocation_parameters":                    jsonOf(t, steps[0].ModelParams),
		"llm.token_count.prompt":                       prompt,
		"llm.token_count.completion":                   completion,
		"llm.token_count.total":                        total,
		"llm.token_count.prompt_details.cache_read":    0,
		"llm.token_count.prompt_details.audio":         0,
		"llm.token_count.completion_details.reasoning": 0,
		"llm.token_count.completion_details.audio":     0,
		"llm.cost.total":                               costOf(t, steps[0]),
		"llm.prompt_template.template":                 "Hello {{name}}",
		"gentrace.run_id":                              run.ID(),
		"gentrace.provider_name":                       "openai",
		"gentrace.invocation":                          "openai_createChatCompletion",
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
	spans := e.flush(2)
	got := attributesOf(spans[1])
	if _, ok := got["embedding.embeddings.0.embedding.vector"]; ok {
		t.Error("vector recorded despite WithHideEmbeddingVectors")
	}
	if got["embedding.embeddings.0.embedding.text"] != "alpha" {
		t.Errorf("embedding text = %v, want alpha", got["embedding.embeddings.0.embedding.text"])
	}
	if _, ok := got["output.value"]; !ok {
		t.Error("output.value left out: only the vectors should be")
	}
}

// Every invocation the recorder makes has its OpenInference span kind: the
// names this package repeats are the recorder's.
func TestInvocationKinds(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		openaihttp.InvocationChatCompletion: "LLM",
		openaihttp.InvocationCompletion:     "LLM",
		openaihttp.InvocationResponse:       "LLM",
		openaihttp.InvocationImage:          "LLM",
		openaihttp.InvocationTranscription:  "LLM",
		openaihttp.InvocationTranslation:    "LLM",
		openaihttp.InvocationSpeech:         "LLM",
		openaihttp.InvocationEmbedding:      "EMBEDDING",
		openaihttp.InvocationModeration:     "GUARDRAIL",
		"openai_createBatch":                "CHAIN", // not a model call the recorder makes
	}
	for invocation, kind := range want {
		span := stepSpan(t, gentrace.Step{ProviderName: openaihttp.ProviderName, Invocation: invocation})
		if got := attributesOf(span)["openinference.span.kind"]; got != kind {
			t.Errorf("%s: span kind %v, want %s", invocation, got, kind)
		}
	}
}

// Attributes of steps shaped in ways the recorder's tests above do not
// reach: steps reshaped by gentrace.WithTransform, unusual answers.
func TestStepAttributes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		step     gentrace.Step
		prefixes []string
		want     map[string]any
	}{
		{
			name: "token details from the step's usage when the outputs lost theirs",
			step: gentrace.Step{ProviderName: "openai", Invocation: "openai_createChatCompletion",
				Usage: &gentrace.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15, CachedPromptTokens: 7, ReasoningTokens: 3}},
			prefixes: []string{"llm.token_count."},
			want: map[string]any{
				"llm.token_count.prompt":                       int64(10),
				"llm.token_count.completion":                   int64(5),
				"llm.token_count.total":                        int64(15),
				"llm.token_count.prompt_details.cache_read":    int64(7),
				"llm.token_count.completion_details.reasoning": int64(3),
			},
		},
		{
			name: "an answer's zero details win over the step's",
			step: gentrace.Step{ProviderName: "openai", Invocation: "openai_createResponse",
				Outputs: map[string]any{"usage": raw(`{"input_tokens":10,"input_tokens_details":{"cached_tokens":0},"output_tokens":5,"total_tokens":15}`)},
				Usage:   &gentrace.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15, CachedPromptTokens: 7}},
			prefixes: []string{"llm.token_count.prompt_details."},
			want:     map[string]any{"llm.token_count.prompt_details.cache_read": int64(0)},
		},
		{
			name: "an image by URL is shown as sent",
			step: gentrace.Step{ProviderName: "openai", Invocation: "openai_createImage",
				Outputs: map[string]any{"data": raw(`[{"url":"https://example.com/a.png","revised_prompt":"a"}]`)}},
			prefixes: []string{"output.value"},
			want:     map[string]any{"output.value": `{"data":[{"url":"https://example.com/a.png","revised_prompt":"a"}]}`},
		},
		{
			name: "a Responses image and chat audio are left out of output.value",
			step: gentrace.Step{ProviderName: "openai", Invocation: "openai_createResponse",
				Outputs: map[string]any{"output": raw(`[{"type":"image_generation_call","id":"ig_1","result":"iVBORw0KGgo="},` +
					`{"type":"message","role":"assistant","content":[],"result":"kept"}]`)}},
			prefixes: []string{"output.value"},
			want: map[string]any{"output.value": `{"output":[{"id":"ig_1","result":"(12 base64 characters left out)","type":"image_generation_call"},` +
				`{"content":[],"result":"kept","role":"assistant","type":"message"}]}`},
		},
		{
			name: "chat audio is left out of output.value",
			step: gentrace.Step{ProviderName: "openai", Invocation: "openai_createChatCompletion",
				Outputs: map[string]any{"choices": raw(`[{"index":0,"message":{"role":"assistant","content":null,` +
					`"audio":{"id":"audio_1","data":"UklGRiQAAABXQVZF","transcript":"Hi!"}}},{"index":1,"message":{"role":"assistant","content":"text"}}]`)}},
			prefixes: []string{"output.value"},
			want: map[string]any{"output.value": `{"choices":[{"index":0,"message":{"audio":{"data":"(16 base64 characters left out)","id":"audio_1",` +
				`"transcript":"Hi!"},"content":null,"role":"assistant"}},{"index":1,"message":{"role":"assistant","content":"text"}}]}`},
		},
		{
			name: "an embedding span on Azure names no provider",
			step: gentrace.Step{ProviderName: "openai", Invocation: "openai_createEmbedding", Platform: "azure",
				ModelParams: map[string]any{"model": raw(`"text-embedding-3-small"`)}},
			prefixes: []string{"llm.provider", "llm.system", "embedding.model_name"},
			want:     map[string]any{"embedding.model_name": "text-embedding-3-small"},
		},
		{
			name: "vectors that are not floats are left out",
			step: gentrace.Step{ProviderName: "openai", Invocation: "openai_createEmbedding",
				Inputs: map[string]any{"input": raw(`[[1,2,3]]`)},
				Outputs: map[string]any{"data": raw(`[{"index":0,"embedding":"not base64!"},{"index":1,"embedding":"AAAA"},` +
					`{"index":2,"embedding":{"x":1}},{"index":3,"embedding":"AACAPw=="}]`)}},
			prefixes: []string{"embedding.embeddings."},
			want:     map[string]any{"embedding.embeddings.3.embedding.vector": []float64{1}},
		},
		{
			name: "another OpenAI call is a chain step",
			step: gentrace.Step{ProviderName: "openai", Invocation: "openai_createBatch",
				Inputs: map[string]any{"input_file_id": raw(`"file-1"`)}},
			prefixes: []string{"openinference.", "input.", "llm."},
			want: map[string]any{
				"openinference.span.kind": "CHAIN",
				"input.value":             `{"input_file_id":"file-1"}`,
				"input.mime_type":         "application/json",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkSubset(t, attributesOf(stepSpan(t, tt.step)), tt.want, tt.prefixes...)
		})
	}
}
