package openinference

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"maps"
	"math"
	"strconv"

	gentrace "github.com/gentrace/gentrace-go"
	"go.opentelemetry.io/otel/attribute"
)

// The provider name and invocations of the OpenAI calls that package
// github.com/gentrace/gentrace-go/openaihttp records. They are repeated
// here rather than imported so that tracing does not link in the recorder's
// tokenizer vocabularies; a test checks that they match.
const (
	openAIProvider          = "openai"
	invocationChat          = "openai_createChatCompletion"
	invocationCompletion    = "openai_createCompletion"
	invocationEmbedding     = "openai_createEmbedding"
	invocationModeration    = "openai_createModeration"
	invocationResponse      = "openai_createResponse"
	invocationImage         = "openai_createImage"
	invocationTranscription = "openai_createTranscription"
	invocationTranslation   = "openai_createTranslation"
	invocationSpeech        = "openai_createSpeech"
)

// openAIStep adds the attributes of a recorded OpenAI call and returns the
// span's name. For an invocation it does not know it adds nothing and
// returns the invocation.
func (o *Observer) openAIStep(a *attrs, s *gentrace.Step) string {
	switch s.Invocation {
	case invocationChat:
		o.llm(a, s)
		tools(a, s.Inputs["tools"])
		if !o.cfg.hideInputs {
			writeMessages(a, keyInputMessages, chatMessages(s.Inputs["messages"]))
		}
		if !o.cfg.hideOutputs {
			var out struct {
				Choices []struct {
					Message json.RawMessage `json:"message"`
				} `json:"choices"`
			}
			decode(s.Outputs, &out)
			raw := make([]json.RawMessage, len(out.Choices))
			for i, c := range out.Choices {
				raw[i] = c.Message
			}
			writeMessages(a, keyOutputMessages, chatMessages(raw))
		}
		return "ChatCompletion"
	case invocationCompletion:
		o.llm(a, s)
		if !o.cfg.hideInputs {
			for i, p := range textList(s.Inputs["prompt"]) {
				a.str(indexed(keyPrompts, i, "prompt.text"), p)
			}
		}
		if !o.cfg.hideOutputs {
			var out struct {
				Choices []struct {
					Text string `json:"text"`
				} `json:"choices"`
			}
			decode(s.Outputs, &out)
			for i, c := range out.Choices {
				a.str(indexed(keyChoices, i, "completion.text"), c.Text)
			}
		}
		return "Completion"
	case invocationResponse:
		o.llm(a, s)
		tools(a, s.Inputs["tools"])
		if !o.cfg.hideInputs {
			writeMessages(a, keyInputMessages, responseInput(s.Inputs["instructions"], s.Inputs["input"]))
		}
		if !o.cfg.hideOutputs {
			writeMessages(a, keyOutputMessages, responseOutput(s.Outputs["output"]))
		}
		return "Response"
	case invocationEmbedding:
		o.embedding(a, s)
		return "CreateEmbeddings"
	case invocationModeration:
		o.modelCall(a, s, kindGuardrail)
		a.json(keyInvocationParameters, s.ModelParams)
		var out struct {
			Results []struct {
				Flagged bool `json:"flagged"`
			} `json:"results"`
		}
		if decode(s.Outputs, &out) && len(out.Results) > 0 {
			flagged := false
			for _, r := range out.Results {
				flagged = flagged || r.Flagged
			}
			*a = append(*a, attribute.Bool(keyFlagged, flagged))
		}
		return "Moderation"
	case invocationImage:
		o.llm(a, s)
		return "Image"
	case invocationTranscription:
		o.llm(a, s)
		return "Transcription"
	case invocationTranslation:
		o.llm(a, s)
		return "Translation"
	case invocationSpeech:
		o.llm(a, s)
		return "Speech"
	}
	return s.Invocation
}

