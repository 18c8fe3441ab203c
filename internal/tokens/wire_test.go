package tokens

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestContentShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want Content
	}{
		{`"hi"`, Content{Text: "hi"}},
		{`null`, Content{}},
		{` [{"type":"text","text":"a"}] `, Content{Parts: []ContentPart{{Type: "text", Text: "a"}}}},
		{`[{"type":"image_url","image_url":{"url":"u","detail":"low"}}]`, Content{Parts: []ContentPart{{Type: "image_url", ImageURL: &ImageURL{URL: "u", Detail: "low"}}}}},
		{`[{"type":"input_image","image_url":"u","detail":"high"}]`, Content{Parts: []ContentPart{{Type: "input_image", InputImageURL: "u", Detail: "high"}}}},
		{`[{"type":"input_audio","input_audio":{"data":"d","format":"wav"}}]`, Content{Parts: []ContentPart{{Type: "input_audio", InputAudio: &InputAudio{Data: "d", Format: "wav"}}}}},
	}
	for _, tt := range tests {
		var got Content
		if err := json.Unmarshal([]byte(tt.raw), &got); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.raw, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Unmarshal(%s) = %+v, want %+v", tt.raw, got, tt.want)
		}
		if tt.raw == "null" {
			continue
		}
		// Encoding gives back a body that decodes to the same value.
		out, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var again Content
		if err := json.Unmarshal(out, &again); err != nil || !reflect.DeepEqual(again, tt.want) {
			t.Errorf("round trip of %s: %s → %+v, %v", tt.raw, out, again, err)
		}
	}
	for _, bad := range []string{`1`, `{"a":1}`, `true`, `[1]`} {
		var c Content
		if err := json.Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
}

func TestResponsesInputShapes(t *testing.T) {
	t.Parallel()
	var in ResponsesInput
	if err := json.Unmarshal([]byte(`"hello"`), &in); err != nil || in.Text != "hello" || in.Items != nil {
		t.Errorf("string input = %+v, %v", in, err)
	}
	if err := json.Unmarshal([]byte(`[{"role":"user","content":"x"},{"type":"function_call_output","call_id":"c","output":[{"type":"input_text","text":"y"}]}]`), &in); err != nil || len(in.Items) != 2 ||
		in.Items[1].Output.Parts[0].Text != "y" {
		t.Errorf("items input = %+v, %v", in, err)
	}
	if err := json.Unmarshal([]byte(`5`), &in); err == nil {
		t.Error("number input accepted")
	}
	out, err := json.Marshal(ResponsesInput{Text: "x"})
	if err != nil || string(out) != `"x"` {
		t.Errorf("Marshal = %s, %v", out, err)
	}
}

func TestToolFunc(t *testing.T) {
	t.Parallel()
	var tools []Tool
	body := `[{"type":"function","function":{"name":"a","description":"d","parameters":{"type":"object"}}},
	          {"type":"function","name":"b","description":"e","parameters":{"type":"object"},"strict":true},
	          {"type":"web_search"},
	          {"type":"function"}]`
	if err := json.Unmarshal([]byte(body), &tools); err != nil {
		t.Fatal(err)
	}
	if f, ok := tools[0].Func(); !ok || f.Name != "a" || f.Description != "d" {
		t.Errorf("nested: %+v, %v", f, ok)
	}
	if f, ok := tools[1].Func(); !ok || f.Name != "b" || f.Strict == nil || !*f.Strict || string(f.Parameters) != `{"type":"object"}` {
		t.Errorf("flat: %+v, %v", f, ok)
	}
	if _, ok := tools[2].Func(); ok {
		t.Error("web_search is not a function")
	}
	if _, ok := tools[3].Func(); ok {
		t.Error("a function tool without a function is not one")
	}
}

// FuzzDecodeAndCount feeds arbitrary bodies to the decoders and counters:
// nothing may panic, and a count is never negative.
func FuzzDecodeAndCount(f *testing.F) {
	f.Add([]byte(cookbookWeather))
	f.Add([]byte(cookbookSix))
	f.Add([]byte(`{"input":[{"type":"function_call","name":"f","arguments":"{}"},{"type":"reasoning","summary":[{"text":"x"}]}],"tools":[{"type":"function","name":"f","parameters":{"properties":{"a":{"anyOf":[{"type":"array","items":{"type":"object","properties":{"b":{"enum":[1,"x",null]}}}}]}}}}]}`))
	f.Add([]byte(`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var chat ChatRequest
		if json.Unmarshal(body, &chat) == nil {
			if e := ChatPrompt("gpt-4o", &chat); e.Tokens < 0 {
				t.Fatalf("ChatPrompt = %+v", e)
			}
			if e := ChatCompletion("gpt-4o", chat.Messages); e.Tokens < 0 {
				t.Fatalf("ChatCompletion = %+v", e)
			}
		}
		var resp ResponsesRequest
		if json.Unmarshal(body, &resp) == nil {
			if e := ResponsesPrompt("gpt-4.1-mini", &resp); e.Tokens < 0 {
				t.Fatalf("ResponsesPrompt = %+v", e)
			}
		}
		renderFunctions([]Function{{Name: "f", Parameters: body}})
	})
}
