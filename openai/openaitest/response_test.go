package openaitest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

func withUsage(r goopenai.ChatCompletionRequest) goopenai.ChatCompletionRequest {
	r.StreamOptions = &goopenai.StreamOptions{IncludeUsage: true}
	return r
}

func TestChatStreamUsage(t *testing.T) {
	t.Parallel()
	explicit := goopenai.Usage{PromptTokens: 11, CompletionTokens: 22, TotalTokens: 33}
	tests := []struct {
		name         string
		includeUsage bool
		resp         openaitest.Response
		want         *goopenai.Usage // nil: an estimate
	}{
		{"built-in without include_usage", false, openaitest.Response{}, nil},
		{"built-in with include_usage", true, openaitest.Response{}, nil},
		{"scripted without include_usage", false, openaitest.ChatStream(openaitest.ChatChunks(4, openaitest.Choice{Content: "Hello there"})...), nil},
		{"scripted with include_usage", true, openaitest.ChatStream(openaitest.ChatChunks(4, openaitest.Choice{Content: "Hello there"})...), nil},
		{"explicit usage", true, openaitest.ChatStream(openaitest.ChatChunks(4, openaitest.Choice{Content: "Hello there"})...).WithUsage(explicit), &explicit},
		{"explicit usage on the built-in stream", true, openaitest.Response{}.WithUsage(explicit), &explicit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c := newServer(t)
			srv.Enqueue(openaitest.RouteChatCompletions, tt.resp)
			req := chatRequest("gpt-4o", "Hello", "Hi", "How are you?")
			if tt.includeUsage {
				req = withUsage(req)
			}
			chunks, err := collectChat(t, c, req)
			if err != nil {
				t.Fatal(err)
			}
			last := chunks[len(chunks)-1]
			for _, ch := range chunks[:len(chunks)-1] {
				if ch.Usage != nil || len(ch.Choices) != 1 {
					t.Errorf("content chunk %+v", ch)
				}
			}
			if !tt.includeUsage {
				if last.Usage != nil || len(last.Choices) != 1 || last.Choices[0].FinishReason != "stop" {
					t.Errorf("last chunk %+v, want the finish chunk without usage", last)
				}
				return
			}
			if len(last.Choices) != 0 || last.Usage == nil || last.ID != chunks[0].ID || last.Model != "gpt-4o" {
				t.Fatalf("last chunk %+v, want a usage-only chunk", last)
			}
			if tt.want != nil {
				if last.Usage.PromptTokens != tt.want.PromptTokens || last.Usage.TotalTokens != tt.want.TotalTokens {
					t.Errorf("usage %+v, want %+v", *last.Usage, *tt.want)
				}
				return
			}
			checkUsage(t, *last.Usage)
		})
	}
}

