package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// The validators in this file check raw JSON values one field at a time so
// that every error names the field by its path, like
// stepRuns[0].context.metadata["env"].type. They are the building blocks of
// ParseRun, ParseTestResult and ParseNewTestCases.

// kind reports the JSON type of a raw value from its first byte.
func kind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

func isNull(raw json.RawMessage) bool { return kind(raw) == "null" }

// wantKind returns an error naming path unless raw has JSON type want.
func wantKind(path string, raw json.RawMessage, want string) error {
	if got := kind(raw); got != want {
		article := "a"
		if want == "object" || want == "array" {
			article = "an"
		}
		return fmt.Errorf("%s must be %s %s, got %s", path, article, want, got)
	}
	return nil
}

// decodeBody parses a request body that must be a JSON object.
func decodeBody(body []byte) (object, error) {
	if !json.Valid(body) {
		var v any
		err := json.Unmarshal(body, &v)
		return object{}, fmt.Errorf("request body is not valid JSON: %v", err)
	}
	if k := kind(body); k != "object" {
		return object{}, fmt.Errorf("request body must be a JSON object, got %s", k)
	}
	return parseObject("", body)
}

// object is a JSON object kept as raw members, with the path it was found
// at. Objects are small, so members are a slice searched from the end (the
// last of repeated keys wins, as in encoding/json).
type object struct {
	path    string
	members []member
}

type member struct {
	key string
	raw json.RawMessage
}

// value returns the raw value of key, nil when absent.
func (o object) value(key string) json.RawMessage {
	raw, _ := o.get(key)
	return raw
}

// get returns the raw value of the last member named key.
func (o object) get(key string) (json.RawMessage, bool) {
	for i := len(o.members) - 1; i >= 0; i-- {
		if o.members[i].key == key {
			return o.members[i].raw, true
		}
	}
	return nil, false
}

// parseObject splits the JSON object found at path into its members, the
// last one winning for a repeated key, as encoding/json does. raw must be
// valid JSON: the entry points check the whole body once, and the members
// are sub-slices of it, found without decoding them.
func parseObject(path string, raw json.RawMessage) (object, error) {
	if err := wantKind(path, raw, "object"); err != nil {
		return object{}, err
	}
	members, ok := splitObject(raw)
	if !ok { // not valid JSON after all: let encoding/json name the problem
		var m map[string]json.RawMessage
		err := json.Unmarshal(raw, &m)
		return object{}, fmt.Errorf("%s: %v", path, err)
	}
	return object{path: path, members: members}, nil
}

// parseArray splits the JSON array found at path into its elements; raw
// must be valid JSON, as for parseObject.
func parseArray(path string, raw json.RawMessage) ([]json.RawMessage, error) {
	if err := wantKind(path, raw, "array"); err != nil {
		return nil, err
	}
	items, ok := splitArray(raw)
	if !ok {
		var v []json.RawMessage
		err := json.Unmarshal(raw, &v)
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return items, nil
}

// The splitters below walk valid JSON text. They report false on anything
// unexpected instead of trusting it.

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string that starts at b[i].
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// skipValue returns the index just past the value that starts at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				if i = skipString(b, i); i < 0 {
					return -1
				}
				i--
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	default: // a number, true, false or null
		start := i
		for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
			i++
		}
		if i == start {
			return -1
		}
		return i
	}
}

func splitObject(b []byte) ([]member, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	members := make([]member, 0, 8)
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return members, skipSpace(b, i+1) == len(b)
	}
	for i < len(b) {
		if b[i] != '"' {
			return nil, false
		}
		end := skipString(b, i)
		if end < 0 {
			return nil, false
		}
		key, ok := unquote(b[i:end])
		if !ok {
			return nil, false
		}
		if i = skipSpace(b, end); i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = skipSpace(b, i+1)
		vEnd := skipValue(b, i)
		if vEnd < 0 {
			return nil, false
		}
		members = append(members, member{key, json.RawMessage(b[i:vEnd:vEnd])})
		switch i = skipSpace(b, vEnd); {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == '}':
			return members, skipSpace(b, i+1) == len(b)
		default:
			return nil, false
		}
	}
	return nil, false
}

func splitArray(b []byte) ([]json.RawMessage, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, false
	}
	items := []json.RawMessage{}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return items, skipSpace(b, i+1) == len(b)
	}
	for i < len(b) {
		end := skipValue(b, i)
		if end < 0 {
			return nil, false
		}
		items = append(items, json.RawMessage(b[i:end:end]))
		switch i = skipSpace(b, end); {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == ']':
			return items, skipSpace(b, i+1) == len(b)
		default:
			return nil, false
		}
	}
	return nil, false
}

// unquote decodes a JSON string literal: directly when it has no escapes
// and is valid UTF-8, else with encoding/json (which replaces invalid
// UTF-8 with U+FFFD).
func unquote(q []byte) (string, bool) {
	if len(q) < 2 {
		return "", false
	}
	inner := q[1 : len(q)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return "", false
	}
	return s, true
}

