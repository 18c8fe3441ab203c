package viewer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/cmd/gentrace-dev/internal/store"
)

func TestJSONTree(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		want     []string // in this order
		not      []string
	}{
		{"key order kept", `{"b":1,"a":2}`, []string{`<span class="j-key">b</span>`, `<span class="j-key">a</span>`}, nil},
		{"scalars", `{"s":"x","n":1.50,"t":true,"z":null}`, []string{`<span class="j-str">"x"</span>`, `<span class="j-num">1.50</span>`, `<span class="j-lit">true</span>`, `<span class="j-lit">null</span>`}, nil},
		{"big numbers exact", `{"n":12345678901234567890}`, []string{`12345678901234567890`}, nil},
		{"escaped", `{"<k>":"</span><script>x</script>"}`, []string{`&lt;k&gt;`, `&lt;/span&gt;&lt;script&gt;`}, []string{"<script>", "<k>"}},
		{"empty containers", `{"o":{},"a":[]}`, []string{`<span class="j-key">o</span>: <span class="j-lit">{}</span>`, `<span class="j-lit">[]</span>`}, []string{"<details"}},
		{"sizes", `{"a":[1,2,3],"o":{"k":1}}`, []string{`<span class="j-key">a</span>: <span class="j-size">[ 3 items ]</span>`, `<span class="j-idx">2</span>: <span class="j-num">3</span>`, `{ 1 key }`}, nil},
		{"root is a plain list", `{"a":1}`, []string{`<div class="json"><ul><li><span class="j-key">a</span>`}, []string{"<details"}},
		{"deep starts closed", `{"a":{"b":{"c":{"d":{"e":{"f":{"g":1}}}}}}}`, []string{`<details open><summary><span class="j-key">a</span>`, `<details><summary><span class="j-key">f</span>`}, nil},
		{"large starts closed", `{"e":[` + strings.TrimSuffix(strings.Repeat("0.1,", 41), ",") + `]}`, []string{`<details><summary><span class="j-key">e</span>: <span class="j-size">[ 41 items ]`}, nil},
		{"scalar root", `"<x>"`, []string{`<span class="j-str">"&lt;x&gt;"</span>`}, nil},
		{"invalid shown as text", `{"a":<b>}`, []string{`<pre>{&#34;a&#34;:&lt;b&gt;}</pre>`}, nil},
		{"trailing data shown as text", `{} {}`, []string{`<pre>{} {}</pre>`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := string(jsonTree([]byte(tc.in)))
			at := 0
			for _, w := range tc.want {
				i := strings.Index(got[at:], w)
				if i < 0 {
					t.Fatalf("jsonTree(%s) =\n%s\nlacks %q (in order)", tc.in, got, w)
				}
				at += i + len(w)
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("jsonTree(%s) contains %q:\n%s", tc.in, n, got)
				}
			}
		})
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{0: "$0", 0.000123: "$0.000123", 0.00012345: "$0.000123", 0.0316: "$0.0316", 0.5: "$0.5", 0.25: "$0.25", 1.234: "$1.23", 12: "$12.00"} {
		if got := usd(in); got != want {
			t.Errorf("usd(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[time.Duration]string{187 * time.Millisecond: "187 ms", 1500 * time.Millisecond: "1.50 s", 125 * time.Second: "2m5s"} {
		if got := dur(in); got != want {
			t.Errorf("dur(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := count(in); got != want {
			t.Errorf("count(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestPreview(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, out, wantIn, wantOut string }{
		{`{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"},{"role":"assistant","content":"x"}]}`,
			`{"choices":[{"message":{"content":"hello"}}]}`, "hi", "hello"},
		{`{"messages":[{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:"}}]}]}`,
			`{"choices":[{"text":"done"}]}`, "look", "done"},
		{`{"input":"responses question"}`, `{"output":[{"type":"message","content":[{"type":"output_text","text":"responses answer"}]}]}`, "responses question", "responses answer"},
		{`{"prompt":"complete me"}`, `{"value":"bare"}`, "complete me", "bare"},
		{`{"year":2009}`, `{"answer":42,"cost":{"type":"cents","value":1}}`, `{"year":2009}`, `{"answer":42}`},
		{`{"html":"\u003cp\u003e"}`, `{"html":"\u003cb\u003e"}`, `{"html":"<p>"}`, `{"html":"<b>"}`},
		{`{}`, `{}`, "", ""},
	} {
		if got := inputPreview([]byte(tc.in)); got != tc.wantIn {
			t.Errorf("inputPreview(%s) = %q, want %q", tc.in, got, tc.wantIn)
		}
		if got := outputPreview([]byte(tc.out)); got != tc.wantOut {
			t.Errorf("outputPreview(%s) = %q, want %q", tc.out, got, tc.wantOut)
		}
	}
	long := strings.Repeat("é", previewLen+10)
	if got := inputPreview([]byte(`{"prompt":"` + long + `"}`)); len([]rune(got)) != previewLen+1 || !strings.HasSuffix(got, "…") {
		t.Errorf("a long preview is not clipped: %d runes", len([]rune(got)))
	}
}

func TestWaterfallGeometry(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	d := store.RunDetail{RunSummary: store.RunSummary{Start: t0}, End: t0.Add(time.Second)}
	for i := range 3 {
		d.Steps = append(d.Steps, store.StepDetail{Invocation: fmt.Sprint("s", i), Start: t0.Add(time.Duration(i) * 300 * time.Millisecond),
			End: t0.Add(time.Duration(i+1) * 300 * time.Millisecond)})
	}
	d.Steps[1].HasTTFT, d.Steps[1].TTFT = true, 150*time.Millisecond
	w := newWaterfall(d)
	if len(w.Bars) != 3 {
		t.Fatalf("%d bars", len(w.Bars))
	}
	b0, b1 := w.Bars[0], w.Bars[1]
	if b0.X != w.PlotX || b1.X <= b0.X || b1.Y <= b0.Y || b0.W != b1.W {
		t.Errorf("bars = %+v", w.Bars)
	}
	if !b1.HasTTFT || b1.TTFTX <= b1.X || b1.TTFTX >= b1.X+b1.W {
		t.Errorf("first-token mark at %v, bar %v..%v", b1.TTFTX, b1.X, b1.X+b1.W)
	}
	if end := w.Bars[2].X + w.Bars[2].W; end > w.PlotX+w.PlotW+0.5 {
		t.Errorf("the last bar ends at %v, past the plot (%v)", end, w.PlotX+w.PlotW)
	}
	if len(w.Ticks) < 3 || w.Ticks[0].Label != "0" {
		t.Errorf("ticks = %+v", w.Ticks)
	}
}

// FuzzJSONTree checks the tree's parser against encoding/json: on valid
// JSON it reads the same values, and the page never shows raw input.
func FuzzJSONTree(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[true,null,"x\u00e9\n"]}`, `[]`, `"s"`, `-1.5e3`, `{"a":{"b":{}}}`, `{"<":"</pre>"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		p := parser{b: b}
		n, ok := p.value()
		p.space()
		if !ok || p.i != len(b) {
			t.Fatalf("parser rejects valid JSON %q", b)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if got := toValue(n); !reflect.DeepEqual(got, want) {
			t.Fatalf("parser read %q as %#v, encoding/json as %#v", b, got, want)
		}
		if strings.Contains(string(jsonTree(b)), "<pre>") {
			t.Fatalf("jsonTree(%q) fell back to raw text", b)
		}
	})
}

// toValue turns a node into what encoding/json decodes with UseNumber.
func toValue(n *node) any {
	switch n.kind {
	case '{':
		m := map[string]any{}
		for i, c := range n.children {
			m[n.keys[i]] = toValue(c)
		}
		return m
	case '[':
		s := []any{}
		for _, c := range n.children {
			s = append(s, toValue(c))
		}
		return s
	case 's':
		return n.text
	case 'n':
		return json.Number(n.text)
	default:
		switch n.text {
		case "true":
			return true
		case "false":
			return false
		}
		return nil
	}
}
