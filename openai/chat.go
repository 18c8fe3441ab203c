package openai

import (
	"context"
	"encoding/json"

	gentrace "github.com/gentrace/gentrace-go"
	openai "github.com/sashabaranov/go-openai"
)

// ChatCompletionResponse is go-openai's response with the ID of the run the
// call was recorded in (simple mode; "" otherwise).
type ChatCompletionResponse struct {
	openai.ChatCompletionResponse
	PipelineRunID string
}

// CreateChatCompletion is go-openai's CreateChatCompletion, recorded as an
// openai_createChatCompletion step with its cost and latency. OpenAI's
// errors are recorded and returned unchanged. Errors in the call options
// (see ErrRunOption, ErrTemplate, gentrace.ErrStepUserID) are returned
// before anything is sent.
func (c *Client) CreateChatCompletion(ctx context.Context, request openai.ChatCompletionRequest, opts ...CallOption) (ChatCompletionResponse, error) {
	cc := c.config(opts)
	k, err := c.begin(ctx, cc)
	if err != nil {
		return ChatCompletionResponse{}, err
	}
	msgs, tmpl, err := renderMessages(request.Messages, cc.contentInputs)
	if err != nil {
		return ChatCompletionResponse{}, err
	}
	request.Messages = msgs
	if k == nil {
		resp, err := c.oc.CreateChatCompletion(ctx, request)
		return ChatCompletionResponse{ChatCompletionResponse: resp}, err
	}
	callCtx, cp := c.withCapture(ctx)
	start := k.runner.Now()
	resp, err := c.oc.CreateChatCompletion(callCtx, request)
	end := k.runner.Now()

	rec := &chatRecord{client: c, templates: tmpl}
	if rec.sent = cp.sent(); rec.sent != nil {
		rec.request.Model = request.Model
	} else {
		rec.request = snapshotChatRequest(request)
	}
	if err == nil {
		if raw := cp.answer(); raw != nil {
			// The bytes are the record; keep only what cost needs.
			rec.answer = raw
			rec.response = &openai.ChatCompletionResponse{Model: resp.Model, Usage: snapshotUsage(resp.Usage)}
		} else {
			snap := snapshotChatResponse(resp)
			rec.response = &snap
		}
	}
	s := newStep(InvocationChatCompletion, start, end, err)
	s.Complete = rec.complete
	k.record(s)
	return ChatCompletionResponse{ChatCompletionResponse: resp, PipelineRunID: k.runID()}, err
}

// chatRecord holds snapshots of one chat call until its step is completed.
type chatRecord struct {
	client    *Client
	request   openai.ChatCompletionRequest
	templates *chatTemplates
	response  *openai.ChatCompletionResponse // nil on error
	stream    *chatAggregate                 // for streams
	// sent and answer are the bodies as they crossed the wire, when
	// captured; they are recorded instead of request and response.
	sent, answer json.RawMessage
}

var chatInputKeys = []string{"messages", "user", "tools"}

// complete fills the step's inputs, model params, outputs, usage and cost.
func (r *chatRecord) complete(s *gentrace.Step) {
	if r.sent != nil {
		s.Inputs, s.ModelParams = split(r.sent, chatInputKeys...)
	} else {
		s.Inputs, s.ModelParams = split(r.request, chatInputKeys...)
	}
	r.templates.record(s.Inputs, s.ModelParams)
	model := r.request.Model
	switch {
	case r.answer != nil:
		s.Outputs = object(r.answer)
		if r.response.Model != "" {
			model = r.response.Model
		}
		s.Usage = usageOf(&r.response.Usage)
	case r.response != nil:
		s.Outputs = object(r.response)
		if r.response.Model != "" {
			model = r.response.Model
		}
		s.Usage = usageOf(&r.response.Usage)
	case r.stream != nil:
		resp := r.stream.response()
		s.Outputs = object(resp)
		if r.stream.closedEarly {
			s.Outputs["closedEarly"] = true
		}
		if resp.Model != "" {
			model = resp.Model
		}
		s.Usage = usageOf(r.stream.usage)
		if s.Usage == nil && r.stream.chunks > 0 {
			var unmeasured []string
			s.Usage, unmeasured = r.estimate(model, resp)
			s.Outputs["usage"] = usageOutput(s.Usage)
			s.Outputs["usageEstimated"] = true
			if len(unmeasured) > 0 {
				s.Outputs["usageUnmeasured"] = unmeasured
			}
		}
	default:
		s.Outputs = map[string]any{}
	}
	r.client.price(s, model)
}

