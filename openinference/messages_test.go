package openinference_test

import (
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/openinference"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// stepSpan hands a run of one step straight to an Observer, as a client
// does, and returns the step's span.
func stepSpan(t *testing.T, step gentrace.Step, opts ...openinference.Option) sdktrace.ReadOnlySpan {
	t.Helper()
	recorder := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	defer tp.Shutdown(context.Background())
	o := openinference.New(append(opts, openinference.WithTracerProvider(tp))...)
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	step.StartTime, step.EndTime = start, start.Add(time.Second)
	o.EndRun(o.StartRun(context.Background(), "run-1"), gentrace.RunRecord{
		ID: "run-1", Slug: "unit", Start: start, End: start.Add(2 * time.Second), Steps: []gentrace.Step{step},
	})
	spans := recorder.Ended()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want a step span and a run span", len(spans))
	}
	return spans[0]
}

// raw is a JSON value as the recorder stores it.
func raw(s string) json.RawMessage { return json.RawMessage(s) }

// withPrefix returns the attributes whose keys start with one of prefixes.
func withPrefix(m map[string]any, prefixes ...string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				out[k] = v
			}
		}
	}
	return out
}

// checkSubset asserts that the attributes of got under prefixes are exactly
// want.
func checkSubset(t *testing.T, got map[string]any, want map[string]any, prefixes ...string) {
	t.Helper()
	got = withPrefix(got, prefixes...)
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if w, ok := want[k]; !ok {
			t.Errorf("unexpected %s = %#v", k, got[k])
		} else if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s = %#v, want %#v", k, got[k], w)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if _, ok := got[k]; !ok {
			t.Errorf("missing %s (want %#v)", k, want[k])
		}
	}
}

// How Responses API items and chat messages become OpenInference messages.
func TestMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		invocation      string
		inputs, outputs map[string]any
		want            map[string]any
	}{
		{
			name:       "responses: calls join the assistant message before them",
			invocation: "openai_createResponse",
			inputs: map[string]any{"input": raw(`[
				{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Let me check."}]},
				{"type":"function_call","call_id":"c1","name":"a","arguments":"{}"},
				{"type":"function_call","call_id":"c2","name":"b","arguments":"{\"x\":1}"},
				{"type":"function_call_output","call_id":"c1","output":[{"type":"input_text","text":"ok"}]},
				{"type":"function_call_output","call_id":"c2","output":"done"},
				{"type":"item_reference","id":"msg_0"},
				{"type":"web_search_call","id":"ws_1","status":"completed"}]`)},
			want: map[string]any{
				"llm.input_messages.0.message.role":                                      "assistant",
				"llm.input_messages.0.message.contents.0.message_content.type":           "text",
				"llm.input_messages.0.message.contents.0.message_content.text":           "Let me check.",
				"llm.input_messages.0.message.tool_calls.0.tool_call.id":                 "c1",
				"llm.input_messages.0.message.tool_calls.0.tool_call.function.name":      "a",
				"llm.input_messages.0.message.tool_calls.0.tool_call.function.arguments": "{}",
				"llm.input_messages.0.message.tool_calls.1.tool_call.id":                 "c2",
				"llm.input_messages.0.message.tool_calls.1.tool_call.function.name":      "b",
				"llm.input_messages.0.message.tool_calls.1.tool_call.function.arguments": `{"x":1}`,
				"llm.input_messages.1.message.role":                                      "tool",
				"llm.input_messages.1.message.tool_call_id":                              "c1",
				"llm.input_messages.1.message.content":                                   `[{"type":"input_text","text":"ok"}]`,
				"llm.input_messages.2.message.role":                                      "tool",
				"llm.input_messages.2.message.tool_call_id":                              "c2",
				"llm.input_messages.2.message.content":                                   "done",
			},
		},
		{
			name:       "responses: a call after a user message starts an assistant message",
			invocation: "openai_createResponse",
			inputs: map[string]any{"instructions": raw(`""`), "input": raw(`[
				{"role":"developer","content":"Be terse."},
				{"type":"function_call","call_id":"c1","name":"a","arguments":"{}"}]`)},
			want: map[string]any{
				"llm.input_messages.0.message.role":                                      "developer",
				"llm.input_messages.0.message.content":                                   "Be terse.",
				"llm.input_messages.1.message.role":                                      "assistant",
				"llm.input_messages.1.message.tool_calls.0.tool_call.id":                 "c1",
				"llm.input_messages.1.message.tool_calls.0.tool_call.function.name":      "a",
				"llm.input_messages.1.message.tool_calls.0.tool_call.function.arguments": "{}",
			},
		},
		{
			name:       "responses: a refusal is the message's text; reasoning alone is no message",
			invocation: "openai_createResponse",
			outputs: map[string]any{"output": raw(`[
				{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Hmm."}]},
				{"type":"message","role":"assistant","content":[{"type":"refusal","refusal":"I can't help with that."}]},
				{"type":"reasoning","id":"rs_2","summary":[]}]`)},
			want: map[string]any{
				"llm.output_messages.0.message.role":    "assistant",
				"llm.output_messages.0.message.content": "I can't help with that.",
			},
		},
		{
			name:       "responses: an answer that is not a list of items has no messages",
			invocation: "openai_createResponse",
			inputs:     map[string]any{"input": raw(`{"unexpected":true}`)},
			outputs:    map[string]any{"output": raw(`"text"`)},
			want:       map[string]any{},
		},
		{
			name:       "chat: legacy function calls, audio parts and refusals",
			invocation: "openai_createChatCompletion",
			inputs: map[string]any{"messages": raw(`[
				{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}},{"type":"refusal","refusal":"no"}]},
				{"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{}"}},
				{"role":"function","name":"f","content":"42"}]`)},
			outputs: map[string]any{"choices": raw(`[{"index":0,"message":{"role":"assistant","content":"","refusal":"No."}}]`)},
			want: map[string]any{
				"llm.input_messages.0.message.role":                            "user",
				"llm.input_messages.0.message.contents.0.message_content.type": "input_audio",
				"llm.input_messages.0.message.contents.1.message_content.type": "refusal",
				"llm.input_messages.0.message.contents.1.message_content.text": "no",
				"llm.input_messages.1.message.role":                            "assistant",
				"llm.input_messages.1.message.function_call_name":              "f",
				"llm.input_messages.1.message.function_call_arguments_json":    "{}",
				"llm.input_messages.2.message.role":                            "function",
				"llm.input_messages.2.message.name":                            "f",
				"llm.input_messages.2.message.content":                         "42",
				"llm.output_messages.0.message.role":                           "assistant",
			},
		},
		{
			name:       "chat: plain Go values, as gentrace.WithTransform may leave them",
			invocation: "openai_createChatCompletion",
			inputs: map[string]any{"messages": []map[string]any{
				{"role": "user", "content": []any{map[string]any{"type": "image_url", "image_url": map[string]any{"url": "data:image/png;base64,AAAA"}}}},
			}},
			want: map[string]any{
				"llm.input_messages.0.message.role":                                       "user",
				"llm.input_messages.0.message.contents.0.message_content.type":            "image",
				"llm.input_messages.0.message.contents.0.message_content.image.image.url": "data:image/png;base64,AAAA",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			span := stepSpan(t, gentrace.Step{ProviderName: "openai", Invocation: tt.invocation, Inputs: tt.inputs, Outputs: tt.outputs})
			checkSubset(t, attributesOf(span), tt.want, "llm.input_messages.", "llm.output_messages.")
		})
	}
}
