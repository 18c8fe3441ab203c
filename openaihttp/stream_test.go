package openaihttp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	goopenai "github.com/sashabaranov/go-openai"
)

// textStream is a one-choice chat stream of words, as OpenAI sends it: the
// role first with empty content, a chunk per word, the finish reason, and
// the usage chunk when usage is not "".
func textStream(usage string, words ...string) []string {
	events := []string{chunk(`{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}`, "null")}
	for _, w := range words {
		data, _ := json.Marshal(w)
		events = append(events, chunk(`{"index":0,"delta":{"content":`+string(data)+`},"logprobs":null,"finish_reason":null}`, "null"))
	}
	events = append(events, chunk(`{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}`, "null"))
	if usage != "" {
		events = append(events, chunk("", usage))
	}
	return append(events, done)
}

const usage42 = `{"prompt_tokens":30,"completion_tokens":12,"total_tokens":42,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`

func streamRequest(extra string) goopenai.ChatCompletionRequest {
	req := goopenai.ChatCompletionRequest{Model: "gpt-4o-mini", Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "Hi"}}}
	if extra == "usage" {
		req.StreamOptions = &goopenai.StreamOptions{IncludeUsage: true}
	}
	return req
}

func readStream(t *testing.T, s *goopenai.ChatCompletionStream) ([]goopenai.ChatCompletionStreamResponse, error) {
	t.Helper()
	var out []goopenai.ChatCompletionStreamResponse
	for {
		c, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, c)
	}
}

func TestExactUsageIsAskedForAndItsChunkHidden(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		callerAsks bool
	}{{"caller did not ask", false}, {"caller asked", true}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, openaihttpAlways()...)
			w.wire.enqueue(sseReply(textStream(usage42, "Hello", " world")...))
			ctx, r := w.start(gentrace.RunContext{})
			req := streamRequest("")
			if tt.callerAsks {
				req = streamRequest("usage")
			}
			stream, err := w.goopenai().CreateChatCompletionStream(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			chunks, err := readStream(t, stream)
			stream.Close()
			if err != nil {
				t.Fatal(err)
			}
			sawUsage := false
			for _, c := range chunks {
				if c.Usage != nil {
					sawUsage = true
				}
			}
			if sawUsage != tt.callerAsks {
				t.Errorf("caller saw the usage chunk: %v, want %v", sawUsage, tt.callerAsks)
			}
			sent := decode(t, w.wire.requests()[0].body).(map[string]any)
			if so, _ := sent["stream_options"].(map[string]any); so["include_usage"] != true {
				t.Errorf("request did not ask for usage: %v", sent)
			}
			s := step(t, w.end(r))
			if s.Outputs["usageEstimated"] != nil || raw(t, s.Outputs["usage"]) == "null" {
				t.Errorf("usage not exact: %v", s.Outputs)
			}
			// The record shows the caller's request, not the recorder's.
			if _, asked := s.ModelParams["stream_options"]; asked != tt.callerAsks {
				t.Errorf("recorded stream_options %v, want %v", s.ModelParams["stream_options"], tt.callerAsks)
			}
		})
	}
}

func TestExactUsageDefaultsToOpenAIsOwnHost(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		host string
		asks bool
	}{{"api.openai.com", true}, {"my-resource.openai.azure.com", false}, {"127.0.0.1", false}} {
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			ctx, r := w.start(gentrace.RunContext{})
			defer r.End(nil)
			var sent []byte
			hc := &http.Client{Transport: w.rec.Transport(roundTripFunc(func(req *http.Request) (*http.Response, error) {
				sent, _ = io.ReadAll(req.Body)
				return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}},
					Body: io.NopCloser(strings.NewReader(strings.Join(textStream(usage42, "Hi"), ""))), Request: req}, nil
			}))}
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+tt.host+"/v1/chat/completions",
				strings.NewReader(`{"model":"gpt-4o-mini","messages":[],"stream":true,"stream_options":{"include_obfuscation":false}}`))
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			asked := strings.Contains(string(sent), `"include_usage":true`)
			if asked != tt.asks {
				t.Errorf("asked for usage: %v, want %v (sent %s)", asked, tt.asks, sent)
			}
			if tt.asks && !strings.Contains(string(sent), `"include_obfuscation":false`) {
				t.Errorf("the caller's other stream options were lost: %s", sent)
			}
		})
	}
}

