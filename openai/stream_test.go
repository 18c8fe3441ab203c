package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/gentrace/gentrace-go/pricing"
	gogpt "github.com/sashabaranov/go-openai"
)

// withoutIDs clears the chunk IDs, which the fake server numbers per
// request, so that two streams of one script compare equal.
func withoutIDs(chunks []gogpt.ChatCompletionStreamResponse) []gogpt.ChatCompletionStreamResponse {
	for i := range chunks {
		chunks[i].ID = ""
	}
	return chunks
}

var exactUsage = gogpt.Usage{PromptTokens: 1200, CompletionTokens: 34, TotalTokens: 1234,
	PromptTokensDetails: &gogpt.PromptTokensDetails{CachedTokens: 1024}}

// TestStreamAggregation streams scripts through a bare go-openai client and
// the wrapper: the caller receives the same chunks, and the step holds the
// assembled answer.
func TestStreamAggregation(t *testing.T) {
	t.Parallel()
	toolCalls := openaitest.Choice{ToolCalls: []openaitest.ToolCall{
		{Name: "get_weather", Arguments: `{"city":"Paris","unit":"celsius"}`},
		{Name: "get_time", Arguments: `{"timezone":"Europe/Paris"}`},
	}}
	for _, tc := range []struct {
		name         string
		script       openaitest.Response
		includeUsage bool
		check        func(t *testing.T, step gentrace.Step, outputs map[string]any)
	}{
		{
			name:   "parallel_tool_calls",
			script: openaitest.ChatStream(openaitest.ChatChunks(4, toolCalls)...),
			check: func(t *testing.T, step gentrace.Step, outputs map[string]any) {
				choice := outputs["choices"].([]any)[0].(map[string]any)
				want := jsonOf(t, []gogpt.ToolCall{
					{ID: "call_0_0", Type: "function", Function: gogpt.FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris","unit":"celsius"}`}},
					{ID: "call_0_1", Type: "function", Function: gogpt.FunctionCall{Name: "get_time", Arguments: `{"timezone":"Europe/Paris"}`}},
				})
				if got := choice["message"].(map[string]any)["tool_calls"]; !reflect.DeepEqual(got, want) {
					t.Errorf("tool_calls = %v, want %v", got, want)
				}
				if choice["finish_reason"] != "tool_calls" {
					t.Errorf("finish_reason = %v", choice["finish_reason"])
				}
				if !step.Usage.Estimated || step.Usage.CompletionTokens == 0 {
					t.Errorf("usage = %+v, want estimated tool-call tokens", step.Usage)
				}
			},
		},
		{
			name: "two_choices",
			script: openaitest.ChatStream(openaitest.ChatChunks(3,
				openaitest.Choice{Content: "The first answer, complete."},
				openaitest.Choice{Content: "The second answer was cut", FinishReason: gogpt.FinishReasonLength},
			)...),
			check: func(t *testing.T, step gentrace.Step, outputs map[string]any) {
				choices := outputs["choices"].([]any)
				want := []struct{ content, finish string }{
					{"The first answer, complete.", "stop"},
					{"The second answer was cut", "length"},
				}
				if len(choices) != len(want) {
					t.Fatalf("%d choices", len(choices))
				}
				for i, c := range choices {
					c := c.(map[string]any)
					msg := c["message"].(map[string]any)
					if c["index"] != float64(i) || msg["content"] != want[i].content || c["finish_reason"] != want[i].finish {
						t.Errorf("choice %d = %v", i, c)
					}
				}
			},
		},
		{
			name:         "usage_chunk",
			script:       openaitest.ChatStream(openaitest.ChatChunks(3, openaitest.Choice{Content: "Exact usage."})...).WithUsage(exactUsage),
			includeUsage: true,
			check: func(t *testing.T, step gentrace.Step, outputs map[string]any) {
				want := &gentrace.Usage{PromptTokens: 1200, CompletionTokens: 34, TotalTokens: 1234, CachedPromptTokens: 1024}
				if !reflect.DeepEqual(step.Usage, want) {
					t.Errorf("usage = %+v, want %+v", step.Usage, want)
				}
				if _, ok := outputs["usageEstimated"]; ok {
					t.Error("exact usage marked estimated")
				}
				p := price(t, gogpt.GPT4o)
				wantCost := p.Cost(pricing.Usage{InputTokens: 1200, CachedInputTokens: 1024, OutputTokens: 34})
				if got, _ := costOf(t, outputs); !near(got, wantCost) {
					t.Errorf("cost = %v, want %v", got, wantCost)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			req := chatRequest()
			if tc.includeUsage {
				req.StreamOptions = &gogpt.StreamOptions{IncludeUsage: true}
			}
			h.oai.Enqueue(openaitest.RouteChatCompletions, tc.script, tc.script)
			bare, err := h.oai.Client().CreateChatCompletionStream(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			want, err := readBareChat(bare)
			bare.Close()
			if err != nil {
				t.Fatal(err)
			}

			r := h.start(gentrace.RunContext{})
			stream, err := h.client.ForRunner(r).CreateChatCompletionStream(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readChat(stream)
			stream.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(withoutIDs(got), withoutIDs(want)) {
				t.Errorf("chunks differ from go-openai's:\n got %+v\nwant %+v", got, want)
			}
			if tc.includeUsage && got[len(got)-1].Usage == nil {
				t.Error("the caller asked for include_usage and did not get the usage chunk")
			}
			steps := r.Steps()
			if len(steps) != 1 {
				t.Fatalf("%d steps", len(steps))
			}
			run := h.submit(r)
			golden(t, "stream_"+tc.name+".json", run)
			tc.check(t, steps[0], only(t, run).Outputs)
		})
	}
}

// TestStreamAtOnce checks that Recv hands a chunk over as soon as it
// arrives: the server sends the second chunk only after the caller has the
// first, so a wrapper that read ahead would block.
func TestStreamAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		chunk := func(content string) {
			fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\","+
				"\"choices\":[{\"index\":0,\"delta\":{\"content\":%q},\"finish_reason\":null}]}\n\n", content)
			w.(http.Flusher).Flush()
		}
		chunk("first")
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		chunk("second")
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	defer srv.Close()
	cfg := gogpt.DefaultConfig("k")
	cfg.BaseURL, cfg.HTTPClient = srv.URL+"/v1", srv.Client()
	c := openai.Wrap(gogpt.NewClientWithConfig(cfg), openai.WithGentrace(h.gc))
	r := h.start(gentrace.RunContext{})
	stream, err := c.ForRunner(r).CreateChatCompletionStream(context.Background(), chatRequest())
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	first := make(chan string, 1)
	go func() {
		chunk, err := stream.Recv()
		if err != nil {
			first <- err.Error()
			return
		}
		first <- chunk.Choices[0].Delta.Content
	}()
	select {
	case got := <-first:
		if got != "first" {
			t.Fatalf("first chunk %q", got)
		}
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("Recv did not return the first chunk before the server sent the second")
	}
	close(release)
	chunks, err := readChat(stream)
	if err != nil || len(chunks) != 1 || chunks[0].Choices[0].Delta.Content != "second" {
		t.Fatalf("rest of stream: %+v, %v", chunks, err)
	}
	if data := r.Steps()[0].Outputs["choices"].(json.RawMessage); !strings.Contains(string(data), `"content":"firstsecond"`) {
		t.Errorf("recorded choices %s", data)
	}
}

// TestExactUsage checks WithExactStreamUsage and WithExactUsage: the request
// asks OpenAI for include_usage, the caller sees exactly the chunks of a
// stream without usage (the usage-only chunk is hidden), and the recorded
// usage is OpenAI's, not an estimate.
func TestExactUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		client []openai.Option
		call   []openai.CallOption
	}{
		{"client option", []openai.Option{openai.WithExactStreamUsage()}, nil},
		{"call option", nil, []openai.CallOption{openai.WithExactUsage()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, mode := range []string{"advanced", "simple", "unrecorded"} {
				h := newHarness(t, tc.client...)
				script := openaitest.ChatStream(openaitest.ChatChunks(4, openaitest.Choice{Content: "Counted by OpenAI."})...).WithUsage(exactUsage)
				h.oai.Enqueue(openaitest.RouteChatCompletions, script, script)
				bare, err := h.oai.Client().CreateChatCompletionStream(context.Background(), chatRequest())
				if err != nil {
					t.Fatal(err)
				}
				want, _ := readBareChat(bare)
				bare.Close()

				req := chatRequest()
				c := h.client
				var r *gentrace.Runner
				opts := tc.call
				switch mode {
				case "advanced":
					r = h.start(gentrace.RunContext{})
					c = c.ForRunner(r)
				case "simple":
					opts = append(opts, openai.WithPipelineSlug("exact"))
				}
				stream, err := c.CreateChatCompletionStream(context.Background(), req, opts...)
				if err != nil {
					t.Fatal(err)
				}
				got, err := readChat(stream)
				stream.Close()
				if err != nil {
					t.Fatal(err)
				}
				if req.StreamOptions != nil {
					t.Errorf("%s: caller's request changed: %+v", mode, req.StreamOptions)
				}
				var body map[string]any
				if err := h.lastRequest().Decode(&body); err != nil {
					t.Fatal(err)
				}
				if so, _ := body["stream_options"].(map[string]any); so["include_usage"] != true {
					t.Errorf("%s: request stream_options = %v, want include_usage", mode, body["stream_options"])
				}
				if !reflect.DeepEqual(withoutIDs(got), withoutIDs(want)) {
					t.Errorf("%s: chunks differ from a stream without usage:\n got %+v\nwant %+v", mode, got, want)
				}
				var step gentrace.Step
				switch mode {
				case "advanced":
					step = r.Steps()[0]
				case "simple":
					run := h.run(stream.PipelineRunID)
					u := only(t, run).Outputs["usage"].(map[string]any)
					if u["prompt_tokens"] != float64(1200) || u["completion_tokens"] != float64(34) {
						t.Errorf("simple: outputs.usage = %v", u)
					}
					continue
				default:
					h.noRuns()
					continue
				}
				want2 := &gentrace.Usage{PromptTokens: 1200, CompletionTokens: 34, TotalTokens: 1234, CachedPromptTokens: 1024}
				if !reflect.DeepEqual(step.Usage, want2) {
					t.Errorf("usage = %+v, want %+v", step.Usage, want2)
				}
			}
		})
	}
}

