package tokens

import (
	"encoding/json"
	"testing"
)

func TestRenderFunctions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fns  string
		want string
	}{
		{"no parameters", `[{"name":"ping"}]`, "namespace functions {\n\ntype ping = () => any;\n\n} // namespace functions"},
		{"empty properties", `[{"name":"ping","description":"Ping it","parameters":{"type":"object","properties":{}}}]`,
			"namespace functions {\n\n// Ping it\ntype ping = () => any;\n\n} // namespace functions"},
		{"required, optional, enums of strings and numbers, order kept",
			`[{"name":"f","parameters":{"type":"object","properties":{"zeta":{"type":"string","description":"Last letter"},"alpha":{"type":"integer","enum":[1,2,3]},"mode":{"type":"string","enum":["a","<b>"]}},"required":["alpha"]}}]`,
			"namespace functions {\n\ntype f = (_: {\n// Last letter\nzeta?: string,\nalpha: 1 | 2 | 3,\nmode?: \"a\" | \"<b>\",\n}) => any;\n\n} // namespace functions"},
		{"nested object, arrays, nested descriptions dropped",
			`[{"name":"f","parameters":{"type":"object","properties":{"items":{"type":"array","description":"The items","items":{"type":"object","properties":{"sku":{"type":"string","description":"hidden"},"qty":{"type":"number"}},"required":["sku"]}},"tags":{"type":"array","items":{"type":"string"}},"any":{"type":"array"}}}}]`,
			"namespace functions {\n\ntype f = (_: {\n// The items\nitems?: {\n  sku: string,\n  qty?: number,\n}[],\ntags?: string[],\nany?: any[],\n}) => any;\n\n} // namespace functions"},
		{"unions: anyOf, oneOf, type lists, consts as their type",
			`[{"name":"f","parameters":{"type":"object","properties":{"a":{"anyOf":[{"type":"string","const":"x"},{"type":"null"}]},"b":{"oneOf":[{"type":"boolean"},{"type":"number"}]},"c":{"type":["string","null"]},"d":{}}}}]`,
			"namespace functions {\n\ntype f = (_: {\na?: string | null,\nb?: boolean | number,\nc?: string | null,\nd?: any,\n}) => any;\n\n} // namespace functions"},
		{"several functions",
			`[{"name":"a","description":"First"},{"name":"b","parameters":{"type":"object","properties":{"x":{"type":"boolean"}},"required":["x"]}}]`,
			"namespace functions {\n\n// First\ntype a = () => any;\n\ntype b = (_: {\nx: boolean,\n}) => any;\n\n} // namespace functions"},
		{"malformed schema renders as no parameters", `[{"name":"f","parameters":{"type":"object","properties":{"a":}}}]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var fns []Function
			if err := json.Unmarshal([]byte(tt.fns), &fns); err != nil {
				if tt.want != "" {
					t.Fatal(err)
				}
				// Not JSON as a whole: render the raw schema directly.
				fns = []Function{{Name: "f", Parameters: json.RawMessage(`{"type":"object","properties":{"a":}}`)}}
				tt.want = "namespace functions {\n\ntype f = () => any;\n\n} // namespace functions"
			}
			if got := renderFunctions(fns); got != tt.want {
				t.Errorf("renderFunctions =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestParseSchemaDepthBound(t *testing.T) {
	t.Parallel()
	deep := ""
	for range 200 {
		deep += `{"type":"object","properties":{"a":`
	}
	deep += `{}`
	for range 200 {
		deep += `}}`
	}
	if s := parseSchema(json.RawMessage(deep)); s != nil {
		t.Error("a schema nested 200 deep was accepted")
	}
}
