package openaitest_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

func TestChatChunksSplitsText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		text       string
		pieces     int
		wantPieces int
	}{
		{"even", "abcdef", 3, 3},
		{"uneven", "abcdefg", 3, 3},
		{"more pieces than runes", "abc", 10, 3},
		{"multi-byte runes", "héllo wörld ☃☃", 4, 4},
		{"empty", "", 5, 0},
		{"zero pieces", "abc", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			chunks := openaitest.ChatChunks(tt.pieces, openaitest.Choice{Content: tt.text})
			if len(chunks) != tt.wantPieces+2 {
				t.Fatalf("%d chunks, want a role chunk, %d pieces and a finish chunk", len(chunks), tt.wantPieces)
			}
			if d := chunks[0].Choices[0].Delta; !reflect.DeepEqual(d, goopenai.ChatCompletionStreamChoiceDelta{Role: goopenai.ChatMessageRoleAssistant}) {
				t.Errorf("first chunk %+v, want the role alone", d)
			}
			var text strings.Builder
			minLen, maxLen := len(tt.text)+1, -1
			for i, ch := range chunks[1 : len(chunks)-1] {
				d := ch.Choices[0].Delta
				if d.Role != "" || ch.Choices[0].FinishReason != "" || d.Content == "" {
					t.Errorf("chunk %d: %+v", i+1, ch.Choices[0])
				}
				if !utf8.ValidString(d.Content) {
					t.Errorf("chunk %d splits a rune: %q", i+1, d.Content)
				}
				n := utf8.RuneCountInString(d.Content)
				minLen, maxLen = min(minLen, n), max(maxLen, n)
				text.WriteString(d.Content)
			}
			if text.String() != tt.text || (tt.wantPieces > 0 && maxLen-minLen > 1) {
				t.Errorf("pieces join to %q (sizes %d..%d), want %q in about equal pieces", text.String(), minLen, maxLen, tt.text)
			}
			last := chunks[len(chunks)-1].Choices[0]
			if last.FinishReason != goopenai.FinishReasonStop || !reflect.DeepEqual(last.Delta, goopenai.ChatCompletionStreamChoiceDelta{}) {
				t.Errorf("finish chunk %+v", last)
			}
		})
	}
}

// step is one chunk of a single-choice stream, in a comparable form.
type step struct {
	index   int
	role    string
	content string
	refusal string
	tool    string // "<index>:<id>:<name>:<args>"
	finish  goopenai.FinishReason
}

func steps(chunks []goopenai.ChatCompletionStreamResponse) []step {
	var out []step
	for _, ch := range chunks {
		c := ch.Choices[0]
		s := step{index: c.Index, role: c.Delta.Role, content: c.Delta.Content, refusal: c.Delta.Refusal, finish: c.FinishReason}
		for _, tc := range c.Delta.ToolCalls {
			s.tool = fmt.Sprintf("%d:%s:%s:%s", *tc.Index, tc.ID, tc.Function.Name, tc.Function.Arguments)
		}
		out = append(out, s)
	}
	return out
}

func TestChatChunksShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		choice openaitest.Choice
		want   []step
	}{
		{"text and parallel tool calls", openaitest.Choice{Content: "ab", ToolCalls: []openaitest.ToolCall{
			{Name: "f", Arguments: "xy"}, {ID: "call_g", Name: "g", Arguments: "z"},
		}}, []step{
			{role: "assistant"},
			{content: "a"},
			{content: "b"},
			{tool: "0:call_0_0:f:"},
			{tool: "0:::x"},
			{tool: "0:::y"},
			{tool: "1:call_g:g:"},
			{tool: "1:::z"},
			{finish: "tool_calls"},
		}},
		{"refusal", openaitest.Choice{Refusal: "No way"}, []step{
			{role: "assistant"},
			{refusal: "No "},
			{refusal: "way"},
			{finish: "stop"},
		}},
		{"tool call without arguments", openaitest.Choice{ToolCalls: []openaitest.ToolCall{{Name: "now"}}}, []step{
			{role: "assistant"},
			{tool: "0:call_0_0:now:"},
			{finish: "tool_calls"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			chunks := openaitest.ChatChunks(2, tt.choice)
			for _, ch := range chunks {
				if ch.ID != "" || ch.Model != "" || ch.Created != 0 {
					t.Errorf("chunk fields should be left for the server: %+v", ch)
				}
			}
			if got := steps(chunks); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("chunks\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestChatChunksInterleave checks that several choices interleave
// irregularly, each in its own order, and the same way on every call.
func TestChatChunksInterleave(t *testing.T) {
	t.Parallel()
	choices := []openaitest.Choice{
		{Content: "one two three four five six"},
		{Content: "seven eight nine ten eleven twelve"},
		{Content: "thirteen fourteen fifteen"},
	}
	chunks := openaitest.ChatChunks(6, choices...)
	var order []int
	texts := make([]strings.Builder, len(choices))
	opened := make([]bool, len(choices))
	for i, ch := range chunks {
		if len(ch.Choices) != 1 {
			t.Fatalf("chunk %d has %d choices", i, len(ch.Choices))
		}
		c := ch.Choices[0]
		order = append(order, c.Index)
		if (c.Delta.Role != "") == opened[c.Index] {
			t.Errorf("chunk %d: choice %d opens twice or late: %+v", i, c.Index, c)
		}
		opened[c.Index] = true
		texts[c.Index].WriteString(c.Delta.Content)
	}
	for i := range choices {
		if texts[i].String() != choices[i].Content {
			t.Errorf("choice %d text %q", i, texts[i].String())
		}
	}
	roundRobin := true
	for i, idx := range order[:len(choices)*2] {
		roundRobin = roundRobin && idx == i%len(choices)
	}
	if roundRobin {
		t.Errorf("choices interleave round-robin: %v", order)
	}
	again := openaitest.ChatChunks(6, choices...)
	if !reflect.DeepEqual(steps(chunks), steps(again)) {
		t.Error("two calls interleave differently")
	}
}

func TestCompactChatChunks(t *testing.T) {
	t.Parallel()
	chunks := openaitest.CompactChatChunks(2,
		openaitest.Choice{Content: "ab", ToolCalls: []openaitest.ToolCall{{Name: "f", Arguments: "xy"}, {Name: "g", Arguments: "zw"}}},
		openaitest.Choice{},
		openaitest.Choice{Refusal: "no"},
	)
	want := []step{
		{index: 0, role: "assistant", content: "a"},
		{index: 1, role: "assistant"},
		{index: 2, role: "assistant", refusal: "n"},
		{index: 0, content: "b"},
		{index: 1, finish: "stop"},
		{index: 2, refusal: "o"},
		{index: 0, tool: "0:call_0_0:f:x"},
		{index: 2, finish: "stop"},
		{index: 0, tool: "1:call_0_1:g:z"},
		{index: 0, tool: "0:::y"},
		{index: 0, tool: "1:::w"},
		{index: 0, finish: "tool_calls"},
	}
	if got := steps(chunks); !reflect.DeepEqual(got, want) {
		t.Errorf("chunks\n got %+v\nwant %+v", got, want)
	}
	if n := len(openaitest.CompactChatChunks(3)); n != 2 {
		t.Errorf("no choices: %d chunks, want an empty piece and a finish chunk", n)
	}
}

func TestCompletionChunks(t *testing.T) {
	t.Parallel()
	chunks := openaitest.CompletionChunks(2, "abc", "d", "efgh")
	var text [3]string
	var finish [3]string
	for i, ch := range chunks {
		c := ch.Choices[0]
		if finish[c.Index] != "" {
			t.Errorf("chunk %d follows the finish chunk of choice %d", i, c.Index)
		}
		text[c.Index] += c.Text
		finish[c.Index] = c.FinishReason
	}
	if text != [3]string{"abc", "d", "efgh"} || finish != [3]string{"stop", "stop", "stop"} {
		t.Errorf("texts %q, finish reasons %q", text, finish)
	}
	if n := len(openaitest.CompletionChunks(3)); n != 2 {
		t.Errorf("no texts: %d chunks, want an empty piece and a finish chunk", n)
	}
}

func TestChatResponse(t *testing.T) {
	t.Parallel()
	r := openaitest.ChatResponse(
		openaitest.Choice{Content: "hi"},
		openaitest.Choice{ToolCalls: []openaitest.ToolCall{{ID: "call_x", Name: "f", Arguments: "{}"}}},
		openaitest.Choice{Refusal: "no"},
	)
	if len(r.Choices) != 3 || r.Choices[0].FinishReason != "stop" || r.Choices[1].FinishReason != "tool_calls" ||
		r.Choices[1].Index != 1 || r.Choices[1].Message.ToolCalls[0].ID != "call_x" || r.Choices[0].Message.Role != "assistant" ||
		r.Choices[2].Message.Refusal != "no" {
		t.Errorf("response %+v", r)
	}
	if r := openaitest.ChatResponse(); len(r.Choices) != 1 {
		t.Errorf("no choices: %+v", r)
	}
}
