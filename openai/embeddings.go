package openai

import (
	"cmp"
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
	model    string // the request's
	priced   string // the response's, or ""
	request  any
	response any // nil on error
	usage    *openai.Usage
}

func (r *modelCallRecord) complete(s *gentrace.Step) {
	s.Inputs = object(r.request)
	delete(s.Inputs, "model")
	if extra, ok := r.request.(openai.EmbeddingRequest); ok && extra.ExtraBody != nil {
		// go-openai sends ExtraBody's fields at the top level of the body.
		delete(s.Inputs, "extra_body")
		for k, v := range extra.ExtraBody {
			if k != "model" {
				s.Inputs[k] = v
			}
		}
	}
	// A moderation request may leave the model to OpenAI's default; the
	// response names it.
	s.ModelParams = map[string]any{"model": cmp.Or(r.model, r.priced)}
	s.Outputs = map[string]any{}
	if r.response != nil {
		s.Outputs = object(r.response)
	}
	s.Usage = usageOf(r.usage)
	r.client.price(s, cmp.Or(r.priced, r.model))
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
	switch in := request.Input.(type) {
	case []string:
		request.Input = slices.Clone(in)
	case []int:
		request.Input = slices.Clone(in)
	case [][]int:
		inputs := make([][]int, len(in))
		for i := range in {
			inputs[i] = slices.Clone(in[i])
		}
		request.Input = inputs
	default:
		request.Input = cloneValue(in)
	}
	request.ExtraBody, _ = cloneValue(request.ExtraBody).(map[string]any)
	callCtx, cp := c.withCapture(ctx)
	start := k.runner.Now()
	resp, err := c.oc.CreateEmbeddings(callCtx, request)
	end := k.runner.Now()
	rec := &modelCallRecord{client: c, model: string(request.Model), request: request}
	if err == nil {
		if raw := cp.answer(); raw != nil {
			// The vectors are recorded as OpenAI sent them: no copy of
			// the floats, no encoding them again.
			u := resp.Usage
			rec.response, rec.usage = raw, &u
		} else {
			snap := snapshotEmbeddings(resp)
			rec.response, rec.usage = &snap, &snap.Usage
		}
		rec.priced = string(resp.Model)
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
		rec.priced = resp.Model
	}
	s := newStep(InvocationModeration, start, end, err)
	s.Complete = rec.complete
	k.record(s)
	return ModerationResponse{ModerationResponse: resp, PipelineRunID: k.runID()}, err
}

// snapshotEmbeddings copies the response's vectors, in one allocation.
func snapshotEmbeddings(r openai.EmbeddingResponse) openai.EmbeddingResponse {
	n := 0
	for _, e := range r.Data {
		n += len(e.Embedding)
	}
	floats := make([]float32, 0, n)
	r.Data = slices.Clone(r.Data)
	for i := range r.Data {
		v := r.Data[i].Embedding
		if v == nil {
			continue
		}
		start := len(floats)
		floats = append(floats, v...)
		r.Data[i].Embedding = floats[start:len(floats):len(floats)]
	}
	r.Usage = snapshotUsage(r.Usage)
	return r
}