// TestStreamWireFormat checks what go-openai cannot tell apart: "usage": null
// against no usage member, and the exact SSE framing.
func TestStreamWireFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		route openaitest.Route
		body  string
		usage bool
	}{
		{"chat", openaitest.RouteChatCompletions, `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Hi"}]}`, false},
		{"chat include_usage", openaitest.RouteChatCompletions, `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}`, true},
		{"completion", openaitest.RouteCompletions, `{"model":"gpt-3.5-turbo-instruct","stream":true,"prompt":"Hi"}`, false},
		{"completion include_usage", openaitest.RouteCompletions, `{"model":"gpt-3.5-turbo-instruct","stream":true,"stream_options":{"include_usage":true},"prompt":"Hi"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newServer(t)
			resp, body := post(t, srv, http.MethodPost, tt.route, tt.body)
			if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			chat := tt.route == openaitest.RouteChatCompletions
			if !strings.HasSuffix(body, "}\n\ndata: [DONE]\n\n") {
				t.Errorf("stream does not end with [DONE]: %q", body[max(0, len(body)-80):])
			}
			events := strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n")
			events = events[:len(events)-1] // [DONE]
			for i, ev := range events {
				data, ok := strings.CutPrefix(ev, "data: ")
				if !ok || strings.Contains(data, "\n") {
					t.Fatalf("event %d is not one data line: %q", i, ev)
				}
				var chunk map[string]json.RawMessage
				if err := json.Unmarshal([]byte(data), &chunk); err != nil {
					t.Fatalf("event %d: %v", i, err)
				}
				usage, has := chunk["usage"]
				isLast := i == len(events)-1
				switch {
				case !tt.usage && has:
					t.Errorf("event %d has usage without include_usage: %s", i, data)
				case tt.usage && !isLast && string(usage) != "null":
					t.Errorf("event %d: usage %s, want null", i, usage)
				case tt.usage && isLast && (string(chunk["choices"]) != "[]" || !strings.Contains(string(usage), `"total_tokens"`)):
					t.Errorf("last event %s, want a usage-only chunk", data)
				}
				if _, ok := chunk["content_filter_results"]; ok || strings.Contains(data, `"type":""`) {
					t.Errorf("event %d carries go-openai zero values: %s", i, data)
				}
				if _, ok := chunk["obfuscation"]; ok != chat {
					t.Errorf("event %d: obfuscation present %v, want %v: %s", i, ok, chat, data)
				}
				if chat && (string(chunk["service_tier"]) != `"default"` || string(chunk["system_fingerprint"]) != "null") {
					t.Errorf("event %d: service_tier %s, system_fingerprint %s", i, chunk["service_tier"], chunk["system_fingerprint"])
				}
				if chat && strings.Contains(data, `"logprobs"`) {
					t.Errorf("event %d carries logprobs: %s", i, data)
				}
				if i == 0 && chat && !strings.Contains(data, `"delta":{"role":"assistant","content":"","refusal":null}`) {
					t.Errorf("first event does not open with a role-only delta: %s", data)
				}
			}
		})
	}
}

func TestTwoChoices(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	srv.Enqueue(openaitest.RouteChatCompletions, openaitest.ChatStream(openaitest.ChatChunks(3,
		openaitest.Choice{Content: "Hello there"},
		openaitest.Choice{Content: "General Kenobi", FinishReason: goopenai.FinishReasonLength},
	)...))
	req := chatRequest("gpt-4o", "Hi")
	req.N = 2
	chunks, err := collectChat(t, c, req)
	if err != nil {
		t.Fatal(err)
	}
	var text [2]strings.Builder
	var finish [2]goopenai.FinishReason
	var counts [2]int
	for _, ch := range chunks {
		if len(ch.Choices) != 1 {
			t.Fatalf("chunk with %d choices", len(ch.Choices))
		}
		c := ch.Choices[0]
		if (counts[c.Index] == 0) != (c.Delta.Role == "assistant") {
			t.Errorf("choice %d chunk %d: role %q", c.Index, counts[c.Index], c.Delta.Role)
		}
		counts[c.Index]++
		text[c.Index].WriteString(c.Delta.Content)
		if c.FinishReason != "" {
			finish[c.Index] = c.FinishReason
		}
	}
	if text[0].String() != "Hello there" || text[1].String() != "General Kenobi" {
		t.Errorf("texts %q, %q", text[0].String(), text[1].String())
	}
	if finish != [2]goopenai.FinishReason{"stop", "length"} {
		t.Errorf("finish reasons %q", finish)
	}
	if counts != [2]int{5, 5} {
		t.Errorf("chunks per choice %v, want a role chunk, three pieces and a finish chunk each", counts)
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParallelToolCalls(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	calls := []openaitest.ToolCall{
		{ID: "call_weather", Name: "get_weather", Arguments: `{"city":"Paris","unit":"celsius"}`},
		{Name: "get_time", Arguments: `{"timezone":"Europe/Paris"}`},
	}
	srv.Enqueue(openaitest.RouteChatCompletions,
		openaitest.ChatStream(openaitest.ChatChunks(4, openaitest.Choice{ToolCalls: calls})...))
	chunks, err := collectChat(t, c, chatRequest("gpt-4o", "Weather and time in Paris?"))
	if err != nil {
		t.Fatal(err)
	}

	type call struct{ id, typ, name, args string }
	var got [2]call
	var order []int
	for i, ch := range chunks {
		choice := ch.Choices[0]
		if (i == 0) != (choice.Delta.Role == "assistant") {
			t.Errorf("chunk %d role %q", i, choice.Delta.Role)
		}
		if choice.Delta.Content != "" {
			t.Errorf("chunk %d has content %q", i, choice.Delta.Content)
		}
		for _, d := range choice.Delta.ToolCalls {
			if d.Index == nil || *d.Index < 0 || *d.Index > 1 {
				t.Fatalf("chunk %d: tool call delta index %v", i, d.Index)
			}
			k := *d.Index
			header := got[k].name == ""
			if header != (d.ID != "" && d.Type == goopenai.ToolTypeFunction && d.Function.Name != "") ||
				header != (d.Function.Arguments == "") {
				t.Errorf("chunk %d: delta %+v: a header with id, type, name and no arguments must open each call", i, d)
			}
			if d.ID != "" {
				got[k].id, got[k].typ, got[k].name = d.ID, string(d.Type), d.Function.Name
			}
			got[k].args += d.Function.Arguments
			order = append(order, k)
		}
	}
	want := [2]call{
		{"call_weather", "function", "get_weather", calls[0].Arguments},
		{"call_0_1", "function", "get_time", calls[1].Arguments},
	}
	if got != want {
		t.Errorf("aggregated calls\n got %+v\nwant %+v", got, want)
	}
	if wantOrder := []int{0, 0, 0, 0, 0, 1, 1, 1, 1, 1}; !equal(order, wantOrder) {
		t.Errorf("delta order %v, want each call whole, in turn: %v", order, wantOrder)
	}
	if fr := chunks[len(chunks)-1].Choices[0].FinishReason; fr != goopenai.FinishReasonToolCalls {
		t.Errorf("finish_reason %q", fr)
	}
}

func TestMidStreamFaults(t *testing.T) {
	t.Parallel()
	chunks := openaitest.ChatChunks(5, openaitest.Choice{Content: "Hello, world"}) // 7 chunks
	tests := []struct {
		name   string
		resp   openaitest.Response
		usage  bool
		chunks int
		check  func(t *testing.T, err error)
	}{
		{"cut after 2", openaitest.ChatStream(chunks...).CutAfter(2), false, 2, isUnexpectedEOF},
		{"cut after 0", openaitest.ChatStream(chunks...).CutAfter(0), false, 0, isUnexpectedEOF},
		{"cut before usage and DONE", openaitest.ChatStream(chunks...).CutAfter(100), true, 7, isUnexpectedEOF},
		{"cut the built-in stream", openaitest.Response{}.CutAfter(3), false, 3, isUnexpectedEOF},
		{"error event after 3", openaitest.ChatStream(chunks...).ErrorAfter(3, goopenai.APIError{Message: "The server had an error"}), false, 3,
			func(t *testing.T, err error) {
				e := apiError(t, err)
				if e.Message != "The server had an error" || e.Type != "server_error" {
					t.Errorf("error %+v", e)
				}
			}},
		{"error event first", openaitest.ChatStream(chunks...).ErrorAfter(0, goopenai.APIError{Message: "overloaded", Type: "overloaded_error", Code: "overloaded"}), true, 0,
			func(t *testing.T, err error) {
				if e := apiError(t, err); e.Type != "overloaded_error" || e.Code != "overloaded" {
					t.Errorf("error %+v", e)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c := newServer(t)
			srv.Enqueue(openaitest.RouteChatCompletions, tt.resp)
			req := chatRequest("gpt-4o", "Hi")
			if tt.usage {
				req = withUsage(req)
			}
			got, err := collectChat(t, c, req)
			if len(got) != tt.chunks {
				t.Errorf("received %d chunks, want %d", len(got), tt.chunks)
			}
			if err == nil {
				t.Fatal("the stream ended without error")
			}
			tt.check(t, err)
		})
	}
}

func isUnexpectedEOF(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("error %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestScriptedErrors(t *testing.T) {
	t.Parallel()
	param := "messages"
	tests := []struct {
		name      string
		resp      openaitest.Response
		status    int
		message   string
		typ, code string
		param     *string
	}{
		{"400", openaitest.Error(400, "Invalid 'messages': empty array."), 400, "Invalid 'messages': empty array.", "invalid_request_error", "", nil},
		{"401", openaitest.Error(401, "Incorrect API key provided."), 401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key", nil},
		{"429", openaitest.Error(429, "Rate limit reached").WithHeader("Retry-After", "2"), 429, "Rate limit reached", "requests", "rate_limit_exceeded", nil},
		{"500", openaitest.Error(500, "The server had an error"), 500, "The server had an error", "server_error", "", nil},
		{"503", openaitest.Error(503, "Slow down"), 503, "Slow down", "server_error", "", nil},
		{"full body", openaitest.ErrorBody(400, goopenai.APIError{Message: "bad", Type: "invalid_request_error", Param: &param, Code: "empty_array"}),
			400, "bad", "invalid_request_error", "empty_array", &param},
	}
	calls := []struct {
		name string
		do   func(c *goopenai.Client) error
	}{
		{"chat", func(c *goopenai.Client) error {
			_, err := c.CreateChatCompletion(context.Background(), chatRequest("gpt-4o", "Hi"))
			return err
		}},
		{"chat stream", func(c *goopenai.Client) error {
			_, err := c.CreateChatCompletionStream(context.Background(), chatRequest("gpt-4o", "Hi"))
			return err
		}},
		{"embeddings", func(c *goopenai.Client) error {
			_, err := c.CreateEmbeddings(context.Background(), goopenai.EmbeddingRequest{Input: "x", Model: goopenai.SmallEmbedding3})
			return err
		}},
	}
	for _, tt := range tests {
		for _, call := range calls {
			t.Run(tt.name+"/"+call.name, func(t *testing.T) {
				t.Parallel()
				srv, c := newServer(t)
				srv.Enqueue(openaitest.RouteChatCompletions, tt.resp)
				srv.Enqueue(openaitest.RouteEmbeddings, tt.resp)
				e := apiError(t, call.do(c))
				if e.HTTPStatusCode != tt.status || e.Message != tt.message || e.Type != tt.typ {
					t.Errorf("error %+v", e)
				}
				if code, _ := e.Code.(string); code != tt.code {
					t.Errorf("code %v, want %q", e.Code, tt.code)
				}
				if (e.Param == nil) != (tt.param == nil) || (e.Param != nil && *e.Param != *tt.param) {
					t.Errorf("param %v, want %v", e.Param, tt.param)
				}
			})
		}
	}
}

func TestScriptMismatch(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	srv.Enqueue(openaitest.RouteChatCompletions,
		openaitest.JSON(openaitest.ChatResponse(openaitest.Choice{Content: "x"})),
		openaitest.ChatStream(openaitest.ChatChunks(1, openaitest.Choice{Content: "x"})...))
	_, err := collectChat(t, c, chatRequest("gpt-4o", "Hi"))
	if e := apiError(t, err); e.HTTPStatusCode != 400 || !strings.Contains(e.Message, `"stream": true`) {
		t.Errorf("JSON scripted, stream requested: %+v", e)
	}
	_, err = c.CreateChatCompletion(context.Background(), chatRequest("gpt-4o", "Hi"))
	if e := apiError(t, err); e.HTTPStatusCode != 400 || !strings.Contains(e.Message, "a stream is scripted") {
		t.Errorf("stream scripted, JSON requested: %+v", e)
	}
}

func TestJSONFillsZeroFields(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	usage := goopenai.Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}
	srv.Enqueue(openaitest.RouteChatCompletions,
		openaitest.JSON(openaitest.ChatResponse(openaitest.Choice{Content: "filled"})),
		openaitest.JSON(&goopenai.ChatCompletionResponse{
			ID: "chatcmpl-mine", Model: "gpt-4o-2024-08-06", Created: 42, Usage: usage,
			Choices: []goopenai.ChatCompletionChoice{{Message: goopenai.ChatCompletionMessage{Role: "assistant", Content: "kept"}, FinishReason: "stop"}},
		}),
		openaitest.JSON(openaitest.ChatResponse(openaitest.Choice{Content: "explicit"})).WithUsage(usage),
	)
	ctx := context.Background()
	filled, err := c.CreateChatCompletion(ctx, chatRequest("gpt-4o", "Hi"))
	if err != nil {
		t.Fatal(err)
	}
	if filled.ID != "chatcmpl-openaitest-1" || filled.Model != "gpt-4o" || filled.Created == 0 || filled.Object != "chat.completion" {
		t.Errorf("filled response %+v", filled)
	}
	checkUsage(t, filled.Usage)
	kept, err := c.CreateChatCompletion(ctx, chatRequest("gpt-4o", "Hi"))
	if err != nil {
		t.Fatal(err)
	}
	if kept.ID != "chatcmpl-mine" || kept.Model != "gpt-4o-2024-08-06" || kept.Created != 42 || kept.Usage.TotalTokens != 3 {
		t.Errorf("kept response %+v", kept)
	}
	explicit, err := c.CreateChatCompletion(ctx, chatRequest("gpt-4o", "Hi"))
	if err != nil {
		t.Fatal(err)
	}
	if explicit.Usage.TotalTokens != 3 {
		t.Errorf("usage %+v, want %+v", explicit.Usage, usage)
	}
}

func TestJSONToolCalls(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	srv.Enqueue(openaitest.RouteChatCompletions, openaitest.JSON(openaitest.ChatResponse(openaitest.Choice{
		ToolCalls: []openaitest.ToolCall{{Name: "a", Arguments: `{}`}, {Name: "b", Arguments: `{"x":1}`}},
	})))
	resp, err := c.CreateChatCompletion(context.Background(), chatRequest("gpt-4o", "Hi"))
	if err != nil {
		t.Fatal(err)
	}
	m := resp.Choices[0].Message
	if resp.Choices[0].FinishReason != "tool_calls" || len(m.ToolCalls) != 2 ||
		m.ToolCalls[1].ID != "call_0_1" || m.ToolCalls[1].Function.Arguments != `{"x":1}` || m.ToolCalls[1].Type != "function" {
		t.Errorf("message %+v", m)
	}
	_, body := post(t, srv, http.MethodPost, openaitest.RouteChatCompletions, `{"model":"gpt-4o"}`)
	if !strings.Contains(body, `"message":{"role":"assistant","content":"`) {
		t.Errorf("built-in body %s", body)
	}
}

func TestOtherResponses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name    string
		resp    openaitest.Response
		check   func(t *testing.T, resp goopenai.ChatCompletionResponse, err error)
		timeout time.Duration
	}{
		{"disconnect", openaitest.Disconnect(), func(t *testing.T, _ goopenai.ChatCompletionResponse, err error) {
			var e *goopenai.APIError
			if err == nil || errors.As(err, &e) {
				t.Errorf("error %v, want a transport error", err)
			}
		}, 0},
		{"cut JSON body", openaitest.Response{}.CutAfter(20), func(t *testing.T, _ goopenai.ChatCompletionResponse, err error) {
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("error %v, want io.ErrUnexpectedEOF", err)
			}
		}, 0},
		{"raw proxy error", openaitest.Raw(502, []byte("<html>Bad gateway</html>")).WithHeader("Content-Type", "text/html"),
			func(t *testing.T, _ goopenai.ChatCompletionResponse, err error) {
				var e *goopenai.RequestError
				if !errors.As(err, &e) || e.HTTPStatusCode != 502 || string(e.Body) != "<html>Bad gateway</html>" {
					t.Errorf("error %v, want a *goopenai.RequestError with status 502", err)
				}
			}, 0},
		{"raw JSON", openaitest.JSON(json.RawMessage(`{"id":"raw","choices":[]}`)), func(t *testing.T, resp goopenai.ChatCompletionResponse, err error) {
			if err != nil || resp.ID != "raw" || resp.Model != "" {
				t.Errorf("response %+v, %v", resp, err)
			}
		}, 0},
		{"unencodable value", openaitest.JSON(map[string]any{"c": make(chan int)}), func(t *testing.T, _ goopenai.ChatCompletionResponse, err error) {
			if e := apiError(t, err); e.HTTPStatusCode != 500 || !strings.Contains(e.Message, "cannot encode scripted response") {
				t.Errorf("error %+v", e)
			}
		}, 0},
		{"rate limit headers", openaitest.Response{}.WithHeader("X-Ratelimit-Remaining-Requests", "42"),
			func(t *testing.T, resp goopenai.ChatCompletionResponse, err error) {
				if err != nil || resp.GetRateLimitHeaders().RemainingRequests != 42 || resp.Header().Get("X-Request-Id") == "" {
					t.Errorf("headers %v, %v", resp.Header(), err)
				}
			}, 0},
		{"client deadline during delay", openaitest.Response{}.WithDelay(time.Hour), func(t *testing.T, _ goopenai.ChatCompletionResponse, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %v, want context.DeadlineExceeded", err)
			}
		}, 50 * time.Millisecond},
		{"invalid status", openaitest.Raw(0, nil), func(t *testing.T, _ goopenai.ChatCompletionResponse, err error) {
			if e := apiError(t, err); e.HTTPStatusCode != 500 || !strings.Contains(e.Message, "invalid HTTP status 0") {
				t.Errorf("error %+v", e)
			}
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c := newServer(t)
			srv.Enqueue(openaitest.RouteChatCompletions, tt.resp)
			ctx := ctx
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			resp, err := c.CreateChatCompletion(ctx, chatRequest("gpt-4o", "Hi"))
			tt.check(t, resp, err)
		})
	}
}

