package openaitest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// sseEvent is one event of a Responses API stream, as sent.
type sseEvent struct {
	name string          // the event: line
	data json.RawMessage // the data: line
}

func (e sseEvent) field(t *testing.T, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(e.data, &m); err != nil {
		t.Fatalf("event %s: %v", e.name, err)
	}
	return m[key]
}

// parseEvents splits a Responses API stream into its events and checks the
// framing every event shares: an event line naming the type that the data's
// "type" member (its first) repeats, and sequence numbers counting up from 0.
func parseEvents(t *testing.T, body string) []sseEvent {
	t.Helper()
	if !strings.HasSuffix(body, "\n\n") || strings.Contains(body, "[DONE]") {
		t.Errorf("stream does not end with an event, or carries [DONE]: %q", body[max(0, len(body)-100):])
	}
	var out []sseEvent
	for i, raw := range strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n") {
		name, data, ok := strings.Cut(raw, "\n")
		name, ok1 := strings.CutPrefix(name, "event: ")
		data, ok2 := strings.CutPrefix(data, "data: ")
		if !ok || !ok1 || !ok2 || strings.Contains(data, "\n") {
			t.Fatalf("event %d is not an event line and a data line: %q", i, raw)
		}
		if !strings.HasPrefix(data, `{"type":"`+name+`"`) {
			t.Errorf("event %d: data %s does not start with its type %q", i, data, name)
		}
		ev := sseEvent{name: name, data: json.RawMessage(data)}
		if seq := string(ev.field(t, "sequence_number")); seq != itoa(i) {
			t.Errorf("event %d (%s): sequence_number %s", i, name, seq)
		}
		out = append(out, ev)
	}
	return out
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func names(events []sseEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.name
	}
	return out
}

