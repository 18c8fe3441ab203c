// Package jsonscan walks encoded JSON without decoding it: it finds the
// members of an object and the elements of an array as sub-slices of the
// input, validating the grammar (RFC 8259) as strictly as encoding/json
// does, and allocates nothing.
//
// The wire recorder reads every chunk of every recorded stream; decoding
// each into Go values with encoding/json would cost more CPU than the rest
// of the SDK together (a 200-chunk stream is 200 decodes), and only a few
// fields of each chunk are needed. Slices returned here alias the input.
package jsonscan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"unicode/utf8"
)

// isSpace reports JSON whitespace.
func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// skipSpace returns the index of the first non-whitespace byte at or after i.
func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// Valid reports whether data is exactly one JSON value, optionally
// surrounded by whitespace. It agrees with encoding/json.Valid.
func Valid(data []byte) bool {
	i := skipSpace(data, 0)
	end := skipValue(data, i, 0)
	return end >= 0 && skipSpace(data, end) == len(data)
}

// Trim returns data without surrounding JSON whitespace.
func Trim(data []byte) []byte {
	i, j := 0, len(data)
	for i < j && isSpace(data[i]) {
		i++
	}
	for j > i && isSpace(data[j-1]) {
		j--
	}
	return data[i:j]
}

// maxDepth bounds nesting, as encoding/json does, so that hostile input
// cannot exhaust the stack.
const maxDepth = 10000

// skipValue returns the index just past the value starting at data[i] (no
// leading whitespace), or -1 when it is not a valid value.
func skipValue(data []byte, i, depth int) int {
	if i >= len(data) {
		return -1
	}
	switch c := data[i]; {
	case c == '"':
		return skipString(data, i)
	case c == '{':
		if depth >= maxDepth {
			return -1
		}
		return skipObject(data, i, depth+1)
	case c == '[':
		if depth >= maxDepth {
			return -1
		}
		return skipArray(data, i, depth+1)
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(data, i)
	case c == 't':
		return skipLiteral(data, i, "true")
	case c == 'f':
		return skipLiteral(data, i, "false")
	case c == 'n':
		return skipLiteral(data, i, "null")
	}
	return -1
}

func skipLiteral(data []byte, i int, lit string) int {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// skipString returns the index just past the string starting at data[i] (a
// quote), or -1. Control characters must be escaped; escapes must be valid;
// invalid UTF-8 is accepted, as encoding/json accepts it.
func skipString(data []byte, i int) int {
	i++
	start := i
	for i < len(data) {
		// Past its first bytes a string is likely long (a prompt, an
		// answer): go on eight bytes at a time while none is a quote, a
		// backslash or a control character. Short strings (keys, enums)
		// stay on the byte loop, which is faster for them.
		if i-start >= 16 {
			for i+8 <= len(data) && plainWord(binary.LittleEndian.Uint64(data[i:])) {
				i += 8
			}
			if i >= len(data) {
				break
			}
		}
		c := data[i]
		switch {
		case c == '"':
			return i + 1
		case c == '\\':
			if i+1 >= len(data) {
				return -1
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(data) {
					return -1
				}
				for _, h := range data[i+2 : i+6] {
					if !isHex(h) {
						return -1
					}
				}
				i += 6
			default:
				return -1
			}
		case c < 0x20:
			return -1
		default:
			i++
		}
	}
	return -1
}

// plainWord reports whether none of the eight bytes of w is '"', '\\' or
// below 0x20, with the usual bit tricks: a byte b is zero in x = w ^ c·k
// exactly when (x - 0x01…) &^ x has its high bit, and b < 0x20 when
// (w - 0x20…) &^ w has it.
func plainWord(w uint64) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	quote := w ^ (ones * '"')
	slash := w ^ (ones * '\\')
	return ((quote-ones)&^quote|(slash-ones)&^slash|(w-ones*0x20)&^w)&highs == 0
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// skipNumber returns the index just past the number starting at data[i].
func skipNumber(data []byte, i int) int {
	if data[i] == '-' {
		i++
	}
	if i >= len(data) {
		return -1
	}
	switch {
	case data[i] == '0':
		i++
	case data[i] >= '1' && data[i] <= '9':
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	default:
		return -1
	}
	if i < len(data) && data[i] == '.' {
		i++
		start := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == start {
			return -1
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		start := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == start {
			return -1
		}
	}
	return i
}

func skipObject(data []byte, i, depth int) int {
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return -1
		}
		if i = skipString(data, i); i < 0 {
			return -1
		}
		i = skipSpace(data, i)
		if i >= len(data) || data[i] != ':' {
			return -1
		}
		i = skipSpace(data, i+1)
		if i = skipValue(data, i, depth); i < 0 {
			return -1
		}
		i = skipSpace(data, i)
		if i >= len(data) {
			return -1
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return i + 1
		default:
			return -1
		}
	}
}

func skipArray(data []byte, i, depth int) int {
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return i + 1
	}
	for {
		if i = skipValue(data, i, depth); i < 0 {
			return -1
		}
		i = skipSpace(data, i)
		if i >= len(data) {
			return -1
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case ']':
			return i + 1
		default:
			return -1
		}
	}
}

