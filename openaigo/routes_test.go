package openaigo_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	gogpt "github.com/sashabaranov/go-openai"
)

// reasoningUsage is a Responses answer's usage with cached and reasoning
// tokens.
var reasoningUsage = gogpt.Usage{PromptTokens: 900, CompletionTokens: 40, TotalTokens: 940,
	PromptTokensDetails:     &gogpt.PromptTokensDetails{CachedTokens: 512},
	CompletionTokensDetails: &gogpt.CompletionTokensDetails{ReasoningTokens: 24}}

// reasoningCost is reasoningUsage's cost on gpt-4.1 ($2.00 in, $0.50
// cached, $8.00 out per 1M tokens); reasoning tokens are output tokens.
const reasoningCost = (900-512)*2.00/1e6 + 512*0.50/1e6 + 40*8.00/1e6

func responseParams() responses.ResponseNewParams {
	return responses.ResponseNewParams{
		Model:        "gpt-4.1",
		Input:        responses.ResponseNewParamsInputUnion{OfString: openai.String("Weather in Paris?")},
		Instructions: openai.String("Use tools."),
		Tools: []responses.ToolUnionParam{{OfFunction: &responses.FunctionToolParam{Name: "get_weather",
			Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}}}},
		Temperature: openai.Float(0.3),
	}
}

