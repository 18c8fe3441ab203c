package openai

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/internal/tokens"
	openai "github.com/sashabaranov/go-openai"
)

// CompletionResponse is go-openai's response with the ID of the run the
// call was recorded in (simple mode; "" otherwise).
type CompletionResponse struct {
	openai.CompletionResponse
	PipelineRunID string
}

// completionRecord holds snapshots of one completion call until its step is
// completed.
type completionRecord struct {
	client       *Client
	request      openai.CompletionRequest
	template     *string
	promptInputs json.RawMessage
	response     *openai.CompletionResponse
	stream       *completionAggregate
}

// prepareCompletion renders a prompt template and snapshots the request.
func prepareCompletion(request openai.CompletionRequest, cc callConfig) (openai.CompletionRequest, *completionRecord, error) {
	rec := &completionRecord{}
	if cc.hasPrompt {
		tmpl, ok := request.Prompt.(string)
		if !ok {
			return request, nil, fmt.Errorf("%w: a prompt template must be a string, got %T", ErrTemplate, request.Prompt)
		}
		text, err := render(tmpl, cc.promptInputs)
		if err != nil {
			return request, nil, err
		}
		data, err := json.Marshal(cc.promptInputs)
		if err != nil {
			return request, nil, fmt.Errorf("%w: prompt inputs: %v", ErrTemplate, err)
		}
		request.Prompt = text
		rec.template, rec.promptInputs = &tmpl, data
	}
	return request, rec, nil
}

func snapshotCompletionRequest(r openai.CompletionRequest) openai.CompletionRequest {
	switch p := r.Prompt.(type) {
	case []string:
		r.Prompt = slices.Clone(p)
	case []int:
		r.Prompt = slices.Clone(p)
	case [][]int:
		prompts := make([][]int, len(p))
		for i := range p {
			prompts[i] = slices.Clone(p[i])
		}
		r.Prompt = prompts
	default:
		r.Prompt = cloneValue(p)
	}
	r.Stop = slices.Clone(r.Stop)
	r.LogitBias = maps.Clone(r.LogitBias)
	r.Metadata = maps.Clone(r.Metadata)
	r.Seed = clonePtr(r.Seed)
	r.StreamOptions = clonePtr(r.StreamOptions)
	return r
}

func snapshotCompletionResponse(r openai.CompletionResponse) openai.CompletionResponse {
	r.Choices = slices.Clone(r.Choices)
	for i := range r.Choices {
		lp := &r.Choices[i].LogProbs
		lp.Tokens = slices.Clone(lp.Tokens)
		lp.TokenLogprobs = slices.Clone(lp.TokenLogprobs)
		lp.TextOffset = slices.Clone(lp.TextOffset)
		if lp.TopLogprobs != nil {
			top := make([]map[string]float32, len(lp.TopLogprobs))
			for j, m := range lp.TopLogprobs {
				top[j] = maps.Clone(m)
			}
			lp.TopLogprobs = top
		}
	}
	if r.Usage != nil {
		u := snapshotUsage(*r.Usage)
		r.Usage = &u
	}
	return r
}

// CreateCompletion is go-openai's CreateCompletion, recorded as an
// openai_createCompletion step with its cost and latency.
func (c *Client) CreateCompletion(ctx context.Context, request openai.CompletionRequest, opts ...CallOption) (CompletionResponse, error) {
	cc := c.config(opts)
	k, err := c.begin(ctx, cc)
	if err != nil {
		return CompletionResponse{}, err
	}
	request, rec, err := prepareCompletion(request, cc)
	if err != nil {
		return CompletionResponse{}, err
	}
	if k == nil {
		resp, err := c.oc.CreateCompletion(ctx, request)
		return CompletionResponse{CompletionResponse: resp}, err
	}
	start := k.runner.Now()
	resp, err := c.oc.CreateCompletion(ctx, request)
	end := k.runner.Now()
	rec.client, rec.request = c, snapshotCompletionRequest(request)
	if err == nil {
		snap := snapshotCompletionResponse(resp)
		rec.response = &snap
	}
	s := newStep(InvocationCompletion, start, end, err)
	s.Complete = rec.complete
	k.record(s)
	return CompletionResponse{CompletionResponse: resp, PipelineRunID: k.runID()}, err
}

