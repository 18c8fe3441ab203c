package openaigo_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/gentrace/gentrace-go/openaigo"
	"github.com/gentrace/gentrace-go/openaihttp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	gogpt "github.com/sashabaranov/go-openai"
)

// retrying are options for openai-go's own retries, with short waits.
func retrying(n int) []option.RequestOption {
	return []option.RequestOption{option.WithMaxRetries(n), option.WithMaxRetryDelay(time.Millisecond)}
}

// chatJSON is a chat completion as OpenAI sends it, as fixed bytes.
const chatJSON = `{"id":"chatcmpl-Bx1","object":"chat.completion","created":1741000000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Paris.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_06737a9306"}`

func TestRetriesAreOneStep(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.oai.Enqueue(openaitest.RouteChatCompletions, openaitest.Error(500, "boom"), openaitest.Raw(200, []byte(chatJSON)))
	c := w.client(nil, retrying(2)...)
	ctx, r := w.start()
	var raw *http.Response
	resp, err := c.Chat.Completions.New(ctx, userMessage("Capital of France?"), option.WithResponseInto(&raw))
	if err != nil {
		t.Fatal(err)
	}
	// The caller's response is the second attempt's, intact.
	if resp.RawJSON() != chatJSON || resp.Choices[0].Message.Content != "Paris." || raw.StatusCode != 200 {
		t.Errorf("caller got %d %s", raw.StatusCode, resp.RawJSON())
	}
	reqs := w.oai.Requests()
	if len(reqs) != 2 || !bytes.Equal(reqs[0].Body, reqs[1].Body) ||
		reqs[0].Header.Get("X-Stainless-Retry-Count") != "0" || reqs[1].Header.Get("X-Stainless-Retry-Count") != "1" {
		t.Fatalf("the server got %d requests", len(reqs))
	}
	s := oneStep(t, w.end(r))
	if s.Error != "" || s.Outputs["id"] != "chatcmpl-Bx1" || s.Outputs["attempt"] != 2.0 ||
		rawJSON(t, s.Outputs["attemptErrors"]) != `["500 Internal Server Error"]` {
		t.Errorf("step = %q %v", s.Error, s.Outputs)
	}
	if _, ok := costOf(t, s.Outputs); !ok {
		t.Errorf("no cost: %v", s.Outputs)
	}
}

func TestRetriesThatFailAreOneStepWithTheLastError(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.oai.Enqueue(openaitest.RouteChatCompletions, openaitest.Error(503, "busy"), openaitest.Error(429, "slow down"),
		openaitest.Error(500, "boom"))
	c := w.client(nil, retrying(2)...)
	ctx, r := w.start()
	_, err := c.Chat.Completions.New(ctx, userMessage("Hi"))
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || apiErr.Message != "boom" {
		t.Fatalf("err = %v", err)
	}
	s := oneStep(t, w.end(r))
	if !strings.HasPrefix(s.Error, "500 Internal Server Error: boom") || s.Outputs["attempt"] != 3.0 ||
		rawJSON(t, s.Outputs["attemptErrors"]) != `["503 Service Unavailable","429 Too Many Requests"]` {
		t.Errorf("step = %q %v", s.Error, s.Outputs)
	}
}

func TestRetriedStreamAndSimpleModeCallAreOneStep(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.oai.Enqueue(openaitest.RouteChatCompletions, openaitest.Error(502, "bad gateway"), openaitest.TextReply("Hello there."))
	c := w.client(nil, retrying(2)...)
	var runID string
	stream := c.Chat.Completions.NewStreaming(context.Background(), userMessage("Hi"),
		openaigo.WithPipeline(w.pipeline("retries"), gentrace.RunContext{UserID: "u-5"}), openaigo.WithRunID(&runID))
	text := ""
	for stream.Next() {
		if ch := stream.Current().Choices; len(ch) > 0 {
			text += ch[0].Delta.Content
		}
	}
	if err := stream.Err(); err != nil || text != "Hello there." {
		t.Fatalf("caller got %q, %v", text, err)
	}
	stream.Close()
	if runID == "" {
		t.Fatal("no run ID")
	}
	if err := w.gc.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(w.backend.Runs()); n != 1 {
		t.Fatalf("%d runs stored, want 1", n)
	}
	s := oneStep(t, w.stored(runID))
	if s.Error != "" || s.Outputs["attempt"] != 2.0 || s.Context.UserID != "u-5" || s.Outputs["timeToFirstTokenMs"] == nil {
		t.Errorf("step = %q %v", s.Error, s.Outputs)
	}
}

