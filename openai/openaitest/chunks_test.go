package openaitest_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	openai "github.com/sashabaranov/go-openai"
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
		{"empty", "", 5, 1},
		{"zero pieces", "abc", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			chunks := openaitest.ChatChunks(tt.pieces, openaitest.Choice{Content: tt.text})
			if len(chunks) != tt.wantPieces+1 {
				t.Fatalf("%d chunks, want %d pieces and a finish chunk", len(chunks), tt.wantPieces)
			}
			var text strings.Builder
			minLen, maxLen := len(tt.text)+1, -1
			for i, ch := range chunks[:tt.wantPieces] {
				d := ch.Choices[0].Delta
				if (i == 0) != (d.Role == openai.ChatMessageRoleAssistant) || ch.Choices[0].FinishReason != "" {
					t.Errorf("chunk %d: %+v", i, ch.Choices[0])
				}
				if !utf8.ValidString(d.Content) {
					t.Errorf("chunk %d splits a rune: %q", i, d.Content)
				}
				n := utf8.RuneCountInString(d.Content)
				minLen, maxLen = min(minLen, n), max(maxLen, n)
				text.WriteString(d.Content)
			}
			if text.String() != tt.text || maxLen-minLen > 1 {
				t.Errorf("pieces join to %q (sizes %d..%d), want %q in about equal pieces", text.String(), minLen, maxLen, tt.text)
			}
			last := chunks[len(chunks)-1].Choices[0]
			if last.FinishReason != openai.FinishReasonStop || last.Delta.Content != "" || last.Delta.Role != "" {
				t.Errorf("finish chunk %+v", last)
			}
		})
	}
}

func TestChatChunksShape(t *testing.T) {
	t.Parallel()
	chunks := openaitest.ChatChunks(2,
		openaitest.Choice{Content: "ab", ToolCalls: []openaitest.ToolCall{{Name: "f", Arguments: "xy"}}},
		openaitest.Choice{},
	)
	type step struct {
		index   int
		role    string
		content string
		tool    string // "<index>:<name>:<args>"
		finish  openai.FinishReason
	}
	var got []step
	for _, ch := range chunks {
		c := ch.Choices[0]
		s := step{index: c.Index, role: c.Delta.Role, content: c.Delta.Content, finish: c.FinishReason}
		for _, tc := range c.Delta.ToolCalls {
			s.tool = string(rune('0'+*tc.Index)) + ":" + tc.Function.Name + ":" + tc.Function.Arguments
		}
		if ch.ID != "" || ch.Model != "" || ch.Created != 0 {
			t.Errorf("chunk fields should be left for the server: %+v", ch)
		}
		got = append(got, s)
	}
	want := []step{
		{index: 0, role: "assistant", content: "a"},
		{index: 1, role: "assistant"},
		{index: 0, content: "b"},
		{index: 1, finish: "stop"},
		{index: 0, tool: "0:f:x"},
		{index: 0, tool: "0::y"},
		{index: 0, finish: "tool_calls"},
	}
	if !equal(got, want) {
		t.Errorf("chunks\n got %+v\nwant %+v", got, want)
	}
}

func TestCompletionChunks(t *testing.T) {
	t.Parallel()
	chunks := openaitest.CompletionChunks(2, "abc", "d")
	var got []string
	for _, ch := range chunks {
		c := ch.Choices[0]
		got = append(got, string(rune('0'+c.Index))+":"+c.Text+":"+c.FinishReason)
	}
	want := []string{"0:ab:", "1:d:", "0:c:", "1::stop", "0::stop"}
	if !equal(got, want) {
		t.Errorf("chunks %q, want %q", got, want)
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
	)
	if len(r.Choices) != 2 || r.Choices[0].FinishReason != "stop" || r.Choices[1].FinishReason != "tool_calls" ||
		r.Choices[1].Index != 1 || r.Choices[1].Message.ToolCalls[0].ID != "call_x" || r.Choices[0].Message.Role != "assistant" {
		t.Errorf("response %+v", r)
	}
	if r := openaitest.ChatResponse(); len(r.Choices) != 1 {
		t.Errorf("no choices: %+v", r)
	}
}