func (r *completionRecord) complete(s *gentrace.Step) {
	s.Inputs, s.ModelParams = split(r.request, "prompt", "user")
	if r.template != nil {
		s.ModelParams["promptTemplate"] = *r.template
		s.Inputs["promptInputs"] = r.promptInputs
	}
	model := r.request.Model
	switch {
	case r.response != nil:
		s.Outputs = object(r.response)
		if r.response.Model != "" {
			model = r.response.Model
		}
		s.Usage = usageOf(r.response.Usage)
	case r.stream != nil:
		s.Outputs = r.stream.response()
		if r.stream.closedEarly {
			s.Outputs["closedEarly"] = true
		}
		if r.stream.model != "" {
			model = r.stream.model
		}
		s.Usage = usageOf(r.stream.usage)
		if s.Usage == nil && r.stream.chunks > 0 {
			s.Usage = r.estimate(model)
			s.Outputs["usage"] = usageOutput(s.Usage)
			s.Outputs["usageEstimated"] = true
		}
	default:
		s.Outputs = map[string]any{}
	}
	r.client.price(s, model)
}

func (r *completionRecord) estimate(model string) *gentrace.Usage {
	prompt := completionPromptTokens(model, r.request.Prompt).Tokens
	completion := 0
	for _, c := range r.stream.choices {
		completion += tokens.Completion(model, c.text.String()).Tokens
	}
	return &gentrace.Usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion, Estimated: true}
}

// CompletionStream is go-openai's completion stream, recorded like
// ChatCompletionStream.
type CompletionStream struct {
	stream        *openai.CompletionStream
	PipelineRunID string
	rec           *streamRecorder[openai.CompletionResponse]
}

// CreateCompletionStream is go-openai's CreateCompletionStream, recorded as
// an openai_createCompletion step once the stream ends.
func (c *Client) CreateCompletionStream(ctx context.Context, request openai.CompletionRequest, opts ...CallOption) (*CompletionStream, error) {
	cc := c.config(opts)
	k, err := c.begin(ctx, cc)
	if err != nil {
		return nil, err
	}
	request, rec, err := prepareCompletion(request, cc)
	if err != nil {
		return nil, err
	}
	var hideUsage bool
	request.StreamOptions, hideUsage = streamOptions(request.StreamOptions, cc.exactUsage)
	if k == nil {
		stream, err := c.oc.CreateCompletionStream(ctx, request)
		if err != nil {
			return nil, err
		}
		return &CompletionStream{stream: stream, rec: &streamRecorder[openai.CompletionResponse]{
			next: stream.Recv, usageOnly: completionUsageOnly, hideUsage: hideUsage}}, nil
	}
	start := k.runner.Now()
	stream, err := c.oc.CreateCompletionStream(ctx, request)
	request.Stream = true
	rec.client, rec.request = c, snapshotCompletionRequest(request)
	if err != nil {
		s := newStep(InvocationCompletion, start, k.runner.Now(), err)
		s.Complete = rec.complete
		k.record(s)
		return nil, err
	}
	rec.stream = &completionAggregate{}
	sr := &streamRecorder[openai.CompletionResponse]{next: stream.Recv, usageOnly: completionUsageOnly,
		call: k, start: start, hideUsage: hideUsage, invocation: InvocationCompletion,
		complete: rec.complete, closedEarly: &rec.stream.closedEarly, agg: rec.stream}
	return &CompletionStream{stream: stream, PipelineRunID: k.runID(), rec: sr}, nil
}

// Recv returns the next chunk exactly as go-openai does, io.EOF at the end.
func (s *CompletionStream) Recv() (openai.CompletionResponse, error) { return s.rec.recv() }

// Close closes the stream, as go-openai's Close; closing before the end is
// recorded as an early close.
func (s *CompletionStream) Close() error {
	err := s.stream.Close()
	s.rec.finish(errClosedEarly)
	return err
}

// Header returns the HTTP headers of the response.
func (s *CompletionStream) Header() map[string][]string { return s.stream.Header() }

// GetRateLimitHeaders returns OpenAI's rate limit headers.
func (s *CompletionStream) GetRateLimitHeaders() openai.RateLimitHeaders {
	return s.stream.GetRateLimitHeaders()
}
