package openai

import (
	"context"
	"encoding/json"
	"fmt"

	goopenai "github.com/sashabaranov/go-openai"
)

// ChatCompletionResponse is go-openai's response with the ID of the run the
// call made (simple mode; "" otherwise).
type ChatCompletionResponse struct {
	goopenai.ChatCompletionResponse
	PipelineRunID string
}

// CreateChatCompletion is go-openai's CreateChatCompletion, recorded as an
// openai_createChatCompletion step with its cost and latency. OpenAI's
// errors are recorded and returned unchanged. Mistakes in the call options
// (ErrRunOption, ErrTemplate, gentrace.ErrStepUserID, invalid metadata) are
// returned before anything is sent.
func (c *Client) CreateChatCompletion(ctx context.Context, request goopenai.ChatCompletionRequest, opts ...CallOption) (ChatCompletionResponse, error) {
	resp, id, err := chatCall(c, ctx, request, opts, c.Client.CreateChatCompletion)
	return ChatCompletionResponse{ChatCompletionResponse: resp, PipelineRunID: id}, err
}

// ChatCompletionStream is go-openai's chat stream, with the ID of the run
// the call made (simple mode). Its chunks pass through unchanged; the step
// is recorded when the stream ends, fails or is closed.
type ChatCompletionStream struct {
	*goopenai.ChatCompletionStream
	PipelineRunID string
}

// CreateChatCompletionStream is go-openai's CreateChatCompletionStream,
// recorded as an openai_createChatCompletion step once the stream ends,
// with its time to first token. A stream to OpenAI's own API asks for its
// exact usage (the extra chunk is hidden); elsewhere usage the stream does
// not carry is estimated with the model's tokenizer.
func (c *Client) CreateChatCompletionStream(ctx context.Context, request goopenai.ChatCompletionRequest, opts ...CallOption) (*ChatCompletionStream, error) {
	stream, id, err := chatCall(c, ctx, request, opts, c.Client.CreateChatCompletionStream)
	if err != nil {
		return nil, err
	}
	return &ChatCompletionStream{ChatCompletionStream: stream, PipelineRunID: id}, nil
}

func chatCall[T any](c *Client, ctx context.Context, request goopenai.ChatCompletionRequest, opts []CallOption,
	fn func(context.Context, goopenai.ChatCompletionRequest) (T, error)) (T, string, error) {
	cc := c.config(ctx, opts)
	msgs, templates, inputs, err := renderMessages(request.Messages, cc.contentInputs, c.escape)
	if err != nil {
		var zero T
		return zero, "", err
	}
	request.Messages = msgs
	ctx, call, err := c.begin(ctx, cc)
	if err != nil {
		var zero T
		return zero, "", err
	}
	if templates != nil {
		call.ModelParams = map[string]json.RawMessage{"contentTemplates": templates}
		call.Inputs = map[string]json.RawMessage{"contentInputs": inputs}
	}
	resp, err := fn(ctx, request)
	return resp, call.RunID, err
}

// CompletionResponse is go-openai's response with the ID of the run the
// call made (simple mode; "" otherwise).
type CompletionResponse struct {
	goopenai.CompletionResponse
	PipelineRunID string
}

// CreateCompletion is go-openai's CreateCompletion (legacy completions),
// recorded as an openai_createCompletion step.
func (c *Client) CreateCompletion(ctx context.Context, request goopenai.CompletionRequest, opts ...CallOption) (CompletionResponse, error) {
	resp, id, err := completionCall(c, ctx, request, opts, c.Client.CreateCompletion)
	return CompletionResponse{CompletionResponse: resp, PipelineRunID: id}, err
}

// CompletionStream is go-openai's completion stream, with the ID of the
// run the call made (simple mode).
type CompletionStream struct {
	*goopenai.CompletionStream
	PipelineRunID string
}

// CreateCompletionStream is go-openai's CreateCompletionStream, recorded as
// an openai_createCompletion step once the stream ends.
func (c *Client) CreateCompletionStream(ctx context.Context, request goopenai.CompletionRequest, opts ...CallOption) (*CompletionStream, error) {
	stream, id, err := completionCall(c, ctx, request, opts, c.Client.CreateCompletionStream)
	if err != nil {
		return nil, err
	}
	return &CompletionStream{CompletionStream: stream, PipelineRunID: id}, nil
}

func completionCall[T any](c *Client, ctx context.Context, request goopenai.CompletionRequest, opts []CallOption,
	fn func(context.Context, goopenai.CompletionRequest) (T, error)) (T, string, error) {
	var zero T
	cc := c.config(ctx, opts)
	var template, inputs json.RawMessage
	if cc.hasPrompt {
		tmpl, ok := request.Prompt.(string)
		if !ok {
			return zero, "", fmt.Errorf("%w: a prompt template must be a string, not %T", ErrTemplate, request.Prompt)
		}
		text, err := render(tmpl, cc.promptInputs, c.escape)
		if err != nil {
			return zero, "", err
		}
		if inputs, err = json.Marshal(cc.promptInputs); err != nil {
			return zero, "", fmt.Errorf("%w: prompt inputs: %v", ErrTemplate, err)
		}
		template = rawJSON(tmpl)
		request.Prompt = text
	}
	ctx, call, err := c.begin(ctx, cc)
	if err != nil {
		return zero, "", err
	}
	if template != nil {
		call.ModelParams = map[string]json.RawMessage{"promptTemplate": template}
		call.Inputs = map[string]json.RawMessage{"prompt": inputs, "promptInputs": inputs}
	}
	resp, err := fn(ctx, request)
	return resp, call.RunID, err
}

// EmbeddingResponse is go-openai's response with the ID of the run the call
// made (simple mode; "" otherwise).
type EmbeddingResponse struct {
	goopenai.EmbeddingResponse
	PipelineRunID string
}

