package openaihttp_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	gentrace "github.com/gentrace/gentrace-go"
)

// Answers with the shapes OpenAI sends today.
const (
	chatRequest = `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You answer in one word."},{"role":"user","content":"Capital of France?"}],"temperature":0.2,"user":"end-user-7","tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object","properties":{}}}}],"tool_choice":"none"}`
	chatAnswer  = `{
  "id": "chatcmpl-Bx1",
  "object": "chat.completion",
  "created": 1741000000,
  "model": "gpt-4o-mini-2024-07-18",
  "choices": [
    {
      "index": 0,
      "message": {
        "role": "assistant",
        "content": "Paris.",
        "refusal": null,
        "annotations": []
      },
      "logprobs": null,
      "finish_reason": "stop"
    }
  ],
  "usage": {
    "prompt_tokens": 1200,
    "completion_tokens": 3,
    "total_tokens": 1203,
    "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
  },
  "service_tier": "default",
  "system_fingerprint": "fp_06737a9306"
}`
	responsesRequest = `{"model":"gpt-4.1","input":[{"role":"user","content":[{"type":"input_text","text":"Weather in Paris?"}]}],"instructions":"Be brief.","tools":[{"type":"function","name":"get_weather","description":"Current weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":true}],"previous_response_id":"resp_prev","temperature":0.3,"store":true}`
	responsesAnswer  = `{"id":"resp_67c","object":"response","created_at":1741000000,"status":"completed","error":null,"incomplete_details":null,"instructions":"Be brief.","model":"gpt-4.1-2025-04-14","output":[{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Need the weather tool."}]},{"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}","status":"completed"}],"parallel_tool_calls":true,"previous_response_id":"resp_prev","temperature":0.3,"usage":{"input_tokens":2000,"input_tokens_details":{"cached_tokens":1500},"output_tokens":40,"output_tokens_details":{"reasoning_tokens":12},"total_tokens":2040}}`
)

