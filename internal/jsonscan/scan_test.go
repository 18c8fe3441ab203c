package jsonscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestValidAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	cases := []string{
		``, ` `, `null`, `true`, `false`, `nul`, `truex`, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `1e`, `1e+`, `1E-7`,
		`-12.5e10`, `""`, `"a`, `"\u00e9"`, `"\u00zz"`, `"\x"`, "\"\x01\"", "\"\xff\"", `"\/"`,
		`{}`, `{ }`, `{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":1 "b":2}`, `[]`, `[1,2]`, `[1,]`, `[,1]`,
		`[1 2]`, ` {"a" : [ 1 , { "b" : null } ] } `, `{"a":1}x`, `{"a":1}{}`, `[[[[]]]]`, `"\ud83d\ude00"`,
		`{"":""}`, `1 2`, "\t[\n]\r",
	}
	for _, c := range cases {
		if got, want := Valid([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("Valid(%q) = %v, encoding/json says %v", c, got, want)
		}
	}
}

func TestMembers(t *testing.T) {
	t.Parallel()
	data := []byte(` { "id" : "x", "n":[1, {"a":2}] ,"e\u0073c":null} `)
	var keys, values []string
	ok := Members(data, func(k, v []byte) bool {
		keys = append(keys, string(k))
		values = append(values, string(v))
		return true
	})
	if !ok {
		t.Fatal("Members reported an invalid object")
	}
	if got, want := strings.Join(keys, "|"), `id|n|e\u0073c`; got != want {
		t.Errorf("keys = %s, want %s", got, want)
	}
	if got, want := strings.Join(values, "|"), `"x"|[1, {"a":2}]|null`; got != want {
		t.Errorf("values = %s, want %s", got, want)
	}
	if v := Get(data, "esc"); string(v) != "null" {
		t.Errorf("Get with an escaped key = %q, want null", v)
	}
	if v := Get(data, "missing"); v != nil {
		t.Errorf("Get(missing) = %q, want nil", v)
	}
	for _, bad := range []string{`[]`, `{"a":}`, `{"a":1,}`, `{"a":1`, `{"a":1}x`, `"s"`} {
		if Members([]byte(bad), func(k, v []byte) bool { return true }) {
			t.Errorf("Members(%q) = true, want false", bad)
		}
	}
	stopped := 0
	if !Members(data, func(k, v []byte) bool { stopped++; return false }) || stopped != 1 {
		t.Errorf("stopping after one member: ok, calls = %d", stopped)
	}
}

func TestElements(t *testing.T) {
	t.Parallel()
	var got []string
	if !Elements([]byte(`[ 1 ,"two", {"three":3}, [4] ]`), func(v []byte) bool {
		got = append(got, string(v))
		return true
	}) {
		t.Fatal("Elements reported an invalid array")
	}
	if strings.Join(got, "|") != `1|"two"|{"three":3}|[4]` {
		t.Errorf("elements = %q", got)
	}
	for _, bad := range []string{`{}`, `[1,]`, `[1`, `[1]]`} {
		if Elements([]byte(bad), func(v []byte) bool { return true }) {
			t.Errorf("Elements(%q) = true, want false", bad)
		}
	}
	if !Elements([]byte(` [ ] `), func(v []byte) bool { t.Error("called for an empty array"); return true }) {
		t.Error("empty array invalid")
	}
}

