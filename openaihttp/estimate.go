package openaihttp

import (
	"encoding/json"
	"strings"

	"github.com/gentrace/gentrace-go/internal/jsonscan"
	"github.com/gentrace/gentrace-go/internal/tokens"
	goopenai "github.com/sashabaranov/go-openai"
)

// estimateStream counts the tokens of a chat or legacy completion stream
// that carried no usage, with the model's tokenizer.
func (c *capture) estimateStream(model string, agg *choices) *usage {
	u := &usage{estimated: true}
	if agg.chat {
		var req struct {
			Messages []goopenai.ChatCompletionMessage `json:"messages"`
			Tools    []goopenai.Tool                  `json:"tools"`
		}
		_ = json.Unmarshal(c.request, &req)
		u.prompt = tokens.ChatPrompt(model, req.Messages, req.Tools)
		for _, ch := range agg.list {
			msg := goopenai.ChatCompletionMessage{}
			for i := range ch.fields {
				f := &ch.fields[i]
				switch f.key {
				case "content":
					msg.Content = f.text()
				case "refusal":
					msg.Refusal = f.text()
				case "reasoning_content":
					msg.ReasoningContent = f.text()
				}
			}
			for _, t := range ch.tools {
				msg.ToolCalls = append(msg.ToolCalls, goopenai.ToolCall{Function: goopenai.FunctionCall{
					Name: decodeBody(t.name), Arguments: decodeBody(t.args)}})
			}
			if ch.function != nil {
				msg.FunctionCall = &goopenai.FunctionCall{Name: decodeBody(ch.function.name), Arguments: decodeBody(ch.function.args)}
			}
			u.completion += tokens.CompletionMessage(model, msg)
		}
	} else {
		u.prompt = completionPromptTokens(model, jsonscan.Get(c.request, "prompt"))
		enc := tokens.EncodingForModel(model)
		for _, ch := range agg.list {
			for i := range ch.fields {
				if ch.fields[i].key == "text" {
					u.completion += tokens.Count(enc, ch.fields[i].text())
				}
			}
		}
	}
	u.total = u.prompt + u.completion
	if reasoningModel(model) {
		u.omits = append(u.omits, "reasoning_tokens")
	}
	return u
}

// estimateResponse counts the tokens of a Responses stream that ended
// before its usage: its input text and instructions, and the text of the
// output items received.
func (c *capture) estimateResponse(model string, items *outputItems) *usage {
	enc := tokens.EncodingForModel(model)
	u := &usage{estimated: true}
	if s, ok := jsonscan.String(jsonscan.Get(c.request, "instructions")); ok {
		u.prompt += tokens.Count(enc, s)
	}
	input := jsonscan.Get(c.request, "input")
	if s, ok := jsonscan.String(input); ok {
		u.prompt += tokens.Count(enc, s)
	} else {
		jsonscan.Elements(input, func(item []byte) bool {
			u.prompt += 3 + textTokens(enc, item)
			return true
		})
	}
	for _, it := range items.list {
		u.completion += tokens.Count(enc, decodeBody(it.args))
		for _, p := range it.parts {
			u.completion += tokens.Count(enc, decodeBody(p.text))
		}
		for _, p := range it.summary {
			u.completion += tokens.Count(enc, decodeBody(p.text))
		}
	}
	u.total = u.prompt + u.completion
	if reasoningModel(model) {
		u.omits = append(u.omits, "reasoning_tokens")
	}
	return u
}

// textTokens counts the string values found in a JSON value.
func textTokens(enc string, v []byte) int {
	if s, ok := jsonscan.String(v); ok {
		return tokens.Count(enc, s)
	}
	n := 0
	if !jsonscan.Members(v, func(k, v []byte) bool {
		if string(k) != "type" {
			n += textTokens(enc, v)
		}
		return true
	}) {
		jsonscan.Elements(v, func(e []byte) bool { n += textTokens(enc, e); return true })
	}
	return n
}

// completionPromptTokens counts a legacy completion prompt: a string, a list
// of strings, or token arrays.
func completionPromptTokens(model string, prompt []byte) int {
	if s, ok := jsonscan.String(prompt); ok {
		return tokens.CompletionPrompt(model, s)
	}
	n := 0
	jsonscan.Elements(prompt, func(e []byte) bool {
		switch {
		case len(e) > 0 && e[0] == '"':
			s, _ := jsonscan.String(e)
			n += tokens.CompletionPrompt(model, s)
		case len(e) > 0 && e[0] == '[':
			jsonscan.Elements(e, func([]byte) bool { n++; return true })
		default:
			n++ // one token ID
		}
		return true
	})
	return n
}

// decodeBody decodes the body of a JSON string.
func decodeBody(body []byte) string {
	quoted := make([]byte, 0, len(body)+2)
	quoted = append(append(append(quoted, '"'), body...), '"')
	s, _ := jsonscan.String(quoted)
	return s
}

// reasoningModel reports models that reason in hidden tokens: the o-series
// and gpt-5 (but not its chat variant). A stream without usage cannot show
// those tokens, so its estimate says it omits them.
func reasoningModel(model string) bool {
	m := strings.ToLower(strings.TrimPrefix(model, "ft:"))
	switch {
	case strings.HasPrefix(m, "gpt-5-chat"):
		return false
	case strings.HasPrefix(m, "gpt-5"), strings.HasPrefix(m, "codex-"):
		return true
	case len(m) >= 2 && m[0] == 'o' && m[1] >= '1' && m[1] <= '9':
		return true
	}
	return false
}
