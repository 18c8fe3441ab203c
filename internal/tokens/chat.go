package tokens

import (
	"bytes"
	"encoding/json"
	"strings"
)

// ChatPrompt estimates the prompt tokens of a chat completion request:
//
//   - every message costs the format's per-message tokens, its role, its
//     text (content or text parts, refusal) and its name (plus one);
//   - a function or tool result is headed by the function's name (for a
//     tool message, the name of the call its tool_call_id answers);
//   - an assistant message's function_call or tool calls cost their names
//     and arguments, framed as the model writes them (several calls in
//     the multi_tool_use wrapper, see [ChatCompletion]);
//   - images cost what OpenAI's vision rule gives for their size (see
//     [ImageTokens]); a remote image, whose size is unknown, is counted at
//     the low-detail budget and reported in Unmeasured, as are audio and
//     file parts;
//   - the function definitions (tools of type function, or the legacy
//     functions) are rendered into the TypeScript-like namespace the model
//     reads and counted, with the format's framing; tool_choice or
//     function_call "none" or naming a function adds its tokens;
//   - the reply is primed.
//
// model is the request's model when empty.
func ChatPrompt(model string, req *ChatRequest) Estimate {
	if model == "" {
		model = req.Model
	}
	enc := EncodingForModel(model)
	f := formatFor(enc)
	var est Estimate

	var fns []Function
	for _, t := range req.Tools {
		if fn, ok := t.Func(); ok {
			fns = append(fns, fn)
		} else {
			est.note("tool of type %q not counted (its rendering is not published)", t.Type)
		}
	}
	fns = append(fns, req.Functions...)

	callNames := map[string]string{} // tool_call_id → function name
	for _, m := range req.Messages {
		for _, c := range m.ToolCalls {
			if c.ID != "" {
				callNames[c.ID] = c.Function.Name
			}
		}
	}

	padded, hasSystem := false, false
	for i := range req.Messages {
		m := &req.Messages[i]
		system := m.Role == "system" || m.Role == "developer"
		hasSystem = hasSystem || system
		pad := false
		if system && len(fns) > 0 && !padded {
			pad, padded = true, true
		}
		est.merge(f.message(enc, model, m, pad, callNames))
	}
	est.Tokens += f.replyPriming

	if len(fns) > 0 {
		est.Tokens += countText(enc, renderFunctions(fns)) + f.definitions
		if hasSystem {
			est.Tokens += f.definitionsWithSystem
		}
	}
	choice := req.ToolChoice
	if len(choice) == 0 {
		choice = req.FunctionCall
	}
	est.Tokens += f.choice(enc, choice)
	return est
}

// message counts one prompt message.
func (f *format) message(enc, model string, m *ChatMessage, padSystem bool, callNames map[string]string) Estimate {
	est := Estimate{Tokens: f.perMessage}
	role, name := m.Role, m.Name
	switch m.Role {
	case "function":
		est.Tokens += f.functionResult
	case "tool":
		if fn, ok := callNames[m.ToolCallID]; ok {
			role, name = "function", fn
			est.Tokens += f.functionResult
		}
	}
	est.Tokens += countText(enc, role)
	if name != "" {
		est.Tokens += countText(enc, name) + f.perName
	}
	text := m.Content.Text
	if padSystem {
		text += "\n"
	}
	est.Tokens += countText(enc, text) + countText(enc, m.Refusal)
	est.merge(parts(enc, model, m.Content.Parts))

	calls := m.ToolCalls
	if m.FunctionCall != nil {
		calls = append(calls, ToolCall{Function: *m.FunctionCall})
	}
	if len(calls) > 0 {
		est.Tokens += f.promptCall + f.callsText(enc, calls)
	}
	return est
}

// parts counts the parts of a message's content (chat or Responses).
// Consecutive text parts are counted as one text, as the model reads them.
func parts(enc, model string, ps []ContentPart) Estimate {
	var est Estimate
	var text strings.Builder
	flush := func() {
		est.Tokens += countText(enc, text.String())
		text.Reset()
	}
	for i := range ps {
		p := &ps[i]
		switch p.Type {
		case "text", "input_text", "output_text":
			text.WriteString(p.Text)
			continue
		case "refusal":
			text.WriteString(p.Refusal)
			continue
		}
		flush()
		switch p.Type {
		case "image_url":
			if p.ImageURL != nil {
				est.merge(imageEstimate(model, p.ImageURL.URL, p.ImageURL.Detail))
			}
		case "input_image":
			if p.InputImageURL != "" {
				est.merge(imageEstimate(model, p.InputImageURL, p.Detail))
			} else {
				est.Tokens += lowDetailTokens(model)
				est.note("image by file ID counted at the low-detail cost of %d tokens (its size is unknown)", lowDetailTokens(model))
			}
		case "input_audio":
			est.note("audio input not counted (audio tokens depend on its duration)")
		case "file", "input_file":
			est.note("file input not counted (its extracted text and page images are not known)")
		default:
			if p.Text != "" {
				est.Tokens += countText(enc, p.Text)
			} else {
				est.note("content part of type %q not counted", p.Type)
			}
		}
	}
	flush()
	return est
}

