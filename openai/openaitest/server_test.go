package openaitest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

func checkUsage(t *testing.T, u goopenai.Usage) {
	t.Helper()
	if u.PromptTokens <= 0 || u.CompletionTokens < 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage %+v is not plausible", u)
	}
}

func TestBuiltinRoutes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		call func(t *testing.T, c *goopenai.Client)
	}{
		{"chat", func(t *testing.T, c *goopenai.Client) {
			resp, err := c.CreateChatCompletion(ctx, chatRequest("gpt-4o", "You are terse.", "Hi"))
			if err != nil {
				t.Fatal(err)
			}
			if resp.Model != "gpt-4o" || resp.Object != "chat.completion" || !strings.HasPrefix(resp.ID, "chatcmpl-") || resp.Created == 0 {
				t.Errorf("header fields: %+v", resp)
			}
			if len(resp.Choices) != 1 {
				t.Fatalf("got %d choices", len(resp.Choices))
			}
			ch := resp.Choices[0]
			if ch.Message.Role != "assistant" || ch.Message.Content != openaitest.DefaultChatReply || ch.FinishReason != "stop" {
				t.Errorf("choice: %+v", ch)
			}
			checkUsage(t, resp.Usage)
		}},
		{"chat n=3", func(t *testing.T, c *goopenai.Client) {
			req := chatRequest("gpt-4o", "Hi")
			req.N = 3
			resp, err := c.CreateChatCompletion(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Choices) != 3 || resp.Choices[2].Index != 2 {
				t.Errorf("choices: %+v", resp.Choices)
			}
		}},
		{"chat stream", func(t *testing.T, c *goopenai.Client) {
			chunks, err := collectChat(t, c, chatRequest("gpt-4o-mini", "Hi"))
			if err != nil {
				t.Fatal(err)
			}
			var text strings.Builder
			for _, ch := range chunks {
				if ch.Model != "gpt-4o-mini" || ch.Object != "chat.completion.chunk" || ch.ID != chunks[0].ID {
					t.Errorf("chunk header: %+v", ch)
				}
				text.WriteString(ch.Choices[0].Delta.Content)
			}
			if text.String() != openaitest.DefaultChatReply {
				t.Errorf("text %q", text.String())
			}
			if chunks[0].Choices[0].Delta.Role != "assistant" {
				t.Errorf("first delta has no role: %+v", chunks[0].Choices[0].Delta)
			}
			if last := chunks[len(chunks)-1].Choices[0]; last.FinishReason != "stop" {
				t.Errorf("last finish_reason %q", last.FinishReason)
			}
		}},
		{"completion", func(t *testing.T, c *goopenai.Client) {
			resp, err := c.CreateCompletion(ctx, goopenai.CompletionRequest{Model: "gpt-3.5-turbo-instruct", Prompt: "Say this is a test"})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Model != "gpt-3.5-turbo-instruct" || resp.Object != "text_completion" || !strings.HasPrefix(resp.ID, "cmpl-") {
				t.Errorf("header fields: %+v", resp)
			}
			if len(resp.Choices) != 1 || resp.Choices[0].Text != openaitest.DefaultCompletionText || resp.Choices[0].FinishReason != "stop" {
				t.Errorf("choices: %+v", resp.Choices)
			}
			if resp.Usage == nil {
				t.Fatal("no usage")
			}
			checkUsage(t, *resp.Usage)
		}},
		{"completion stream", func(t *testing.T, c *goopenai.Client) {
			chunks, err := collectCompletion(t, c, goopenai.CompletionRequest{Model: "gpt-3.5-turbo-instruct", Prompt: "Say this is a test"})
			if err != nil {
				t.Fatal(err)
			}
			var text strings.Builder
			for _, ch := range chunks {
				text.WriteString(ch.Choices[0].Text)
				if ch.Usage != nil {
					t.Errorf("usage without include_usage: %+v", ch)
				}
			}
			if text.String() != openaitest.DefaultCompletionText {
				t.Errorf("text %q", text.String())
			}
			if last := chunks[len(chunks)-1].Choices[0]; last.FinishReason != "stop" {
				t.Errorf("last chunk %+v", last)
			}
		}},
		{"embeddings", func(t *testing.T, c *goopenai.Client) {
			resp, err := c.CreateEmbeddings(ctx, goopenai.EmbeddingRequestStrings{
				Input: []string{"a cat", "a dog", "a cat"}, Model: goopenai.SmallEmbedding3,
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Data) != 3 || resp.Model != goopenai.SmallEmbedding3 || resp.Usage.PromptTokens == 0 {
				t.Fatalf("response: %+v", resp)
			}
			for i, e := range resp.Data {
				if e.Index != i || len(e.Embedding) != openaitest.DefaultEmbeddingDimensions {
					t.Errorf("embedding %d: %+v", i, e)
				}
			}
			if fmt.Sprint(resp.Data[0].Embedding) != fmt.Sprint(resp.Data[2].Embedding) ||
				fmt.Sprint(resp.Data[0].Embedding) == fmt.Sprint(resp.Data[1].Embedding) {
				t.Error("vectors are not a function of the input")
			}
		}},
		{"moderation", func(t *testing.T, c *goopenai.Client) {
			resp, err := c.Moderations(ctx, goopenai.ModerationRequest{Input: "I want to hug you", Model: goopenai.ModerationOmniLatest})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Results) != 1 || resp.Results[0].Flagged || resp.Model != goopenai.ModerationOmniLatest || !strings.HasPrefix(resp.ID, "modr-") {
				t.Errorf("response: %+v", resp)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, c := newServer(t)
			tt.call(t, c)
		})
	}
}

func TestHTTPErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method string
		route        openaitest.Route
		body         string
		status       int
		message      string
	}{
		{"unknown route", http.MethodPost, "/v1/nope", `{}`, 404, "Invalid URL (POST /v1/nope)"},
		{"wrong method", http.MethodGet, openaitest.RouteChatCompletions, ``, 405, "Invalid method for URL (GET /v1/chat/completions)"},
		{"bad JSON", http.MethodPost, openaitest.RouteEmbeddings, `{"input":`, 400, "We could not parse the JSON body"},
		{"no input", http.MethodPost, openaitest.RouteEmbeddings, `{"model":"text-embedding-3-small"}`, 400, "'input' is a required property"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newServer(t)
			resp, body := post(t, srv, tt.method, tt.route, tt.body)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if !strings.HasPrefix(body, `{"error":{"message":"`+tt.message) || !strings.Contains(body, `"type":"invalid_request_error","param":null,"code":null}}`) {
				t.Errorf("body %s", body)
			}
		})
	}
}

func TestUnknownRouteThroughClient(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	_, err := c.ListModels(context.Background())
	if e := apiError(t, err); e.HTTPStatusCode != 404 || e.Message != "Invalid URL (GET /v1/models)" {
		t.Errorf("error %+v", e)
	}
}

func TestScriptedCustomRoute(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	srv.Enqueue("/v1/models", openaitest.JSON(goopenai.ModelsList{Models: []goopenai.Model{{ID: "gpt-4o", Object: "model"}}}))
	models, err := c.ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(models.Models) != 1 || models.Models[0].ID != "gpt-4o" {
		t.Errorf("models %+v", models)
	}
}