func TestResponsesEventSequence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer openaitest.Answer
		want   []string
	}{
		{"text", openaitest.Answer{Text: "Hi there"}, []string{
			"response.created", "response.in_progress",
			"response.output_item.added", "response.content_part.added",
			"response.output_text.delta", "response.output_text.delta", "response.output_text.done",
			"response.content_part.done", "response.output_item.done",
			"response.completed",
		}},
		{"reasoning, text and a function call", openaitest.Answer{
			Reasoning: []string{"Look it up."}, Text: "Checking.",
			ToolCalls: []openaitest.ToolCall{{Name: "get_weather", Arguments: `{"city":"Paris"}`}},
		}, []string{
			"response.created", "response.in_progress",
			"response.output_item.added",
			"response.reasoning_summary_part.added",
			"response.reasoning_summary_text.delta", "response.reasoning_summary_text.delta",
			"response.reasoning_summary_text.delta",
			"response.reasoning_summary_text.done", "response.reasoning_summary_part.done",
			"response.output_item.done",
			"response.output_item.added", "response.content_part.added",
			"response.output_text.delta", "response.output_text.done",
			"response.content_part.done", "response.output_item.done",
			"response.output_item.added",
			"response.function_call_arguments.delta", "response.function_call_arguments.delta",
			"response.function_call_arguments.delta", "response.function_call_arguments.delta",
			"response.function_call_arguments.done",
			"response.output_item.done",
			"response.completed",
		}},
		{"refusal", openaitest.Answer{Refusal: "I can't."}, []string{
			"response.created", "response.in_progress",
			"response.output_item.added", "response.content_part.added",
			"response.refusal.delta", "response.refusal.delta", "response.refusal.done",
			"response.content_part.done", "response.output_item.done",
			"response.completed",
		}},
		{"empty reasoning", openaitest.Answer{Reasoning: []string{}, Text: "Done"}, []string{
			"response.created", "response.in_progress",
			"response.output_item.added", "response.output_item.done",
			"response.output_item.added", "response.content_part.added",
			"response.output_text.delta", "response.output_text.done",
			"response.content_part.done", "response.output_item.done",
			"response.completed",
		}},
		{"incomplete", openaitest.Answer{Text: "Once", Incomplete: "max_output_tokens"}, []string{
			"response.created", "response.in_progress",
			"response.output_item.added", "response.content_part.added",
			"response.output_text.delta", "response.output_text.done",
			"response.content_part.done", "response.output_item.done",
			"response.incomplete",
		}},
		{"failed", openaitest.Answer{Failure: &goopenai.APIError{Message: "boom"}, ToolCalls: []openaitest.ToolCall{{Name: "f"}}}, []string{
			"response.created", "response.in_progress",
			"response.output_item.added", "response.function_call_arguments.done", "response.output_item.done",
			"response.failed",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newServer(t)
			srv.Enqueue(openaitest.RouteResponses, openaitest.Reply(tt.answer))
			resp, body := post(t, srv, http.MethodPost, openaitest.RouteResponses, `{"model":"gpt-5","input":"Hi","stream":true}`)
			if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			events := parseEvents(t, body)
			if got := names(events); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestResponsesStreamMatchesJSON checks that a stream's events add up to
// the response its last event carries, and that this is the response a
// plain request gets.
func TestResponsesStreamMatchesJSON(t *testing.T) {
	t.Parallel()
	answer := openaitest.Answer{
		Reasoning: []string{"First part.", "Second part."},
		Text:      "It is sunny.",
		ToolCalls: []openaitest.ToolCall{{Name: "a", Arguments: `{"x":1}`}, {ID: "call_b", Name: "b", Arguments: `{}`}},
	}
	srv, _ := newServer(t)
	srv.SetDefault(openaitest.RouteResponses, openaitest.Reply(answer))
	const req = `{"model":"gpt-5","input":"Weather?","stream_options":{"include_obfuscation":true}`
	_, plain := post(t, srv, http.MethodPost, openaitest.RouteResponses, req+`}`)
	_, body := post(t, srv, http.MethodPost, openaitest.RouteResponses, req+`,"stream":true}`)
	events := parseEvents(t, body)

	final := events[len(events)-1].field(t, "response")
	normalized := strings.ReplaceAll(string(final), "openaitest_2", "openaitest_1")
	if normalized != plain {
		t.Errorf("final streamed response differs from the plain one\nstream %s\n plain %s", normalized, plain)
	}

	var deltas = map[string]string{}
	var done = map[string]string{}
	for _, e := range events {
		var ev struct {
			ItemID    string `json:"item_id"`
			Delta     string `json:"delta"`
			Text      string `json:"text"`
			Arguments string `json:"arguments"`
			Summary   *int   `json:"summary_index"`
			Item      *struct {
				ID   string `json:"id"`
				Type string `json:"type"`
			} `json:"item"`
		}
		if err := json.Unmarshal(e.data, &ev); err != nil {
			t.Fatal(err)
		}
		key := ev.ItemID
		if ev.Summary != nil {
			key += "/" + itoa(*ev.Summary)
		}
		switch {
		case strings.HasSuffix(e.name, ".delta"):
			deltas[key] += ev.Delta
			if len(e.field(t, "obfuscation")) < 3 {
				t.Errorf("%s without obfuscation: %s", e.name, e.data)
			}
		case e.name == "response.output_text.done" || e.name == "response.reasoning_summary_text.done":
			done[key] = ev.Text
		case e.name == "response.function_call_arguments.done":
			done[key] = ev.Arguments
		case e.name == "response.output_item.added" && ev.Item.Type == "function_call":
			if !strings.Contains(string(e.data), `"status":"in_progress","arguments":""`) {
				t.Errorf("function call announced with arguments: %s", e.data)
			}
		}
	}
	if !reflect.DeepEqual(deltas, done) || len(done) != 5 {
		t.Errorf("deltas add up to %q, done events say %q", deltas, done)
	}

	var resp goopenai.CreateResponseResponse
	if err := json.Unmarshal([]byte(plain), &resp); err != nil {
		t.Fatal(err)
	}
	var items []goopenai.ResponseOutputItem
	for _, o := range resp.Output {
		b, _ := json.Marshal(o)
		var it goopenai.ResponseOutputItem
		json.Unmarshal(b, &it) //nolint:errcheck // checked below
		items = append(items, it)
	}
	if len(items) != 4 || items[0].Type != "reasoning" || len(items[0].Summary) != 2 || items[0].Summary[1].Text != "Second part." ||
		items[1].Type != "message" || items[1].Content[0].Text != "It is sunny." ||
		items[2].Type != "function_call" || items[2].CallID != "call_0_0" || items[2].Arguments != `{"x":1}` || items[2].Status != "completed" ||
		items[3].CallID != "call_b" || items[3].Name != "b" || !strings.HasPrefix(items[3].ID, "fc_") {
		t.Errorf("output %+v", items)
	}
}

func TestResponsesWithGoOpenAI(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()
	exact := goopenai.Usage{PromptTokens: 2000, CompletionTokens: 300, TotalTokens: 2300,
		PromptTokensDetails:     &goopenai.PromptTokensDetails{CachedTokens: 1536},
		CompletionTokensDetails: &goopenai.CompletionTokensDetails{ReasoningTokens: 256}}
	srv.Enqueue(openaitest.RouteResponses,
		openaitest.TextReply("Plain answer.").WithUsage(exact),
		openaitest.TextReply("Streamed answer."),
		openaitest.Reply(openaitest.Answer{Text: "Cut", Incomplete: "max_output_tokens"}),
		openaitest.Reply(openaitest.Answer{Failure: &goopenai.APIError{Message: "Something broke.", Code: "server_error"}}),
	)
	req := goopenai.CreateResponseRequest{Model: "gpt-5", Input: "Say something"}

	resp, err := c.CreateResponse(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Object != "response" || resp.Status != goopenai.ResponseStatusCompleted || resp.Model != "gpt-5" ||
		!strings.HasPrefix(resp.ID, "resp_") || resp.GetOutputText() != "Plain answer." {
		t.Errorf("response %+v", resp)
	}
	u := resp.Usage
	if u == nil || u.InputTokens != 2000 || u.InputTokensDetails.CachedTokens != 1536 || u.OutputTokens != 300 ||
		u.OutputTokensDetails.ReasoningTokens != 256 || u.TotalTokens != 2300 {
		t.Errorf("usage %+v", u)
	}

	stream, err := c.CreateResponseStream(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var text string
	var last goopenai.ResponseStreamEvent
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type == goopenai.ResponseStreamEventOutputTextDelta {
			text += ev.Delta
		}
		last = ev
	}
	stream.Close()
	if text != "Streamed answer." || last.Type != goopenai.ResponseStreamEventCompleted || last.Response.Usage.OutputTokens == 0 {
		t.Errorf("streamed %q, last event %+v", text, last)
	}

	resp, err = c.CreateResponse(ctx, req)
	if err != nil || resp.Status != goopenai.ResponseStatusIncomplete || resp.IncompleteDetails.Reason != "max_output_tokens" {
		t.Errorf("incomplete: %+v, %v", resp, err)
	}
	resp, err = c.CreateResponse(ctx, req)
	if err != nil || resp.Status != goopenai.ResponseStatusFailed || resp.Error == nil ||
		resp.Error.Code != "server_error" || resp.Error.Message != "Something broke." {
		t.Errorf("failed: %+v, %v", resp, err)
	}
}

func TestResponsesEcho(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t)
	_, echoed := post(t, srv, http.MethodPost, openaitest.RouteResponses, `{
		"model": "gpt-4.1",
		"input": [{"role": "user", "content": "Hi"}],
		"instructions": "Be brief.",
		"tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}],
		"temperature": 0.2, "top_p": 0.9, "previous_response_id": "resp_prev",
		"metadata": {"k": "v"}, "reasoning": {"effort": "low"}, "store": false,
		"service_tier": "flex", "max_output_tokens": 100, "tool_choice": "required",
		"parallel_tool_calls": false, "user": "u1", "truncation": "auto"}`)
	_, defaults := post(t, srv, http.MethodPost, openaitest.RouteResponses, `{"input":"Hi"}`)
	tests := []struct {
		body string
		want map[string]string
	}{
		{echoed, map[string]string{
			"model": `"gpt-4.1"`, "instructions": `"Be brief."`,
			"tools":       `[{"type":"function","name":"f","parameters":{"type":"object"}}]`,
			"temperature": "0.2", "top_p": "0.9", "previous_response_id": `"resp_prev"`,
			"metadata": `{"k":"v"}`, "reasoning": `{"effort":"low"}`, "store": "false",
			"service_tier": `"flex"`, "max_output_tokens": "100", "tool_choice": `"required"`,
			"parallel_tool_calls": "false", "user": `"u1"`, "truncation": `"auto"`,
		}},
		{defaults, map[string]string{
			"model": `"gpt-4o-mini"`, "instructions": "null", "tools": "[]", "temperature": "1.0",
			"top_p": "1.0", "previous_response_id": "null", "metadata": "{}",
			"reasoning": `{"effort":null,"summary":null}`, "store": "true", "service_tier": `"default"`,
			"max_output_tokens": "null", "tool_choice": `"auto"`, "parallel_tool_calls": "true",
			"user": "null", "truncation": `"disabled"`, "text": `{"format":{"type":"text"},"verbosity":"medium"}`,
			"error": "null", "incomplete_details": "null", "status": `"completed"`, "object": `"response"`,
		}},
	}
	for i, tt := range tests {
		var got map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tt.body), &got); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		for k, v := range tt.want {
			if string(got[k]) != v {
				t.Errorf("%d: %s = %s, want %s", i, k, got[k], v)
			}
		}
	}
	if !strings.HasPrefix(echoed, `{"id":"resp_openaitest_1","object":"response","created_at":1735689600,"status":"completed"`) {
		t.Errorf("member order: %s", echoed[:100])
	}
}

func TestResponsesReasoningModels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		model     string
		reasoning bool
	}{{"gpt-5-mini", true}, {"o3", true}, {"o4-mini", true}, {"gpt-4o", false}, {"gpt-4.1", false}}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			t.Parallel()
			srv, c := newServer(t)
			resp, err := c.CreateResponse(context.Background(), goopenai.CreateResponseRequest{Model: tt.model, Input: "Hi"})
			if err != nil {
				t.Fatal(err)
			}
			first, _ := json.Marshal(resp.Output[0])
			if got := strings.Contains(string(first), `"type":"reasoning"`); got != tt.reasoning || resp.GetOutputText() != openaitest.DefaultChatReply {
				t.Errorf("output %s, reasoning item %v, want %v", first, got, tt.reasoning)
			}
			_ = srv
		})
	}
}

