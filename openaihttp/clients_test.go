package openaihttp_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	gentrace "github.com/gentrace/gentrace-go"
	goopenai "github.com/sashabaranov/go-openai"
)

func TestAzureRecordsAsOpenAIPricedByTheResponsesModel(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.wire.enqueue(jsonReply(chatAnswer))
	cfg := goopenai.DefaultAzureConfig("azure-key", w.wire.srv.URL)
	cfg.HTTPClient = w.httpClient()
	client := goopenai.NewClientWithConfig(cfg)
	ctx, r := w.start(gentrace.RunContext{})
	req := goopenai.ChatCompletionRequest{Model: "my-gpt4o-mini-deployment", Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "Capital of France?"}}}
	if _, err := client.CreateChatCompletion(ctx, req); err != nil {
		t.Fatal(err)
	}
	got := w.wire.requests()[0]
	if !strings.Contains(got.path, "/openai/deployments/my-gpt4o-mini-deployment/chat/completions") || got.header.Get("Api-Key") != "azure-key" {
		t.Fatalf("not an Azure request: %s %v", got.path, got.header)
	}
	run := w.end(r)
	s := step(t, run)
	if s.ProviderName != "openai" || s.Invocation != "openai_createChatCompletion" {
		t.Errorf("provider %q invocation %q", s.ProviderName, s.Invocation)
	}
	if s.ModelParams["model"] != "my-gpt4o-mini-deployment" {
		t.Errorf("model param = %v", s.ModelParams["model"])
	}
	// Priced as gpt-4o-mini-2024-07-18, the model the response names.
	if _, ok := costOf(t, s.Outputs); !ok {
		t.Errorf("no cost: %v", s.Outputs)
	}
	if steps := r.Steps(); steps[0].Platform != "azure" {
		t.Errorf("Platform = %q, want azure", steps[0].Platform)
	}
}

// retrying is an HTTP client that retries a 5xx once, as SDKs do; the
// recorder sits in front of it, so the request body must stay replayable.
type retrying struct{ next *http.Client }

func (c retrying) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.next.Do(req)
	if err != nil || resp.StatusCode < 500 {
		return resp, err
	}
	resp.Body.Close()
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	retry := req.Clone(req.Context())
	retry.Body = body
	return c.next.Do(retry)
}

func TestAClientsRetryIsOneStep(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.wire.enqueue(errorReply(500, `{"error":{"message":"boom","type":"server_error"}}`), jsonReply(chatAnswer))
	ctx, r := w.start(gentrace.RunContext{})
	// The caller's body can be read only once (no GetBody).
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.wire.srv.URL+"/v1/chat/completions",
		io.NopCloser(strings.NewReader(chatRequest)))
	req.Header.Set("Content-Type", "application/json")
	rec := w.rec
	resp, err := rec.Do(req, retrying{next: http.DefaultClient}.Do)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(got, []byte("Paris.")) {
		t.Fatalf("caller got %s", got)
	}
	reqs := w.wire.requests()
	if len(reqs) != 2 || string(reqs[0].body) != chatRequest || string(reqs[1].body) != chatRequest {
		t.Fatalf("the server got %d requests: %q", len(reqs), reqs)
	}
	s := step(t, w.end(r))
	if s.Error != "" || s.Outputs["id"] != "chatcmpl-Bx1" {
		t.Errorf("step = %q %v", s.Error, s.Outputs)
	}
}

func TestHugeBodiesAreCutInTheRecordOnly(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	vectors := strings.Repeat("0.0123456789,", 20000)
	answer := `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[` + vectors + `1]}],"model":"text-embedding-3-large","usage":{"prompt_tokens":5,"total_tokens":5}}`
	w.rec = newRecorderWithMax(4096)
	w.wire.enqueue(jsonReply(answer))
	ctx, r := w.start(gentrace.RunContext{})
	_, got := w.post(ctx, "/v1/embeddings", `{"model":"text-embedding-3-large","input":"hi"}`)
	if string(got) != answer {
		t.Fatalf("the caller's body was cut: %d of %d bytes", len(got), len(answer))
	}
	s := step(t, w.end(r))
	if s.Outputs["truncatedBytes"] == nil || s.Outputs["model"] != "text-embedding-3-large" {
		t.Errorf("outputs = %v", keys(s.Outputs))
	}
	if _, ok := costOf(t, s.Outputs); !ok {
		t.Errorf("the usage at the end of a cut body was lost: %v", s.Outputs["usage"])
	}
}

func TestUnparseableAnswerIsRecordedAsText(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.wire.enqueue(reply{status: 200, contentType: "application/json", body: "<html>proxy page</html>", cutAfter: -1})
	ctx, r := w.start(gentrace.RunContext{})
	_, got := w.post(ctx, "/v1/chat/completions", chatRequest)
	if string(got) != "<html>proxy page</html>" {
		t.Fatalf("caller got %q", got)
	}
	s := step(t, w.end(r))
	if s.Outputs["unparsedBody"] != "<html>proxy page</html>" || s.Outputs["recordingError"] == nil {
		t.Errorf("outputs = %v", s.Outputs)
	}
	if errs := w.errs.Errors(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "not a JSON object") {
		t.Errorf("diagnostic = %v", errs)
	}
}

func TestCallsOutsideARunAreNotRecordedEvenWithACall(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.wire.enqueue(jsonReply(chatAnswer))
	call := &openaihttpCall{}
	w.post(withCall(context.Background(), call), "/v1/chat/completions", chatRequest)
	if call.RunID != "" {
		t.Errorf("RunID = %q", call.RunID)
	}
	if err := w.gc.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := w.gc.Stats(); s.Submitted != 0 {
		t.Errorf("submitted %d runs", s.Submitted)
	}
}