func TestErrorsAreReturnedUnchanged(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.oai.Enqueue(openaitest.RouteChatCompletions, openaitest.Error(http.StatusTooManyRequests, "Rate limit reached"),
		openaitest.Error(http.StatusTooManyRequests, "Rate limit reached"))
	ctx, r := w.start()
	var errs [2]error
	for i, c := range []openai.Client{w.bare(), w.client(nil)} {
		_, errs[i] = c.Chat.Completions.New(ctx, userMessage("Hi"))
	}
	var bare, recorded *openai.Error
	if !errors.As(errs[0], &bare) || !errors.As(errs[1], &recorded) {
		t.Fatalf("errors %v, %v", errs[0], errs[1])
	}
	if recorded.StatusCode != 429 || recorded.Message != bare.Message || recorded.Code != bare.Code || recorded.Type != bare.Type ||
		recorded.RawJSON() != bare.RawJSON() {
		t.Errorf("recorded %#v, bare %#v", recorded, bare)
	}
	dump, err := io.ReadAll(recorded.Response.Body)
	if err != nil || !strings.Contains(string(dump), "Rate limit reached") {
		t.Errorf("error's response body = %q, %v", dump, err)
	}
	s := oneStep(t, w.end(r))
	if !strings.HasPrefix(s.Error, "429 Too Many Requests: Rate limit reached") {
		t.Errorf("step error = %q", s.Error)
	}
}

func TestRawResponsesAreTheServers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.oai.SetDefault(openaitest.RouteChatCompletions, openaitest.Raw(200, []byte(chatJSON)).WithHeader("X-Request-Id", "req_42"))
	ctx, r := w.start()
	get := func(c openai.Client) (*http.Response, []byte) {
		var raw *http.Response
		var body []byte
		if _, err := c.Chat.Completions.New(ctx, userMessage("Hi"), option.WithResponseInto(&raw), option.WithResponseBodyInto(&body)); err != nil {
			t.Fatal(err)
		}
		return raw, body
	}
	bareResp, bareBody := get(w.bare())
	resp, body := get(w.client(nil))
	if string(body) != chatJSON || string(bareBody) != chatJSON || resp.StatusCode != bareResp.StatusCode ||
		resp.Header.Get("X-Request-Id") != "req_42" || resp.Header.Get("Content-Type") != bareResp.Header.Get("Content-Type") {
		t.Errorf("recorded %d %v %s; bare %d %v", resp.StatusCode, resp.Header, body, bareResp.StatusCode, bareResp.Header)
	}
	// The raw streamed body, read by the caller itself.
	w.oai.Enqueue(openaitest.RouteChatCompletions, openaitest.TextReply("Raw stream."))
	var raw *http.Response
	p, c := userMessage("Hi"), w.client(nil)
	if _, err := c.Chat.Completions.New(ctx, p, option.WithJSONSet("stream", true), option.WithResponseBodyInto(&raw)); err != nil {
		t.Fatal(err)
	}
	events, err := io.ReadAll(raw.Body)
	raw.Body.Close()
	if err != nil || !bytes.HasSuffix(events, []byte("data: [DONE]\n\n")) || !bytes.Contains(events, []byte(`"content":" stream."`)) {
		t.Errorf("raw stream = %q, %v", events, err)
	}
	run := w.end(r)
	if len(run.StepRuns) != 2 || !strings.Contains(rawJSON(t, run.StepRuns[1].Outputs["choices"]), "Raw stream.") {
		t.Errorf("steps = %+v", run.StepRuns)
	}
}

// TestStreamsAreNotBuffered holds a stream after its first chunk: the
// caller must have that chunk while the server still holds the rest.
func TestStreamsAreNotBuffered(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		rw.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		chunk := func(choice string) {
			_, _ = io.WriteString(rw, `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[`+choice+`]}`+"\n\n")
			rw.(http.Flusher).Flush()
		}
		chunk(`{"index":0,"delta":{"role":"assistant","content":"First"},"finish_reason":null}`)
		select {
		case <-release:
		case <-req.Context().Done():
			return
		}
		chunk(`{"index":0,"delta":{"content":" second"},"finish_reason":"stop"}`)
		_, _ = io.WriteString(rw, "data: [DONE]\n\n")
	}))
	defer srv.Close()
	c := openai.NewClient(option.WithBaseURL(srv.URL+"/v1/"), option.WithAPIKey("k"), option.WithMaxRetries(0),
		option.WithHTTPClient(srv.Client()), openaigo.Record())
	ctx, r := w.start()
	stream := c.Chat.Completions.NewStreaming(ctx, userMessage("Hi"))
	if !stream.Next() || stream.Current().Choices[0].Delta.Content != "First" {
		t.Fatalf("first chunk: %v", stream.Err())
	}
	close(release)
	for stream.Next() {
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	stream.Close()
	s := oneStep(t, w.end(r))
	if !strings.Contains(rawJSON(t, s.Outputs["choices"]), `"content":"First second"`) || s.Outputs["timeToFirstTokenMs"] == nil {
		t.Errorf("outputs = %v", s.Outputs)
	}
}