func TestGoldenPayloads(t *testing.T) {
	t.Parallel()
	form := func() (string, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("file", "meeting.mp3")
		_, _ = fw.Write(bytes.Repeat([]byte{0xff}, 1000))
		_ = mw.WriteField("model", "gpt-4o-transcribe")
		_ = mw.WriteField("prompt", "Names: Ada, Grace.")
		_ = mw.WriteField("response_format", "json")
		_ = mw.WriteField("timestamp_granularities[]", "word")
		_ = mw.Close()
		return b.String(), mw.FormDataContentType()
	}
	formBody, formType := form()
	tests := []struct {
		name, path, body, contentType string
		reply                         reply
	}{
		{"chat.json", "/v1/chat/completions", chatRequest, "", jsonReply(chatAnswer)},
		{"chat_stream_tools.json", "/v1/chat/completions",
			`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Weather in Paris and Rome?"}],"stream":true,"stream_options":{"include_usage":true},"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}`, "",
			sseReply(
				chunk(`{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_P","type":"function","function":{"name":"get_weather","arguments":""}}],"refusal":null},"logprobs":null,"finish_reason":null}`, "null"),
				chunk(`{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\""}}]},"logprobs":null,"finish_reason":null}`, "null"),
				chunk(`{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":\"Paris\"}"}}]},"logprobs":null,"finish_reason":null}`, "null"),
				chunk(`{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_R","type":"function","function":{"name":"get_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}`, "null"),
				chunk(`{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"city\":\"Rome\"}"}}]},"logprobs":null,"finish_reason":null}`, "null"),
				chunk(`{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}`, "null"),
				chunk(``, `{"prompt_tokens":80,"completion_tokens":48,"total_tokens":128,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`),
				done)},
		{"chat_stream_two_choices.json", "/v1/chat/completions",
			`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hi"}],"n":2,"stream":true,"stream_options":{"include_usage":true}}`, "",
			sseReply(
				chunk(`{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}`, "null"),
				chunk(`{"index":1,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}`, "null"),
				chunk(`{"index":1,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}`, "null"),
				chunk(`{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}`, "null"),
				chunk(`{"index":0,"delta":{"content":" \"there\"\n"},"logprobs":null,"finish_reason":null}`, "null"),
				chunk(`{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}`, "null"),
				chunk(`{"index":1,"delta":{"content":"!"},"logprobs":null,"finish_reason":null}`, "null"),
				chunk(`{"index":1,"delta":{},"logprobs":null,"finish_reason":"length"}`, "null"),
				chunk(``, `{"prompt_tokens":9,"completion_tokens":6,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`),
				done)},
		{"completion.json", "/v1/completions", `{"model":"gpt-3.5-turbo-instruct","prompt":"Say this is a test","max_tokens":7}`, "",
			jsonReply(`{"id":"cmpl-1","object":"text_completion","created":1741000000,"model":"gpt-3.5-turbo-instruct:20230824-v2","choices":[{"text":"\n\nThis is a test.","index":0,"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}`)},
		{"completion_stream.json", "/v1/completions", `{"model":"gpt-3.5-turbo-instruct","prompt":"Count:","stream":true}`, "",
			sseReply(
				sse("", `{"id":"cmpl-2","object":"text_completion","created":1741000000,"choices":[{"text":" one","index":0,"logprobs":null,"finish_reason":null}],"model":"gpt-3.5-turbo-instruct:20230824-v2"}`),
				sse("", `{"id":"cmpl-2","object":"text_completion","created":1741000000,"choices":[{"text":" two","index":0,"logprobs":null,"finish_reason":"length"}],"model":"gpt-3.5-turbo-instruct:20230824-v2"}`),
				done)},
		{"embeddings.json", "/v1/embeddings", `{"input":["a cat","a dog"],"model":"text-embedding-3-small","dimensions":2,"encoding_format":"float","user":"u-9"}`, "",
			jsonReply(`{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.6,-0.8]},{"object":"embedding","index":1,"embedding":[0.28,0.96]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":4,"total_tokens":4}}`)},
		{"moderation.json", "/v1/moderations", `{"input":"I love kittens","model":"omni-moderation-latest"}`, "",
			jsonReply(`{"id":"modr-1","model":"omni-moderation-2024-09-26","results":[{"flagged":false,"categories":{"violence":false},"category_scores":{"violence":0.0001},"category_applied_input_types":{"violence":["text"]}}]}`)},
		{"responses.json", "/v1/responses", responsesRequest, "", jsonReply(responsesAnswer)},
		{"responses_stream.json", "/v1/responses", `{"model":"gpt-4.1","input":"Say hello","stream":true}`, "",
			sseReply(
				sse("response.created", `{"type":"response.created","sequence_number":0,"response":{"id":"resp_s1","object":"response","created_at":1741000000,"status":"in_progress","model":"gpt-4.1-2025-04-14","output":[],"usage":null}}`),
				sse("response.in_progress", `{"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_s1","object":"response","created_at":1741000000,"status":"in_progress","model":"gpt-4.1-2025-04-14","output":[],"usage":null}}`),
				sse("response.output_item.added", `{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_1","type":"message","status":"in_progress","content":[],"role":"assistant"}}`),
				sse("response.content_part.added", `{"type":"response.content_part.added","sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"text":""}}`),
				sse("response.output_text.delta", `{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hello"}`),
				sse("response.output_text.delta", `{"type":"response.output_text.delta","sequence_number":5,"item_id":"msg_1","output_index":0,"content_index":0,"delta":" there!"}`),
				sse("response.output_text.done", `{"type":"response.output_text.done","sequence_number":6,"item_id":"msg_1","output_index":0,"content_index":0,"text":"Hello there!"}`),
				sse("response.content_part.done", `{"type":"response.content_part.done","sequence_number":7,"item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"text":"Hello there!"}}`),
				sse("response.output_item.done", `{"type":"response.output_item.done","sequence_number":8,"output_index":0,"item":{"id":"msg_1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"text":"Hello there!"}],"role":"assistant"}}`),
				sse("response.completed", `{"type":"response.completed","sequence_number":9,"response":{"id":"resp_s1","object":"response","created_at":1741000000,"status":"completed","model":"gpt-4.1-2025-04-14","output":[{"id":"msg_1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"text":"Hello there!"}],"role":"assistant"}],"usage":{"input_tokens":9,"input_tokens_details":{"cached_tokens":0},"output_tokens":3,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":12}}}`))},
		{"image.json", "/v1/images/generations", `{"model":"gpt-image-1","prompt":"A lighthouse at dusk","size":"1024x1024","quality":"low","n":1}`, "",
			jsonReply(`{"created":1741000000,"data":[{"b64_json":"iVBORw0KGgo="}],"usage":{"total_tokens":300,"input_tokens":28,"output_tokens":272,"input_tokens_details":{"text_tokens":28,"image_tokens":0}}}`)},
		{"transcription.json", "/v1/audio/transcriptions", formBody, formType,
			jsonReply(`{"text":"Ada and Grace met at noon.","usage":{"type":"tokens","input_tokens":120,"input_token_details":{"text_tokens":8,"audio_tokens":112},"output_tokens":9,"total_tokens":129}}`)},
		{"speech.json", "/v1/audio/speech", `{"model":"tts-1","input":"Hello!","voice":"alloy","response_format":"mp3"}`, "",
			reply{status: 200, contentType: "audio/mpeg", body: strings.Repeat("\xff\xfb", 512), cutAfter: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.wire.enqueue(tt.reply)
			ctx, r := w.start(gentrace.RunContext{UserID: "u-1"})
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.wire.srv.URL+tt.path, strings.NewReader(tt.body))
			ct := tt.contentType
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
			resp, err := w.httpClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := tt.reply.body + strings.Join(tt.reply.events, "")
			if string(got) != want {
				t.Errorf("the caller got other bytes than the server sent:\n got %q\nwant %q", got, want)
			}
			golden(t, tt.name, w.end(r))
		})
	}
}