func TestStrings(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{`"plain"`, "plain", true},
		{`"tab\there \"q\" \u00e9 \ud83d\ude00"`, "tab\there \"q\" é 😀", true},
		{`"é"`, "é", true},
		{`5`, "", false},
		{`"`, "", false},
	} {
		got, ok := String([]byte(c.in))
		if got != c.want || ok != c.ok {
			t.Errorf("String(%s) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	// Bodies concatenate into the body of the concatenation.
	a, _ := StringBody([]byte(`"Hel\"lo"`))
	b, _ := StringBody([]byte(`" w\u00f6rld"`))
	joined := append(append([]byte{'"'}, append(a, b...)...), '"')
	if s, ok := String(joined); !ok || s != `Hel"lo wörld` {
		t.Errorf("joined bodies decode to %q, %v", s, ok)
	}
	if !Key([]byte(`a\u0062`), "ab") || Key([]byte("ab"), "abc") {
		t.Error("Key compares decoded names")
	}
}

func TestInt(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{{"0", 0, true}, {"123", 123, true}, {"-45", -45, true}, {"1.5", 0, false}, {"1e3", 0, false}, {"", 0, false}, {"-", 0, false}, {"1234567890123456789", 0, false}} {
		got, ok := Int([]byte(c.in))
		if got != c.want || ok != c.ok {
			t.Errorf("Int(%q) = %d, %v", c.in, got, ok)
		}
	}
	if !IsNull(nil) || !IsNull([]byte("null")) || IsNull([]byte("0")) {
		t.Error("IsNull")
	}
	if string(Trim([]byte(" \n{}\t"))) != "{}" {
		t.Error("Trim")
	}
}

func TestDeepNestingIsBounded(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	if Valid([]byte(deep)) {
		t.Error("nesting beyond maxDepth is accepted")
	}
	ok := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	if !Valid([]byte(ok)) {
		t.Error("nesting of 100 is refused")
	}
}

// FuzzValid checks Valid against encoding/json.Valid, and that Members and
// Elements return sub-slices that are themselves valid values.
func FuzzValid(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":"c"}]}`, `[true,false,null]`, `"\u00e9"`, `-1.5e3`, `{"a":1,}`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Count(data, []byte("[")) > 1000 || bytes.Count(data, []byte("{")) > 1000 {
			return // depth limits are checked by TestDeepNestingIsBounded
		}
		got, want := Valid(data), json.Valid(data)
		if got != want {
			t.Fatalf("Valid(%q) = %v, encoding/json says %v", data, got, want)
		}
		if !got {
			return
		}
		Members(data, func(k, v []byte) bool {
			if !json.Valid(v) {
				t.Fatalf("member value %q of %q is not valid JSON", v, data)
			}
			var want map[string]json.RawMessage
			_ = json.Unmarshal(data, &want)
			if _, ok := unquoteBody(k); !ok {
				t.Fatalf("member key %q does not decode", k)
			}
			return true
		})
		Elements(data, func(v []byte) bool {
			if !json.Valid(v) {
				t.Fatalf("element %q of %q is not valid JSON", v, data)
			}
			return true
		})
		// The trusting walkers find the same members and elements.
		var slow, fast []string
		Members(data, func(k, v []byte) bool { slow = append(slow, string(k)+"="+string(v)); return true })
		ValidMembers(data, func(k, v []byte) bool { fast = append(fast, string(k)+"="+string(v)); return true })
		Elements(data, func(v []byte) bool { slow = append(slow, string(v)); return true })
		ValidElements(data, func(v []byte) bool { fast = append(fast, string(v)); return true })
		if strings.Join(slow, "\x00") != strings.Join(fast, "\x00") {
			t.Fatalf("%q: trusting walk %q, checking walk %q", data, fast, slow)
		}
		if s, ok := String(Trim(data)); ok {
			var want string
			if err := json.Unmarshal(data, &want); err != nil || want != s {
				t.Fatalf("String(%q) = %q, encoding/json says %q (%v)", data, s, want, err)
			}
		}
	})
}

func BenchmarkMembersChunk(b *testing.B) {
	chunk := []byte(`{"id":"chatcmpl-AbC123","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":" world"},"logprobs":null,"finish_reason":null}]}`)
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		Members(chunk, func(k, v []byte) bool {
			if Key(k, "choices") {
				Elements(v, func(c []byte) bool { n += len(Get(c, "delta")); return true })
			}
			return true
		})
		if n == 0 {
			b.Fatal("no delta")
		}
	}
}

func BenchmarkValidVsEncodingJSON(b *testing.B) {
	chunk := []byte(`{"id":"chatcmpl-AbC123","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":{"content":" world"},"logprobs":null,"finish_reason":null}]}`)
	b.Run("jsonscan", func(b *testing.B) {
		b.SetBytes(int64(len(chunk)))
		for b.Loop() {
			Valid(chunk)
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(chunk)))
		for b.Loop() {
			json.Valid(chunk)
		}
	})
}