// TestEveryRouteThroughOpenAIGo makes each call the recorder routes with
// openai-go, under a run, and checks what the step says and what the
// caller got.
func TestEveryRouteThroughOpenAIGo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		invocation string
		script     func(*openaitest.Server)
		call       func(context.Context, openai.Client) error
		check      func(*testing.T, gentracetest.StepRun)
	}{
		{
			name: "chat", invocation: "openai_createChatCompletion",
			call: func(ctx context.Context, c openai.Client) error {
				p := userMessage("Hi")
				p.Temperature = openai.Float(0.2)
				resp, err := c.Chat.Completions.New(ctx, p)
				if err == nil && resp.Choices[0].Message.Content != openaitest.DefaultChatReply {
					return fmt.Errorf("caller got %s", resp.RawJSON())
				}
				return err
			},
			check: func(t *testing.T, s gentracetest.StepRun) {
				if rawJSON(t, s.Inputs["messages"]) != `[{"content":"Hi","role":"user"}]` || s.ModelParams["temperature"] != 0.2 ||
					s.ModelParams["model"] != "gpt-4o-mini" {
					t.Errorf("inputs %v, params %v", s.Inputs, s.ModelParams)
				}
				if !strings.Contains(rawJSON(t, s.Outputs["choices"]), openaitest.DefaultChatReply) {
					t.Errorf("outputs %v", s.Outputs)
				}
			},
		},
		{
			name: "chat stream with parallel tool calls and include_usage", invocation: "openai_createChatCompletion",
			script: func(s *openaitest.Server) {
				s.Enqueue(openaitest.RouteChatCompletions, openaitest.Reply(openaitest.Answer{Text: "Checking both.", ToolCalls: calls}).
					WithUsage(gogpt.Usage{PromptTokens: 80, CompletionTokens: 48, TotalTokens: 128}))
			},
			call: func(ctx context.Context, c openai.Client) error {
				p := userMessage("Weather in Paris and Rome?")
				p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool}
				p.ParallelToolCalls = openai.Bool(true)
				p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
				stream := c.Chat.Completions.NewStreaming(ctx, p)
				defer stream.Close()
				var acc openai.ChatCompletionAccumulator
				for stream.Next() {
					acc.AddChunk(stream.Current())
				}
				if err := stream.Err(); err != nil {
					return err
				}
				tc := acc.Choices[0].Message.ToolCalls
				if len(tc) != 2 || tc[1].Function.Arguments != calls[1].Arguments || acc.Usage.TotalTokens != 128 {
					return fmt.Errorf("caller accumulated %+v", acc.ChatCompletion)
				}
				return nil
			},
			check: func(t *testing.T, s gentracetest.StepRun) {
				choices := rawJSON(t, s.Outputs["choices"])
				if !strings.Contains(choices, `"arguments":"{\"city\":\"Paris\"}"`) || !strings.Contains(choices, `"arguments":"{\"city\":\"Rome\"}"`) ||
					!strings.Contains(choices, `"finish_reason":"tool_calls"`) || !strings.Contains(choices, `"content":"Checking both."`) {
					t.Errorf("choices %s", choices)
				}
				if u, _ := s.Outputs["usage"].(map[string]any); u["total_tokens"] != 128.0 || u["prompt_tokens"] != 80.0 ||
					s.Outputs["usageEstimated"] != nil || s.Outputs["timeToFirstTokenMs"] == nil {
					t.Errorf("usage %v, outputs %v", s.Outputs["usage"], s.Outputs)
				}
				if rawJSON(t, s.Inputs["tools"]) == "null" || s.ModelParams["parallel_tool_calls"] != true || s.ModelParams["stream"] != true {
					t.Errorf("inputs %v, params %v", s.Inputs, s.ModelParams)
				}
			},
		},
		{
			name: "chat stream without usage is estimated", invocation: "openai_createChatCompletion",
			call: func(ctx context.Context, c openai.Client) error {
				stream := c.Chat.Completions.NewStreaming(ctx, userMessage("Hi"))
				defer stream.Close()
				text := ""
				for stream.Next() {
					if ch := stream.Current().Choices; len(ch) > 0 {
						text += ch[0].Delta.Content
					}
				}
				if text != openaitest.DefaultChatReply {
					return fmt.Errorf("caller got %q", text)
				}
				return stream.Err()
			},
			check: func(t *testing.T, s gentracetest.StepRun) {
				if s.Outputs["usageEstimated"] != true {
					t.Errorf("outputs %v", s.Outputs)
				}
				if _, ok := costOf(t, s.Outputs); !ok {
					t.Errorf("no cost")
				}
			},
		},
		{
			name: "embeddings", invocation: "openai_createEmbedding",
			call: func(ctx context.Context, c openai.Client) error {
				resp, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{
					Model: openai.EmbeddingModelTextEmbedding3Small, Dimensions: openai.Int(4), User: openai.String("u-7"),
					EncodingFormat: openai.EmbeddingNewParamsEncodingFormatFloat,
					Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}},
				})
				if err == nil && (len(resp.Data) != 2 || len(resp.Data[1].Embedding) != 4) {
					return fmt.Errorf("caller got %s", resp.RawJSON())
				}
				return err
			},
			check: func(t *testing.T, s gentracetest.StepRun) {
				if rawJSON(t, s.Inputs) != `{"input":["a","b"]}` || s.ModelParams["dimensions"] != 4.0 ||
					s.ModelParams["encoding_format"] != "float" || s.ModelParams["user"] != "u-7" {
					t.Errorf("inputs %v, params %v", s.Inputs, s.ModelParams)
				}
			},
		},
		{
			name: "moderations", invocation: "openai_createModeration",
			call: func(ctx context.Context, c openai.Client) error {
				_, err := c.Moderations.New(ctx, openai.ModerationNewParams{Model: openai.ModerationModelOmniModerationLatest,
					Input: openai.ModerationNewParamsInputUnion{OfString: openai.String("hello")}})
				return err
			},
			check: func(t *testing.T, s gentracetest.StepRun) {
				if s.Inputs["input"] != "hello" || s.Outputs["results"] == nil {
					t.Errorf("step %+v", s)
				}
			},
		},
		{
			name: "legacy completion", invocation: "openai_createCompletion",
			call: func(ctx context.Context, c openai.Client) error {
				resp, err := c.Completions.New(ctx, openai.CompletionNewParams{Model: openai.CompletionNewParamsModelGPT3_5TurboInstruct,
					Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Say hi")}, MaxTokens: openai.Int(20)})
				if err == nil && resp.Choices[0].Text != openaitest.DefaultCompletionText {
					return fmt.Errorf("caller got %s", resp.RawJSON())
				}
				return err
			},
			check: func(t *testing.T, s gentracetest.StepRun) {
				if s.Inputs["prompt"] != "Say hi" || s.ModelParams["max_tokens"] != 20.0 ||
					!strings.Contains(rawJSON(t, s.Outputs["choices"]), openaitest.DefaultCompletionText) {
					t.Errorf("step %+v", s)
				}
			},
		},
		{
			name: "legacy completion stream", invocation: "openai_createCompletion",
			call: func(ctx context.Context, c openai.Client) error {
				stream := c.Completions.NewStreaming(ctx, openai.CompletionNewParams{Model: openai.CompletionNewParamsModelGPT3_5TurboInstruct,
					Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Say hi")}})
				defer stream.Close()
				for stream.Next() {
				}
				return stream.Err()
			},
			check: func(t *testing.T, s gentracetest.StepRun) {
				if !strings.Contains(rawJSON(t, s.Outputs["choices"]), openaitest.DefaultCompletionText) || s.Outputs["usageEstimated"] != true {
					t.Errorf("outputs %v", s.Outputs)
				}
			},
		},
		{
			name: "responses with a function call, reasoning and cached tokens", invocation: "openai_createResponse",
			script: func(s *openaitest.Server) {
				s.Enqueue(openaitest.RouteResponses, openaitest.Reply(openaitest.Answer{Reasoning: []string{"Use the tool."},
					Text: "Checking.", ToolCalls: calls[:1]}).WithUsage(reasoningUsage))
			},
			call: func(ctx context.Context, c openai.Client) error {
				resp, err := c.Responses.New(ctx, responseParams())
				if err == nil && (resp.OutputText() != "Checking." || resp.Usage.InputTokensDetails.CachedTokens != 512) {
					return fmt.Errorf("caller got %s", resp.RawJSON())
				}
				return err
			},
			check: func(t *testing.T, s gentracetest.StepRun) {
				if s.Inputs["input"] != "Weather in Paris?" || s.Inputs["instructions"] != "Use tools." || s.Inputs["tools"] == nil ||
					s.ModelParams["temperature"] != 0.3 || s.ModelParams["model"] != "gpt-4.1" {
					t.Errorf("inputs %v, params %v", s.Inputs, s.ModelParams)
				}
				output := rawJSON(t, s.Outputs["output"])
				if !strings.Contains(output, `"type":"reasoning"`) || !strings.Contains(output, `"type":"function_call"`) ||
					s.Outputs["status"] != "completed" {
					t.Errorf("outputs %v", s.Outputs)
				}
				if cost, ok := costOf(t, s.Outputs); !ok || math.Abs(cost-reasoningCost) > 1e-12 {
					t.Errorf("cost %v, want %v", cost, reasoningCost)
				}
			},
		},
		{
			name: "responses stream with a function call", invocation: "openai_createResponse",
			script: func(s *openaitest.Server) {
				s.Enqueue(openaitest.RouteResponses, openaitest.Reply(openaitest.Answer{Reasoning: []string{"Use the tool."},
					Text: "Checking.", ToolCalls: calls[:1]}).WithUsage(reasoningUsage))
			},
			call: func(ctx context.Context, c openai.Client) error {
				stream := c.Responses.NewStreaming(ctx, responseParams())
				defer stream.Close()
				args := ""
				for stream.Next() {
					if ev := stream.Current(); ev.Type == "response.function_call_arguments.delta" {
						args += ev.Delta
					}
				}
				if args != calls[0].Arguments {
					return fmt.Errorf("caller got arguments %q", args)
				}
				return stream.Err()
			},
			check: func(t *testing.T, s gentracetest.StepRun) {
				if s.Outputs["status"] != "completed" || s.Outputs["timeToFirstTokenMs"] == nil ||
					!strings.Contains(rawJSON(t, s.Outputs["output"]), `"arguments":"{\"city\":\"Paris\"}"`) {
					t.Errorf("outputs %v", s.Outputs)
				}
				if cost, ok := costOf(t, s.Outputs); !ok || math.Abs(cost-reasoningCost) > 1e-12 {
					t.Errorf("cost %v, want %v", cost, reasoningCost)
				}
			},
		},
		{
			name: "image", invocation: "openai_createImage",
			call: func(ctx context.Context, c openai.Client) error {
				resp, err := c.Images.Generate(ctx, openai.ImageGenerateParams{Prompt: "a cat", Model: "gpt-image-1", Size: "1024x1024"})
				if err == nil && (len(resp.Data) != 1 || resp.Data[0].B64JSON == "") {
					return fmt.Errorf("caller got %s", resp.RawJSON())
				}
				return err
			},
			check: func(t *testing.T, s gentracetest.StepRun) {
				if s.Inputs["prompt"] != "a cat" || s.ModelParams["size"] != "1024x1024" || s.Outputs["usage"] == nil {
					t.Errorf("step %+v", s)
				}
			},
		},
		{
			name: "transcription", invocation: "openai_createTranscription",
			call: func(ctx context.Context, c openai.Client) error {
				tr, err := c.Audio.Transcriptions.New(ctx, openai.AudioTranscriptionNewParams{
					File:  openai.File(bytes.NewReader(make([]byte, 32000)), "speech.mp3", "audio/mpeg"),
					Model: "whisper-1", Prompt: openai.String("Names: Ada."),
				})
				if err == nil && tr.Text != openaitest.DefaultTranscript {
					return fmt.Errorf("caller got %+v", tr)
				}
				return err
			},
			check: func(t *testing.T, s gentracetest.StepRun) {
				if rawJSON(t, s.Inputs["file"]) != `{"bytes":32000,"contentType":"audio/mpeg","filename":"speech.mp3"}` ||
					s.Inputs["prompt"] != "Names: Ada." || s.ModelParams["model"] != "whisper-1" || s.Outputs["text"] != openaitest.DefaultTranscript {
					t.Errorf("step %+v", s)
				}
			},
		},
		{
			name: "translation", invocation: "openai_createTranslation",
			call: func(ctx context.Context, c openai.Client) error {
				//lint:ignore SA1019 openai-go deprecates translations, but still sends them and the recorder routes them
				tr, err := c.Audio.Translations.New(ctx, openai.AudioTranslationNewParams{
					File:  openai.File(bytes.NewReader(make([]byte, 16000)), "rede.wav", "audio/wav"),
					Model: "whisper-1",
				})
				if err == nil && tr.Text != openaitest.DefaultTranscript {
					return fmt.Errorf("caller got %+v", tr)
				}
				return err
			},
			check: func(t *testing.T, s gentracetest.StepRun) {
				if rawJSON(t, s.Inputs["file"]) != `{"bytes":16000,"contentType":"audio/wav","filename":"rede.wav"}` ||
					s.Outputs["text"] != openaitest.DefaultTranscript {
					t.Errorf("step %+v", s)
				}
			},
		},
		{
			name: "speech", invocation: "openai_createSpeech",
			call: func(ctx context.Context, c openai.Client) error {
				resp, err := c.Audio.Speech.New(ctx, openai.AudioSpeechNewParams{Input: "Hello", Model: "tts-1",
					Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("alloy")}, ResponseFormat: "wav"})
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				audio, err := io.ReadAll(resp.Body)
				if err == nil && !bytes.HasPrefix(audio, []byte("RIFF")) {
					return fmt.Errorf("caller got %d bytes", len(audio))
				}
				return err
			},
			check: func(t *testing.T, s gentracetest.StepRun) {
				if s.Inputs["input"] != "Hello" || s.Outputs["contentType"] != "audio/wav" || s.Outputs["bytes"].(float64) < 44 {
					t.Errorf("step %+v", s)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			if tt.script != nil {
				tt.script(w.oai)
			}
			ctx, r := w.start()
			if err := tt.call(ctx, w.client(nil)); err != nil {
				t.Fatal(err)
			}
			s := oneStep(t, w.end(r))
			if s.ProviderName != "openai" || s.Invocation != tt.invocation || s.Error != "" || s.Context.UserID != "u-1" {
				t.Errorf("step %s %s, error %q, user %q", s.ProviderName, s.Invocation, s.Error, s.Context.UserID)
			}
			tt.check(t, s)
			if errs := w.errs.Errors(); len(errs) != 0 {
				t.Errorf("errors: %v", errs)
			}
		})
	}
}
