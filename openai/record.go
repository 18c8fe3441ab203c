package openai

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	openai "github.com/sashabaranov/go-openai"
)

// Invocations of the steps the wrapper records.
const (
	ProviderName             = "openai"
	InvocationChatCompletion = "openai_createChatCompletion"
	InvocationCompletion     = "openai_createCompletion"
	InvocationEmbedding      = "openai_createEmbedding"
	InvocationModeration     = "openai_createModeration"
)

// split encodes a request snapshot and divides its fields: the named ones
// become inputs, every other field becomes model params. It runs when the
// step is completed, off the caller's path.
func split(request any, inputKeys ...string) (inputs, params map[string]any) {
	inputs, params = map[string]any{}, map[string]any{}
	data, err := json.Marshal(request)
	if err != nil {
		params["encodingError"] = err.Error()
		return inputs, params
	}
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(data, &fields)
	for k, v := range fields {
		if slices.Contains(inputKeys, k) {
			inputs[k] = v
		} else {
			params[k] = v
		}
	}
	return inputs, params
}

// object encodes v as a JSON object for a step's outputs.
func object(v any) map[string]any {
	data, err := json.Marshal(v)
	if err != nil {
		return map[string]any{"encodingError": err.Error()}
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return map[string]any{"value": json.RawMessage(data)}
	}
	out := make(map[string]any, len(fields)+1)
	for k, v := range fields {
		out[k] = v
	}
	return out
}

// step is what every OpenAI step starts with.
func newStep(invocation string, start, end time.Time, err error) gentrace.Step {
	s := gentrace.Step{
		ProviderName: ProviderName,
		Invocation:   invocation,
		StartTime:    start,
		EndTime:      end,
	}
	if err != nil {
		s.Error = err.Error()
	}
	return s
}

// usageOf converts go-openai's usage.
func usageOf(u *openai.Usage) *gentrace.Usage {
	if u == nil || (u.PromptTokens == 0 && u.CompletionTokens == 0 && u.TotalTokens == 0) {
		return nil
	}
	out := &gentrace.Usage{
		PromptTokens:     u.PromptTokens,
		CompletionTokens: u.CompletionTokens,
		TotalTokens:      u.TotalTokens,
	}
	if u.PromptTokensDetails != nil {
		out.CachedPromptTokens = u.PromptTokensDetails.CachedTokens
	}
	return out
}

// price puts the cost of the step's usage in its outputs, or warns once per
// model that has no price: an unknown model has no cost, never 0.
func (c *Client) price(s *gentrace.Step, model string) {
	if s.Usage == nil || model == "" {
		return
	}
	p, _, ok := c.prices.Lookup(model)
	if !ok {
		if _, seen := c.warned.LoadOrStore(model, true); !seen {
			logger := c.gentraceClient()
			if logger != nil {
				logger.Logger().Warn("gentrace: no price for model; its steps have no cost (add one with openai.WithPriceTable)",
					"model", model, "prices_as_of", c.prices.AsOf())
			}
		}
		return
	}
	u := s.Usage
	s.Outputs["cost"] = gentrace.Dollars(p.Cost(u.PromptTokens, u.CachedPromptTokens, u.CompletionTokens))
}

// usageOutput is the usage recorded in outputs for estimated usage.
func usageOutput(u *gentrace.Usage) map[string]any {
	return map[string]any{
		"prompt_tokens":     u.PromptTokens,
		"completion_tokens": u.CompletionTokens,
		"total_tokens":      u.TotalTokens,
	}
}

// The snapshots below copy what a caller could change after the call
// (slices, maps, pointed-to structs); strings are immutable and shared.

func snapshotMessages(msgs []openai.ChatCompletionMessage) []openai.ChatCompletionMessage {
	out := slices.Clone(msgs)
	for i := range out {
		m := &out[i]
		m.MultiContent = slices.Clone(m.MultiContent)
		for j := range m.MultiContent {
			if img := m.MultiContent[j].ImageURL; img != nil {
				copied := *img
				m.MultiContent[j].ImageURL = &copied
			}
		}
		m.ToolCalls = snapshotToolCalls(m.ToolCalls)
		if m.FunctionCall != nil {
			fc := *m.FunctionCall
			m.FunctionCall = &fc
		}
	}
	return out
}

func snapshotToolCalls(calls []openai.ToolCall) []openai.ToolCall {
	out := slices.Clone(calls)
	for i := range out {
		if out[i].Index != nil {
			idx := *out[i].Index
			out[i].Index = &idx
		}
	}
	return out
}

func snapshotChatRequest(r openai.ChatCompletionRequest) openai.ChatCompletionRequest {
	r.Messages = snapshotMessages(r.Messages)
	r.Stop = slices.Clone(r.Stop)
	r.LogitBias = maps.Clone(r.LogitBias)
	r.Metadata = maps.Clone(r.Metadata)
	r.ChatTemplateKwargs = maps.Clone(r.ChatTemplateKwargs)
	r.Functions = slices.Clone(r.Functions)
	r.Tools = slices.Clone(r.Tools)
	for i := range r.Tools {
		if f := r.Tools[i].Function; f != nil {
			copied := *f
			r.Tools[i].Function = &copied
		}
	}
	if r.ResponseFormat != nil {
		rf := *r.ResponseFormat
		r.ResponseFormat = &rf
	}
	if r.StreamOptions != nil {
		so := *r.StreamOptions
		r.StreamOptions = &so
	}
	if r.Seed != nil {
		seed := *r.Seed
		r.Seed = &seed
	}
	return r
}

func snapshotChatResponse(r openai.ChatCompletionResponse) openai.ChatCompletionResponse {
	r.Choices = slices.Clone(r.Choices)
	for i := range r.Choices {
		msg := snapshotMessages([]openai.ChatCompletionMessage{r.Choices[i].Message})
		r.Choices[i].Message = msg[0]
	}
	if d := r.Usage.PromptTokensDetails; d != nil {
		copied := *d
		r.Usage.PromptTokensDetails = &copied
	}
	if d := r.Usage.CompletionTokensDetails; d != nil {
		copied := *d
		r.Usage.CompletionTokensDetails = &copied
	}
	return r
}