// CreateEmbeddings is go-openai's CreateEmbeddings, recorded as an
// openai_createEmbedding step with its cost and latency.
func (c *Client) CreateEmbeddings(ctx context.Context, conv goopenai.EmbeddingRequestConverter, opts ...CallOption) (EmbeddingResponse, error) {
	resp, id, err := invoke(c, ctx, opts, func(ctx context.Context) (goopenai.EmbeddingResponse, error) {
		return c.Client.CreateEmbeddings(ctx, conv)
	})
	return EmbeddingResponse{EmbeddingResponse: resp, PipelineRunID: id}, err
}

// ModerationResponse is go-openai's response with the ID of the run the
// call made (simple mode; "" otherwise).
type ModerationResponse struct {
	goopenai.ModerationResponse
	PipelineRunID string
}

// Moderations is go-openai's Moderations, recorded as an
// openai_createModeration step.
func (c *Client) Moderations(ctx context.Context, request goopenai.ModerationRequest, opts ...CallOption) (ModerationResponse, error) {
	resp, id, err := invoke(c, ctx, opts, func(ctx context.Context) (goopenai.ModerationResponse, error) {
		return c.Client.Moderations(ctx, request)
	})
	return ModerationResponse{ModerationResponse: resp, PipelineRunID: id}, err
}

// Response is go-openai's Responses API answer with the ID of the run the
// call made (simple mode; "" otherwise).
type Response struct {
	goopenai.CreateResponseResponse
	PipelineRunID string
}

// CreateResponse is go-openai's CreateResponse (the Responses API),
// recorded as an openai_createResponse step: input, instructions, tools and
// previous_response_id as inputs, the response as outputs, its status
// "failed" or "incomplete" as the step's error.
func (c *Client) CreateResponse(ctx context.Context, request goopenai.CreateResponseRequest, opts ...CallOption) (Response, error) {
	resp, id, err := invoke(c, ctx, opts, func(ctx context.Context) (goopenai.CreateResponseResponse, error) {
		return c.Client.CreateResponse(ctx, request)
	})
	return Response{CreateResponseResponse: resp, PipelineRunID: id}, err
}

// ResponseStream is go-openai's Responses API stream, with the ID of the
// run the call made (simple mode).
type ResponseStream struct {
	*goopenai.ResponseStream
	PipelineRunID string
}

// CreateResponseStream is go-openai's CreateResponseStream, recorded as an
// openai_createResponse step once the stream ends: the response of its
// response.completed event, or what arrived when it ends early.
func (c *Client) CreateResponseStream(ctx context.Context, request goopenai.CreateResponseRequest, opts ...CallOption) (*ResponseStream, error) {
	stream, id, err := invoke(c, ctx, opts, func(ctx context.Context) (*goopenai.ResponseStream, error) {
		return c.Client.CreateResponseStream(ctx, request)
	})
	if err != nil {
		return nil, err
	}
	return &ResponseStream{ResponseStream: stream, PipelineRunID: id}, nil
}

// ImageResponse is go-openai's response with the ID of the run the call
// made (simple mode; "" otherwise).
type ImageResponse struct {
	goopenai.ImageResponse
	PipelineRunID string
}

// CreateImage is go-openai's CreateImage, recorded as an openai_createImage
// step (priced by its token usage for gpt-image models).
func (c *Client) CreateImage(ctx context.Context, request goopenai.ImageRequest, opts ...CallOption) (ImageResponse, error) {
	resp, id, err := invoke(c, ctx, opts, func(ctx context.Context) (goopenai.ImageResponse, error) {
		return c.Client.CreateImage(ctx, request)
	})
	return ImageResponse{ImageResponse: resp, PipelineRunID: id}, err
}

// AudioResponse is go-openai's response with the ID of the run the call
// made (simple mode; "" otherwise).
type AudioResponse struct {
	goopenai.AudioResponse
	PipelineRunID string
}

// CreateTranscription is go-openai's CreateTranscription, recorded as an
// openai_createTranscription step (the file by name and size).
func (c *Client) CreateTranscription(ctx context.Context, request goopenai.AudioRequest, opts ...CallOption) (AudioResponse, error) {
	resp, id, err := invoke(c, ctx, opts, func(ctx context.Context) (goopenai.AudioResponse, error) {
		return c.Client.CreateTranscription(ctx, request)
	})
	return AudioResponse{AudioResponse: resp, PipelineRunID: id}, err
}

// CreateTranslation is go-openai's CreateTranslation, recorded as an
// openai_createTranslation step.
func (c *Client) CreateTranslation(ctx context.Context, request goopenai.AudioRequest, opts ...CallOption) (AudioResponse, error) {
	resp, id, err := invoke(c, ctx, opts, func(ctx context.Context) (goopenai.AudioResponse, error) {
		return c.Client.CreateTranslation(ctx, request)
	})
	return AudioResponse{AudioResponse: resp, PipelineRunID: id}, err
}

// SpeechResponse is go-openai's raw speech response with the ID of the run
// the call made (simple mode; "" otherwise).
type SpeechResponse struct {
	goopenai.RawResponse
	PipelineRunID string
}

// CreateSpeech is go-openai's CreateSpeech, recorded as an
// openai_createSpeech step when the caller has read or closed the audio.
func (c *Client) CreateSpeech(ctx context.Context, request goopenai.CreateSpeechRequest, opts ...CallOption) (SpeechResponse, error) {
	resp, id, err := invoke(c, ctx, opts, func(ctx context.Context) (goopenai.RawResponse, error) {
		return c.Client.CreateSpeech(ctx, request)
	})
	return SpeechResponse{RawResponse: resp, PipelineRunID: id}, err
}
