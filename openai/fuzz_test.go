package openai

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

// chunkScript turns fuzz input into a sequence of chat stream chunks. Each
// operation reads an opcode byte, a choice byte and, for text, a length
// byte and that many bytes (any bytes, invalid UTF-8 included).
type chunkScript struct {
	data []byte
}

func (s *chunkScript) byte() (byte, bool) {
	if len(s.data) == 0 {
		return 0, false
	}
	b := s.data[0]
	s.data = s.data[1:]
	return b, true
}

func (s *chunkScript) text() string {
	n, _ := s.byte()
	n %= 16
	if int(n) > len(s.data) {
		n = byte(len(s.data))
	}
	t := string(s.data[:n])
	s.data = s.data[n:]
	return t
}

// expectation is what the aggregate must hold for one choice.
type expectation struct {
	content, refusal, reasoning, function string
	args                                  map[int]string // by tool-call index
	argsTotal                             int            // bytes of all argument deltas
	unindexed                             bool           // a tool-call delta had no index
	finish                                openai.FinishReason
}

func FuzzChatStreamAggregate(f *testing.F) {
	f.Add([]byte("\x00\x00\x05Hello\x00\x00\x06 world\x03\x00"))
	f.Add([]byte("\x01\x00\x00\x08{\"city\":\x01\x00\x01\x07{\"tz\":\x01\x00\x00\x07\"Paris\"\x01\x00\x01\x05\"CET\"\x03\x00"))
	f.Add([]byte("\x00\x01\x03abc\x00\x00\x03xyz\x03\x01\x03\x00\x04\x00"))
	f.Add([]byte("\x05\x00\x03{\"a\x05\x00\x02\":1\x02\x00\x04no!!\x06\x00\x03hmm"))
	f.Fuzz(func(t *testing.T, data []byte) {
		script := &chunkScript{data: data}
		var agg chatAggregate
		want := map[int]*expectation{}
		get := func(i int) *expectation {
			if want[i] == nil {
				want[i] = &expectation{args: map[int]string{}}
			}
			return want[i]
		}
		var usage *openai.Usage
		reasons := []openai.FinishReason{openai.FinishReasonStop, openai.FinishReasonLength,
			openai.FinishReasonToolCalls, openai.FinishReasonContentFilter, openai.FinishReasonNull}
		for {
			op, ok := script.byte()
			if !ok {
				break
			}
			c, _ := script.byte()
			choice := int(c % 3)
			chunk := openai.ChatCompletionStreamResponse{ID: "id", Model: "gpt-4o"}
			if op%8 == 4 {
				// A usage-only chunk, as include_usage sends last.
				chunk.Usage = &openai.Usage{PromptTokens: int(c), TotalTokens: int(c)}
				usage = chunk.Usage
				agg.add(&chunk)
				continue
			}
			e := get(choice)
			var ch openai.ChatCompletionStreamChoice
			ch.Index = choice
			switch op % 8 {
			case 0:
				ch.Delta.Content = script.text()
				e.content += ch.Delta.Content
			case 1:
				idx := int(c/3) % 4
				args := script.text()
				tc := openai.ToolCall{Index: &idx, Function: openai.FunctionCall{Arguments: args}}
				if c&0x80 != 0 {
					tc.ID, tc.Function.Name = "call", "fn"
				}
				ch.Delta.ToolCalls = []openai.ToolCall{tc}
				e.args[idx] += args
				e.argsTotal += len(args)
			case 2:
				ch.Delta.Refusal = script.text()
				e.refusal += ch.Delta.Refusal
			case 3:
				r := reasons[int(c/3)%len(reasons)]
				ch.FinishReason = r
				if r != openai.FinishReasonNull {
					e.finish = r
				}
			case 5:
				args := script.text()
				ch.Delta.FunctionCall = &openai.FunctionCall{Arguments: args}
				e.function += args
			case 6:
				ch.Delta.ReasoningContent = script.text()
				e.reasoning += ch.Delta.ReasoningContent
			case 7:
				// A tool-call delta without an index: a new call when it has
				// an ID, else a continuation of the last one.
				args := script.text()
				tc := openai.ToolCall{Function: openai.FunctionCall{Arguments: args}}
				if c&0x80 != 0 {
					tc.ID = "x"
				}
				ch.Delta.ToolCalls = []openai.ToolCall{tc}
				e.unindexed = true
				e.argsTotal += len(args)
			}
			chunk.Choices = []openai.ChatCompletionStreamChoice{ch}
			agg.add(&chunk)
		}

		resp := agg.response()
		if (usage == nil) != (resp.Usage == nil) || usage != nil && *usage != *resp.Usage {
			t.Errorf("usage %+v, want the last usage chunk's %+v", resp.Usage, usage)
		}
		if _, err := json.Marshal(resp); err != nil {
			t.Fatalf("aggregate does not encode: %v", err)
		}
		seen := map[int]bool{}
		for i, got := range resp.Choices {
			if i > 0 && resp.Choices[i-1].Index >= got.Index {
				t.Fatalf("choices out of order: %d then %d", resp.Choices[i-1].Index, got.Index)
			}
			seen[got.Index] = true
			e := want[got.Index]
			if e == nil {
				t.Fatalf("choice %d appeared from nowhere", got.Index)
			}
			m := got.Message
			if m.Content != e.content || m.Refusal != e.refusal || m.ReasoningContent != e.reasoning {
				t.Errorf("choice %d: content %q refusal %q reasoning %q, want %q %q %q",
					got.Index, m.Content, m.Refusal, m.ReasoningContent, e.content, e.refusal, e.reasoning)
			}
			if got.FinishReason != e.finish {
				t.Errorf("choice %d: finish %q, want %q", got.Index, got.FinishReason, e.finish)
			}
			if e.function != "" && (m.FunctionCall == nil || m.FunctionCall.Arguments != e.function) {
				t.Errorf("choice %d: function call %+v, want arguments %q", got.Index, m.FunctionCall, e.function)
			}
			total := 0
			for _, tc := range m.ToolCalls {
				total += len(tc.Function.Arguments)
			}
			if total != e.argsTotal {
				t.Errorf("choice %d: %d bytes of tool-call arguments, want %d", got.Index, total, e.argsTotal)
			}
			if !e.unindexed {
				if len(m.ToolCalls) != len(e.args) {
					t.Fatalf("choice %d: %d tool calls, want %d", got.Index, len(m.ToolCalls), len(e.args))
				}
				// Indexed calls come out in index order, one per index.
				i := 0
				for idx := range 4 {
					args, ok := e.args[idx]
					if !ok {
						continue
					}
					if m.ToolCalls[i].Function.Arguments != args {
						t.Errorf("choice %d, tool call index %d: arguments %q, want %q", got.Index, idx, m.ToolCalls[i].Function.Arguments, args)
					}
					i++
				}
			}
		}
		for idx := range want {
			if !seen[idx] {
				t.Errorf("choice %d lost", idx)
			}
		}
	})
}

