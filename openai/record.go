package openai

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/pricing"
	openai "github.com/sashabaranov/go-openai"
	"github.com/sashabaranov/go-openai/jsonschema"
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
	eachField(request, func(k string, v json.RawMessage) {
		if slices.Contains(inputKeys, k) {
			inputs[k] = v
		} else {
			params[k] = v
		}
	}, func(err error) { params["encodingError"] = err.Error() })
	return inputs, params
}

// object encodes v as a JSON object for a step's outputs; a value that does
// not encode to an object is wrapped as {"value": v}.
func object(v any) map[string]any {
	out := map[string]any{}
	eachField(v, func(k string, raw json.RawMessage) { out[k] = raw },
		func(err error) { out["encodingError"] = err.Error() })
	return out
}

// eachField encodes v once and calls field with each member of the
// resulting JSON object, in order, as a json.RawMessage sharing the encoded
// bytes (no copy, no second decoding). A value that encodes to something
// other than an object is passed as the member "value"; the error of a
// value that cannot be encoded is passed to fail.
func eachField(v any, field func(key string, value json.RawMessage), fail func(error)) {
	data, err := json.Marshal(v)
	if err != nil {
		fail(err)
		return
	}
	if len(data) == 0 || data[0] != '{' {
		field("value", data)
		return
	}
	if !members(data, field) {
		// Unreachable for encoding/json's compact output; decode properly
		// rather than guess.
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(data, &fields); err != nil {
			fail(err)
			return
		}
		for k, raw := range fields {
			field(k, raw)
		}
	}
}

// members walks the compact JSON object data, as encoding/json produces
// it, and calls field with each member. It reports false, having called
// field for no member, when data is not such an object.
func members(data []byte, field func(key string, value json.RawMessage)) bool {
	type member struct {
		key   string
		value json.RawMessage
	}
	var found []member
	i := 1 // past '{'
	for i < len(data) && data[i] != '}' {
		if data[i] != '"' {
			return false
		}
		end := skipString(data, i)
		if end < 0 || end >= len(data) || data[end] != ':' {
			return false
		}
		key, ok := unquote(data[i:end])
		if !ok {
			return false
		}
		start := end + 1
		stop := skipValue(data, start)
		if stop <= start || stop >= len(data) {
			return false
		}
		found = append(found, member{key, data[start:stop:stop]})
		i = stop
		if data[i] == ',' {
			i++
		}
	}
	if i != len(data)-1 {
		return false
	}
	for _, m := range found {
		field(m.key, m.value)
	}
	return true
}

