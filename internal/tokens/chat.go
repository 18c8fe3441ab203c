package tokens

import (
	"bytes"
	"encoding/json"

	openai "github.com/sashabaranov/go-openai"
)

// Per-message overheads of chat prompts, from OpenAI's published guide to
// counting tokens (How_to_count_tokens_with_tiktoken): every message is
// wrapped in 3 tokens, a name costs 1 more, and every reply is primed with 3.
const (
	tokensPerMessage = 3
	tokensPerName    = 1
	tokensPerReply   = 3
)

// Overheads of tool definitions. OpenAI does not disclose how it renders tool
// definitions into the prompt, so these are a heuristic (the values SPEC §4
// prescribes), not a derivation, and may be off by tens of tokens per
// request: one tool adds toolsFirst tokens beyond its own text, a second adds
// toolsSecond, and each further tool adds toolsEach.
const (
	toolsFirst  = 19
	toolsSecond = 35
	toolsEach   = 12
)

// ChatPrompt estimates the prompt tokens of a chat completion request for
// model: for each message 3 tokens plus the tokens of its string fields
// (role, content, the text parts of MultiContent, name, tool_call_id, the
// names and arguments of its tool calls and function call, refusal and
// reasoning content), plus 1 for a message with a name; then 3 for priming
// the reply. Image parts count nothing: their cost depends on the image,
// which the request does not hold.
//
// Tools add, with D the tokens of the definitions' text, D + 19 for one tool
// and D + 19 + 35 + 12 × (n − 2) for n ≥ 2 tools (a heuristic: see the
// constants' comment). A function tool's text is its name, its description
// and its parameters schema as compact JSON (keys sorted when the schema is
// a map, HTML left unescaped), each counted on its own; Strict adds nothing.
// Any other tool (Function nil) counts its type and its Parameters as JSON.
func ChatPrompt(model string, msgs []openai.ChatCompletionMessage, tools []openai.Tool) int {
	enc := EncodingForModel(model)
	n := tokensPerReply
	for _, m := range msgs {
		n += tokensPerMessage + Count(enc, m.Role) + messageText(enc, m) +
			Count(enc, m.Name) + Count(enc, m.ToolCallID)
		if m.Name != "" {
			n += tokensPerName
		}
	}
	return n + toolTokens(enc, tools)
}

// toolTokens counts the tool definitions as ChatPrompt describes.
func toolTokens(enc string, tools []openai.Tool) int {
	if len(tools) == 0 {
		return 0
	}
	n := toolsFirst
	if len(tools) >= 2 {
		n += toolsSecond + toolsEach*(len(tools)-2)
	}
	for _, t := range tools {
		if f := t.Function; f != nil {
			n += Count(enc, f.Name) + Count(enc, f.Description) + Count(enc, compactJSON(f.Parameters))
			continue
		}
		n += Count(enc, string(t.Type))
		if len(t.Parameters) > 0 {
			n += Count(enc, compactJSON(t.Parameters))
		}
	}
	return n
}

// compactJSON renders v as compact JSON without HTML escaping (the schema's
// "<" and ">" are text to the model, not \u003c), or "" if v is nil or
// cannot be rendered: a definition OpenAI would reject costs nothing.
func compactJSON(v any) string {
	if v == nil {
		return ""
	}
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return ""
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// CompletionPrompt estimates the prompt tokens of a (legacy) completion
// request for model: the tokens of the prompt text, with no overhead.
func CompletionPrompt(model, prompt string) int {
	return Count(EncodingForModel(model), prompt)
}

// Completion estimates the completion tokens of a generated answer for model:
// the tokens of its text plus the names and arguments of its tool calls. For
// a chat message with more than content, use [CompletionMessage].
func Completion(model, text string, toolCalls ...openai.ToolCall) int {
	enc := EncodingForModel(model)
	n := Count(enc, text)
	for _, c := range toolCalls {
		n += Count(enc, c.Function.Name) + Count(enc, c.Function.Arguments)
	}
	return n
}

// CompletionMessage estimates the completion tokens of one generated chat
// message (one choice) for model: the tokens of its content (or the text
// parts of MultiContent), refusal, reasoning content, and the names and
// arguments of its tool calls and legacy function call. The role and the
// message overheads are not counted: OpenAI bills them to the prompt.
func CompletionMessage(model string, msg openai.ChatCompletionMessage) int {
	return messageText(EncodingForModel(model), msg)
}

// messageText counts the generated-text fields of msg: everything
// [ChatPrompt] counts except role, name and tool_call_id.
func messageText(enc string, m openai.ChatCompletionMessage) int {
	n := Count(enc, m.Content) + Count(enc, m.Refusal) + Count(enc, m.ReasoningContent)
	for _, p := range m.MultiContent {
		n += Count(enc, p.Text)
	}
	if f := m.FunctionCall; f != nil {
		n += Count(enc, f.Name) + Count(enc, f.Arguments)
	}
	for _, c := range m.ToolCalls {
		n += Count(enc, c.Function.Name) + Count(enc, c.Function.Arguments)
	}
	return n
}
