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
// the inputs as one line of JSON.
func inputPreview(raw json.RawMessage) string {
	n, ok := parse(raw)
	if !ok {
		return ""
	}
	return inputText(n)
}

// outputPreview returns a step's answer: the first choice's message or
// text, a Responses output's text, a bare value, or else the outputs as one
// line of JSON without the SDK's annotations.
func outputPreview(raw json.RawMessage) string {
	n, ok := parse(raw)
	if !ok {
		return ""
	}
	return outputText(n)
}

func parse(raw []byte) (*node, bool) {
	p := parser{b: raw}
	n, ok := p.value()
	p.space()
	return n, ok && p.i == len(raw)
}

func inputText(in *node) string {
	for _, key := range []string{"messages", "input"} {
		v := in.get(key)
		switch {
		case v == nil:
		case v.kind == 's':
			return clip(v.text)
		case v.kind == '[':
			for i := len(v.children) - 1; i >= 0; i-- {
				m := v.children[i]
				if role := m.get("role"); role != nil && role.kind == 's' && role.text == "user" {
					if s := contentText(m.get("content")); s != "" {
						return clip(s)
					}
				}
			}
		}
	}
	if s := in.get("prompt"); s != nil && s.kind == 's' {
		return clip(s.text)
	}
	return compact(in, nil)
}

// annotations are the SDK's keys in outputs, left out of a preview.
var annotations = []string{"cost", "usage", "usageEstimated", "usageEstimateOmits", "timeToFirstTokenMs", "closedEarly"}

func outputText(out *node) string {
	if choices := out.get("choices"); choices != nil && choices.kind == '[' && len(choices.children) > 0 {
		c := choices.children[0]
		if s := contentText(c.get("message").get("content")); s != "" {
			return clip(s)
		}
		if s := c.get("text"); s != nil && s.kind == 's' {
			return clip(s.text)
		}
	}
	if s := out.get("output_text"); s != nil && s.kind == 's' {
		return clip(s.text)
	}
	if items := out.get("output"); items != nil && items.kind == '[' {
		var b strings.Builder
		for _, it := range items.children {
			if t := it.get("type"); t != nil && t.kind == 's' && t.text == "message" {
				b.WriteString(contentText(it.get("content")))
			}
		}
		if b.Len() > 0 {
			return clip(b.String())
		}
	}
	if s := out.get("value"); s != nil && s.kind == 's' {
		return clip(s.text)
	}
	return compact(out, annotations)
}

// get returns the last member named key of an object node, or nil; it is
// safe on nil and on other kinds.
func (n *node) get(key string) *node {
	if n == nil || n.kind != '{' {
		return nil
	}
	for i := len(n.keys) - 1; i >= 0; i-- {
		if n.keys[i] == key {
			return n.children[i]
		}
	}
	return nil
}

// contentText reads message content: a string, or parts with a "text".
func contentText(c *node) string {
	switch {
	case c == nil:
		return ""
	case c.kind == 's':
		return c.text
	case c.kind == '[':
		var parts []string
		for _, p := range c.children {
			if t := p.get("text"); t != nil && t.kind == 's' {
				parts = append(parts, t.text)
			}
		}
		return strings.Join(parts, "\n")
	}
	return ""
}

// compact writes an object node as one line of JSON in its own key order,
// leaving out the keys in skip, or "" when nothing is left. < > & stay as
// they are: the page escapes them.
func compact(n *node, skip []string) string {
	var b bytes.Buffer
	writeCompact(&b, n, skip)
	if s := b.String(); s != "{}" && s != "[]" {
		return clip(s)
	}
	return ""
}

func writeCompact(b *bytes.Buffer, n *node, skip []string) {
	if b.Len() > previewLen*4 { // enough for a clipped preview
		return
	}
	switch n.kind {
	case '{', '[':
		open, close := byte('{'), byte('}')
		if n.kind == '[' {
			open, close = '[', ']'
		}
		b.WriteByte(open)
		first := true
		for i, c := range n.children {
			if n.kind == '{' && contains(skip, n.keys[i]) {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			if n.kind == '{' {
				writeString(b, n.keys[i])
				b.WriteByte(':')
			}
			writeCompact(b, c, nil)
		}
		b.WriteByte(close)
	case 's':
		writeString(b, n.text)
	default:
		b.WriteString(n.text)
	}
}

func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)           // a string always encodes
	b.Truncate(b.Len() - 1) // the encoder's newline
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// clip shortens s to previewLen characters, marking the cut.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= previewLen {
		return s
	}
	r := []rune(s)
	return string(r[:previewLen]) + "…"
}
