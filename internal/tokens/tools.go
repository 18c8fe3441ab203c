package tokens

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// Tool definitions reach the model as text: OpenAI renders the functions of
// a request (the tools array, or the legacy functions array) into the
// system prompt as a TypeScript-like namespace, one type per function, a
// comment per description and a typed field per parameter:
//
//	namespace functions {
//
//	// Get the current weather in a given location
//	type get_current_weather = (_: {
//	// The city and state, e.g. San Francisco, CA
//	location: string,
//	unit?: "celsius" | "fahrenheit",
//	}) => any;
//
//	} // namespace functions
//
// The layout is a fact published with open-source estimators that match the
// API's prompt_tokens (and the cookbook's function-calling section); the
// code below is written from that description.

// renderFunctions returns the namespace text for the given functions.
func renderFunctions(fns []Function) string {
	var b strings.Builder
	b.WriteString("namespace functions {\n\n")
	for _, f := range fns {
		if f.Description != "" {
			b.WriteString("// ")
			b.WriteString(f.Description)
			b.WriteByte('\n')
		}
		params := parseSchema(f.Parameters)
		if params != nil && len(params.properties) > 0 {
			b.WriteString("type ")
			b.WriteString(f.Name)
			b.WriteString(" = (_: {\n")
			writeProperties(&b, params, 0)
			b.WriteString("}) => any;\n\n")
		} else {
			b.WriteString("type ")
			b.WriteString(f.Name)
			b.WriteString(" = () => any;\n\n")
		}
	}
	b.WriteString("} // namespace functions")
	return b.String()
}

// writeProperties writes the fields of an object schema, one per line,
// each after its description, indented by indent spaces.
func writeProperties(b *strings.Builder, obj *schema, indent int) {
	pad := strings.Repeat(" ", indent)
	for _, p := range obj.properties {
		// Nested fields are shown without their descriptions.
		if p.value.description != "" && indent == 0 {
			b.WriteString(pad)
			b.WriteString("// ")
			b.WriteString(p.value.description)
			b.WriteByte('\n')
		}
		b.WriteString(pad)
		b.WriteString(p.name)
		if !obj.requires(p.name) {
			b.WriteByte('?')
		}
		b.WriteString(": ")
		writeType(b, p.value, indent)
		b.WriteString(",\n")
	}
}

// writeType writes the TypeScript type of a schema.
func writeType(b *strings.Builder, s *schema, indent int) {
	// A const shows as its type, not its value (the API's counts say so).
	switch {
	case len(s.anyOf) > 0:
		for i, alt := range s.anyOf {
			if i > 0 {
				b.WriteString(" | ")
			}
			writeType(b, alt, indent)
		}
		return
	case len(s.enum) > 0:
		for i, v := range s.enum {
			if i > 0 {
				b.WriteString(" | ")
			}
			b.Write(v)
		}
		return
	}
	switch s.typ {
	case "string", "number", "boolean", "null":
		b.WriteString(s.typ)
	case "integer":
		b.WriteString("number")
	case "array":
		if s.items != nil {
			writeType(b, s.items, indent)
			b.WriteString("[]")
		} else {
			b.WriteString("any[]")
		}
	case "object":
		b.WriteString("{\n")
		writeProperties(b, s, indent+2)
		b.WriteString(strings.Repeat(" ", indent))
		b.WriteString("}")
	default:
		b.WriteString("any")
	}
}

// schema is the part of a JSON schema that shows in the rendering, with
// properties in the order the request lists them (the order the model sees;
// a map would lose it).
type schema struct {
	typ         string
	description string
	properties  []property
	required    []string
	items       *schema
	anyOf       []*schema
	enum        []json.RawMessage // compact JSON literals: "a", 1, true
}

type property struct {
	name  string
	value *schema
}

func (s *schema) requires(name string) bool {
	for _, r := range s.required {
		if r == name {
			return true
		}
	}
	return false
}

// parseSchema reads a JSON schema; a missing or malformed one is nil (it
// renders as a function without parameters, which is what an estimate can
// do with a definition OpenAI would reject).
func parseSchema(raw json.RawMessage) *schema {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	s, err := decodeSchema(dec, 0)
	if err != nil {
		return nil
	}
	return s
}

// maxSchemaDepth bounds recursion on hostile input.
const maxSchemaDepth = 64

var errSchema = errors.New("not a schema")

// decodeSchema reads one schema object from dec. Keys it does not render
// are skipped; a schema that is not an object (true, false) is "any".
func decodeSchema(dec *json.Decoder, depth int) (*schema, error) {
	if depth > maxSchemaDepth {
		return nil, errSchema
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	s := &schema{}
	if tok != json.Delim('{') {
		if d, ok := tok.(json.Delim); ok && d == '[' {
			if err := skipRest(dec); err != nil {
				return nil, err
			}
		}
		return s, nil
	}
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := keyTok.(string)
		switch key {
		case "type":
			var t any
			if err := dec.Decode(&t); err != nil {
				return nil, err
			}
			switch t := t.(type) {
			case string:
				s.typ = t
			case []any: // ["string", "null"]: a union of types
				for _, x := range t {
					if name, ok := x.(string); ok {
						s.anyOf = append(s.anyOf, &schema{typ: name})
					}
				}
			}
		case "description":
			var d any
			if err := dec.Decode(&d); err != nil {
				return nil, err
			}
			s.description, _ = d.(string)
		case "required":
			var r any
			if err := dec.Decode(&r); err != nil {
				return nil, err
			}
			if list, ok := r.([]any); ok {
				for _, x := range list {
					if name, ok := x.(string); ok {
						s.required = append(s.required, name)
					}
				}
			}
		case "properties":
			if s.properties, err = decodeProperties(dec, depth); err != nil {
				return nil, err
			}
		case "items":
			if s.items, err = decodeSchema(dec, depth+1); err != nil {
				return nil, err
			}
		case "anyOf", "oneOf":
			alts, err := decodeSchemaList(dec, depth)
			if err != nil {
				return nil, err
			}
			s.anyOf = append(s.anyOf, alts...)
		case "enum":
			var vals []json.RawMessage
			if err := dec.Decode(&vals); err != nil {
				return nil, err
			}
			for _, v := range vals {
				s.enum = append(s.enum, compact(v))
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
		}
	}
	_, err = dec.Token() // '}'
	return s, err
}

// decodeProperties reads a properties object, keeping its order.
func decodeProperties(dec *json.Decoder, depth int) ([]property, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		if d, ok := tok.(json.Delim); ok && d == '[' {
			return nil, skipRest(dec)
		}
		return nil, nil
	}
	var props []property
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		v, err := decodeSchema(dec, depth+1)
		if err != nil {
			return nil, err
		}
		props = append(props, property{name: keyTok.(string), value: v})
	}
	_, err = dec.Token()
	return props, err
}

// decodeSchemaList reads an array of schemas.
func decodeSchemaList(dec *json.Decoder, depth int) ([]*schema, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('[') {
		if d, ok := tok.(json.Delim); ok && d == '{' {
			return nil, skipRest(dec)
		}
		return nil, nil
	}
	var list []*schema
	for dec.More() {
		s, err := decodeSchema(dec, depth+1)
		if err != nil {
			return nil, err
		}
		list = append(list, s)
	}
	_, err = dec.Token()
	return list, err
}

// skipRest skips the rest of an object or array whose opening delimiter
// has been read.
func skipRest(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// compact returns v as compact JSON with HTML left unescaped: an enum value
// "<b>" is the text <b> to the model.
func compact(v json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return v
	}
	return buf.Bytes()
}