// at returns the path of the field key.
func (o object) at(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

// field returns the raw value of key and whether it carries a value. An
// absent required field is an error; null counts as absent only where the
// contract says the field is nullable, and is otherwise left to the type
// check to reject.
func (o object) field(key string, required, nullable bool) (json.RawMessage, bool, error) {
	raw, ok := o.get(key)
	switch {
	case !ok && required:
		return nil, false, fmt.Errorf("%s is required", o.at(key))
	case !ok, nullable && isNull(raw):
		return nil, false, nil
	}
	return raw, true, nil
}

// keys returns the field names in sorted order, so that when several fields
// are wrong the message names the same one every time.
func (o object) keys() []string {
	keys := make([]string, 0, len(o.members))
	for _, m := range o.members {
		keys = append(keys, m.key)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// onlyFields rejects any field not in allowed.
func (o object) onlyFields(allowed ...string) error {
	for _, k := range o.keys() {
		if !slices.Contains(allowed, k) {
			return fmt.Errorf("%s has unexpected field %q", o.path, k)
		}
	}
	return nil
}

// str returns the string at key; absent (or null where nullable) gives "".
func (o object) str(key string, required, nullable bool) (string, error) {
	raw, ok, err := o.field(key, required, nullable)
	if err != nil || !ok {
		return "", err
	}
	if len(raw) > 0 && raw[0] == '"' {
		if s, ok := unquote(raw); ok {
			return s, nil // the path is only built for an error
		}
	}
	return parseString(o.at(key), raw)
}

// time returns the RFC 3339 date-time at key, which is required.
func (o object) time(key string) (time.Time, error) {
	raw, _, err := o.field(key, true, false)
	if err != nil {
		return time.Time{}, err
	}
	if len(raw) > 0 && raw[0] == '"' {
		if s, ok := unquote(raw); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return t, nil
			}
		}
	}
	return parseTime(o.at(key), raw)
}

// millis returns the whole milliseconds at key, which is required.
func (o object) millis(key string) (int64, error) {
	raw, _, err := o.field(key, true, false)
	if err != nil {
		return 0, err
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil && n >= 0 {
		return n, nil
	}
	return parseMillis(o.at(key), raw)
}

// obj returns the object at key; ok is false when it is absent (or null where
// nullable).
func (o object) obj(key string, required, nullable bool) (object, bool, error) {
	raw, ok, err := o.field(key, required, nullable)
	if err != nil || !ok {
		return object{}, false, err
	}
	sub, err := parseObject(o.at(key), raw)
	return sub, err == nil, err
}

func parseString(path string, raw json.RawMessage) (string, error) {
	if err := wantKind(path, raw, "string"); err != nil {
		return "", err
	}
	s, ok := unquote(raw)
	if !ok {
		return "", fmt.Errorf("%s: not a valid JSON string", path)
	}
	return s, nil
}

// parseUUID accepts only the canonical 36-character form, in either case,
// and with v4 set only a version 4 RFC 4122 UUID, which is what the SDK makes.
func parseUUID(path string, raw json.RawMessage, v4 bool) (string, error) {
	s, err := parseString(path, raw)
	if err != nil {
		return "", err
	}
	u, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return "", fmt.Errorf("%s must be a UUID, got %q", path, s)
	}
	if v4 && (u.Version() != 4 || u.Variant() != uuid.RFC4122) {
		return "", fmt.Errorf("%s must be a version 4 UUID, got %q (version %d)", path, s, u.Version())
	}
	return s, nil
}

func parseTime(path string, raw json.RawMessage) (time.Time, error) {
	s, err := parseString(path, raw)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s must be an RFC 3339 date-time, got %q", path, s)
	}
	return t, nil
}

// parseMillis accepts a non-negative integer literal; a fraction or an
// exponent means the client did not send whole milliseconds.
func parseMillis(path string, raw json.RawMessage) (int64, error) {
	if k := kind(raw); k != "number" {
		return 0, fmt.Errorf("%s must be an integer, got %s", path, k)
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s must be an integer, got %s", path, raw)
	}
	if n < 0 {
		return 0, fmt.Errorf("%s must not be negative, got %d", path, n)
	}
	return n, nil
}

// parseMap decodes a JSON object into a map for the typed view of a record.
// The caller has checked that raw is an object.
func parseMap(path string, raw json.RawMessage) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return m, nil
}

// checkCost applies the manual cost rule to an outputs object: a "cost" key,
// when present, must be {"type": "dollars"|"cents", "value": N} with N a
// finite number ≥ 0.
func checkCost(outputs object) error {
	raw, ok := outputs.get("cost")
	if !ok {
		return nil
	}
	cost, err := parseObject(outputs.at("cost"), raw)
	if err != nil {
		return err
	}
	if err := cost.onlyFields("type", "value"); err != nil {
		return err
	}
	typ, err := cost.str("type", true, false)
	if err != nil {
		return err
	}
	if typ != "dollars" && typ != "cents" {
		return fmt.Errorf(`%s must be "dollars" or "cents", got %q`, cost.at("type"), typ)
	}
	value, _, err := cost.field("value", true, false)
	if err != nil {
		return err
	}
	if err := wantKind(cost.at("value"), value, "number"); err != nil {
		return err
	}
	n, err := strconv.ParseFloat(string(bytes.TrimSpace(value)), 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return fmt.Errorf("%s must be a finite number, got %s", cost.at("value"), value)
	}
	if n < 0 {
		return fmt.Errorf("%s must not be negative, got %s", cost.at("value"), value)
	}
	return nil
}

// isAbsoluteURL reports whether s has a scheme and something after it: a
// host (https://example.com) or an opaque part (mailto:a@example.com).
func isAbsoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && (u.Host != "" || u.Opaque != "")
}

// quoteKey formats a map key for a path, as in metadata["env"].
func quoteKey(path, key string) string {
	return path + "[" + strconv.Quote(key) + "]"
}
