package openaitest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

func TestRequestsAreRecorded(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()

	req := chatRequest("gpt-4o", "You are terse.", "Hello", "What's up?")
	req.Temperature = 0.5
	if _, err := c.CreateChatCompletion(ctx, req); err != nil {
		t.Fatal(err)
	}
	if _, err := collectChat(t, c, chatRequest("gpt-4o-mini", "Hi")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateCompletion(ctx, goopenai.CompletionRequest{Model: "gpt-3.5-turbo-instruct", Prompt: "Once"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateEmbeddings(ctx, goopenai.EmbeddingRequestStrings{Input: []string{"a", "b"}, Model: goopenai.SmallEmbedding3}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Moderations(ctx, goopenai.ModerationRequest{Input: "hug"}); err != nil {
		t.Fatal(err)
	}

	got := srv.Requests()
	if len(got) != 5 {
		t.Fatalf("%d requests recorded, want 5", len(got))
	}
	for _, r := range got {
		if r.Method != "POST" || r.Header.Get("Authorization") != "Bearer test-key" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %s headers %v", r.Method, r.Route, r.Header)
		}
	}

	chat, err := got[0].ChatCompletionRequest()
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Route != openaitest.RouteChatCompletions || got[0].Model != "gpt-4o" || got[0].Stream ||
		len(chat.Messages) != 3 || chat.Messages[2].Content != "What's up?" || chat.Temperature != 0.5 {
		t.Errorf("chat request %+v decoded as %+v", got[0], chat)
	}
	if !got[1].Stream || got[1].Model != "gpt-4o-mini" || got[1].Header.Get("Accept") != "text/event-stream" {
		t.Errorf("stream request %+v", got[1])
	}
	completion, err := got[2].CompletionRequest()
	if err != nil || got[2].Route != openaitest.RouteCompletions || completion.Prompt != "Once" {
		t.Errorf("completion request %+v, %v", completion, err)
	}
	embedding, err := got[3].EmbeddingRequest()
	if inputs, ok := embedding.Input.([]any); err != nil || !ok || len(inputs) != 2 || embedding.Model != goopenai.SmallEmbedding3 {
		t.Errorf("embedding request %+v, %v", embedding, err)
	}
	moderation, err := got[4].ModerationRequest()
	if err != nil || moderation.Input != "hug" {
		t.Errorf("moderation request %+v, %v", moderation, err)
	}
	var raw map[string]any
	if err := got[0].Decode(&raw); err != nil || raw["temperature"] != 0.5 {
		t.Errorf("Decode: %v, %v", raw, err)
	}

	srv.Reset()
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests after Reset", n)
	}
}

func TestRequestsIsASnapshot(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	if _, err := c.CreateChatCompletion(context.Background(), chatRequest("gpt-4o", "Hi")); err != nil {
		t.Fatal(err)
	}
	snap := srv.Requests()
	if _, err := c.CreateChatCompletion(context.Background(), chatRequest("gpt-4o", "Hi")); err != nil {
		t.Fatal(err)
	}
	if len(snap) != 1 || len(srv.Requests()) != 2 {
		t.Errorf("snapshot has %d, server %d", len(snap), len(srv.Requests()))
	}
}

func TestRequestDecoders(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()
	if _, err := c.CreateResponse(ctx, goopenai.CreateResponseRequest{Model: "gpt-5", Input: "Hi", Instructions: "Be brief."}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateImage(ctx, goopenai.ImageRequest{Prompt: "a cat", Size: goopenai.CreateImageSize256x256}); err != nil {
		t.Fatal(err)
	}
	speech, err := c.CreateSpeech(ctx, goopenai.CreateSpeechRequest{Model: goopenai.TTSModel1, Input: "Hi", Voice: goopenai.VoiceNova})
	if err != nil {
		t.Fatal(err)
	}
	speech.Close()

	got := srv.Requests()
	if len(got) != 3 {
		t.Fatalf("%d requests", len(got))
	}
	if r, err := got[0].ResponseRequest(); err != nil || got[0].Route != openaitest.RouteResponses || r.Input != "Hi" || r.Instructions != "Be brief." {
		t.Errorf("responses request %+v, %v", r, err)
	}
	if r, err := got[1].ImageRequest(); err != nil || r.Prompt != "a cat" || r.Size != "256x256" {
		t.Errorf("image request %+v, %v", r, err)
	}
	if r, err := got[2].SpeechRequest(); err != nil || r.Input != "Hi" || r.Voice != goopenai.VoiceNova || got[2].Model != "tts-1" {
		t.Errorf("speech request %+v, %v", r, err)
	}
	if _, err := got[0].MultipartForm(); err == nil || !strings.Contains(err.Error(), `"application/json" is not multipart/form-data`) {
		t.Errorf("MultipartForm of a JSON request: %v", err)
	}
}
