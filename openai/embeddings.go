package openai

import (
	"context"
	"slices"

	gentrace "github.com/gentrace/gentrace-go"
	openai "github.com/sashabaranov/go-openai"
)

// EmbeddingResponse is go-openai's response with the ID of the run the call
// was recorded in (simple mode; "" otherwise).
type EmbeddingResponse struct {
	openai.EmbeddingResponse
	PipelineRunID string
}

// ModerationResponse is go-openai's response with the ID of the run the
// call was recorded in (simple mode; "" otherwise).
type ModerationResponse struct {
	openai.ModerationResponse
	PipelineRunID string
}

// modelCallRecord records a call whose inputs are its request without the
// model and whose model params are {model}.
type modelCallRecord struct {
	client   *Client
	model    string
	request  any
	response any // nil on error
	usage    *openai.Usage
}

func (r *modelCallRecord) complete(s *gentrace.Step) {
	s.Inputs = object(r.request)
	delete(s.Inputs, "model")
	s.ModelParams = map[string]any{"model": r.model}
	s.Outputs = map[string]any{}
	if r.response != nil {
		s.Outputs = object(r.response)
	}
	s.Usage = usageOf(r.usage)
	r.client.price(s, r.model)
}

// CreateEmbeddings is go-openai's CreateEmbeddings, recorded as an
// openai_createEmbedding step with its cost and latency.
func (c *Client) CreateEmbeddings(ctx context.Context, conv openai.EmbeddingRequestConverter, opts ...CallOption) (EmbeddingResponse, error) {
	k, err := c.begin(ctx, c.config(opts))
	if err != nil || k == nil {
		if err != nil {
			return EmbeddingResponse{}, err
		}
		resp, err := c.oc.CreateEmbeddings(ctx, conv)
		return EmbeddingResponse{EmbeddingResponse: resp}, err
	}
	request := conv.Convert()
	if in, ok := request.Input.([]string); ok {
		request.Input = slices.Clone(in)
	}
	start := k.runner.Now()
	resp, err := c.oc.CreateEmbeddings(ctx, request)
	end := k.runner.Now()
	rec := &modelCallRecord{client: c, model: string(request.Model), request: request}
	if err == nil {
		snap := resp
		snap.Data = slices.Clone(resp.Data)
		rec.response, rec.usage = &snap, &snap.Usage
		if resp.Model != "" {
			rec.model = string(resp.Model)
		}
	}
	s := newStep(InvocationEmbedding, start, end, err)
	s.Complete = rec.complete
	k.record(s)
	return EmbeddingResponse{EmbeddingResponse: resp, PipelineRunID: k.runID()}, err
}

// Moderations is go-openai's Moderations, recorded as an
// openai_createModeration step.
func (c *Client) Moderations(ctx context.Context, request openai.ModerationRequest, opts ...CallOption) (ModerationResponse, error) {
	k, err := c.begin(ctx, c.config(opts))
	if err != nil || k == nil {
		if err != nil {
			return ModerationResponse{}, err
		}
		resp, err := c.oc.Moderations(ctx, request)
		return ModerationResponse{ModerationResponse: resp}, err
	}
	start := k.runner.Now()
	resp, err := c.oc.Moderations(ctx, request)
	end := k.runner.Now()
	rec := &modelCallRecord{client: c, model: request.Model, request: request}
	if err == nil {
		snap := resp
		snap.Results = slices.Clone(resp.Results)
		rec.response = &snap
	}
	s := newStep(InvocationModeration, start, end, err)
	s.Complete = rec.complete
	k.record(s)
	return ModerationResponse{ModerationResponse: resp, PipelineRunID: k.runID()}, err
}