// callsText counts the calls of one assistant message: one call is its
// name and arguments; several are the multi_tool_use.parallel wrapper the
// model writes them in.
func (f *format) callsText(enc string, calls []ToolCall) int {
	if len(calls) == 1 {
		return countText(enc, calls[0].Function.Name) + countText(enc, calls[0].Function.Arguments)
	}
	return countText(enc, renderParallel(calls))
}

// renderParallel renders several calls as the model emits them when it
// calls functions in parallel (the API then splits them into tool_calls):
// one call to multi_tool_use.parallel whose JSON argument lists each
// function as "functions.NAME" with its arguments.
func renderParallel(calls []ToolCall) string {
	var b strings.Builder
	b.WriteString(`{"tool_uses":[`)
	for i, c := range calls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"recipient_name":"functions.`)
		b.WriteString(c.Function.Name)
		b.WriteString(`","parameters":`)
		args := strings.TrimSpace(c.Function.Arguments)
		if args == "" {
			args = "{}"
		}
		b.WriteString(args)
		b.WriteByte('}')
	}
	b.WriteString(`]}`)
	return b.String()
}

// choice counts a tool_choice or function_call value.
func (f *format) choice(enc string, raw json.RawMessage) int {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "none" {
			return f.choiceNone
		}
		return 0 // "auto" adds nothing; "required" is not known to
	}
	var named struct {
		Name     string `json:"name"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if json.Unmarshal(raw, &named) != nil {
		return 0
	}
	name := named.Function.Name
	if name == "" {
		name = named.Name
	}
	if name == "" {
		return 0
	}
	return f.choiceNamed + countText(enc, name)
}

// ChatCompletion estimates the completion tokens of generated chat
// messages (one per choice): each one's content and refusal, and its calls
// framed as the model emits them: one call as its name and arguments plus
// the recipient and message framing, several calls as the
// multi_tool_use.parallel wrapper plus framing. For a reasoning model the
// estimate reports the hidden reasoning tokens, which no stream shows, as
// unmeasured.
func ChatCompletion(model string, choices []ChatMessage) Estimate {
	enc := EncodingForModel(model)
	f := formatFor(enc)
	var est Estimate
	for i := range choices {
		m := &choices[i]
		est.Tokens += countText(enc, m.Content.Text) + countText(enc, m.Refusal)
		est.merge(parts(enc, model, m.Content.Parts))
		calls := m.ToolCalls
		if m.FunctionCall != nil {
			calls = append(calls, ToolCall{Function: *m.FunctionCall})
		}
		est.Tokens += f.completionCalls(enc, calls)
	}
	if ReasoningModel(model) {
		est.note("hidden reasoning tokens of %s not counted (a stream without usage does not show them)", model)
	}
	return est
}

// completionCalls counts generated calls with their framing.
func (f *format) completionCalls(enc string, calls []ToolCall) int {
	if len(calls) == 0 {
		return 0
	}
	return f.callsText(enc, calls) + f.completionCall
}

// ReasoningModel reports whether model thinks in hidden reasoning tokens
// before it answers (the o-series and gpt-5, except gpt-5-chat), which a
// stream without usage does not show.
func ReasoningModel(model string) bool {
	m := baseModel(model)
	switch {
	case strings.HasPrefix(m, "gpt-5"):
		return !strings.Contains(m, "-chat")
	case len(m) >= 2 && m[0] == 'o' && m[1] >= '1' && m[1] <= '9':
		return true
	case strings.HasPrefix(m, "codex-mini"):
		return true
	}
	return false
}

// CompletionPrompt estimates the prompt tokens of a legacy completion
// request from its prompt field: a string, an array of strings, an array
// of token IDs or an array of such arrays (token arrays count their
// length).
func CompletionPrompt(model string, prompt json.RawMessage) Estimate {
	return Estimate{Tokens: textOrTokens(EncodingForModel(model), prompt)}
}

// EmbeddingInput estimates the tokens of an embeddings request's input,
// which has the same shapes as a completion prompt.
func EmbeddingInput(model string, input json.RawMessage) Estimate {
	return Estimate{Tokens: textOrTokens(EncodingForModel(model), input)}
}

// textOrTokens counts a string, an array of strings, an array of token IDs
// or an array of token arrays.
func textOrTokens(enc string, raw json.RawMessage) int {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return 0
	}
	switch v := v.(type) {
	case string:
		return countText(enc, v)
	case []any:
		n := 0
		for _, x := range v {
			switch x := x.(type) {
			case string:
				n += countText(enc, x)
			case float64:
				n++ // a token ID
			case []any:
				n += len(x)
			}
		}
		return n
	}
	return 0
}

// Completion estimates the completion tokens of generated text (a legacy
// completion choice, or a chat answer's text).
func Completion(model, text string) Estimate {
	return Estimate{Tokens: countText(EncodingForModel(model), text)}
}