func TestStreamFaults(t *testing.T) {
	t.Parallel()
	answer := openaitest.Reply(openaitest.Answer{Text: "one two three four five"})
	tests := []struct {
		name      string
		route     openaitest.Route
		reply     openaitest.Response
		wantErr   string
		wantInErr string // in the caller's error
		wantText  string // in the recorded outputs
	}{
		{"chat cut mid-way", openaitest.RouteChatCompletions, answer.CutAfter(3), "stream failed: ", "unexpected EOF", `"content":"one`},
		{"chat error event", openaitest.RouteChatCompletions, answer.ErrorAfter(3, gogpt.APIError{Message: "The model failed."}),
			"stream error: The model failed.", "The model failed.", `"content":"one`},
		{"responses cut mid-way", openaitest.RouteResponses, answer.CutAfter(6), "stream failed: ", "unexpected EOF", `"text":"one`},
		{"responses error event", openaitest.RouteResponses, answer.ErrorAfter(6, gogpt.APIError{Message: "The model failed."}),
			"stream error: The model failed.", "The model failed.", `"text":"one`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.oai.Enqueue(tt.route, tt.reply)
			ctx, r := w.start()
			c := w.client(nil)
			var n int
			var err error
			if tt.route == openaitest.RouteResponses {
				stream := c.Responses.NewStreaming(ctx, responseParams())
				for stream.Next() {
					n++
					// openai-go hands the Responses API's error event over
					// as an event, not as the stream's error.
					if ev := stream.Current(); ev.Type == "error" {
						err = errors.New(ev.Message)
					}
				}
				if err == nil {
					err = stream.Err()
				}
				stream.Close()
			} else {
				stream := c.Chat.Completions.NewStreaming(ctx, userMessage("Count."))
				for stream.Next() {
					n++
				}
				err = stream.Err()
				stream.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantInErr) || n == 0 {
				t.Errorf("caller got %d events, error %v", n, err)
			}
			s := oneStep(t, w.end(r))
			if !strings.HasPrefix(s.Error, tt.wantErr) {
				t.Errorf("step error = %q, want %q", s.Error, tt.wantErr)
			}
			if out := rawJSON(t, s.Outputs); !strings.Contains(out, tt.wantText) {
				t.Errorf("the events before the fault are not recorded: %s", out)
			}
		})
	}
}

// TestExactUsageIsHiddenFromOpenAIGo asks every stream for its usage: the
// chunk that adds must not reach openai-go (its accumulator would see a
// chunk without choices), unless the caller asked for it.
func TestExactUsageIsHiddenFromOpenAIGo(t *testing.T) {
	t.Parallel()
	for _, asked := range []bool{false, true} {
		w := newWorld(t)
		w.oai.SetDefault(openaitest.RouteChatCompletions, openaitest.Reply(openaitest.Answer{Text: "Checking both.", ToolCalls: calls}).
			WithUsage(gogpt.Usage{PromptTokens: 80, CompletionTokens: 48, TotalTokens: 128}))
		c := w.client([]openaihttp.Option{openaihttp.WithStreamUsage(openaihttp.StreamUsageAlways)})
		ctx, r := w.start()
		p := userMessage("Weather?")
		if asked {
			p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		}
		stream := c.Chat.Completions.NewStreaming(ctx, p)
		var acc openai.ChatCompletionAccumulator
		empty := 0
		for stream.Next() {
			if len(stream.Current().Choices) == 0 {
				empty++
			}
			if !acc.AddChunk(stream.Current()) {
				t.Errorf("chunk not accumulated: %s", stream.Current().RawJSON())
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		stream.Close()
		if got := w.oai.Requests()[0]; !bytes.Contains(got.Body, []byte(`"stream_options":{"include_usage":true}`)) {
			t.Errorf("the server was not asked for usage: %s", got.Body)
		}
		wantEmpty, wantTotal := 0, int64(0)
		if asked {
			wantEmpty, wantTotal = 1, 128
		}
		if empty != wantEmpty || acc.Usage.TotalTokens != wantTotal || len(acc.Choices) != 1 ||
			acc.Choices[0].Message.Content != "Checking both." || len(acc.Choices[0].Message.ToolCalls) != 2 {
			t.Errorf("asked %v: %d chunks without choices, accumulated %s", asked, empty, rawJSON(t, acc.ChatCompletion))
		}
		s := oneStep(t, w.end(r))
		if u, _ := s.Outputs["usage"].(map[string]any); u["total_tokens"] != 128.0 || s.Outputs["usageEstimated"] != nil {
			t.Errorf("asked %v: outputs %v", asked, s.Outputs)
		}
		if asked == false && s.ModelParams["stream_options"] != nil {
			t.Errorf("the recorded request is not the caller's: %v", s.ModelParams)
		}
	}
}