// modelCall adds what every OpenAI span carries: its kind, model, system
// and provider, inputs and outputs as JSON, cost and the stream flags.
func (o *Observer) modelCall(a *attrs, s *gentrace.Step, kind string) {
	a.str(keySpanKind, kind)
	if kind == kindEmbedding {
		// OpenInference names the model of an embedding span with
		// embedding.model_name, and leaves llm.system and llm.provider out.
		a.str(keyEmbeddingModelName, modelName(s))
	} else {
		a.str(keyModelName, modelName(s))
		provider := s.Platform // "azure" for Azure OpenAI: the API is still OpenAI's
		if provider == "" {
			provider = openAIProvider
		}
		a.str(keyProvider, provider)
		a.str(keySystem, openAIProvider)
	}
	if !o.cfg.hideInputs {
		a.object(keyInputValue, keyInputMimeType, s.Inputs)
	}
	if !o.cfg.hideOutputs {
		a.object(keyOutputValue, keyOutputMimeType, withoutBinary(s))
	}
	if c, ok := s.Cost(); ok {
		*a = append(*a, attribute.Float64(keyCostTotal, c.USD()))
	}
	if closed := false; decode(s.Outputs["closedEarly"], &closed) && closed {
		*a = append(*a, attribute.Bool(keyClosedEarly, true))
	}
}

// llm adds the attributes of a call that is an LLM span: chat,
// completions, Responses, images and audio.
func (o *Observer) llm(a *attrs, s *gentrace.Step) {
	o.modelCall(a, s, kindLLM)
	a.json(keyInvocationParameters, s.ModelParams)
	u := s.Usage
	if u == nil {
		return
	}
	*a = append(*a,
		attribute.Int(keyTokensPrompt, u.PromptTokens),
		attribute.Int(keyTokensCompletion, u.CompletionTokens),
		attribute.Int(keyTokensTotal, u.TotalTokens))
	d := detailsOf(s.Outputs["usage"])
	// The answer's usage says which details it has, zeros included; the
	// step's usage is the fallback for steps whose outputs were reshaped
	// (gentrace.WithTransform).
	if d.cacheRead == nil && u.CachedPromptTokens > 0 {
		d.cacheRead = &u.CachedPromptTokens
	}
	if d.reasoning == nil && u.ReasoningTokens > 0 {
		d.reasoning = &u.ReasoningTokens
	}
	for _, kv := range []struct {
		key string
		n   *int
	}{
		{keyTokensCacheRead, d.cacheRead},
		{keyTokensPromptAudio, d.promptAudio},
		{keyTokensReasoning, d.reasoning},
		{keyTokensCompletionAudio, d.completionAudio},
	} {
		if kv.n != nil {
			*a = append(*a, attribute.Int(kv.key, *kv.n))
		}
	}
	if u.Estimated {
		*a = append(*a, attribute.Bool(keyTokensEstimated, true))
		if len(u.EstimateOmits) > 0 {
			*a = append(*a, attribute.StringSlice(keyTokensEstimateOmits, u.EstimateOmits))
		}
	}
}

// tokenDetails are the token details of an answer's usage, nil where the
// answer does not have them.
type tokenDetails struct {
	cacheRead, promptAudio, reasoning, completionAudio *int
}

// detailsOf reads the token details of a usage object in any of OpenAI's
// shapes: chat and completions (prompt_tokens_details,
// completion_tokens_details), Responses and images (input_tokens_details,
// output_tokens_details) and audio (input_token_details).
func detailsOf(usage any) tokenDetails {
	type counts struct {
		Cached    *int `json:"cached_tokens"`
		Audio     *int `json:"audio_tokens"`
		Reasoning *int `json:"reasoning_tokens"`
	}
	var u struct {
		Prompt      *counts `json:"prompt_tokens_details"`
		Input       *counts `json:"input_tokens_details"`
		InputAudio  *counts `json:"input_token_details"`
		Completion  *counts `json:"completion_tokens_details"`
		Output      *counts `json:"output_tokens_details"`
		OutputAudio *counts `json:"output_token_details"`
	}
	if !decode(usage, &u) {
		return tokenDetails{}
	}
	first := func(list ...*counts) counts {
		for _, c := range list {
			if c != nil {
				return *c
			}
		}
		return counts{}
	}
	in := first(u.Prompt, u.Input, u.InputAudio)
	out := first(u.Completion, u.Output, u.OutputAudio)
	return tokenDetails{cacheRead: in.Cached, promptAudio: in.Audio, reasoning: out.Reasoning, completionAudio: out.Audio}
}