// Members calls fn with each member of the JSON object data (surrounding
// whitespace allowed), in order: key is the raw text between the key's
// quotes (escapes not decoded; compare it with Key), value the member's
// encoded value without surrounding whitespace. fn returns false to stop.
// Members reports false when data is not a valid object; fn may have seen
// the members before the fault, which is why callers validate first or
// discard what they gathered.
func Members(data []byte, fn func(key, value []byte) bool) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	return MembersFrom(data, i, func(key, value []byte, _ int) bool { return fn(key, value) })
}

// Elements calls fn with each element of the JSON array data, in order,
// each without surrounding whitespace; fn returns false to stop. It reports
// false when data is not a valid array.
func Elements(data []byte, fn func(value []byte) bool) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return skipSpace(data, i+1) == len(data)
	}
	for {
		end := skipValue(data, i, 1)
		if end < 0 {
			return false
		}
		if !fn(data[i:end:end]) {
			return true
		}
		i = skipSpace(data, end)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case ']':
			return skipSpace(data, i+1) == len(data)
		default:
			return false
		}
	}
}

// Get returns the value of the first member named key in the object data,
// or nil when data is not an object or has no such member.
func Get(data []byte, key string) []byte {
	var found []byte
	Members(data, func(k, v []byte) bool {
		if Key(k, key) {
			found = v
			return false
		}
		return true
	})
	return found
}

// Key reports whether the raw key (as Members passes it) names name.
func Key(raw []byte, name string) bool {
	if string(raw) == name {
		return true
	}
	for _, c := range raw {
		if c == '\\' {
			s, ok := unquoteBody(raw)
			return ok && s == name
		}
	}
	return false
}

// IsNull reports whether value is the literal null (or absent: nil).
func IsNull(value []byte) bool { return len(value) == 0 || string(value) == "null" }

// StringBody returns the text between the quotes of the JSON string value,
// escapes left as they are, and false when value is not a string. Bodies of
// several strings concatenate into the body of their concatenation, which
// is how stream deltas are joined without decoding them.
func StringBody(value []byte) ([]byte, bool) {
	if len(value) < 2 || value[0] != '"' || value[len(value)-1] != '"' {
		return nil, false
	}
	return value[1 : len(value)-1], true
}

// String decodes the JSON string value, and reports false when value is
// not a string.
func String(value []byte) (string, bool) {
	body, ok := StringBody(value)
	if !ok {
		return "", false
	}
	return unquoteBody(body)
}

// unquoteBody decodes the body of a JSON string: quickly when it has no
// escapes; through encoding/json otherwise, which also replaces invalid
// UTF-8 as encoding/json does.
func unquoteBody(body []byte) (string, bool) {
	plain := true
	for _, c := range body {
		if c == '\\' || c >= utf8.RuneSelf || c < 0x20 || c == '"' {
			plain = false
			break
		}
	}
	if plain {
		return string(body), true
	}
	quoted := make([]byte, 0, len(body)+2)
	quoted = append(quoted, '"')
	quoted = append(quoted, body...)
	quoted = append(quoted, '"')
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return "", false
	}
	return s, true
}