func TestChunkDelay(t *testing.T) {
	t.Parallel()
	const delay = 10 * time.Millisecond
	srv, c := newServer(t)
	srv.Enqueue(openaitest.RouteChatCompletions,
		openaitest.ChatStream(openaitest.ChatChunks(2, openaitest.Choice{Content: "Hi!"})...).WithChunkDelay(delay))
	start := time.Now()
	stream, err := c.CreateChatCompletionStream(context.Background(), withUsage(chatRequest("gpt-4o", "Hi")))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	n := 0
	for ; ; n++ {
		if _, err := stream.Recv(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	// The role chunk, two pieces, the finish chunk and the usage chunk, each
	// after a delay.
	if n != 5 {
		t.Errorf("%d chunks", n)
	}
	if d := time.Since(start); d < 5*delay {
		t.Errorf("stream took %v, want at least %v", d, 5*delay)
	}
}

func TestCompletionStreamScripted(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	srv.Enqueue(openaitest.RouteCompletions,
		openaitest.CompletionStream(openaitest.CompletionChunks(3, "Once upon", "a time")...))
	req := goopenai.CompletionRequest{Model: "gpt-3.5-turbo-instruct", Prompt: "Tell me", N: 2,
		StreamOptions: &goopenai.StreamOptions{IncludeUsage: true}}
	chunks, err := collectCompletion(t, c, req)
	if err != nil {
		t.Fatal(err)
	}
	var text [2]string
	var finish [2]string
	for _, ch := range chunks[:len(chunks)-1] {
		c := ch.Choices[0]
		text[c.Index] += c.Text
		if c.FinishReason != "" {
			finish[c.Index] = c.FinishReason
		}
	}
	if text != [2]string{"Once upon", "a time"} || finish != [2]string{"stop", "stop"} {
		t.Errorf("texts %q, finish reasons %q", text, finish)
	}
	if last := chunks[len(chunks)-1]; len(last.Choices) != 0 || last.Usage == nil || last.Object != "text_completion" {
		t.Errorf("last chunk %+v", last)
	}
}

func TestEmbeddingsScripted(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	scripted := openaitest.JSON(goopenai.EmbeddingResponse{Data: []goopenai.Embedding{{Embedding: []float32{0.5, -0.25, 1}}}})
	srv.SetDefault(openaitest.RouteEmbeddings, scripted)
	for _, format := range []goopenai.EmbeddingEncodingFormat{goopenai.EmbeddingEncodingFormatFloat, goopenai.EmbeddingEncodingFormatBase64} {
		resp, err := c.CreateEmbeddings(context.Background(), goopenai.EmbeddingRequest{Input: "hi", Model: goopenai.LargeEmbedding3, EncodingFormat: format})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Data) != 1 || !equal(resp.Data[0].Embedding, []float32{0.5, -0.25, 1}) ||
			resp.Model != goopenai.LargeEmbedding3 || resp.Usage.PromptTokens == 0 || resp.Data[0].Object != "embedding" {
			t.Errorf("%s: %+v", format, resp)
		}
	}
}
