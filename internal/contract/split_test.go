package contract

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzSplit checks the splitters against encoding/json on valid JSON: the
// same members (last key wins) and elements, with the same bytes.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, ` { "a" : 1 , "b":[1,{"c":"}"}] } `, `{"a":1,"a":2}`, `{"\u0061":"x\"y","é":null}`,
		`[1, "two", {"three": [3]}, true, null, -1.5e3]`, `{"k":"\xff"}`, `{"a":{}}`, `[[],[[]]]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		var want map[string]json.RawMessage
		if json.Unmarshal(b, &want) == nil && want != nil {
			members, ok := splitObject(b)
			o := object{members: members}
			if !ok || len(o.keys()) != len(want) {
				t.Fatalf("splitObject(%q) = %v, %v; want %v", b, members, ok, want)
			}
			for k, v := range want {
				if got := o.value(k); !bytes.Equal(got, v) {
					t.Fatalf("splitObject(%q)[%q] = %q, want %q", b, k, got, v)
				}
			}
		} else if _, ok := splitObject(b); ok {
			t.Fatalf("splitObject(%q) accepted a non-object", b)
		}
		var items []json.RawMessage
		if json.Unmarshal(b, &items) == nil && items != nil {
			got, ok := splitArray(b)
			if !ok || len(got) != len(items) {
				t.Fatalf("splitArray(%q) = %q, %v; want %q", b, got, ok, items)
			}
			for i := range items {
				if !bytes.Equal(got[i], items[i]) {
					t.Fatalf("splitArray(%q)[%d] = %q, want %q", b, i, got[i], items[i])
				}
			}
		} else if _, ok := splitArray(b); ok {
			t.Fatalf("splitArray(%q) accepted a non-array", b)
		}
	})
}