func TestChatRecordsTheWireAsItWas(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.wire.enqueue(jsonReply(chatAnswer))
	ctx, r := w.start(gentrace.RunContext{})
	w.post(ctx, "/v1/chat/completions", chatRequest)
	s := step(t, w.end(r))
	if s.ProviderName != "openai" || s.Invocation != "openai_createChatCompletion" {
		t.Errorf("provider %q invocation %q", s.ProviderName, s.Invocation)
	}
	if got := keys(s.Inputs); got != "messages,tools,user" {
		t.Errorf("inputs = %s", got)
	}
	if got := keys(s.ModelParams); got != "model,temperature,tool_choice" {
		t.Errorf("model params = %s", got)
	}
	// Outputs are the bytes OpenAI sent: nulls stay null, nothing added.
	if got := raw(t, s.Outputs["choices"]); got != `[{"finish_reason":"stop","index":0,"logprobs":null,"message":{"annotations":[],"content":"Paris.","refusal":null,"role":"assistant"}}]` {
		t.Errorf("choices = %s", got)
	}
	if s.Outputs["service_tier"] != "default" || s.Outputs["system_fingerprint"] != "fp_06737a9306" {
		t.Errorf("top-level fields lost: %v", s.Outputs)
	}
	// 176 uncached + 1024 cached prompt tokens of gpt-4o-mini-2024-07-18, 3 out.
	want := (176*0.15 + 1024*0.075 + 3*0.60) / 1e6
	if got, ok := costOf(t, s.Outputs); !ok || !near(got, want) {
		t.Errorf("cost = %v, want %v", got, want)
	}
}

func TestResponsesStatusIsTheStepsError(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, answer, want string
	}{
		{"failed", `{"id":"resp_1","object":"response","status":"failed","model":"gpt-4.1","output":[],"error":{"code":"server_error","message":"The model failed."},"usage":null}`,
			"response failed: The model failed. (code server_error)"},
		{"incomplete", `{"id":"resp_2","object":"response","status":"incomplete","model":"gpt-4.1","output":[],"incomplete_details":{"reason":"max_output_tokens"},"usage":{"input_tokens":10,"output_tokens":16,"total_tokens":26}}`,
			"response incomplete: max_output_tokens"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.wire.enqueue(jsonReply(tt.answer))
			ctx, r := w.start(gentrace.RunContext{})
			w.post(ctx, "/v1/responses", `{"model":"gpt-4.1","input":"hi"}`)
			s := step(t, w.end(r))
			if s.Error != tt.want {
				t.Errorf("error = %q, want %q", s.Error, tt.want)
			}
			if s.Outputs["status"] != tt.name {
				t.Errorf("outputs lost the response: %v", s.Outputs)
			}
		})
	}
}