// Int returns the integer value of a JSON number without fraction or
// exponent, and false otherwise (or on overflow).
func Int(value []byte) (int64, bool) {
	if len(value) == 0 {
		return 0, false
	}
	neg := value[0] == '-'
	digits := value
	if neg {
		digits = value[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// Prefix returns the length of the JSON value at the start of data (after
// whitespace), or -1 when data does not start with a valid value.
func Prefix(data []byte) int {
	return skipValue(data, skipSpace(data, 0), 0)
}

// MembersFrom is Members for the members of the object data from offset
// off on: off is the offset of the object's '{', or of the first byte
// (the opening quote) of one of its keys, the members before being taken
// as already walked. fn also gets the offset of each value in data. It
// lets a caller that has seen a prefix of data before (the same fields at
// the start of every chunk of a stream) skip it.
func MembersFrom(data []byte, off int, fn func(key, value []byte, at int) bool) bool {
	i := skipSpace(data, off)
	if i >= len(data) {
		return false
	}
	if data[i] == '{' {
		i = skipSpace(data, i+1)
		if i < len(data) && data[i] == '}' {
			return skipSpace(data, i+1) == len(data)
		}
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return false
		}
		kEnd := skipString(data, i)
		if kEnd < 0 {
			return false
		}
		key := data[i+1 : kEnd-1]
		i = skipSpace(data, kEnd)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		vEnd := skipValue(data, i, 1)
		if vEnd < 0 {
			return false
		}
		if !fn(key, data[i:vEnd:vEnd], i) {
			return true
		}
		i = skipSpace(data, vEnd)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return skipSpace(data, i+1) == len(data)
		default:
			return false
		}
	}
}

// KeyStart returns the offset of the opening quote of the key whose value
// starts at offset at, for a value found by MembersFrom in compact or
// spaced JSON.
func KeyStart(data []byte, at int) int {
	i := at - 1
	for i >= 0 && isSpace(data[i]) {
		i--
	}
	if i < 0 || data[i] != ':' {
		return -1
	}
	i--
	for i >= 0 && isSpace(data[i]) {
		i--
	}
	if i < 0 || data[i] != '"' {
		return -1
	}
	// Walk back to the key's opening quote: the first quote not escaped.
	for j := i - 1; j >= 0; j-- {
		if data[j] == '"' {
			k := j - 1
			for k >= 0 && data[k] == '\\' {
				k--
			}
			if (j-k)%2 == 1 {
				return j
			}
		}
	}
	return -1
}

// The walkers below trust their input: data must be a valid JSON value, as
// a value that Members, MembersFrom or Elements passed is. They skip
// values without checking the grammar again, which makes nested walks of
// a validated document about twice as fast.

// fastSkip returns the index just past the valid value at data[i].
func fastSkip(data []byte, i int) int {
	switch data[i] {
	case '"':
		return fastString(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				j = fastString(data, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(data)
	}
	for j := i; j < len(data); j++ {
		switch data[j] {
		case ',', '}', ']', ' ', '\n', '\r', '\t':
			return j
		}
	}
	return len(data)
}

// fastString returns the index just past the valid string at data[i].
func fastString(data []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(data[j:], '"')
		if k < 0 {
			return len(data)
		}
		j += k
		// The quote ends the string unless an odd number of backslashes
		// precede it.
		n := 0
		for b := j - 1; b > i && data[b] == '\\'; b-- {
			n++
		}
		if n%2 == 0 {
			return j + 1
		}
		j++
	}
}

// ValidMembers is Members for an object already known to be valid.
func ValidMembers(data []byte, fn func(key, value []byte) bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return
	}
	i = skipSpace(data, i+1)
	for i < len(data) && data[i] == '"' {
		kEnd := fastString(data, i)
		key := data[i+1 : kEnd-1]
		i = skipSpace(data, kEnd) + 1 // past ':'
		i = skipSpace(data, i)
		vEnd := fastSkip(data, i)
		if !fn(key, data[i:vEnd:vEnd]) {
			return
		}
		i = skipSpace(data, vEnd)
		if i < len(data) && data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
}

// ValidElements is Elements for an array already known to be valid.
func ValidElements(data []byte, fn func(value []byte) bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return
	}
	i = skipSpace(data, i+1)
	for i < len(data) && data[i] != ']' {
		end := fastSkip(data, i)
		if !fn(data[i:end:end]) {
			return
		}
		i = skipSpace(data, end)
		if i < len(data) && data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
}

// The walkers below descend in one pass: fn is handed the offset where a
// value starts and returns the offset just past it (or -1), either by
// skipping it (SkipAt) or by walking into it (ObjectAt, ArrayAt). Every
// byte is checked once, however deep the walk goes.

// SkipAt returns the offset just past the valid value starting at
// data[at] (whitespace before it allowed), or -1.
func SkipAt(data []byte, at int) int {
	return skipValue(data, skipSpace(data, at), 1)
}

// ObjectAt walks the object starting at data[off] (whitespace before it
// allowed): fn gets each member's raw key (as Members passes it) and the
// offset of its value, and returns the offset just past that value, or -1
// to stop. ObjectAt returns the offset just past the object, or -1 when it
// is not a valid object (or fn stopped).
func ObjectAt(data []byte, off int, fn func(key []byte, at int) int) int {
	i := skipSpace(data, off)
	if i >= len(data) || data[i] != '{' {
		return -1
	}
	return membersAt(data, skipSpace(data, i+1), true, fn)
}

// ObjectRestAt walks the rest of an object from the offset of one of its
// keys (the part after a prefix the caller has already read), as ObjectAt
// does, and returns the offset just past the object's closing brace.
func ObjectRestAt(data []byte, off int, fn func(key []byte, at int) int) int {
	return membersAt(data, skipSpace(data, off), false, fn)
}

func membersAt(data []byte, i int, first bool, fn func(key []byte, at int) int) int {
	if first && i < len(data) && data[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return -1
		}
		kEnd := skipString(data, i)
		if kEnd < 0 {
			return -1
		}
		key := data[i+1 : kEnd-1]
		i = skipSpace(data, kEnd)
		if i >= len(data) || data[i] != ':' {
			return -1
		}
		at := skipSpace(data, i+1)
		end := fn(key, at)
		if end < 0 {
			return -1
		}
		i = skipSpace(data, end)
		if i >= len(data) {
			return -1
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return i + 1
		default:
			return -1
		}
	}
}

// ArrayAt walks the array starting at data[off] (whitespace before it
// allowed): fn gets the offset of each element and returns the offset just
// past it, or -1 to stop. ArrayAt returns the offset just past the array,
// or -1.
func ArrayAt(data []byte, off int, fn func(at int) int) int {
	i := skipSpace(data, off)
	if i >= len(data) || data[i] != '[' {
		return -1
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return i + 1
	}
	for {
		end := fn(i)
		if end < 0 {
			return -1
		}
		i = skipSpace(data, end)
		if i >= len(data) {
			return -1
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case ']':
			return i + 1
		default:
			return -1
		}
	}
}