func TestQueueAndDefaults(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()
	reply := func() string {
		t.Helper()
		resp, err := c.CreateChatCompletion(ctx, chatRequest("gpt-4o", "Hi"))
		if err != nil {
			t.Fatal(err)
		}
		return resp.Choices[0].Message.Content
	}
	srv.Enqueue(openaitest.RouteChatCompletions,
		openaitest.JSON(openaitest.ChatResponse(openaitest.Choice{Content: "one"})),
		openaitest.JSON(openaitest.ChatResponse(openaitest.Choice{Content: "two"})))
	if n := srv.Pending(openaitest.RouteChatCompletions); n != 2 {
		t.Errorf("Pending = %d, want 2", n)
	}
	srv.SetDefault(openaitest.RouteChatCompletions, openaitest.JSON(openaitest.ChatResponse(openaitest.Choice{Content: "always"})))
	for i, want := range []string{"one", "two", "always", "always"} {
		if got := reply(); got != want {
			t.Errorf("reply %d = %q, want %q", i, got, want)
		}
	}
	if n := srv.Pending(openaitest.RouteChatCompletions); n != 0 {
		t.Errorf("Pending = %d, want 0", n)
	}
	srv.SetDefault(openaitest.RouteChatCompletions, openaitest.Response{})
	if got := reply(); got != openaitest.DefaultChatReply {
		t.Errorf("after restoring the built-in default: %q", got)
	}
	srv.Enqueue(openaitest.RouteChatCompletions, openaitest.Error(500, "x"))
	srv.Reset()
	if n := srv.Pending(openaitest.RouteChatCompletions); n != 0 || len(srv.Requests()) != 0 {
		t.Errorf("after Reset: Pending = %d, %d requests", n, len(srv.Requests()))
	}
}

func TestAPIKey(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t, openaitest.WithRequiredKey("sk-right"))
	if _, err := c.CreateChatCompletion(context.Background(), chatRequest("gpt-4o", "Hi")); err != nil {
		t.Fatalf("with the right key: %v", err)
	}
	wrong := goopenai.DefaultConfig("sk-wrong")
	wrong.BaseURL, wrong.HTTPClient = srv.URL(), srv.ClientConfig().HTTPClient
	_, err := goopenai.NewClientWithConfig(wrong).CreateChatCompletion(context.Background(), chatRequest("gpt-4o", "Hi"))
	e := apiError(t, err)
	if e.HTTPStatusCode != 401 || e.Code != "invalid_api_key" || strings.Contains(e.Message, "sk-wrong") {
		t.Errorf("error %+v", e)
	}
}

func TestWithoutRecording(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t, openaitest.WithoutRecording())
	if _, err := c.CreateChatCompletion(context.Background(), chatRequest("gpt-4o", "Hi")); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests recorded", n)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	const workers, calls = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*calls)
	reply := openaitest.Reply(openaitest.Answer{Reasoning: []string{"Hmm."}, Text: "Shared by all."})
	srv.SetDefault(openaitest.RouteResponses, reply)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				srv.Enqueue(openaitest.RouteChatCompletions,
					openaitest.ChatStream(openaitest.ChatChunks(3, openaitest.Choice{Content: "abc"})...))
				srv.Enqueue(openaitest.RouteEmbeddings, openaitest.Response{})
				var err error
				switch (w + i) % 4 {
				case 3:
					var stream *goopenai.ResponseStream
					if stream, err = c.CreateResponseStream(context.Background(), goopenai.CreateResponseRequest{Model: "o3", Input: "Hi"}); err == nil {
						_, err = drain(stream.Recv)
						stream.Close()
					}
				case 0:
					_, err = c.CreateEmbeddings(context.Background(), goopenai.EmbeddingRequest{Input: "x", Model: goopenai.SmallEmbedding3})
				case 1:
					_, err = collectChat(t, c, chatRequest("gpt-4o", "Hi"))
				case 2:
					_ = srv.Requests()
					_ = srv.Pending(openaitest.RouteChatCompletions)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCloseEndsStreams(t *testing.T) {
	t.Parallel()
	srv := openaitest.NewServer()
	srv.Enqueue(openaitest.RouteChatCompletions,
		openaitest.ChatStream(openaitest.ChatChunks(2, openaitest.Choice{Content: "Hi"})...).WithChunkDelay(time.Hour))
	stream, err := srv.Client().CreateChatCompletionStream(context.Background(), chatRequest("gpt-4o", "Hi"))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	closed := make(chan struct{})
	go func() {
		srv.Close()
		srv.Close() // idempotent
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close blocked on a stream waiting between chunks")
	}
	if _, err := stream.Recv(); err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("Recv after Close: %v, want a transport error", err)
	}
}