// withoutBinary returns the outputs shown as output.value: the step's,
// except that base64 images and audio in an answer are replaced by their
// length, so that no image or sound travels in a span attribute: the
// b64_json of an images answer, the result of a Responses
// image_generation_call item, and the audio data of a chat message.
func withoutBinary(s *gentrace.Step) map[string]any {
	var key string
	var patch func(item map[string]json.RawMessage) bool
	switch s.Invocation {
	case invocationImage:
		key = "data"
		patch = func(it map[string]json.RawMessage) bool { return leaveOut(it, "b64_json") }
	case invocationResponse:
		key = "output"
		patch = func(it map[string]json.RawMessage) bool {
			return string(it["type"]) == `"image_generation_call"` && leaveOut(it, "result")
		}
	case invocationChat:
		key = "choices"
		patch = func(it map[string]json.RawMessage) bool {
			var msg, audio map[string]json.RawMessage
			if json.Unmarshal(it["message"], &msg) != nil || json.Unmarshal(msg["audio"], &audio) != nil || !leaveOut(audio, "data") {
				return false
			}
			msg["audio"], _ = json.Marshal(audio)
			it["message"], _ = json.Marshal(msg)
			return true
		}
	default:
		return s.Outputs
	}
	var list []map[string]json.RawMessage
	if !decode(s.Outputs[key], &list) {
		return s.Outputs
	}
	changed := false
	for _, it := range list {
		if patch(it) {
			changed = true
		}
	}
	if !changed {
		return s.Outputs
	}
	out := maps.Clone(s.Outputs)
	out[key] = list
	return out
}

// leaveOut replaces the base64 string m[field] by a note of its length,
// and reports whether there was one.
func leaveOut(m map[string]json.RawMessage, field string) bool {
	var b64 string
	if json.Unmarshal(m[field], &b64) != nil || b64 == "" {
		return false
	}
	m[field], _ = json.Marshal("(" + strconv.Itoa(len(b64)) + " base64 characters left out)")
	return true
}

// embedding adds the attributes of an embeddings call.
func (o *Observer) embedding(a *attrs, s *gentrace.Step) {
	o.modelCall(a, s, kindEmbedding)
	// Every request field but the input: model, dimensions,
	// encoding_format, user.
	a.json(keyEmbeddingInvocationParameters, s.ModelParams)
	if u := s.Usage; u != nil {
		*a = append(*a,
			attribute.Int(keyTokensPrompt, u.PromptTokens),
			attribute.Int(keyTokensTotal, u.TotalTokens))
	}
	if !o.cfg.hideInputs {
		// Only text inputs: token arrays are not decoded.
		for i, text := range textList(s.Inputs["input"]) {
			a.str(indexed(keyEmbeddings, i, "embedding.text"), text)
		}
	}
	if !o.cfg.hideOutputs && !o.cfg.hideVectors {
		var out struct {
			Data []struct {
				Index     int             `json:"index"`
				Embedding json.RawMessage `json:"embedding"`
			} `json:"data"`
		}
		decode(s.Outputs, &out)
		for _, d := range out.Data {
			if v := vector(d.Embedding); len(v) > 0 {
				*a = append(*a, attribute.Float64Slice(indexed(keyEmbeddings, d.Index, "embedding.vector"), v))
			}
		}
	}
}

// vector decodes an embedding as OpenAI sends it: a list of numbers, or,
// with encoding_format "base64", the base64 of little-endian float32s.
func vector(raw json.RawMessage) []float64 {
	var v []float64
	if json.Unmarshal(raw, &v) == nil {
		return v
	}
	var b64 string
	if json.Unmarshal(raw, &b64) != nil {
		return nil
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(data)%4 != 0 {
		return nil
	}
	v = make([]float64, len(data)/4)
	for i := range v {
		v[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:])))
	}
	return v
}

// modelName is the model the response names, else the one requested (an
// Azure deployment's answer names the model behind it).
func modelName(s *gentrace.Step) string {
	if m, ok := stringOf(s.Outputs["model"]); ok && m != "" {
		return m
	}
	m, _ := stringOf(s.ModelParams["model"])
	return m
}

// textList returns a prompt or embedding input that is a string or a list
// of strings as a list; anything else (token arrays) as nil.
func textList(v any) []string {
	if s, ok := stringOf(v); ok {
		return []string{s}
	}
	var list []string
	if decode(v, &list) {
		return list
	}
	return nil
}

// tools adds the tool definitions offered to the model, each as its JSON
// schema (llm.tools.{i}.tool.json_schema): chat's {"type":"function",
// "function":{...}} and the Responses API's flat {"type":"function",
// "name":...} alike.
func tools(a *attrs, v any) {
	var list []json.RawMessage
	if !decode(v, &list) {
		return
	}
	for i, t := range list {
		var compact any
		if json.Unmarshal(t, &compact) == nil {
			a.json(indexed(keyTools, i, "tool.json_schema"), compact)
		}
	}
}
