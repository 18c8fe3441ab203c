package gentrace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
)

// Metadata is a set of typed values keyed by name, attached to a run or a
// step. Build values with String, Bool and URL. The zero value (nil) is an
// empty set.
type Metadata map[string]MetadataValue

// MetadataKind names the type of a MetadataValue as the API spells it.
type MetadataKind string

// The kinds of metadata value the Gentrace API accepts.
const (
	KindString  MetadataKind = "string"
	KindBoolean MetadataKind = "boolean"
	KindURL     MetadataKind = "url"
)

// MetadataValue is one typed metadata value. Make it with String, Bool or
// URL; the zero value has no kind and is rejected by Validate.
type MetadataValue struct {
	kind MetadataKind
	str  string // string value, or the URL of a url value
	text string // display text of a url value
	b    bool
}

// String returns a string metadata value.
func String(s string) MetadataValue { return MetadataValue{kind: KindString, str: s} }

// Bool returns a boolean metadata value.
func Bool(b bool) MetadataValue { return MetadataValue{kind: KindBoolean, b: b} }

// URL returns a url metadata value: a link u shown as text. u must be an
// absolute URL and text non-empty, or Validate reports it.
func URL(u, text string) MetadataValue { return MetadataValue{kind: KindURL, str: u, text: text} }

// Kind returns the value's kind, or "" for the zero value.
func (v MetadataValue) Kind() MetadataKind { return v.kind }

// StringValue returns the value of a string metadata value, and false for
// any other kind.
func (v MetadataValue) StringValue() (string, bool) { return v.str, v.kind == KindString }

// BoolValue returns the value of a boolean metadata value, and false for any
// other kind.
func (v MetadataValue) BoolValue() (bool, bool) { return v.b, v.kind == KindBoolean }

// URLValue returns the URL and text of a url metadata value, and false for
// any other kind.
func (v MetadataValue) URLValue() (u, text string, ok bool) { return v.str, v.text, v.kind == KindURL }

// String formats the value for people and logs.
func (v MetadataValue) String() string {
	switch v.kind {
	case KindString:
		return fmt.Sprintf("%q", v.str)
	case KindBoolean:
		return fmt.Sprint(v.b)
	case KindURL:
		return fmt.Sprintf("[%s](%s)", v.text, v.str)
	}
	return "<invalid>"
}

// validate reports why v is not a value the API accepts.
func (v MetadataValue) validate() error {
	switch v.kind {
	case KindString, KindBoolean:
		return nil
	case KindURL:
		u, err := url.Parse(v.str)
		if err != nil || !u.IsAbs() || u.Host == "" {
			return fmt.Errorf("url %q is not an absolute URL", v.str)
		}
		if v.text == "" {
			return fmt.Errorf("url value has empty text")
		}
		return nil
	case "":
		return fmt.Errorf("value has no type (use gentrace.String, gentrace.Bool or gentrace.URL)")
	}
	return fmt.Errorf("unknown type %q", v.kind)
}

// Validate reports the first invalid entry, in key order, as an error that
// wraps ErrInvalidMetadata and names the key: an empty key (the API would
// store a value nobody can name), or a value the API does not accept.
func (m Metadata) Validate() error {
	if _, ok := m[""]; ok {
		return fmt.Errorf("%w: empty key", ErrInvalidMetadata)
	}
	bad, found := "", false
	for k, v := range m {
		if (!found || k < bad) && v.validate() != nil {
			bad, found = k, true
		}
	}
	if !found {
		return nil
	}
	return fmt.Errorf("%w: key %q: %v", ErrInvalidMetadata, bad, m[bad].validate())
}

// MarshalJSON encodes the value as the API's value object:
// {"type":"string","value":S}, {"type":"boolean","value":B} or
// {"type":"url","url":U,"text":T}. An invalid value is an error.
func (v MetadataValue) MarshalJSON() ([]byte, error) {
	if err := v.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidMetadata, err)
	}
	switch v.kind {
	case KindString:
		return json.Marshal(struct {
			Type  MetadataKind `json:"type"`
			Value string       `json:"value"`
		}{v.kind, v.str})
	case KindBoolean:
		return json.Marshal(struct {
			Type  MetadataKind `json:"type"`
			Value bool         `json:"value"`
		}{v.kind, v.b})
	default:
		return json.Marshal(struct {
			Type MetadataKind `json:"type"`
			URL  string       `json:"url"`
			Text string       `json:"text"`
		}{v.kind, v.str, v.text})
	}
}