// TestExactUsageCompletionStream is TestExactUsage for legacy completions.
func TestExactUsageCompletionStream(t *testing.T) {
	t.Parallel()
	h := newHarness(t, openai.WithExactStreamUsage())
	h.oai.Enqueue(openaitest.RouteCompletions,
		openaitest.CompletionStream(openaitest.CompletionChunks(3, "an exact count")...).WithUsage(exactUsage))
	r := h.start(gentrace.RunContext{})
	stream, err := h.client.ForRunner(r).CreateCompletionStream(context.Background(), completionRequest())
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := readCompletion(stream)
	stream.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chunks {
		if len(c.Choices) == 0 || c.Usage != nil {
			t.Errorf("caller saw a usage chunk: %+v", c)
		}
	}
	want := &gentrace.Usage{PromptTokens: 1200, CompletionTokens: 34, TotalTokens: 1234, CachedPromptTokens: 1024}
	if got := r.Steps()[0].Usage; !reflect.DeepEqual(got, want) {
		t.Errorf("usage = %+v, want %+v", got, want)
	}
}

// TestStreamEarlyClose checks that a stream closed before its end is
// recorded as such: closedEarly, a null finish reason, the partial text,
// and never as a complete answer.
func TestStreamEarlyClose(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"advanced", "simple"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.oai.Enqueue(openaitest.RouteChatCompletions,
				openaitest.ChatStream(openaitest.ChatChunks(10, openaitest.Choice{Content: "0123456789abcdefghij"})...))
			var r *gentrace.Runner
			c := h.client
			var opts []openai.CallOption
			if mode == "advanced" {
				r = h.start(gentrace.RunContext{})
				c = c.ForRunner(r)
			} else {
				opts = append(opts, openai.WithPipelineSlug("early"))
			}
			stream, err := c.CreateChatCompletionStream(context.Background(), chatRequest(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			var text string
			for range 3 {
				chunk, err := stream.Recv()
				if err != nil {
					t.Fatal(err)
				}
				text += chunk.Choices[0].Delta.Content
			}
			if mode == "simple" && h.gc.Stats().Submitted != 0 {
				t.Error("simple-mode run submitted before the stream ended")
			}
			if err := stream.Close(); err != nil {
				t.Fatal(err)
			}
			stream.Close() // a second Close records nothing more
			var run gentracetest.Run
			if mode == "advanced" {
				run = h.submit(r)
			} else {
				run = h.run(stream.PipelineRunID)
			}
			golden(t, "stream_early_close_"+mode+".json", run)
			step := only(t, run)
			if step.Outputs["closedEarly"] != true {
				t.Errorf("closedEarly = %v", step.Outputs["closedEarly"])
			}
			choice := step.Outputs["choices"].([]any)[0].(map[string]any)
			if fr, ok := choice["finish_reason"]; !ok || fr != nil {
				t.Errorf("finish_reason = %v (present %v), want null", fr, ok)
			}
			if got := choice["message"].(map[string]any)["content"]; got != text {
				t.Errorf("content = %q, want the %q received", got, text)
			}
			if step.Error != "" {
				t.Errorf("error = %q", step.Error)
			}
		})
	}
}