func TestResponsesCostUsesCachedAndReasoningTokens(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.wire.enqueue(jsonReply(responsesAnswer))
	ctx, r := w.start(gentrace.RunContext{})
	w.post(ctx, "/v1/responses", responsesRequest)
	_ = w.end(r)
	steps := r.Steps()
	u := steps[0].Usage
	if u == nil || u.PromptTokens != 2000 || u.CachedPromptTokens != 1500 || u.CompletionTokens != 40 || u.ReasoningTokens != 12 || u.Estimated {
		t.Fatalf("usage = %+v", u)
	}
	// gpt-4.1-2025-04-14: 500 input, 1500 cached, 40 output (reasoning
	// included).
	want := (500*2.00 + 1500*0.50 + 40*8.00) / 1e6
	if c, ok := steps[0].Cost(); !ok || !near(c.USD(), want) {
		t.Errorf("cost = %v, want %v", c, want)
	}
	for _, k := range []string{"input", "instructions", "tools", "previous_response_id"} {
		if _, ok := steps[0].Inputs[k]; !ok {
			t.Errorf("input %q missing: %v", k, keys(steps[0].Inputs))
		}
	}
	if got := keys(steps[0].ModelParams); got != "model,store,temperature" {
		t.Errorf("model params = %s", got)
	}
}

func TestErrorsAreRecordedAndReturnedUnchanged(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	body := `{"error":{"message":"Rate limit reached for gpt-4o-mini","type":"requests","param":null,"code":"rate_limit_exceeded"}}`
	w.wire.enqueue(errorReply(429, body))
	ctx, r := w.start(gentrace.RunContext{})
	resp, got := w.post(ctx, "/v1/chat/completions", chatRequest)
	if resp.StatusCode != 429 || string(got) != body {
		t.Errorf("caller got %d %s", resp.StatusCode, got)
	}
	s := step(t, w.end(r))
	if s.Error != "429 Too Many Requests: Rate limit reached for gpt-4o-mini (type requests, code rate_limit_exceeded)" {
		t.Errorf("error = %q", s.Error)
	}
	if _, ok := s.Outputs["cost"]; ok || len(s.Outputs) != 0 {
		t.Errorf("a failed call has outputs %v", s.Outputs)
	}
	if _, ok := s.Inputs["messages"]; !ok {
		t.Error("a failed call lost its inputs")
	}
}

func TestTransportErrorIsRecorded(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, r := w.start(gentrace.RunContext{})
	failing := &http.Client{Transport: w.rec.Transport(roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, io.ErrUnexpectedEOF
	}))}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://openai.invalid/v1/embeddings", strings.NewReader(`{"model":"text-embedding-3-small","input":"x"}`))
	if _, err := failing.Do(req); err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Fatalf("err = %v", err)
	}
	s := step(t, w.end(r))
	if !strings.Contains(s.Error, "unexpected EOF") {
		t.Errorf("error = %q", s.Error)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestUnrecordedCallsPassThrough(t *testing.T) {
	t.Parallel()
	w := newWorld(t, openaihttpAlways()...)
	w.wire.enqueue(jsonReply(chatAnswer), jsonReply(`{"data":[]}`))
	// No run in the context: the request reaches the server as it was,
	// even a stream that the recorder would ask for usage.
	body := `{"model":"gpt-4o-mini","messages":[],"stream":true}`
	w.post(context.Background(), "/v1/chat/completions", body)
	// A path the recorder does not know is never recorded.
	ctx, r := w.start(gentrace.RunContext{})
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.wire.srv.URL+"/v1/models", nil)
	resp, err := w.httpClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := w.wire.requests()[0].body; string(got) != body {
		t.Errorf("server got %s, want the caller's body", got)
	}
	if run := w.end(r); len(run.StepRuns) != 0 {
		t.Errorf("recorded %d steps", len(run.StepRuns))
	}
}

func TestSimpleModeThroughAPlainClient(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.wire.enqueue(jsonReply(chatAnswer))
	p, _ := w.gc.NewPipeline("one-shot")
	ctx, err := gentrace.WithPipeline(context.Background(), p, gentrace.RunContext{
		UserID: "u-5", Metadata: gentrace.Metadata{"plan": gentrace.String("pro")}, PreviousRunID: "6f9619ff-8b86-4011-b42d-00cf4fc964ff"})
	if err != nil {
		t.Fatal(err)
	}
	call := &openaihttpCall{}
	ctx = withCall(ctx, call)
	w.post(ctx, "/v1/chat/completions", chatRequest)
	if call.RunID == "" {
		t.Fatal("no PipelineRunID for the simple-mode call")
	}
	if err := w.gc.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	run, ok := w.backend.Run(call.RunID)
	if !ok {
		t.Fatal("simple-mode run not delivered")
	}
	if run.Slug != "one-shot" || run.PreviousRunID != "6f9619ff-8b86-4011-b42d-00cf4fc964ff" || run.Metadata["plan"].Value != "pro" || step(t, run).Context.UserID != "u-5" {
		t.Errorf("run = %+v", run)
	}
}
