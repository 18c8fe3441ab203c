package gentrace

import (
	"bytes"
	"encoding/json"
	"testing"
)

// appendString writes exactly what encoding/json writes with HTML escaping
// off.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " backslash \ `, "<b>&</b>", "tab\tnew\nline\rcr\b\f\x00\x1f",
		"héllo wörld 日本", "\u2028\u2029", "bad \xff utf8 \xc3", "emoji 🎉"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		got := appendString(nil, s)
		if !bytes.Equal(got, bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Fatalf("appendString(%q) = %s, encoding/json writes %s", s, got, want.Bytes())
		}
	})
}

func TestAppendObjectRejectsInvalidRawJSON(t *testing.T) {
	t.Parallel()
	if _, err := appendObject(nil, map[string]any{"bad": json.RawMessage(`{"a":`)}); err == nil {
		t.Fatal("invalid json.RawMessage accepted")
	}
	got, err := appendObject(nil, map[string]any{"b": json.RawMessage(`[1,2]`), "a": "<x>", "c": json.RawMessage(nil)})
	if err != nil || string(got) != `{"a":"<x>","b":[1,2],"c":null}` {
		t.Fatalf("appendObject = %s, %v", got, err)
	}
}
