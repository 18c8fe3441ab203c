package openinference

import (
	"encoding/json"
	"strings"
)

// message is a chat message in OpenInference's terms, read from a chat
// completion's messages and choices or from the Responses API's items.
type message struct {
	role       string
	content    string
	parts      []part // message.contents, for content given as a list
	name       string
	toolCallID string
	toolCalls  []toolCall
	function   *functionCall // the legacy function_call of a chat message
}

// part is one item of a message's content list.
type part struct {
	typ      string // OpenInference's message_content.type: text, image, or OpenAI's own type
	text     string
	imageURL string
}

type toolCall struct {
	ID       string       `json:"id"`
	Function functionCall `json:"function"`
}

type functionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// writeMessages adds msgs as the list attribute list
// (llm.input_messages or llm.output_messages).
func writeMessages(a *attrs, list string, msgs []message) {
	for i, m := range msgs {
		key := func(suffix string) string { return indexed(list, i, suffix) }
		a.str(key("message.role"), m.role)
		a.str(key("message.content"), m.content)
		for j, p := range m.parts {
			at := func(suffix string) string { return key(indexed("message.contents", j, suffix)) }
			a.str(at("message_content.type"), p.typ)
			a.str(at("message_content.text"), p.text)
			a.str(at("message_content.image.image.url"), p.imageURL)
		}
		a.str(key("message.name"), m.name)
		a.str(key("message.tool_call_id"), m.toolCallID)
		for j, tc := range m.toolCalls {
			at := func(suffix string) string { return key(indexed("message.tool_calls", j, suffix)) }
			a.str(at("tool_call.id"), tc.ID)
			a.str(at("tool_call.function.name"), tc.Function.Name)
			a.str(at("tool_call.function.arguments"), tc.Function.Arguments)
		}
		if fc := m.function; fc != nil {
			a.str(key("message.function_call_name"), fc.Name)
			a.str(key("message.function_call_arguments_json"), fc.Arguments)
		}
	}
}

// contentPart is one item of a content list, in chat's shape or the
// Responses API's.
type contentPart struct {
	Type     string          `json:"type"`
	Text     string          `json:"text"`
	Refusal  string          `json:"refusal"`
	ImageURL json.RawMessage `json:"image_url"` // chat: {"url": ...}; Responses: "..."
}

// parts reads a content list. Text parts (chat's text, the Responses API's
// input_text and output_text) have type text and images type image; other
// parts keep OpenAI's type and carry no data (audio and files are not
// copied into spans).
func parts(list []contentPart) []part {
	out := make([]part, len(list))
	for i, p := range list {
		switch p.Type {
		case "text", "input_text", "output_text":
			out[i] = part{typ: "text", text: p.Text}
		case "image_url", "input_image":
			out[i] = part{typ: "image", imageURL: imageURL(p.ImageURL)}
		case "refusal":
			out[i] = part{typ: p.Type, text: p.Refusal}
		default:
			out[i] = part{typ: p.Type}
		}
	}
	return out
}

// imageURL reads an image URL given as a string or as {"url": ...}.
func imageURL(raw json.RawMessage) string {
	var url string
	if json.Unmarshal(raw, &url) == nil {
		return url
	}
	var obj struct {
		URL string `json:"url"`
	}
	_ = json.Unmarshal(raw, &obj)
	return obj.URL
}

// content reads a message content that is a string or a content list.
func content(raw json.RawMessage) (string, []part) {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		return text, nil
	}
	var list []contentPart
	if json.Unmarshal(raw, &list) == nil {
		return "", parts(list)
	}
	return "", nil
}

// chatMessages reads chat completion messages, as sent or as answered.
func chatMessages(v any) []message {
	var msgs []struct {
		Role         string          `json:"role"`
		Content      json.RawMessage `json:"content"`
		Name         string          `json:"name"`
		ToolCallID   string          `json:"tool_call_id"`
		ToolCalls    []toolCall      `json:"tool_calls"`
		FunctionCall *functionCall   `json:"function_call"`
	}
	if !decode(v, &msgs) {
		return nil
	}
	out := make([]message, len(msgs))
	for i, m := range msgs {
		text, ps := content(m.Content)
		out[i] = message{role: m.Role, content: text, parts: ps, name: m.Name,
			toolCallID: m.ToolCallID, toolCalls: m.ToolCalls, function: m.FunctionCall}
	}
	return out
}

// responseItem is an input or output item of the Responses API. A message
// has a role (its type "message" may be left out in inputs).
type responseItem struct {
	Type      string          `json:"type"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	CallID    string          `json:"call_id"`
	Name      string          `json:"name"`
	Arguments string          `json:"arguments"`
	Output    json.RawMessage `json:"output"`
}

// responseInput reads the messages of a Responses API request: the
// instructions as a system message, then the input, a string (a user
// message) or a list of items (see responseItems).
func responseInput(instructions, input any) []message {
	var msgs []message
	if text, ok := stringOf(instructions); ok && text != "" {
		msgs = append(msgs, message{role: "system", content: text})
	}
	if text, ok := stringOf(input); ok {
		return append(msgs, message{role: "user", content: text})
	}
	var items []responseItem
	decode(input, &items)
	return responseItems(msgs, items)
}

// responseOutput reads the messages of a Responses API answer from its
// output items (see responseItems). The text of a message item is its
// message.content.
func responseOutput(output any) []message {
	var items []responseItem
	if !decode(output, &items) {
		return nil
	}
	msgs := responseItems(nil, items)
	for i := range msgs {
		m := &msgs[i]
		if len(m.parts) == 0 {
			continue
		}
		var text strings.Builder
		for _, p := range m.parts {
			text.WriteString(p.text)
		}
		m.content, m.parts = text.String(), nil
	}
	return msgs
}

// responseItems appends the messages items add up to:
//   - a message item is a message with its role and content;
//   - function_call items are tool calls of an assistant message: of the
//     message just before when it is the assistant's, else of a new one,
//     so that parallel calls share one message, as in a chat completion;
//   - a function_call_output item is a tool message answering its call;
//   - other items (reasoning and its summaries, item references, built-in
//     tool calls) are not messages and are left out.
func responseItems(msgs []message, items []responseItem) []message {
	for _, it := range items {
		switch {
		case it.Role != "" && (it.Type == "" || it.Type == "message"):
			text, ps := content(it.Content)
			msgs = append(msgs, message{role: it.Role, content: text, parts: ps})
		case it.Type == "function_call":
			if len(msgs) == 0 || msgs[len(msgs)-1].role != "assistant" {
				msgs = append(msgs, message{role: "assistant"})
			}
			last := &msgs[len(msgs)-1]
			last.toolCalls = append(last.toolCalls, toolCall{ID: it.CallID,
				Function: functionCall{Name: it.Name, Arguments: it.Arguments}})
		case it.Type == "function_call_output":
			text, ok := "", false
			if text, ok = stringOf(it.Output); !ok {
				text = string(it.Output) // a list of content items, as JSON
			}
			msgs = append(msgs, message{role: "tool", toolCallID: it.CallID, content: text})
		}
	}
	return msgs
}
