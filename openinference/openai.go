package openinference

import (
	"encoding/json"

	gentrace "github.com/gentrace/gentrace-go"
	"go.opentelemetry.io/otel/attribute"
)

// The provider name and invocations the OpenAI wrapper records (package
// github.com/gentrace/gentrace-go/openai). They are repeated here rather
// than imported so that tracing does not pull in go-openai and the
// tokenizer vocabularies.
const (
	openAIProvider       = "openai"
	invocationChat       = "openai_createChatCompletion"
	invocationCompletion = "openai_createCompletion"
	invocationEmbedding  = "openai_createEmbedding"
	invocationModeration = "openai_createModeration"
)

// openAIStep adds the attributes of a recorded OpenAI call and returns the
// span's name. For an invocation it does not know it adds nothing and
// returns the invocation.
func (o *Observer) openAIStep(a *attrs, s *gentrace.Step) string {
	switch s.Invocation {
	case invocationChat:
		o.llm(a, s)
		if !o.cfg.hideInputs {
			messages(a, keyInputMessages, s.Inputs["messages"])
		}
		tools(a, s.Inputs["tools"])
		if !o.cfg.hideOutputs {
			var out struct {
				Choices []struct {
					Message json.RawMessage `json:"message"`
				} `json:"choices"`
			}
			decode(s.Outputs, &out)
			msgs := make([]json.RawMessage, len(out.Choices))
			for i, c := range out.Choices {
				msgs[i] = c.Message
			}
			messages(a, keyOutputMessages, msgs)
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
		a.str(keyProvider, openAIProvider)
		a.str(keySystem, openAIProvider)
	}
	if !o.cfg.hideInputs {
		a.object(keyInputValue, keyInputMimeType, s.Inputs)
	}
	if !o.cfg.hideOutputs {
		a.object(keyOutputValue, keyOutputMimeType, s.Outputs)
	}
	if c, ok := s.Cost(); ok {
		*a = append(*a, attribute.Float64(keyCostTotal, c.USD()))
	}
	if closed := false; decode(s.Outputs["closedEarly"], &closed) && closed {
		*a = append(*a, attribute.Bool(keyClosedEarly, true))
	}
}

// llm adds the attributes of a chat or completion call.
func (o *Observer) llm(a *attrs, s *gentrace.Step) {
	o.modelCall(a, s, kindLLM)
	a.json(keyInvocationParameters, s.ModelParams)
	if u := s.Usage; u != nil {
		*a = append(*a,
			attribute.Int(keyTokensPrompt, u.PromptTokens),
			attribute.Int(keyTokensCompletion, u.CompletionTokens),
			attribute.Int(keyTokensTotal, u.TotalTokens))
		if u.CachedPromptTokens > 0 {
			*a = append(*a, attribute.Int(keyTokensCacheRead, u.CachedPromptTokens))
		}
		if u.Estimated {
			*a = append(*a, attribute.Bool(keyTokensEstimated, true))
		}
	}
}

// embedding adds the attributes of an embeddings call.
func (o *Observer) embedding(a *attrs, s *gentrace.Step) {
	o.modelCall(a, s, kindEmbedding)
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
				Index     int       `json:"index"`
				Embedding []float64 `json:"embedding"`
			} `json:"data"`
		}
		decode(s.Outputs, &out)
		for _, d := range out.Data {
			if len(d.Embedding) > 0 {
				*a = append(*a, attribute.Float64Slice(indexed(keyEmbeddings, d.Index, "embedding.vector"), d.Embedding))
			}
		}
	}
}

// modelName is the model the response names, else the one requested.
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

// chatMessage is a chat message as go-openai encodes it.
type chatMessage struct {
	Role         string          `json:"role"`
	Content      json.RawMessage `json:"content"`
	Name         string          `json:"name"`
	ToolCallID   string          `json:"tool_call_id"`
	ToolCalls    []toolCall      `json:"tool_calls"`
	FunctionCall *functionCall   `json:"function_call"`
}

type toolCall struct {
	ID       string       `json:"id"`
	Function functionCall `json:"function"`
}

type functionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// contentPart is one part of a multi-part message content.
type contentPart struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	ImageURL *struct {
		URL string `json:"url"`
	} `json:"image_url"`
}

// messages adds a list of chat messages under list (llm.input_messages or
// llm.output_messages).
func messages(a *attrs, list string, v any) {
	var msgs []chatMessage
	if !decode(v, &msgs) {
		return
	}
	for i, m := range msgs {
		key := func(suffix string) string { return indexed(list, i, suffix) }
		a.str(key("message.role"), m.Role)
		var text string
		var parts []contentPart
		switch {
		case json.Unmarshal(m.Content, &text) == nil:
			a.str(key("message.content"), text)
		case json.Unmarshal(m.Content, &parts) == nil:
			for j, p := range parts {
				part := func(suffix string) string { return key(indexed("message.contents", j, suffix)) }
				switch {
				case p.Type == "text":
					a.str(part("message_content.type"), "text")
					a.str(part("message_content.text"), p.Text)
				case p.ImageURL != nil:
					a.str(part("message_content.type"), "image")
					a.str(part("message_content.image.image.url"), p.ImageURL.URL)
				default:
					a.str(part("message_content.type"), p.Type)
				}
			}
		}
		a.str(key("message.name"), m.Name)
		a.str(key("message.tool_call_id"), m.ToolCallID)
		for j, tc := range m.ToolCalls {
			call := func(suffix string) string { return key(indexed("message.tool_calls", j, suffix)) }
			a.str(call("tool_call.id"), tc.ID)
			a.str(call("tool_call.function.name"), tc.Function.Name)
			a.str(call("tool_call.function.arguments"), tc.Function.Arguments)
		}
		if fc := m.FunctionCall; fc != nil {
			a.str(key("message.function_call_name"), fc.Name)
			a.str(key("message.function_call_arguments_json"), fc.Arguments)
		}
	}
}

// tools adds the tool definitions offered to the model, each as its JSON
// schema (llm.tools.{i}.tool.json_schema).
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