// TestStreamErrors checks that a stream failing midway returns go-openai's
// error unchanged and records it on the step with the partial answer.
func TestStreamErrors(t *testing.T) {
	t.Parallel()
	chunks := openaitest.ChatChunks(6, openaitest.Choice{Content: "abcdefghijkl"})
	for _, tc := range []struct {
		name   string
		script openaitest.Response
		is     error
	}{
		{"error_event", openaitest.ChatStream(chunks...).ErrorAfter(2, gogpt.APIError{Message: "The server had an error."}), nil},
		{"cut", openaitest.ChatStream(chunks...).CutAfter(2), io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.oai.Enqueue(openaitest.RouteChatCompletions, tc.script, tc.script)
			bare, err := h.oai.Client().CreateChatCompletionStream(context.Background(), chatRequest())
			if err != nil {
				t.Fatal(err)
			}
			_, wantErr := readBareChat(bare)
			bare.Close()

			r := h.start(gentrace.RunContext{})
			stream, err := h.client.ForRunner(r).CreateChatCompletionStream(context.Background(), chatRequest())
			if err != nil {
				t.Fatal(err)
			}
			got, err := readChat(stream)
			stream.Close()
			if err == nil || len(got) != 2 {
				t.Fatalf("%d chunks, error %v", len(got), err)
			}
			if !reflect.DeepEqual(err, wantErr) {
				t.Errorf("error %#v, want go-openai's %#v", err, wantErr)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if _, ok := errors.AsType[*gogpt.APIError](err); tc.is == nil && !ok {
				t.Errorf("error %v wraps no *openai.APIError", err)
			}
			step := only(t, h.submit(r))
			if step.Error != err.Error() {
				t.Errorf("step error %q, want %q", step.Error, err.Error())
			}
			choice := step.Outputs["choices"].([]any)[0].(map[string]any)
			if choice["message"].(map[string]any)["content"] != "abcd" || choice["finish_reason"] != nil {
				t.Errorf("partial choice %v", choice)
			}
		})
	}
}