func TestStreamClosedEarlyAndComplete(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		read       int // chunks read before Close; -1 reads to the end
		usage      bool
		wantEarly  bool
		wantExact  bool
		wantFinish string
	}{
		{"closed mid-way", 2, false, true, false, "null"},
		{"read to the end", -1, false, false, false, `"stop"`},
		// Every choice finished, then closed before the usage chunk: the
		// recorder drains it, so the step is complete and exact.
		{"closed after the finish with exact usage", 4, true, false, true, `"stop"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts = openaihttpAlways()
			if !tt.usage {
				opts = nil
			}
			w := newWorld(t, opts...)
			usage := ""
			if tt.usage {
				usage = usage42
			}
			events := textStream(usage, "One", " two", " three")
			rep := sseReply(events...)
			if tt.read >= 0 {
				// The model is still generating when the caller closes.
				rep = held(rep, tt.read+1)
				if tt.usage {
					rep = held(rep, len(events)-2) // the usage chunk is sent at once
					rep.hold = nil
				}
			}
			w.wire.enqueue(rep)
			ctx, r := w.start(gentrace.RunContext{})
			stream, err := w.goopenai().CreateChatCompletionStream(ctx, streamRequest(""))
			if err != nil {
				t.Fatal(err)
			}
			if tt.read < 0 {
				if _, err := readStream(t, stream); err != nil {
					t.Fatal(err)
				}
			} else {
				for range tt.read + 1 {
					if _, err := stream.Recv(); err != nil {
						t.Fatal(err)
					}
				}
			}
			stream.Close()
			s := step(t, w.end(r))
			if early := s.Outputs["closedEarly"] == true; early != tt.wantEarly {
				t.Errorf("closedEarly = %v, want %v", early, tt.wantEarly)
			}
			choices := s.Outputs["choices"].([]any)
			if got := raw(t, choices[0].(map[string]any)["finish_reason"]); got != tt.wantFinish {
				t.Errorf("finish_reason = %s, want %s", got, tt.wantFinish)
			}
			if exact := s.Outputs["usageEstimated"] == nil; exact != tt.wantExact {
				t.Errorf("exact usage = %v, want %v (%v)", exact, tt.wantExact, s.Outputs["usage"])
			}
			if s.Error != "" {
				t.Errorf("error = %q", s.Error)
			}
		})
	}
}

func TestStreamFaults(t *testing.T) {
	t.Parallel()
	cut := sseReply(textStream("", "Hello", " world")...)
	cut.cutAfter = 2
	tests := []struct {
		name      string
		reply     reply
		wantErr   string
		wantText  string
		callerErr bool
	}{
		{"cut mid-way", cut, "stream failed", "Hello", true},
		{"error event", sseReply(append(textStream("", "Hi")[:2], sse("", `{"error":{"message":"The server had an error while processing your request.","type":"server_error"}}`))...),
			"stream error: The server had an error while processing your request.", "Hi", true},
		{"ended without its last event", sseReply(textStream("", "Hi")[:2]...), "stream ended before its last event", "Hi", false},
		{"unparseable event", sseReply(append([]string{sse("", `{"id":`)}, textStream("", "ok")...)...), "", "ok", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.wire.enqueue(tt.reply)
			ctx, r := w.start(gentrace.RunContext{})
			stream, err := w.goopenai().CreateChatCompletionStream(ctx, streamRequest(""))
			if err != nil {
				t.Fatal(err)
			}
			_, readErr := readStream(t, stream)
			stream.Close()
			if tt.callerErr != (readErr != nil) && tt.name != "unparseable event" {
				t.Errorf("caller's error = %v", readErr)
			}
			s := step(t, w.end(r))
			if !strings.HasPrefix(s.Error, tt.wantErr) || (tt.wantErr == "" && s.Error != "") {
				t.Errorf("error = %q, want %q", s.Error, tt.wantErr)
			}
			msg := s.Outputs["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)
			if msg["content"] != tt.wantText {
				t.Errorf("content = %v, want %q", msg["content"], tt.wantText)
			}
			if tt.name == "unparseable event" && s.Outputs["unparsedEvents"] != float64(1) {
				t.Errorf("unparsedEvents = %v", s.Outputs["unparsedEvents"])
			}
		})
	}
}

func TestStreamBytesPassThroughAtOnce(t *testing.T) {
	t.Parallel()
	// The server sends one event and waits; the caller must get it before
	// the server sends more.
	release := make(chan struct{})
	srv := newWire(t)
	srv.srv.Config.Handler = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/event-stream")
		events := textStream("", "first", " second")
		_, _ = io.WriteString(rw, events[0])
		rw.(http.Flusher).Flush()
		<-release
		for _, ev := range events[1:] {
			_, _ = io.WriteString(rw, ev)
		}
	})
	w := newWorld(t)
	ctx, r := w.start(gentrace.RunContext{})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.srv.URL+"/v1/chat/completions", strings.NewReader(`{"model":"gpt-4o-mini","messages":[],"stream":true}`))
	resp, err := w.httpClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "data: ") {
		t.Fatalf("first line = %q, %v", line, err)
	}
	close(release)
	resp.Body.Close()
	r.End(nil)
}

func TestAbandonedBodyIsRecorded(t *testing.T) {
	w := newWorld(t)
	// The answer comes from a pipe that is never finished, as a model
	// still generating; no connection is involved, so that the test
	// leaves nothing running once the pipe is closed.
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	go func() {
		for _, ev := range textStream("", "never", " read")[:2] {
			if _, err := io.WriteString(pw, ev); err != nil {
				return
			}
		}
	}()
	hc := &http.Client{Transport: w.rec.Transport(roundTripFunc(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: pr, Request: req}, nil
	}))}
	p, _ := w.gc.NewPipeline("simple")
	ctx, _ := gentrace.WithPipeline(context.Background(), p, gentrace.RunContext{})
	call := &openaihttpCall{}
	func() {
		cfg := goopenai.DefaultConfig("sk-test")
		cfg.BaseURL = "http://openai.test/v1"
		cfg.HTTPClient = hc
		stream, err := goopenai.NewClientWithConfig(cfg).CreateChatCompletionStream(withCall(ctx, call), streamRequest(""))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = stream.Recv() // then neither drained nor closed
	}()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		runtime.GC()
		if _, ok := w.backend.Run(call.RunID); ok {
			break
		}
		_ = w.gc.Flush(context.Background())
		time.Sleep(20 * time.Millisecond)
	}
	run, ok := w.backend.Run(call.RunID)
	if !ok {
		t.Fatal("the abandoned stream's run was never delivered")
	}
	s := step(t, run)
	if !strings.Contains(s.Error, "neither read to its end nor closed") || s.Outputs["closedEarly"] != true {
		t.Errorf("step = %q %v", s.Error, s.Outputs)
	}
}

func TestEstimatedUsageWhenTheStreamHasNone(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		model     string
		wantOmits bool
	}{{"gpt-4o-mini", false}, {"o3-mini", true}, {"gpt-5", true}} {
		t.Run(tt.model, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			events := textStream("", "Hello", " world")
			for i := range events {
				events[i] = strings.ReplaceAll(events[i], "gpt-4o-mini-2024-07-18", tt.model)
			}
			w.wire.enqueue(sseReply(events...))
			ctx, r := w.start(gentrace.RunContext{})
			req := streamRequest("")
			req.Model = tt.model
			stream, err := w.goopenai().CreateChatCompletionStream(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := readStream(t, stream); err != nil {
				t.Fatal(err)
			}
			stream.Close()
			_ = w.end(r)
			s := r.Steps()[0]
			if s.Usage == nil || !s.Usage.Estimated || s.Usage.CompletionTokens != 2 || s.Usage.PromptTokens == 0 {
				t.Fatalf("usage = %+v", s.Usage)
			}
			omits := len(s.Usage.EstimateOmits) == 1 && strings.Contains(s.Usage.EstimateOmits[0], "reasoning tokens")
			if omits != tt.wantOmits {
				t.Errorf("EstimateOmits = %v, want reasoning omitted: %v", s.Usage.EstimateOmits, tt.wantOmits)
			}
			if raw(t, s.Outputs["usageEstimated"]) != "true" {
				t.Errorf("usageEstimated = %s", raw(t, s.Outputs["usageEstimated"]))
			}
			if s.TimeToFirstToken <= 0 {
				t.Errorf("time to first token = %v", s.TimeToFirstToken)
			}
		})
	}
}

func TestResponsesStreamEndingEarly(t *testing.T) {
	t.Parallel()
	events := []string{
		sse("response.created", `{"type":"response.created","sequence_number":0,"response":{"id":"resp_e","object":"response","created_at":1741000000,"status":"in_progress","model":"gpt-4.1-2025-04-14","output":[],"usage":null}}`),
		sse("response.output_item.added", `{"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"type":"reasoning","id":"rs_1","summary":[]}}`),
		sse("response.reasoning_summary_text.delta", `{"type":"response.reasoning_summary_text.delta","sequence_number":2,"item_id":"rs_1","output_index":0,"summary_index":0,"delta":"Checking"}`),
		sse("response.output_item.added", `{"type":"response.output_item.added","sequence_number":3,"output_index":1,"item":{"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"","status":"in_progress"}}`),
		sse("response.function_call_arguments.delta", `{"type":"response.function_call_arguments.delta","sequence_number":4,"item_id":"fc_1","output_index":1,"delta":"{\"city\":"}`),
		sse("response.function_call_arguments.delta", `{"type":"response.function_call_arguments.delta","sequence_number":5,"item_id":"fc_1","output_index":1,"delta":"\"Paris\"}"}`),
		sse("error", `{"type":"error","code":"server_error","message":"Something went wrong","param":null,"sequence_number":6}`),
	}
	w := newWorld(t)
	w.wire.enqueue(sseReply(events...))
	ctx, r := w.start(gentrace.RunContext{})
	resp, _ := w.post(ctx, "/v1/responses", `{"model":"gpt-4.1","input":"Weather in Paris?","instructions":"Use tools.","stream":true}`)
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	s := step(t, w.end(r))
	if s.Error != "stream error: Something went wrong" {
		t.Errorf("error = %q", s.Error)
	}
	want := `[{"id":"rs_1","summary":[{"text":"Checking","type":"summary_text"}],"type":"reasoning"},{"arguments":"{\"city\":\"Paris\"}","call_id":"call_1","id":"fc_1","name":"get_weather","status":"in_progress","type":"function_call"}]`
	if got := raw(t, s.Outputs["output"]); got != want {
		t.Errorf("output =\n%s\nwant\n%s", got, want)
	}
	if s.Outputs["id"] != "resp_e" || s.Outputs["usageEstimated"] != true {
		t.Errorf("outputs = %v", s.Outputs)
	}
}

// A client stops reading at the last event and closes the body when it
// gets round to it (a deferred Close): the step ends at the last event.
func TestStreamStepEndsAtItsLastEvent(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, path string
		events     []string
	}{
		{"chat", "/v1/chat/completions", textStream("", "one", " two")},
		{"responses", "/v1/responses", []string{
			sse("response.created", `{"type":"response.created","sequence_number":0,"response":{"id":"r","object":"response","status":"in_progress","model":"gpt-4.1","output":[]}}`),
			sse("response.completed", `{"type":"response.completed","sequence_number":1,"response":{"id":"r","object":"response","status":"completed","model":"gpt-4.1","output":[],"usage":{"input_tokens":1,"output_tokens":1,"total_tokens":2}}}`),
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			// The server keeps the connection open after the last event.
			w.wire.enqueue(held(sseReply(append(tt.events, ": still open\n\n")...), len(tt.events)))
			ctx, r := w.start(gentrace.RunContext{})
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.wire.srv.URL+tt.path, strings.NewReader(`{"model":"gpt-4.1","stream":true}`))
			resp, err := w.httpClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(tt.events, "")
			got := make([]byte, len(all))
			if _, err := io.ReadFull(resp.Body, got); err != nil {
				t.Fatal(err)
			}
			// The caller's own work, then Close: the step clock moves 7 ms
			// a read, so these reads would stretch the step.
			for range 20 {
				r.Now()
			}
			resp.Body.Close()
			s := r.Steps()[0]
			if s.Elapsed() > 30*time.Millisecond {
				t.Errorf("step elapsed %v: it ended at Close, not at the last event", s.Elapsed())
			}
			if raw(t, s.Outputs["closedEarly"]) == "true" {
				t.Error("a stream read to its last event is recorded as closed early")
			}
			r.End(nil)
		})
	}
}
