package sse

import (
	"bytes"
	"strings"
	"testing"
)

type got struct{ typ, data string }

func scanAll(s string) ([]got, int) {
	var out []got
	n := Each([]byte(s), func(ev Event) bool {
		out = append(out, got{string(ev.Type), string(ev.Data)})
		return true
	})
	return out, n
}

func TestEach(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want []got
	}{
		{"openai chat", "data: {\"a\":1}\n\ndata: [DONE]\n\n", []got{{"", `{"a":1}`}, {"", "[DONE]"}}},
		{"typed events", "event: response.created\ndata: {\"x\":1}\n\nevent: response.completed\ndata: {}\n\n", []got{{"response.created", `{"x":1}`}, {"response.completed", "{}"}}},
		{"crlf", "data: a\r\n\r\ndata:b\r\r", []got{{"", "a"}, {"", "b"}}},
		{"multi-line data", "data: one\ndata: two\ndata:\n\n", []got{{"", "one\ntwo\n"}}},
		{"comments and blank events", ": keep-alive\n\n\ndata: x\n\n", []got{{"", "x"}}},
		{"no space after colon, field without colon", "data:x\nid\nretry: 5\n\n", []got{{"", "x"}}},
		{"unfinished last event is dropped", "data: a\n\ndata: b", []got{{"", "a"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, _ := scanAll(c.in)
			if len(out) != len(c.want) {
				t.Fatalf("got %d events %q, want %q", len(out), out, c.want)
			}
			for i := range out {
				if out[i] != c.want[i] {
					t.Errorf("event %d = %q, want %q", i, out[i], c.want[i])
				}
			}
		})
	}
}

func TestNextNeedsMore(t *testing.T) {
	t.Parallel()
	var scratch []byte
	for _, partial := range []string{"", "data: x", "data: x\n", "data: x\r"} {
		if _, n, ok := Next([]byte(partial), &scratch, false); ok || n != 0 {
			t.Errorf("Next(%q) = %d, %v; want 0, false", partial, n, ok)
		}
	}
	ev, n, ok := Next([]byte("data: x\n\ndata: y"), &scratch, false)
	if !ok || n != len("data: x\n\n") || string(ev.Data) != "x" {
		t.Errorf("Next = %q, %d, %v", ev.Data, n, ok)
	}
}

// reference is a plain line-by-line reading of the standard, to check Each.
func reference(s string) []got {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var out []got
	var typ string
	var data []string
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		if i == len(lines)-1 {
			break // the unterminated last line (or the empty rest)
		}
		if line == "" {
			if len(data) > 0 || typ != "" {
				out = append(out, got{typ, strings.Join(data, "\n")})
			}
			typ, data = "", nil
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, found := strings.Cut(line, ":")
		if found {
			value = strings.TrimPrefix(value, " ")
		}
		switch field {
		case "data":
			data = append(data, value)
		case "event":
			typ = value
		}
	}
	return out
}

func FuzzEach(f *testing.F) {
	for _, s := range []string{"data: {\"a\":1}\n\ndata: [DONE]\n\n", "event: e\ndata: x\r\n\r\n", "data: a\ndata: b\n\n:c\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, n := scanAll(string(data))
		if n > len(data) {
			t.Fatalf("scanned %d of %d bytes", n, len(data))
		}
		want := reference(string(data))
		// Events with an empty data line and no type are dispatched by the
		// reference with Data "" too; Each skips only those with neither.
		var filtered []got
		for _, w := range want {
			if w.data != "" || w.typ != "" {
				filtered = append(filtered, w)
			}
		}
		var outFiltered []got
		for _, o := range out {
			if o.data != "" || o.typ != "" {
				outFiltered = append(outFiltered, o)
			}
		}
		if len(outFiltered) != len(filtered) {
			t.Fatalf("%q: got %q, reference %q", data, outFiltered, filtered)
		}
		for i := range filtered {
			if outFiltered[i] != filtered[i] {
				t.Fatalf("%q: event %d = %q, reference %q", data, i, outFiltered[i], filtered[i])
			}
		}
		// Scanning in two parts gives the same events as in one.
		if len(data) > 1 && !bytes.Contains(data, []byte("\r")) {
			half := len(data) / 2
			var scratch []byte
			var incremental []got
			buf := append([]byte(nil), data[:half]...)
			feed := func(final bool) {
				for {
					ev, n, ok := Next(buf, &scratch, final)
					if !ok {
						return
					}
					if len(ev.Data) > 0 || len(ev.Type) > 0 {
						incremental = append(incremental, got{string(ev.Type), string(ev.Data)})
					}
					buf = buf[n:]
				}
			}
			feed(false)
			buf = append(buf, data[half:]...)
			feed(true)
			if len(incremental) != len(outFiltered) {
				t.Fatalf("%q: incremental %q, whole %q", data, incremental, outFiltered)
			}
		}
	})
}

func BenchmarkEachChatStream(b *testing.B) {
	var sb strings.Builder
	for range 200 {
		sb.WriteString(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":" word"},"finish_reason":null}]}` + "\n\n")
	}
	sb.WriteString("data: [DONE]\n\n")
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		Each(data, func(Event) bool { n++; return true })
		if n != 201 {
			b.Fatal(n)
		}
	}
}
