package viewer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"strconv"
	"strings"
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
	var b strings.Builder
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	b.WriteString(`<div class="json">`)
	if err := writeValue(&b, dec, 0); err != nil {
		b.Reset()
		b.WriteString(`<div class="json"><pre>`)
		b.WriteString(html.EscapeString(string(raw)))
		b.WriteString(`</pre></div>`)
		return template.HTML(b.String())
	}
	b.WriteString(`</div>`)
	return template.HTML(b.String())
}

// node is a decoded value with its children, built before writing so that
// containers know their size.
type node struct {
	kind     byte // '{', '[', 's', 'n', 'l' (true, false, null)
	text     string
	keys     []string
	children []*node
}

func writeValue(b *strings.Builder, dec *json.Decoder, depth int) error {
	n, err := readNode(dec)
	if err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("trailing data")
	}
	writeNode(b, n, depth)
	return nil
}

func readNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		n := &node{kind: byte(v)}
		for dec.More() {
			if v == '{' {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := k.(string)
				n.keys = append(n.keys, key)
			}
			c, err := readNode(dec)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, c)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
		return n, nil
	case string:
		return &node{kind: 's', text: v}, nil
	case json.Number:
		return &node{kind: 'n', text: v.String()}, nil
	case bool:
		return &node{kind: 'l', text: strconv.FormatBool(v)}, nil
	default:
		return &node{kind: 'l', text: "null"}, nil
	}
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