// TestStreamTiming checks the step's times by the client's clock: time to
// first token and latency.
func TestStreamTiming(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.start(gentrace.RunContext{})
	h.streamToEnd(r)
	s := r.Steps()[0]
	// The clock moves 7ms per reading: start, first chunk, end.
	if s.TimeToFirstToken != 7*time.Millisecond || s.Elapsed() != 14*time.Millisecond {
		t.Errorf("time to first token %v, elapsed %v; want 7ms, 14ms", s.TimeToFirstToken, s.Elapsed())
	}
	if elapsed := only(t, h.submit(r)).ElapsedTime; elapsed != 14 {
		t.Errorf("elapsedTime = %d, want 14", elapsed)
	}
}

// TestSimpleModeStream checks that a simple-mode stream has its
// PipelineRunID as soon as it opens and is submitted when it ends.
func TestSimpleModeStream(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	stream, err := h.client.CreateChatCompletionStream(context.Background(), chatRequest(),
		openai.WithPipelineSlug("simple-stream"), openai.WithUserID("user-1"))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	if stream.PipelineRunID == "" {
		t.Fatal("no PipelineRunID when the stream opened")
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	if err := h.gc.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := h.gc.Stats().Submitted; n != 0 {
		t.Fatalf("%d runs submitted before the stream ended", n)
	}
	if _, err := readChat(stream); err != nil {
		t.Fatal(err)
	}
	run := h.run(stream.PipelineRunID)
	step := only(t, run)
	if step.Context.UserID != "user-1" || step.Outputs["closedEarly"] != nil {
		t.Errorf("step %+v", step)
	}
}

// TestCompletionStreamAggregation checks legacy completion streams with two
// choices.
func TestCompletionStreamAggregation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.oai.Enqueue(openaitest.RouteCompletions,
		openaitest.CompletionStream(openaitest.CompletionChunks(3, "first text", "second text")...))
	r := h.start(gentrace.RunContext{})
	req := completionRequest()
	req.N = 2
	stream, err := h.client.ForRunner(r).CreateCompletionStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readCompletion(stream); err != nil {
		t.Fatal(err)
	}
	stream.Close()
	step := only(t, h.submit(r))
	choices := step.Outputs["choices"].([]any)
	for i, want := range []string{"first text", "second text"} {
		c := choices[i].(map[string]any)
		if c["text"] != want || c["finish_reason"] != "stop" || c["index"] != float64(i) {
			t.Errorf("choice %d = %v", i, c)
		}
	}
}

