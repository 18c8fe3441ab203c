package contract

import (
	"encoding/json"
	"fmt"
)

// A MetadataValue is one decoded metadata value object. The API accepts
// exactly three shapes, told apart by Type:
//
//	{"type": "url", "url": U, "text": T}   // U an absolute URL, T non-empty
//	{"type": "string", "value": S}         // S a string
//	{"type": "boolean", "value": B}        // B true or false
//
// Anything else (an unknown type, a missing or extra field, a value of the
// wrong type, null) makes the server reject the whole request.
type MetadataValue struct {
	// Type is "url", "string" or "boolean".
	Type string `json:"type"`
	// URL and Text are set for Type "url".
	URL  string `json:"url,omitempty"`
	Text string `json:"text,omitempty"`
	// Value is a string for Type "string" and a bool for Type "boolean", so
	// that it compares with == against a literal; nil for Type "url".
	Value any `json:"value,omitempty"`
}

// ParseMetadata validates a metadata map found at path (the caller has
// handled null) and decodes it. Errors name the key, as in
// metadata["env"].type.
func ParseMetadata(path string, raw json.RawMessage) (map[string]MetadataValue, error) {
	if !json.Valid(raw) {
		return nil, fmt.Errorf("%s is not valid JSON", path)
	}
	return parseMetadata(path, raw)
}

func parseMetadata(path string, raw json.RawMessage) (map[string]MetadataValue, error) {
	o, err := parseObject(path, raw)
	if err != nil {
		return nil, err
	}
	md := make(map[string]MetadataValue, len(o.members))
	for _, key := range o.keys() {
		v, err := parseMetadataValue(quoteKey(path, key), o.value(key))
		if err != nil {
			return nil, err
		}
		md[key] = v
	}
	return md, nil
}

// ParseMetadataValue validates one metadata value object found at path and
// decodes it; errors start with path.
func ParseMetadataValue(path string, raw json.RawMessage) (MetadataValue, error) {
	if !json.Valid(raw) {
		return MetadataValue{}, fmt.Errorf("%s is not valid JSON", path)
	}
	return parseMetadataValue(path, raw)
}

func parseMetadataValue(path string, raw json.RawMessage) (MetadataValue, error) {
	o, err := parseObject(path, raw)
	if err != nil {
		return MetadataValue{}, err
	}
	typ, err := o.str("type", true, false)
	if err != nil {
		return MetadataValue{}, err
	}
	v := MetadataValue{Type: typ}
	switch typ {
	case "url":
		if err := o.onlyFields("type", "url", "text"); err != nil {
			return MetadataValue{}, err
		}
		if v.URL, err = o.str("url", true, false); err != nil {
			return MetadataValue{}, err
		}
		if !isAbsoluteURL(v.URL) {
			return MetadataValue{}, fmt.Errorf("%s must be an absolute URL, got %q", o.at("url"), v.URL)
		}
		if v.Text, err = o.str("text", true, false); err != nil {
			return MetadataValue{}, err
		}
		if v.Text == "" {
			return MetadataValue{}, fmt.Errorf("%s must not be empty", o.at("text"))
		}
	case "string":
		if err := o.onlyFields("type", "value"); err != nil {
			return MetadataValue{}, err
		}
		s, err := o.str("value", true, false)
		if err != nil {
			return MetadataValue{}, err
		}
		v.Value = s
	case "boolean":
		if err := o.onlyFields("type", "value"); err != nil {
			return MetadataValue{}, err
		}
		raw, _, err := o.field("value", true, false)
		if err != nil {
			return MetadataValue{}, err
		}
		if err := wantKind(o.at("value"), raw, "boolean"); err != nil {
			return MetadataValue{}, err
		}
		v.Value = string(raw) == "true"
	default:
		return MetadataValue{}, fmt.Errorf(`%s must be one of "url", "string", "boolean"; got %q`, o.at("type"), typ)
	}
	return v, nil
}