// estimate counts tokens with tiktoken for a stream that sent no usage.
func (r *chatRecord) estimate(model string, resp streamedChat) (*gentrace.Usage, []string) {
	prompt := chatPromptTokens(model, &r.request)
	msgs := make([]openai.ChatCompletionMessage, len(resp.Choices))
	for i, ch := range resp.Choices {
		msgs[i] = ch.Message
	}
	completion := chatCompletionTokens(model, msgs)
	return &gentrace.Usage{
		PromptTokens:     prompt.Tokens,
		CompletionTokens: completion.Tokens,
		TotalTokens:      prompt.Tokens + completion.Tokens,
		Estimated:        true,
	}, append(prompt.Unmeasured, completion.Unmeasured...)
}

// ChatCompletionStream is go-openai's chat stream, recorded: Recv passes
// every chunk on at once and unchanged while the step is assembled on the
// side; the step is recorded when the stream ends, fails or is closed.
// PipelineRunID is set as soon as the stream opens (simple mode).
type ChatCompletionStream struct {
	stream        *openai.ChatCompletionStream
	PipelineRunID string
	rec           *streamRecorder[openai.ChatCompletionStreamResponse]
}

// CreateChatCompletionStream is go-openai's CreateChatCompletionStream,
// recorded as an openai_createChatCompletion step once the stream ends.
// Time to first token is measured. When the stream carries no usage, token
// counts are estimated with tiktoken when the step is completed, off the
// caller's path, and marked Estimated.
func (c *Client) CreateChatCompletionStream(ctx context.Context, request openai.ChatCompletionRequest, opts ...CallOption) (*ChatCompletionStream, error) {
	cc := c.config(opts)
	k, err := c.begin(ctx, cc)
	if err != nil {
		return nil, err
	}
	msgs, tmpl, err := renderMessages(request.Messages, cc.contentInputs)
	if err != nil {
		return nil, err
	}
	request.Messages = msgs
	var hideUsage bool
	request.StreamOptions, hideUsage = streamOptions(request.StreamOptions, cc.exactUsage)
	if k == nil {
		stream, err := c.oc.CreateChatCompletionStream(ctx, request)
		if err != nil {
			return nil, err
		}
		return &ChatCompletionStream{stream: stream, rec: &streamRecorder[openai.ChatCompletionStreamResponse]{
			next: stream.Recv, usageOnly: chatUsageOnly, hideUsage: hideUsage}}, nil
	}
	start := k.runner.Now()
	stream, err := c.oc.CreateChatCompletionStream(ctx, request)
	request.Stream = true
	rec := &chatRecord{client: c, request: snapshotChatRequest(request), templates: tmpl, stream: &chatAggregate{}}
	if err != nil {
		s := newStep(InvocationChatCompletion, start, k.runner.Now(), err)
		rec.stream = nil
		s.Complete = rec.complete
		k.record(s)
		return nil, err
	}
	sr := &streamRecorder[openai.ChatCompletionStreamResponse]{next: stream.Recv, usageOnly: chatUsageOnly,
		call: k, start: start, hideUsage: hideUsage, invocation: InvocationChatCompletion,
		complete: rec.complete, closedEarly: &rec.stream.closedEarly, agg: rec.stream}
	return &ChatCompletionStream{stream: stream, PipelineRunID: k.runID(), rec: sr}, nil
}

// Recv returns the next chunk exactly as go-openai does, io.EOF at the end.
func (s *ChatCompletionStream) Recv() (openai.ChatCompletionStreamResponse, error) {
	return s.rec.recv()
}

// Close closes the stream, as go-openai's Close. Closing before the end is
// recorded as an early close, never as a complete answer.
func (s *ChatCompletionStream) Close() error {
	err := s.stream.Close()
	s.rec.finish(errClosedEarly)
	return err
}

// Header returns the HTTP headers of the response.
func (s *ChatCompletionStream) Header() map[string][]string { return s.stream.Header() }

// GetRateLimitHeaders returns OpenAI's rate limit headers.
func (s *ChatCompletionStream) GetRateLimitHeaders() openai.RateLimitHeaders {
	return s.stream.GetRateLimitHeaders()
}
