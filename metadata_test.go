package gentrace

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestMergeMetadataWorkedExample(t *testing.T) {
	t.Parallel()
	// SPEC §4: R {a:r, b:r}, S1 {a:1, c:1}, S2 {b:2} → {a:r, b:2, c:1}.
	r := Metadata{"a": String("r"), "b": String("r")}
	s1 := Metadata{"a": String("1"), "c": String("1")}
	s2 := Metadata{"b": String("2")}
	got := MergeMetadata(r, s1, s2)
	want := Metadata{"a": String("r"), "b": String("2"), "c": String("1")}
	assertMetadata(t, got, want)
	// The inputs are untouched.
	assertMetadata(t, r, Metadata{"a": String("r"), "b": String("r")})
}

func TestMergeMetadataRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		run   Metadata
		steps []Metadata
		want  Metadata
	}{
		{"no steps keeps run", Metadata{"a": String("r")}, nil, Metadata{"a": String("r")}},
		{"nothing at all", nil, nil, Metadata{}},
		{"last step beats run", Metadata{"a": String("r")}, []Metadata{{"a": String("1")}}, Metadata{"a": String("1")}},
		{"run beats earlier step", Metadata{"a": String("r")}, []Metadata{{"a": String("1")}, {}}, Metadata{"a": String("r")}},
		{"latest earlier step wins without run", nil, []Metadata{{"a": String("1")}, {"a": String("2")}, {}}, Metadata{"a": String("2")}},
		{"kinds may change", Metadata{"a": Bool(true)}, []Metadata{{"a": URL("https://x.test/", "x")}}, Metadata{"a": URL("https://x.test/", "x")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assertMetadata(t, MergeMetadata(tt.run, tt.steps...), tt.want)
		})
	}
}

func assertMetadata(t *testing.T, got, want Metadata) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("metadata = %s, want %s", g, w)
	}
}

func TestMetadataJSONRoundTrip(t *testing.T) {
	t.Parallel()
	m := Metadata{
		"env":  String("prod"),
		"beta": Bool(false),
		"doc":  URL("https://example.com/a?b=1", "the doc"),
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"beta":{"type":"boolean","value":false},"doc":{"type":"url","url":"https://example.com/a?b=1","text":"the doc"},"env":{"type":"string","value":"prod"}}`
	if string(data) != want {
		t.Fatalf("encoded %s\nwant    %s", data, want)
	}
	var back Metadata
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	assertMetadata(t, back, m)
	if s, ok := back["env"].StringValue(); !ok || s != "prod" {
		t.Errorf("env = %q, %v", s, ok)
	}
	if b, ok := back["beta"].BoolValue(); !ok || b {
		t.Errorf("beta = %v, %v", b, ok)
	}
	if u, text, ok := back["doc"].URLValue(); !ok || u != "https://example.com/a?b=1" || text != "the doc" {
		t.Errorf("doc = %q %q %v", u, text, ok)
	}
}

func TestMetadataValidateNamesKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		value   MetadataValue
		problem string
	}{
		{"zero value", MetadataValue{}, "no type"},
		{"relative url", URL("/docs", "docs"), "not an absolute URL"},
		{"url without scheme", URL("example.com", "docs"), "not an absolute URL"},
		{"empty url text", URL("https://example.com", ""), "empty text"},
		{"unknown kind", MetadataValue{kind: "number"}, `unknown type "number"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Metadata{"ok": String("x"), "bad key": tt.value}.Validate()
			if !errors.Is(err, ErrInvalidMetadata) {
				t.Fatalf("Validate() = %v, want ErrInvalidMetadata", err)
			}
			for _, part := range []string{`"bad key"`, tt.problem} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not mention %s", err, part)
				}
			}
			if _, err := json.Marshal(Metadata{"bad key": tt.value}); !errors.Is(err, ErrInvalidMetadata) {
				t.Errorf("Marshal error = %v, want ErrInvalidMetadata", err)
			}
		})
	}
}

func TestMetadataDecodeRejectsMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, json, problem string
	}{
		{"not an object", `"x"`, "want an object"},
		{"null value", `null`, "want an object"},
		{"array", `[]`, "want an object"},
		{"no type", `{"value":"x"}`, `"type" must be a string`},
		{"type not a string", `{"type":1,"value":"x"}`, `"type" must be a string`},
		{"unknown type", `{"type":"number","value":1}`, `unknown type "number"`},
		{"string without value", `{"type":"string"}`, `needs "value"`},
		{"string with null value", `{"type":"string","value":null}`, `needs "value"`},
		{"string with number", `{"type":"string","value":1}`, "wrong type"},
		{"boolean with string", `{"type":"boolean","value":"true"}`, "wrong type"},
		{"extra field", `{"type":"string","value":"x","extra":1}`, `unexpected field "extra"`},
		{"url without text", `{"type":"url","url":"https://x.test"}`, `needs "text"`},
		{"url with value", `{"type":"url","url":"https://x.test","text":"x","value":"y"}`, `unexpected field "value"`},
		{"url relative", `{"type":"url","url":"x","text":"x"}`, "not an absolute URL"},
		{"url empty text", `{"type":"url","url":"https://x.test","text":""}`, "empty text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var m Metadata
			err := json.Unmarshal([]byte(`{"k":`+tt.json+`}`), &m)
			if !errors.Is(err, ErrInvalidMetadata) {
				t.Fatalf("Unmarshal = %v, want ErrInvalidMetadata", err)
			}
			if !strings.Contains(err.Error(), `"k"`) || !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("error %q should name key \"k\" and say %q", err, tt.problem)
			}
		})
	}
	var m Metadata
	if err := json.Unmarshal([]byte(`[1]`), &m); !errors.Is(err, ErrInvalidMetadata) {
		t.Errorf("array: %v", err)
	}
}

// An empty key is invalid: in Validate, in decoding, and at Start.
func TestMetadataEmptyKeyIsInvalid(t *testing.T) {
	t.Parallel()
	m := Metadata{"": String("nameless"), "ok": String("x")}
	if err := m.Validate(); !errors.Is(err, ErrInvalidMetadata) || !strings.Contains(err.Error(), "empty key") {
		t.Errorf("Validate() = %v, want ErrInvalidMetadata saying empty key", err)
	}
	var back Metadata
	if err := json.Unmarshal([]byte(`{"":{"type":"string","value":"x"}}`), &back); !errors.Is(err, ErrInvalidMetadata) {
		t.Errorf("decoding an empty key = %v, want ErrInvalidMetadata", err)
	}
	c := offlineClient(t)
	p, _ := c.NewPipeline("p")
	if _, _, err := p.Start(t.Context(), RunContext{Metadata: m}); !errors.Is(err, ErrInvalidMetadata) {
		t.Errorf("Start with an empty metadata key = %v", err)
	}
	if _, err := c.NewPipeline("p", WithPipelineMetadata(m)); !errors.Is(err, ErrInvalidMetadata) {
		t.Errorf("NewPipeline with an empty metadata key = %v", err)
	}
}
