// Package openaigo_test checks that the official OpenAI Go client,
// github.com/openai/openai-go, works unmodified against openaitest.Server.
// It is a module of its own so that openai-go stays out of the core
// module's graph; run it with `go test ./...` from this directory.
package openaigo_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
)

// newClient starts a server and an openai-go client for it.
func newClient(t *testing.T) (*openaitest.Server, openai.Client) {
	t.Helper()
	srv := openaitest.NewServer()
	t.Cleanup(srv.Close)
	return srv, openai.NewClient(
		option.WithBaseURL(srv.URL()+"/"),
		option.WithAPIKey("test-key"),
		option.WithHTTPClient(srv.HTTPClient()),
		option.WithMaxRetries(0),
	)
}

var calls = []openaitest.ToolCall{
	{Name: "get_weather", Arguments: `{"city":"Paris"}`},
	{Name: "get_time", Arguments: `{"timezone":"Europe/Paris"}`},
}

func TestChatCompletion(t *testing.T) {
	t.Parallel()
	srv, c := newClient(t)
	srv.Enqueue(openaitest.RouteChatCompletions, openaitest.TextReply("Paris."), openaitest.ToolCallReply(calls...))
	params := openai.ChatCompletionNewParams{
		Model:    openai.ChatModelGPT5_2,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Capital of France?")},
	}
	resp, err := c.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != "Paris." || resp.ServiceTier != "default" || resp.Usage.TotalTokens == 0 ||
		resp.Choices[0].Message.JSON.Refusal.Raw() != "null" || resp.JSON.SystemFingerprint.Raw() != "null" {
		t.Errorf("response %s", resp.RawJSON())
	}
	resp, err = c.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	tc := resp.Choices[0].Message.ToolCalls
	if len(tc) != 2 || tc[1].Function.Name != "get_time" || tc[1].Function.Arguments != calls[1].Arguments ||
		resp.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("tool calls %s", resp.RawJSON())
	}
}

// TestChatStreamAccumulator streams text and parallel tool calls through
// openai-go's ChatCompletionAccumulator, which reports each part as it
// finishes.
func TestChatStreamAccumulator(t *testing.T) {
	t.Parallel()
	srv, c := newClient(t)
	srv.Enqueue(openaitest.RouteChatCompletions, openaitest.Reply(openaitest.Answer{Text: "Let me check both.", ToolCalls: calls}))
	stream := c.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:         openai.ChatModelGPT5_2,
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather and time?")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	defer stream.Close()
	var acc openai.ChatCompletionAccumulator
	var finished []string
	for stream.Next() {
		if !acc.AddChunk(stream.Current()) {
			t.Fatalf("chunk not accumulated: %s", stream.Current().RawJSON())
		}
		if content, ok := acc.JustFinishedContent(); ok {
			finished = append(finished, "content:"+content)
		}
		if call, ok := acc.JustFinishedToolCall(); ok {
			finished = append(finished, "call:"+call.Name+":"+call.Arguments)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"content:Let me check both.", "call:get_weather:" + calls[0].Arguments, "call:get_time:" + calls[1].Arguments}
	if len(finished) != len(want) {
		t.Fatalf("finished %q, want %q", finished, want)
	}
	for i := range want {
		if finished[i] != want[i] {
			t.Errorf("finished %q, want %q", finished, want)
		}
	}
	if acc.Usage.TotalTokens == 0 || acc.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("accumulated %+v", acc.ChatCompletion)
	}
}