// TestStreamDeltasWithoutIndex checks aggregation of servers that send
// tool-call deltas without an index (continuations of the last call) and
// legacy function_call deltas.
func TestStreamDeltasWithoutIndex(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	delta := func(d gogpt.ChatCompletionStreamChoiceDelta, finish gogpt.FinishReason) gogpt.ChatCompletionStreamResponse {
		return gogpt.ChatCompletionStreamResponse{Choices: []gogpt.ChatCompletionStreamChoice{{Delta: d, FinishReason: finish}}}
	}
	call := func(id, name, args string) []gogpt.ToolCall {
		return []gogpt.ToolCall{{ID: id, Type: "function", Function: gogpt.FunctionCall{Name: name, Arguments: args}}}
	}
	h.oai.Enqueue(openaitest.RouteChatCompletions, openaitest.ChatStream(
		delta(gogpt.ChatCompletionStreamChoiceDelta{Role: "assistant", ToolCalls: call("a", "one", `{"x"`)}, ""),
		delta(gogpt.ChatCompletionStreamChoiceDelta{ToolCalls: call("", "", `:1}`)}, ""),
		delta(gogpt.ChatCompletionStreamChoiceDelta{ToolCalls: call("b", "two", `{}`)}, ""),
		delta(gogpt.ChatCompletionStreamChoiceDelta{FunctionCall: &gogpt.FunctionCall{Name: "legacy", Arguments: `{"y"`}}, ""),
		delta(gogpt.ChatCompletionStreamChoiceDelta{FunctionCall: &gogpt.FunctionCall{Arguments: `:2}`}}, "tool_calls"),
	))
	r := h.start(gentrace.RunContext{})
	h.streamToEnd(r)
	msg := only(t, h.submit(r)).Outputs["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)
	want := jsonOf(t, []gogpt.ToolCall{
		{ID: "a", Type: "function", Function: gogpt.FunctionCall{Name: "one", Arguments: `{"x":1}`}},
		{ID: "b", Type: "function", Function: gogpt.FunctionCall{Name: "two", Arguments: `{}`}},
	})
	if !reflect.DeepEqual(msg["tool_calls"], want) {
		t.Errorf("tool_calls = %v, want %v", msg["tool_calls"], want)
	}
	if fc := msg["function_call"]; !reflect.DeepEqual(fc, map[string]any{"name": "legacy", "arguments": `{"y":2}`}) {
		t.Errorf("function_call = %v", fc)
	}
}

// TestStreamCloseWhileReceiving closes a stream from another goroutine
// while Recv runs; the step is recorded once, without a race.
func TestStreamCloseWhileReceiving(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.oai.Enqueue(openaitest.RouteChatCompletions,
		openaitest.ChatStream(openaitest.ChatChunks(50, openaitest.Choice{Content: strings.Repeat("word ", 50)})...).
			WithChunkDelay(time.Millisecond))
	r := h.start(gentrace.RunContext{})
	stream, err := h.client.ForRunner(r).CreateChatCompletionStream(context.Background(), chatRequest())
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			if _, err := stream.Recv(); err != nil {
				return
			}
			if i == 0 {
				close(first)
			}
		}
	})
	<-first
	stream.Close()
	wg.Wait()
	steps := r.Steps()
	if len(steps) != 1 {
		t.Fatalf("%d steps recorded", len(steps))
	}
}
