package gentrace

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The seed corpora of these targets live in testdata/fuzz/<FuzzName>/, in
// the native format of go test, so that every plain `go test` replays them
// (including any input a fuzzing session found). To fuzz one target:
//
//	go test -run '^$' -fuzz '^FuzzParseRetryAfter$' -fuzztime 2m .

// fuzzNow is the clock parseRetryAfter is given: fixed, so that a date in
// the corpus means the same delay on every run.
var fuzzNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// FuzzParseRetryAfter checks parseRetryAfter against an independent reading
// of RFC 9110 §10.2.3: a value is delay-seconds (one or more ASCII digits,
// however many) or an HTTP date, nothing else; the wait is never negative
// and never longer than maxRetryAfter.
func FuzzParseRetryAfter(f *testing.F) {
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, fuzzNow)
		if d < 0 || d > maxRetryAfter {
			t.Fatalf("parseRetryAfter(%q) = %v, outside [0, %v]", v, d, maxRetryAfter)
		}
		if !ok && d != 0 {
			t.Fatalf("parseRetryAfter(%q) = %v, false; a rejected value must give 0", v, d)
		}
		s := strings.TrimSpace(v)
		if secs, isInt := delaySeconds(s); isInt {
			want := min(time.Duration(secs)*time.Second, maxRetryAfter)
			if !ok || d != want {
				t.Fatalf("parseRetryAfter(%q) = %v, %v; want %v, true (delay-seconds)", v, d, ok, want)
			}
			return
		}
		if date, err := http.ParseTime(s); err == nil {
			want := min(max(date.Sub(fuzzNow), 0), maxRetryAfter)
			if !ok || d != want {
				t.Fatalf("parseRetryAfter(%q) = %v, %v; want %v, true (HTTP date %v)", v, d, ok, want, date)
			}
			return
		}
		if ok {
			t.Fatalf("parseRetryAfter(%q) = %v, true; want it rejected: neither delay-seconds nor an HTTP date", v, d)
		}
	})
}

// delaySeconds reads s as RFC 9110 delay-seconds (1*DIGIT). A number too
// large for an int64 of seconds comes back as one minute past the cap,
// which is all the caller needs to know about it.
func delaySeconds(s string) (secs int64, ok bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	digits := strings.TrimLeft(s, "0")
	if len(digits) > 6 {
		return int64(maxRetryAfter/time.Second) + 60, true
	}
	n, err := strconv.ParseInt("0"+digits, 10, 64)
	if err != nil {
		panic(err) // at most six digits
	}
	return n, true
}

// FuzzMetadataJSON checks Metadata.UnmarshalJSON: it never panics; what it
// refuses it refuses with ErrInvalidMetadata; what it accepts is valid,
// encodes, and decodes again to the same value, whose encoding is the same
// bytes (the encoding is canonical).
func FuzzMetadataJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Metadata
		if err := m.UnmarshalJSON(data); err != nil {
			if !errors.Is(err, ErrInvalidMetadata) {
				t.Fatalf("UnmarshalJSON(%q) = %v; want an error wrapping ErrInvalidMetadata", data, err)
			}
			if m != nil {
				t.Fatalf("UnmarshalJSON(%q) failed but set the map to %v", data, m)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("UnmarshalJSON(%q) accepted %v, which Validate rejects: %v", data, m, err)
		}
		for k, v := range m {
			switch v.Kind() {
			case KindString, KindBoolean, KindURL:
			default:
				t.Fatalf("UnmarshalJSON(%q) accepted key %q of kind %q", data, k, v.Kind())
			}
		}
		enc, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("UnmarshalJSON(%q) accepted %v, which does not encode: %v", data, m, err)
		}
		var again Metadata
		if err := again.UnmarshalJSON(enc); err != nil {
			t.Fatalf("%v encodes to %s, which does not decode: %v", m, enc, err)
		}
		if !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip changed the metadata: %q → %v → %s → %v", data, m, enc, again)
		}
		enc2, err := json.Marshal(again)
		if err != nil || string(enc2) != string(enc) {
			t.Fatalf("encoding is not stable: %s, then %s (%v)", enc, enc2, err)
		}
	})
}

// FuzzParseCost checks ParseCost: it never panics; what it refuses it
// refuses with ErrInvalidCost; what it accepts is in dollars or cents with a
// finite value ≥ 0, and encodes to JSON that parses back to the identical
// cost (bit for bit).
func FuzzParseCost(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCost(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidCost) {
				t.Fatalf("ParseCost(%q) = %v; want an error wrapping ErrInvalidCost", data, err)
			}
			return
		}
		if c.Unit != UnitDollars && c.Unit != UnitCents {
			t.Fatalf("ParseCost(%q) accepted unit %q", data, c.Unit)
		}
		if math.IsNaN(c.Value) || math.IsInf(c.Value, 0) || c.Value < 0 {
			t.Fatalf("ParseCost(%q) accepted value %v", data, c.Value)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("ParseCost(%q) accepted %+v, which Validate rejects: %v", data, c, err)
		}
		enc, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("ParseCost(%q) accepted %+v, which does not encode: %v", data, c, err)
		}
		again, err := ParseCost(enc)
		if err != nil {
			t.Fatalf("%+v encodes to %s, which ParseCost refuses: %v", c, enc, err)
		}
		if again.Unit != c.Unit || math.Float64bits(again.Value) != math.Float64bits(c.Value) {
			t.Fatalf("round trip changed the cost: %q → %+v → %s → %+v", data, c, enc, again)
		}
	})
}