// skipString returns the index just past the JSON string starting at
// data[i] (a quote), or -1.
func skipString(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipValue returns the index just past the compact JSON value starting at
// data[i], or -1.
func skipValue(data []byte, i int) int {
	depth := 0
	for j := i; j < len(data); j++ {
		switch data[j] {
		case '"':
			end := skipString(data, j)
			if end < 0 {
				return -1
			}
			if depth == 0 {
				return end
			}
			j = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return j // the end of the enclosing object
			}
			depth--
			if depth == 0 {
				return j + 1
			}
		case ',':
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// unquote decodes a JSON string literal, quickly when it has no escapes.
func unquote(lit []byte) (string, bool) {
	if len(lit) < 2 {
		return "", false
	}
	if !bytes.ContainsRune(lit, '\\') {
		return string(lit[1 : len(lit)-1]), true
	}
	var s string
	return s, json.Unmarshal(lit, &s) == nil
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
// model that has no price: an unknown model has no cost, never 0. A step
// without usage has a cost only when its model is free (moderations, which
// report no usage, cost 0); a failed call without usage is not priced.
func (c *Client) price(s *gentrace.Step, model string) {
	if model == "" || (s.Usage == nil && s.Error != "") {
		return
	}
	p, _, ok := c.prices.Lookup(model)
	if !ok {
		if _, seen := c.warned.LoadOrStore(model, true); !seen {
			if gc := c.gentraceClient(); gc != nil {
				gc.Logger().Warn("gentrace: no price for model; its steps have no cost (add one with openai.WithPriceTable)",
					"model", model, "prices_as_of", c.prices.AsOf())
			}
		}
		return
	}
	switch u := s.Usage; {
	case u != nil:
		s.Outputs["cost"] = gentrace.Dollars(roundCost(p.Cost(pricing.Usage{
			InputTokens: u.PromptTokens, CachedInputTokens: u.CachedPromptTokens, OutputTokens: u.CompletionTokens})))
	case p == (pricing.Price{}):
		s.Outputs["cost"] = gentrace.Dollars(0)
	}
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
// Values of type any (tool parameters, tool_choice, ...) are copied when
// they are JSON-like (maps, slices, raw JSON, jsonschema definitions);
// values of other types are shared with the caller.

func snapshotMessages(msgs []openai.ChatCompletionMessage) []openai.ChatCompletionMessage {
	out := slices.Clone(msgs)
	for i := range out {
		snapshotMessage(&out[i])
	}
	return out
}

func snapshotMessage(m *openai.ChatCompletionMessage) {
	if m.MultiContent != nil {
		m.MultiContent = slices.Clone(m.MultiContent)
		for j := range m.MultiContent {
			if img := m.MultiContent[j].ImageURL; img != nil {
				copied := *img
				m.MultiContent[j].ImageURL = &copied
			}
		}
	}
	m.ToolCalls = snapshotToolCalls(m.ToolCalls)
	m.FunctionCall = clonePtr(m.FunctionCall)
}

func snapshotToolCalls(calls []openai.ToolCall) []openai.ToolCall {
	if calls == nil {
		return nil
	}
	out := slices.Clone(calls)
	for i := range out {
		out[i].Index = clonePtr(out[i].Index)
	}
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	copied := *p
	return &copied
}

func snapshotFunction(f openai.FunctionDefinition) openai.FunctionDefinition {
	f.Parameters = cloneValue(f.Parameters)
	return f
}

func snapshotChatRequest(r openai.ChatCompletionRequest) openai.ChatCompletionRequest {
	r.Messages = snapshotMessages(r.Messages)
	r.Stop = slices.Clone(r.Stop)
	r.LogitBias = maps.Clone(r.LogitBias)
	r.Metadata = maps.Clone(r.Metadata)
	r.ChatTemplateKwargs, _ = cloneValue(r.ChatTemplateKwargs).(map[string]any)
	r.GuidedChoice = slices.Clone(r.GuidedChoice)
	snapshotLegacyFunctions(&r)
	if r.Tools != nil {
		r.Tools = slices.Clone(r.Tools)
		for i := range r.Tools {
			t := &r.Tools[i]
			if t.Function != nil {
				f := snapshotFunction(*t.Function)
				t.Function = &f
			}
			t.Parameters, _ = cloneValue(t.Parameters).(map[string]any)
		}
	}
	r.ToolChoice = cloneValue(r.ToolChoice)
	r.ParallelToolCalls = cloneValue(r.ParallelToolCalls)
	if r.ResponseFormat != nil {
		rf := *r.ResponseFormat
		if rf.JSONSchema != nil {
			js := *rf.JSONSchema
			if v, ok := cloneValue(js.Schema).(json.Marshaler); ok {
				js.Schema = v
			}
			rf.JSONSchema = &js
		}
		r.ResponseFormat = &rf
	}
	r.StreamOptions = clonePtr(r.StreamOptions)
	r.Seed = clonePtr(r.Seed)
	r.Prediction = clonePtr(r.Prediction)
	return r
}

// snapshotLegacyFunctions copies the deprecated functions and function_call
// fields, which go-openai still sends.
func snapshotLegacyFunctions(r *openai.ChatCompletionRequest) {
	//lint:ignore SA1019 deprecated fields are still sent, so they are recorded.
	functions, call := r.Functions, r.FunctionCall
	if functions != nil {
		functions = slices.Clone(functions)
		for i := range functions {
			functions[i] = snapshotFunction(functions[i])
		}
	}
	//lint:ignore SA1019 deprecated fields are still sent, so they are recorded.
	r.Functions, r.FunctionCall = functions, cloneValue(call)
}

// cloneValue deep-copies the JSON-like values found in go-openai's fields
// of type any; other values are returned as they are.
func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return v
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = cloneValue(e)
		}
		return out
	case []any:
		if v == nil {
			return v
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneValue(e)
		}
		return out
	case map[string]string:
		return maps.Clone(v)
	case []string:
		return slices.Clone(v)
	case json.RawMessage:
		return slices.Clone(v)
	case []byte:
		return slices.Clone(v)
	case jsonschema.Definition:
		return cloneDefinition(v)
	case *jsonschema.Definition:
		if v == nil {
			return v
		}
		d := cloneDefinition(*v)
		return &d
	case *openai.ToolChoice:
		return clonePtr(v)
	}
	return v
}

func cloneDefinition(d jsonschema.Definition) jsonschema.Definition {
	d.Enum = slices.Clone(d.Enum)
	d.Required = slices.Clone(d.Required)
	d.Properties = cloneDefinitions(d.Properties)
	d.Defs = cloneDefinitions(d.Defs)
	if d.Items != nil {
		items := cloneDefinition(*d.Items)
		d.Items = &items
	}
	d.AdditionalProperties = cloneValue(d.AdditionalProperties)
	if d.AnyOf != nil {
		d.AnyOf = slices.Clone(d.AnyOf)
		for i := range d.AnyOf {
			d.AnyOf[i] = cloneDefinition(d.AnyOf[i])
		}
	}
	return d
}

func cloneDefinitions(m map[string]jsonschema.Definition) map[string]jsonschema.Definition {
	if m == nil {
		return nil
	}
	out := make(map[string]jsonschema.Definition, len(m))
	for k, d := range m {
		out[k] = cloneDefinition(d)
	}
	return out
}

func snapshotChatResponse(r openai.ChatCompletionResponse) openai.ChatCompletionResponse {
	r.Choices = slices.Clone(r.Choices)
	for i := range r.Choices {
		c := &r.Choices[i]
		snapshotMessage(&c.Message)
		if c.LogProbs != nil {
			lp := openai.LogProbs{Content: slices.Clone(c.LogProbs.Content)}
			for j := range lp.Content {
				lp.Content[j].Bytes = slices.Clone(lp.Content[j].Bytes)
				lp.Content[j].TopLogProbs = slices.Clone(lp.Content[j].TopLogProbs)
			}
			c.LogProbs = &lp
		}
	}
	r.PromptFilterResults = slices.Clone(r.PromptFilterResults)
	r.Usage = snapshotUsage(r.Usage)
	return r
}

func snapshotUsage(u openai.Usage) openai.Usage {
	u.PromptTokensDetails = clonePtr(u.PromptTokensDetails)
	u.CompletionTokensDetails = clonePtr(u.CompletionTokensDetails)
	return u
}

// roundCost keeps 12 significant digits, far below a cent, so that float
// noise (0.000007049999999999999) does not reach the payload.
func roundCost(usd float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(usd, 'g', 12, 64), 64)
	if err != nil {
		return usd
	}
	return r
}