// UnmarshalJSON decodes one of the API's value objects and rejects anything
// else: an unknown type, a missing or extra field, or a value of the wrong
// type.
func (v *MetadataValue) UnmarshalJSON(data []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return fmt.Errorf("%w: want an object with a \"type\", got %s", ErrInvalidMetadata, abbreviate(data))
	}
	var kind string
	if err := json.Unmarshal(fields["type"], &kind); err != nil {
		return fmt.Errorf("%w: \"type\" must be a string, got %s", ErrInvalidMetadata, abbreviate(fields["type"]))
	}
	want := map[string][]string{
		"string":  {"type", "value"},
		"boolean": {"type", "value"},
		"url":     {"type", "url", "text"},
	}[kind]
	if want == nil {
		return fmt.Errorf("%w: unknown type %q (want \"string\", \"boolean\" or \"url\")", ErrInvalidMetadata, kind)
	}
	for name := range fields {
		if !slices.Contains(want, name) {
			return fmt.Errorf("%w: %s value has unexpected field %q", ErrInvalidMetadata, kind, name)
		}
	}
	field := func(name string, dst any) error {
		raw, ok := fields[name]
		if !ok || bytes.Equal(raw, []byte("null")) {
			return fmt.Errorf("%w: %s value needs %q", ErrInvalidMetadata, kind, name)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return fmt.Errorf("%w: %s value has %q of the wrong type: %s", ErrInvalidMetadata, kind, name, abbreviate(raw))
		}
		return nil
	}
	var out MetadataValue
	switch kind {
	case "string":
		out.kind = KindString
		if err := field("value", &out.str); err != nil {
			return err
		}
	case "boolean":
		out.kind = KindBoolean
		if err := field("value", &out.b); err != nil {
			return err
		}
	case "url":
		out.kind = KindURL
		if err := field("url", &out.str); err != nil {
			return err
		}
		if err := field("text", &out.text); err != nil {
			return err
		}
	}
	if err := out.validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidMetadata, err)
	}
	*v = out
	return nil
}

// UnmarshalJSON decodes a metadata object, naming the key of the first
// malformed value.
func (m *Metadata) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("%w: want an object of value objects, got %s", ErrInvalidMetadata, abbreviate(data))
	}
	if raw == nil {
		*m = nil
		return nil
	}
	if _, ok := raw[""]; ok {
		return fmt.Errorf("%w: empty key", ErrInvalidMetadata)
	}
	out := make(Metadata, len(raw))
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		var v MetadataValue
		if err := v.UnmarshalJSON(raw[k]); err != nil {
			return fmt.Errorf("key %q: %w", k, err)
		}
		out[k] = v
	}
	*m = out
	return nil
}

// MergeMetadata merges run metadata with the metadata of a run's steps, in
// step order, by the Gentrace rule (last write wins, run before every step):
// a key ends with the last step's value if that step set it, else with the
// run's value, else with the latest earlier step's value. For run
// {a:r, b:r} and steps {a:1, c:1}, {b:2} the result is {a:r, b:2, c:1}.
// The inputs are not modified; the result is never nil.
func MergeMetadata(run Metadata, steps ...Metadata) Metadata {
	out := Metadata{}
	if len(steps) > 0 {
		for _, s := range steps[:len(steps)-1] {
			maps.Copy(out, s)
		}
	}
	maps.Copy(out, run)
	if len(steps) > 0 {
		maps.Copy(out, steps[len(steps)-1])
	}
	return out
}

// abbreviate quotes at most 64 bytes of data for an error message.
func abbreviate(data []byte) string {
	const max = 64
	if len(data) > max {
		return string(data[:max]) + "…"
	}
	if len(data) == 0 {
		return "nothing"
	}
	return string(data)
}
