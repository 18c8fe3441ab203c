package tokens

import (
	"encoding/json"
	"testing"
)

func decodeResponses(tb testing.TB, body string) *ResponsesRequest {
	tb.Helper()
	var req ResponsesRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		tb.Fatalf("decode %s: %v", body, err)
	}
	return &req
}

// TestResponsesPromptAsChat checks that a Responses request counts as the
// chat request it amounts to: instructions as a system message, items as
// messages, flat function tools as nested ones, function calls and their
// outputs as tool calls and tool results.
func TestResponsesPromptAsChat(t *testing.T) {
	t.Parallel()
	const fn = `"name":"get_weather","description":"Weather in a city","parameters":{"type":"object","properties":{"city":{"type":"string","enum":["Paris","Rome"]}},"required":["city"]}`
	tests := []struct {
		name, responses, chat string
	}{
		{"string input", `{"model":"gpt-4o","input":"Tell me a joke"}`,
			`{"messages":[{"role":"user","content":"Tell me a joke"}]}`},
		{"instructions and message items", `{"model":"gpt-4o","instructions":"Be brief.","input":[{"role":"user","content":"hi"},{"type":"message","role":"assistant","content":[{"type":"output_text","text":"hello"}]}]}`,
			`{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}`},
		{"input_text parts", `{"model":"gpt-4o","input":[{"role":"user","content":[{"type":"input_text","text":"hello "},{"type":"input_text","text":"world"}]}]}`,
			`{"messages":[{"role":"user","content":"hello world"}]}`},
		{"flat function tools", `{"model":"gpt-4o","input":"hi","tools":[{"type":"function",` + fn + `,"strict":true}]}`,
			`{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{` + fn + `}}]}`},
		{"function call and output", `{"model":"gpt-4o","input":[{"role":"user","content":"weather?"},{"type":"function_call","call_id":"c1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},{"type":"function_call_output","call_id":"c1","output":"18C"}]}`,
			`{"messages":[{"role":"user","content":"weather?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"c1","content":"18C"}]}`},
		{"parallel function calls are one turn", `{"model":"gpt-4o","input":[{"type":"function_call","call_id":"a","name":"f","arguments":"{}"},{"type":"function_call","call_id":"b","name":"g","arguments":"{}"}]}`,
			`{"messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"b","type":"function","function":{"name":"g","arguments":"{}"}}]}]}`},
		{"named tool choice", `{"model":"gpt-4o","input":"hi","tools":[{"type":"function",` + fn + `}],"tool_choice":{"type":"function","name":"get_weather"}}`,
			`{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{` + fn + `}}],"tool_choice":{"type":"function","function":{"name":"get_weather"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ResponsesPrompt("", decodeResponses(t, tt.responses))
			want := ChatPrompt("gpt-4o", decodeChat(t, tt.chat))
			if got.Tokens != want.Tokens || !got.Complete() {
				t.Errorf("ResponsesPrompt = %+v, want %d tokens", got, want.Tokens)
			}
		})
	}
}

func TestResponsesPromptUnmeasured(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		extra      int // tokens beyond the same request without the item
		notes      int
	}{
		{"reasoning summary counted", `{"model":"o3","input":[{"type":"reasoning","summary":[{"type":"summary_text","text":"Thinking about it"}]}]}`,
			Count(O200kBase, "Thinking about it"), 0},
		{"encrypted reasoning reported", `{"model":"o3","input":[{"type":"reasoning","encrypted_content":"gAAAA"}]}`, 0, 1},
		{"hosted tool reported", `{"model":"gpt-4o","input":"hi","tools":[{"type":"web_search"}]}`, 0, 1},
		{"unknown item reported", `{"model":"gpt-4o","input":[{"type":"computer_call","call_id":"x"}]}`, 0, 1},
		{"image by file id", `{"model":"gpt-4o","input":[{"role":"user","content":[{"type":"input_image","file_id":"file-1"}]}]}`, 3 + Count(O200kBase, "user") + 85, 1},
		{"remote input_image", `{"model":"gpt-4o","input":[{"role":"user","content":[{"type":"input_image","image_url":"https://example.com/a.png"}]}]}`, 3 + Count(O200kBase, "user") + 85, 1},
		{"input_file", `{"model":"gpt-4o","input":[{"role":"user","content":[{"type":"input_file","file_id":"file-1"}]}]}`, 3 + Count(O200kBase, "user"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := decodeResponses(t, tt.body)
			got := ResponsesPrompt("", req)
			base := 3 // the reply priming
			if tt.name == "hosted tool reported" {
				base = ChatPrompt("gpt-4o", decodeChat(t, `{"messages":[{"role":"user","content":"hi"}]}`)).Tokens
			}
			if got.Tokens != base+tt.extra || len(got.Unmeasured) != tt.notes {
				t.Errorf("ResponsesPrompt = %+v, want %d tokens and %d notes", got, base+tt.extra, tt.notes)
			}
		})
	}
}

func TestResponsesCompletion(t *testing.T) {
	t.Parallel()
	enc := O200kBase
	out := ResponsesOutput{
		Text:             "The weather in Paris is mild.",
		ReasoningSummary: "Looked it up.",
		FunctionCalls:    []FunctionCall{{Name: "get_weather", Arguments: `{"city":"Paris"}`}},
	}
	want := Count(enc, out.Text) + Count(enc, out.ReasoningSummary) + Count(enc, "get_weather") + Count(enc, `{"city":"Paris"}`) + 7
	got := ResponsesCompletion("gpt-4o", out)
	if got.Tokens != want || !got.Complete() {
		t.Errorf("ResponsesCompletion = %+v, want %d", got, want)
	}
	if r := ResponsesCompletion("o4-mini", ResponsesOutput{Refusal: "No."}); r.Tokens != Count(enc, "No.") || r.Complete() {
		t.Errorf("reasoning model refusal = %+v, want hidden reasoning reported", r)
	}
}
