package viewer

import (
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The JSON of inputs, outputs and model params is shown as a tree of
// <details> elements, keys in the order they were sent, collapsible without
// any script. The tree is written here rather than with a recursive
// template because a run page may hold thousands of nodes and must render
// in milliseconds. Every piece of text from the JSON goes through
// html.EscapeString; nothing else is taken from the input.

// openDepth is how deep containers start open; deeper ones, and large
// ones, start closed.
const (
	openDepth   = 5
	openMaxSize = 40
)

// jsonTree renders raw JSON as collapsible HTML. Invalid JSON, which the
// store never holds, is shown escaped as text.
func jsonTree(raw []byte) template.HTML {
	n, ok := parse(raw)
	return treeHTML(raw, n, ok)
}

// treeHTML renders a parsed tree, or raw as text when it did not parse.
func treeHTML(raw []byte, n *node, ok bool) template.HTML {
	var b strings.Builder
	if !ok {
		b.WriteString(`<div class="json"><pre>`)
		b.WriteString(html.EscapeString(string(raw)))
		b.WriteString(`</pre></div>`)
		return template.HTML(b.String())
	}
	b.Grow(len(raw) * 3)
	b.WriteString(`<div class="json">`)
	writeNode(&b, n, 0)
	b.WriteString(`</div>`)
	return template.HTML(b.String())
}

// node is a decoded value with its children, built before writing so that
// containers know their size. Keys and strings are decoded; numbers keep
// their literal text.
type node struct {
	kind     byte // '{', '[', 's' (string), 'n' (number), 'l' (true, false, null)
	text     string
	keys     []string
	children []*node
}

// parser reads JSON text into nodes, in one pass without reflection (the
// store holds only JSON that was validated when it arrived; anything else
// makes value report false).
type parser struct {
	b []byte
	i int
}

func (p *parser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *parser) value() (*node, bool) {
	p.space()
	if p.i >= len(p.b) {
		return nil, false
	}
	switch c := p.b[p.i]; c {
	case '{', '[':
		p.i++
		n := &node{kind: c}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		p.space()
		if p.i < len(p.b) && p.b[p.i] == end {
			p.i++
			return n, true
		}
		for {
			if c == '{' {
				p.space()
				k, ok := p.str()
				if !ok {
					return nil, false
				}
				p.space()
				if p.i >= len(p.b) || p.b[p.i] != ':' {
					return nil, false
				}
				p.i++
				n.keys = append(n.keys, k)
			}
			child, ok := p.value()
			if !ok {
				return nil, false
			}
			n.children = append(n.children, child)
			p.space()
			if p.i >= len(p.b) {
				return nil, false
			}
			switch p.b[p.i] {
			case ',':
				p.i++
			case end:
				p.i++
				return n, true
			default:
				return nil, false
			}
		}
	case '"':
		s, ok := p.str()
		return &node{kind: 's', text: s}, ok
	default:
		start := p.i
		for p.i < len(p.b) && strings.IndexByte(",]} \t\n\r", p.b[p.i]) < 0 {
			p.i++
		}
		lit := string(p.b[start:p.i])
		switch {
		case lit == "true" || lit == "false" || lit == "null":
			return &node{kind: 'l', text: lit}, true
		case lit != "" && (lit[0] == '-' || lit[0] >= '0' && lit[0] <= '9'):
			return &node{kind: 'n', text: lit}, true
		}
		return nil, false
	}
}

// str reads a string literal; escapes are decoded by encoding/json.
func (p *parser) str() (string, bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", false
	}
	start := p.i
	escaped := false
	for p.i++; p.i < len(p.b); p.i++ {
		switch p.b[p.i] {
		case '\\':
			escaped = true
			p.i++
		case '"':
			p.i++
			q := p.b[start:p.i]
			if !escaped && utf8.Valid(q) {
				return string(q[1 : len(q)-1]), true
			}
			var s string
			if err := json.Unmarshal(q, &s); err != nil {
				return "", false
			}
			return s, true
		}
	}
	return "", false
}

// writeNode writes the root: a container's entries as a list, without a
// summary of its own, or a scalar.
func writeNode(b *strings.Builder, n *node, depth int) {
	if n.kind != '{' && n.kind != '[' || len(n.children) == 0 {
		writeScalar(b, n)
		return
	}
	writeEntries(b, n, depth)
}

// writeEntries writes a container's entries as a <ul>, each "key: value".
func writeEntries(b *strings.Builder, n *node, depth int) {
	b.WriteString(`<ul>`)
	for i, c := range n.children {
		key := ""
		if n.kind == '{' {
			key = `<span class="j-key">` + html.EscapeString(n.keys[i]) + `</span>`
		} else {
			key = `<span class="j-idx">` + strconv.Itoa(i) + `</span>`
		}
		b.WriteString(`<li>`)
		if (c.kind == '{' || c.kind == '[') && len(c.children) > 0 {
			if depth < openDepth && len(c.children) <= openMaxSize {
				b.WriteString(`<details open>`)
			} else {
				b.WriteString(`<details>`)
			}
			what, open, close := "key", "{", "}"
			if c.kind == '[' {
				what, open, close = "item", "[", "]"
			}
			fmt.Fprintf(b, `<summary>%s: <span class="j-size">%s %d %s%s %s</span></summary>`, key, open, len(c.children), what, plural(len(c.children)), close)
			writeEntries(b, c, depth+1)
			b.WriteString(`</details>`)
		} else {
			b.WriteString(key)
			b.WriteString(`: `)
			writeScalar(b, c)
		}
		b.WriteString(`</li>`)
	}
	b.WriteString(`</ul>`)
}

func writeScalar(b *strings.Builder, n *node) {
	switch n.kind {
	case 's':
		b.WriteString(`<span class="j-str">"`)
		b.WriteString(html.EscapeString(n.text))
		b.WriteString(`"</span>`)
	case 'n':
		b.WriteString(`<span class="j-num">`)
		b.WriteString(html.EscapeString(n.text))
		b.WriteString(`</span>`)
	case '{':
		b.WriteString(`<span class="j-lit">{}</span>`)
	case '[':
		b.WriteString(`<span class="j-lit">[]</span>`)
	default:
		b.WriteString(`<span class="j-lit">`)
		b.WriteString(n.text)
		b.WriteString(`</span>`)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
