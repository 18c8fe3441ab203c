package openaihttp

import (
	"encoding/json"

	"github.com/gentrace/gentrace-go/internal/jsonscan"
	"github.com/gentrace/gentrace-go/internal/tokens"
)

// estimateStream counts the tokens of a chat or legacy completion stream
// that carried no usage, with the model's tokenizer: the request as the
// model reads it (messages, tool definitions in OpenAI's layout, images by
// their tiles) and the answer that arrived, tool calls framed as the model
// emits them.
func (c *capture) estimateStream(model string, agg *choices) *usage {
	var prompt, completion tokens.Estimate
	if agg.chat {
		var req tokens.ChatRequest
		if err := json.Unmarshal(c.request, &req); err != nil {
			return nil
		}
		prompt = tokens.ChatPrompt(model, &req)
		msgs := make([]tokens.ChatMessage, 0, len(agg.list))
		for _, ch := range agg.list {
			msg := tokens.ChatMessage{Role: "assistant"}
			for i := range ch.fields {
				f := &ch.fields[i]
				switch f.key {
				case "content":
					msg.Content.Text = f.text()
				case "refusal":
					msg.Refusal = f.text()
				}
			}
			for _, t := range ch.tools {
				msg.ToolCalls = append(msg.ToolCalls, tokens.ToolCall{ID: decodeBody(t.id), Type: "function",
					Function: tokens.FunctionCall{Name: decodeBody(t.name), Arguments: decodeBody(t.args)}})
			}
			if ch.function != nil {
				msg.FunctionCall = &tokens.FunctionCall{Name: decodeBody(ch.function.name), Arguments: decodeBody(ch.function.args)}
			}
			msgs = append(msgs, msg)
		}
		completion = tokens.ChatCompletion(model, msgs)
	} else {
		prompt = tokens.CompletionPrompt(model, jsonscan.Get(c.request, "prompt"))
		for _, ch := range agg.list {
			for i := range ch.fields {
				if ch.fields[i].key == "text" {
					e := tokens.Completion(model, ch.fields[i].text())
					completion.Tokens += e.Tokens
					completion.Unmeasured = append(completion.Unmeasured, e.Unmeasured...)
				}
			}
		}
	}
	return estimated(prompt, completion)
}

// estimateResponse counts the tokens of a Responses stream that ended
// before its usage: its input items, instructions and tools, and the text,
// refusals, reasoning summaries and function calls that arrived.
func (c *capture) estimateResponse(model string, items *outputItems) *usage {
	var req tokens.ResponsesRequest
	if err := json.Unmarshal(c.request, &req); err != nil {
		return nil
	}
	var out tokens.ResponsesOutput
	for _, it := range items.list {
		typ, _ := jsonscan.String(jsonscan.Get(it.item, "type"))
		for _, p := range it.parts {
			switch p.typ {
			case "refusal":
				out.Refusal += decodeBody(p.text)
			default:
				out.Text += decodeBody(p.text)
			}
		}
		for _, p := range it.summary {
			out.ReasoningSummary += decodeBody(p.text)
		}
		if typ == "function_call" {
			name, _ := jsonscan.String(jsonscan.Get(it.item, "name"))
			args := decodeBody(it.args)
			if it.done {
				args, _ = jsonscan.String(jsonscan.Get(it.item, "arguments"))
			}
			out.FunctionCalls = append(out.FunctionCalls, tokens.FunctionCall{Name: name, Arguments: args})
		} else if it.done && len(it.parts) == 0 && typ == "message" {
			// A finished message whose deltas were not kept: its text is in
			// the item.
			jsonscan.Elements(jsonscan.Get(it.item, "content"), func(part []byte) bool {
				if s, ok := jsonscan.String(jsonscan.Get(part, "text")); ok {
					out.Text += s
				}
				return true
			})
		}
	}
	return estimated(tokens.ResponsesPrompt(model, &req), tokens.ResponsesCompletion(model, out))
}

// estimated is the usage of two estimates, marked as estimated, with what
// they could not measure.
func estimated(prompt, completion tokens.Estimate) *usage {
	u := &usage{estimated: true, prompt: prompt.Tokens, completion: completion.Tokens}
	u.total = u.prompt + u.completion
	u.omits = append(append(u.omits, prompt.Unmeasured...), completion.Unmeasured...)
	return u
}

// decodeBody decodes the body of a JSON string.
func decodeBody(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	quoted := make([]byte, 0, len(body)+2)
	quoted = append(append(append(quoted, '"'), body...), '"')
	s, _ := jsonscan.String(quoted)
	return s
}
