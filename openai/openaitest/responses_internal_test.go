package openaitest

import (
	"bytes"
	"encoding/json"
	"testing"

	goopenai "github.com/sashabaranov/go-openai"
)

// FuzzResponsesRender checks that whatever JSON object a Responses API
// request carries, the response object and every event, which splice the
// request's values in, are valid JSON; and that the stream's final response
// is the plain one.
func FuzzResponsesRender(f *testing.F) {
	f.Add(`{"model":"gpt-5","input":"Hi","instructions":"Be brief.","tools":[{"type":"function","name":"f"}]}`, "Hi there", `{"a":1}`)
	f.Add(`{"temperature":0.5,"metadata":{"k":"v"},"reasoning":{"effort":"low"},"service_tier":"flex","store":false}`, "", "")
	f.Add(`{"input":[{"role":"user","content":"\u00e9\n"}],"text":{"format":{"type":"json_schema"}},"user":null}`, "é \" \\ </script>", "{")
	f.Add(` { "input" : "x" , "top_p" : 1e-3 } `, "x", "y")
	f.Fuzz(func(t *testing.T, body, text, args string) {
		if !json.Valid([]byte(body)) || len(body) == 0 || bytes.TrimSpace([]byte(body))[0] != '{' {
			t.Skip()
		}
		plan := Reply(Answer{Text: text, Reasoning: []string{text}, ToolCalls: []ToolCall{{Name: text, Arguments: args}},
			Failure: map[bool]*goopenai.APIError{true: {Message: text}}[len(text)%2 == 1]}).reply
		info := &requestInfo{seq: 7, body: []byte(body)}
		info.fill.vals[holeModel] = appendJSONString(nil, "m")
		rr, err := newResponsesRender(plan, info, &Response{})
		if err != nil {
			return // a member of the wrong type: the server answers 400
		}
		plain := rr.appendResponse(nil, true)
		if !json.Valid(plain) {
			t.Fatalf("response is not JSON: %s", plain)
		}
		events := rr.events()
		for _, ev := range append(events, rr.errorEvent(&goopenai.APIError{Message: text, Code: args})) {
			_, data, _ := bytes.Cut(bytes.TrimSuffix(ev, []byte("\n\n")), []byte("\ndata: "))
			if !json.Valid(data) {
				t.Fatalf("event is not JSON: %s", ev)
			}
		}
		_, last, _ := bytes.Cut(events[len(events)-1], []byte(`"response":`))
		if !bytes.HasPrefix(last, plain) {
			t.Fatalf("final event %s does not carry the plain response %s", last, plain)
		}
	})
}