func FuzzRender(f *testing.F) {
	f.Add("Hello {{name}}!", "name", "<World & co>")
	f.Add("{{{raw}}} and {{raw}}", "raw", `"quoted" 'single'`)
	f.Add("{{#items}}- {{.}}\n{{/items}}", "items", "x")
	f.Add("{{^missing}}none{{/missing}}", "k", "v")
	f.Add("{{=<% %>=}}<% name %>", "name", "delims")
	f.Add("{{> partial}}", "partial", "p")
	f.Add("{{#a}}{{#b}}{{/a}}{{/b}}", "a", "b")
	f.Add("{{! comment }}text{{&amp}}", "amp", "&")
	f.Add("no tags at all", "k", "v")
	f.Fuzz(func(t *testing.T, template, key, value string) {
		inputs := map[string]any{
			key:      value,
			"list":   []any{value, map[string]any{key: value}},
			"nested": map[string]any{key: value, "flag": true},
			"n":      3.5,
		}
		out, err := render(template, inputs)
		if err != nil {
			if !errors.Is(err, ErrTemplate) {
				t.Fatalf("error %v is not ErrTemplate", err)
			}
			if !strings.HasPrefix(err.Error(), "gentrace: ") {
				t.Fatalf("error %q lacks the gentrace: prefix", err)
			}
			return
		}
		if !strings.Contains(template, "{{") && out != template {
			t.Fatalf("template without tags rendered %q, want it unchanged", out)
		}
	})
}
