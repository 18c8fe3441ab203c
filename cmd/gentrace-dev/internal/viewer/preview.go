package viewer

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// previewLen bounds a preview, in characters.
const previewLen = 600

// inputPreview returns what a person would call a step's input: the last
// user message of a chat or Responses call, a completion's prompt, or else
// the inputs as compact JSON.
func inputPreview(raw json.RawMessage) string {
	var in map[string]any
	if json.Unmarshal(raw, &in) != nil {
		return ""
	}
	for _, key := range []string{"messages", "input"} {
		switch v := in[key].(type) {
		case string:
			return clip(v)
		case []any:
			for i := len(v) - 1; i >= 0; i-- {
				if m, ok := v[i].(map[string]any); ok && m["role"] == "user" {
					if s := text(m["content"]); s != "" {
						return clip(s)
					}
				}
			}
		}
	}
	if s, ok := in["prompt"].(string); ok {
		return clip(s)
	}
	return compactValue(in)
}

// outputPreview returns a step's answer: the first choice's message or
// text, a Responses output's text, a bare value, or else the outputs as
// compact JSON without the SDK's annotations.
func outputPreview(raw json.RawMessage) string {
	var out map[string]any
	if json.Unmarshal(raw, &out) != nil {
		return ""
	}
	if choices, ok := out["choices"].([]any); ok && len(choices) > 0 {
		if c, ok := choices[0].(map[string]any); ok {
			if m, ok := c["message"].(map[string]any); ok {
				if s := text(m["content"]); s != "" {
					return clip(s)
				}
			}
			if s, ok := c["text"].(string); ok {
				return clip(s)
			}
		}
	}
	if s, ok := out["output_text"].(string); ok {
		return clip(s)
	}
	if items, ok := out["output"].([]any); ok {
		var b strings.Builder
		for _, it := range items {
			if m, ok := it.(map[string]any); ok && m["type"] == "message" {
				b.WriteString(text(m["content"]))
			}
		}
		if b.Len() > 0 {
			return clip(b.String())
		}
	}
	if s, ok := out["value"].(string); ok {
		return clip(s)
	}
	for _, k := range []string{"cost", "usage", "usageEstimated", "usageEstimateOmits", "timeToFirstTokenMs", "closedEarly"} {
		delete(out, k)
	}
	return compactValue(out)
}

// text reads message content: a string, or parts with a "text" field.
func text(content any) string {
	switch c := content.(type) {
	case string:
		return c
	case []any:
		var parts []string
		for _, p := range c {
			if m, ok := p.(map[string]any); ok {
				if s, ok := m["text"].(string); ok {
					parts = append(parts, s)
				}
			}
		}
		return strings.Join(parts, "\n")
	}
	return ""
}

// compactValue writes a decoded object as one line of JSON, leaving < > &
// as they are (the page escapes them), or "" for an empty object.
func compactValue(v map[string]any) string {
	if len(v) == 0 {
		return ""
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return clip(strings.TrimSuffix(b.String(), "\n"))
}

// clip shortens s to previewLen characters, marking the cut.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= previewLen {
		return s
	}
	r := []rune(s)
	return string(r[:previewLen]) + "…"
}