func TestResponses(t *testing.T) {
	t.Parallel()
	srv, c := newClient(t)
	answer := openaitest.Reply(openaitest.Answer{Reasoning: []string{"Use the tool."}, Text: "Checking.", ToolCalls: calls[:1]}).
		WithUsage(goopenai.Usage{PromptTokens: 900, CompletionTokens: 40, TotalTokens: 940,
			PromptTokensDetails:     &goopenai.PromptTokensDetails{CachedTokens: 512},
			CompletionTokensDetails: &goopenai.CompletionTokensDetails{ReasoningTokens: 24}})
	srv.SetDefault(openaitest.RouteResponses, answer)
	params := responses.ResponseNewParams{
		Model:        openai.ChatModelGPT5_2,
		Input:        responses.ResponseNewParamsInputUnion{OfString: openai.String("Weather in Paris?")},
		Instructions: openai.String("Be brief."),
	}

	resp, err := c.Responses.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if resp.OutputText() != "Checking." || resp.Status != "completed" || resp.Instructions.OfString != "Be brief." ||
		resp.Usage.InputTokensDetails.CachedTokens != 512 || resp.Usage.OutputTokensDetails.ReasoningTokens != 24 {
		t.Errorf("response %s", resp.RawJSON())
	}
	if len(resp.Output) != 3 || resp.Output[0].Type != "reasoning" || resp.Output[0].Summary[0].Text != "Use the tool." ||
		resp.Output[2].AsFunctionCall().Name != "get_weather" || resp.Output[2].AsFunctionCall().CallID != "call_0_0" {
		t.Errorf("output %s", resp.RawJSON())
	}

	stream := c.Responses.NewStreaming(context.Background(), params)
	defer stream.Close()
	var text, args string
	var completed responses.Response
	for stream.Next() {
		ev := stream.Current()
		switch ev.Type {
		case "response.output_text.delta":
			text += ev.Delta
		case "response.function_call_arguments.delta":
			args += ev.Delta
		case "response.completed":
			completed = ev.AsResponseCompleted().Response
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if text != "Checking." || args != calls[0].Arguments || completed.OutputText() != "Checking." || completed.Usage.TotalTokens != 940 {
		t.Errorf("streamed %q, %q; completed %s", text, args, completed.RawJSON())
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	srv, c := newClient(t)
	srv.Enqueue(openaitest.RouteChatCompletions, openaitest.Error(429, "Rate limit reached"))
	_, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    openai.ChatModelGPT5_2,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hi")},
	})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.Code != "rate_limit_exceeded" || apiErr.Message != "Rate limit reached" {
		t.Errorf("error %v", err)
	}
}

func TestEmbeddingsImagesAndAudio(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	ctx := context.Background()

	emb, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model: openai.EmbeddingModelTextEmbedding3Small,
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}},
	})
	if err != nil || len(emb.Data) != 2 || len(emb.Data[0].Embedding) != openaitest.DefaultEmbeddingDimensions {
		t.Errorf("embeddings %v, %v", emb, err)
	}

	img, err := c.Images.Generate(ctx, openai.ImageGenerateParams{Prompt: "a cat", Model: "gpt-image-1"})
	if err != nil || len(img.Data) != 1 || img.Data[0].B64JSON == "" || img.Usage.OutputTokens != 4160 {
		t.Errorf("image %v, %v", img, err)
	}

	tr, err := c.Audio.Transcriptions.New(ctx, openai.AudioTranscriptionNewParams{
		File:  openai.File(bytes.NewReader(make([]byte, 32000)), "speech.mp3", "audio/mpeg"),
		Model: "whisper-1",
	})
	if err != nil || tr.Text != openaitest.DefaultTranscript || tr.Usage.Type != "duration" || tr.Usage.Seconds != 2 {
		t.Errorf("transcription %+v, %v", tr, err)
	}

	speech, err := c.Audio.Speech.New(ctx, openai.AudioSpeechNewParams{
		Input: "Hello", Model: "tts-1", Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("alloy")},
		ResponseFormat: openai.AudioSpeechNewParamsResponseFormatWAV,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer speech.Body.Close()
	audio, err := io.ReadAll(speech.Body)
	if err != nil || speech.Header.Get("Content-Type") != "audio/wav" || !bytes.HasPrefix(audio, []byte("RIFF")) {
		t.Errorf("speech %v, %d bytes, %v", speech.Header, len(audio), err)
	}
}