func TestResponsesStreamFaults(t *testing.T) {
	t.Parallel()
	param := "input"
	tests := []struct {
		name      string
		resp      openaitest.Response
		events    int
		errorJSON string
	}{
		{"error event after 3", openaitest.TextReply("one two").ErrorAfter(3, goopenai.APIError{Message: "Overloaded", Code: "server_overloaded"}), 4,
			`{"type":"error","code":"server_overloaded","message":"Overloaded","param":null,"sequence_number":3}`},
		{"error event with param", openaitest.TextReply("x").ErrorAfter(0, goopenai.APIError{Message: "bad", Param: &param}), 1,
			`{"type":"error","code":"server_error","message":"bad","param":"input","sequence_number":0}`},
		{"error event after the end", openaitest.TextReply("x").ErrorAfter(99, goopenai.APIError{Message: "late"}), 10,
			`{"type":"error","code":"server_error","message":"late","param":null,"sequence_number":9}`},
		{"error event with a numeric code", openaitest.TextReply("x").ErrorAfter(1, goopenai.APIError{Message: "slow down", Code: 429}), 2,
			`{"type":"error","code":"429","message":"slow down","param":null,"sequence_number":1}`},
		{"cut after 4", openaitest.TextReply("one two").CutAfter(4), 4, ""},
		{"cut after the end", openaitest.TextReply("x").CutAfter(99), 9, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c := newServer(t)
			srv.Enqueue(openaitest.RouteResponses, tt.resp, tt.resp)
			stream, err := c.CreateResponseStream(context.Background(), goopenai.CreateResponseRequest{Model: "gpt-4o", Input: "Hi"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := drain(stream.Recv)
			stream.Close()
			if len(got) != tt.events {
				t.Errorf("%d events, want %d", len(got), tt.events)
			}
			if tt.errorJSON == "" {
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("error %v, want io.ErrUnexpectedEOF", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v; an error event is an event", err)
			}
			last := got[len(got)-1]
			if last.Type != goopenai.ResponseStreamEventError || string(last.Raw) != tt.errorJSON {
				t.Errorf("last event %s, want %s", last.Raw, tt.errorJSON)
			}
		})
	}
}

func TestResponsesObfuscation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []openaitest.Option
		body string
		want bool
	}{
		{"default", nil, `{"input":"Hi","stream":true}`, true},
		{"request opts out", nil, `{"input":"Hi","stream":true,"stream_options":{"include_obfuscation":false}}`, false},
		{"wire without", []openaitest.Option{openaitest.WithWire(openaitest.Wire{NoObfuscation: true})}, `{"input":"Hi","stream":true}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newServer(t, tt.opts...)
			_, body := post(t, srv, http.MethodPost, openaitest.RouteResponses, tt.body)
			for _, e := range parseEvents(t, body) {
				has := e.field(t, "obfuscation") != nil
				if want := tt.want && strings.HasSuffix(e.name, ".delta"); has != want {
					t.Errorf("%s: obfuscation %v, want %v", e.name, has, want)
				}
			}
		})
	}
}

func TestResponsesScriptedJSON(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	srv.Enqueue(openaitest.RouteResponses, openaitest.JSON(json.RawMessage(`{"id":"resp_mine","object":"response","status":"completed","output":[]}`)))
	resp, err := c.CreateResponse(context.Background(), goopenai.CreateResponseRequest{Model: "gpt-4o", Input: "Hi"})
	if err != nil || resp.ID != "resp_mine" {
		t.Errorf("response %+v, %v", resp, err)
	}
	srv.Enqueue(openaitest.RouteResponses, openaitest.JSON(json.RawMessage(`{}`)))
	_, err = c.CreateResponseStream(context.Background(), goopenai.CreateResponseRequest{Model: "gpt-4o", Input: "Hi"})
	if e := apiError(t, err); e.HTTPStatusCode != 400 || !strings.Contains(e.Message, "a JSON response is scripted") {
		t.Errorf("error %+v", e)
	}
	srv.Enqueue(openaitest.RouteResponses, openaitest.TextReply("x"))
	resp2, body := post(t, srv, http.MethodPost, openaitest.RouteResponses, `{"input":`)
	if resp2.StatusCode != 400 || !strings.Contains(body, "could not parse the JSON body") {
		t.Errorf("malformed request: %d %s", resp2.StatusCode, body)
	}
}