func TestMembersFrom(t *testing.T) {
	t.Parallel()
	data := []byte(`{"id":"x","we\"ird":1, "choices" : [1],"usage":null}`)
	var keys []string
	var choicesAt int
	if !MembersFrom(data, 0, func(k, v []byte, at int) bool {
		keys = append(keys, string(k))
		if string(k) == "choices" {
			choicesAt = at
		}
		if string(data[at:at+len(v)]) != string(v) {
			t.Errorf("value %q not at %d", v, at)
		}
		return true
	}) {
		t.Fatal("invalid")
	}
	if strings.Join(keys, ",") != `id,we\"ird,choices,usage` {
		t.Errorf("keys = %q", keys)
	}
	start := KeyStart(data, choicesAt)
	if start < 0 || !strings.HasPrefix(string(data[start:]), `"choices"`) {
		t.Fatalf("KeyStart = %d", start)
	}
	if KeyStart(data, bytes.Index(data, []byte("1,"))) != bytes.Index(data, []byte(`"we`)) {
		t.Error("KeyStart of a key with an escaped quote")
	}
	keys = nil
	if !MembersFrom(data, start, func(k, v []byte, at int) bool { keys = append(keys, string(k)); return true }) ||
		strings.Join(keys, ",") != "choices,usage" {
		t.Errorf("from the choices key: %q", keys)
	}
	if MembersFrom([]byte(`{"a":1`), 0, func([]byte, []byte, int) bool { return true }) {
		t.Error("unterminated object accepted")
	}
}

func TestOnePassWalk(t *testing.T) {
	t.Parallel()
	data := []byte(` {"id":"x","choices":[{"index":0,"delta":{"content":"Hi"}},{"index":1,"delta":{}}],"usage":null} `)
	var got []string
	var walkObject func(at int) int
	walkObject = func(at int) int {
		return ObjectAt(data, at, func(k []byte, at int) int {
			switch string(k) {
			case "choices":
				return ArrayAt(data, at, walkObject)
			case "delta":
				return walkObject(at)
			}
			end := SkipAt(data, at)
			got = append(got, string(k)+"="+string(data[at:end]))
			return end
		})
	}
	if end := walkObject(0); end < 0 || string(Trim(data[end:])) != "" {
		t.Fatalf("walk ended at %d", end)
	}
	if want := `id="x" index=0 content="Hi" index=1 usage=null`; strings.Join(got, " ") != want {
		t.Errorf("walked %q, want %q", got, want)
	}
	// The rest of the object from a key's offset.
	k := bytes.Index(data, []byte(`"usage"`))
	var rest []string
	if end := ObjectRestAt(data, k, func(key []byte, at int) int { rest = append(rest, string(key)); return SkipAt(data, at) }); end < 0 || strings.Join(rest, ",") != "usage" {
		t.Errorf("ObjectRestAt = %d, %q", end, rest)
	}
	for _, bad := range []string{`{"a":}`, `{"a":1,}`, `[1,]`, `{"a" 1}`, `{`} {
		b := []byte(bad)
		if ObjectAt(b, 0, func(_ []byte, at int) int { return SkipAt(b, at) }) >= 0 && ArrayAt(b, 0, func(at int) int { return SkipAt(b, at) }) >= 0 {
			t.Errorf("%s walked as valid", bad)
		}
	}
}

// FuzzOnePassWalk checks that a one-pass walk of a document accepts exactly
// what Valid accepts, for objects and arrays.
func FuzzOnePassWalk(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"c"}]}`, `[true,{"x":null}]`, `{"a":1,}`, `[[],{}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Count(data, []byte("[")) > 500 || bytes.Count(data, []byte("{")) > 500 {
			return
		}
		var walk func(at int) int
		walk = func(at int) int {
			i := skipSpace(data, at)
			if i < len(data) && data[i] == '{' {
				return ObjectAt(data, i, func(_ []byte, at int) int { return walk(at) })
			}
			if i < len(data) && data[i] == '[' {
				return ArrayAt(data, i, walk)
			}
			return SkipAt(data, i)
		}
		end := walk(0)
		walked := end >= 0 && skipSpace(data, end) == len(data)
		if walked != Valid(data) {
			t.Fatalf("%q: one-pass walk %v, Valid %v", data, walked, Valid(data))
		}
	})
}

func BenchmarkValidPrompt(b *testing.B) {
	prompt := []byte(`{"model":"gpt-4o-mini","messages":[{"role":"system","content":"` + strings.Repeat("You are a support assistant for an online bookshop. Answer in a friendly, concise tone. ", 12) + `"}]}`)
	b.SetBytes(int64(len(prompt)))
	for b.Loop() {
		if !Valid(prompt) {
			b.Fatal("invalid")
		}
	}
}
