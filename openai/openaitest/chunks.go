package openaitest

import (
	"strconv"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"
)

// Choice describes one choice of a model's answer, for [ChatChunks] and
// [ChatResponse]. The zero Choice is an empty assistant message that stops.
type Choice struct {
	// Content is the assistant text; it may be empty when ToolCalls is not.
	Content string
	// ToolCalls are the parallel tool calls of the answer, in order.
	ToolCalls []ToolCall
	// FinishReason defaults to "tool_calls" when ToolCalls is not empty,
	// otherwise to "stop".
	FinishReason openai.FinishReason
}

// ToolCall describes one function call requested by the model.
type ToolCall struct {
	// ID defaults to "call_<choice>_<index>", for example "call_0_1".
	ID        string
	Name      string
	Arguments string // JSON text, delivered in pieces by ChatChunks
}

func (c Choice) finishReason() openai.FinishReason {
	switch {
	case c.FinishReason != "":
		return c.FinishReason
	case len(c.ToolCalls) > 0:
		return openai.FinishReasonToolCalls
	default:
		return openai.FinishReasonStop
	}
}

func (tc ToolCall) id(choice, index int) string {
	if tc.ID != "" {
		return tc.ID
	}
	return "call_" + strconv.Itoa(choice) + "_" + strconv.Itoa(index)
}

// ChatChunks builds the chunks of a streamed chat completion, for [ChatStream].
// With no choices it builds one empty choice.
//
// Each choice's Content is split into pieces content chunks of about equal
// length (fewer when the text has fewer runes; at least one); its first chunk
// also carries role "assistant". Each tool call follows as pieces argument
// deltas whose first carries the call's id, type "function" and name; the
// deltas of parallel calls are interleaved round-robin, each with its call's
// index, so a consumer must group them by index. Each choice ends with a chunk
// whose delta is empty and whose finish_reason is set. With several choices
// every chunk carries one choice, and the choices' chunks are interleaved
// round-robin too, as OpenAI does for n > 1.
//
// Chunks leave id, created and model zero: the server fills them per request.
func ChatChunks(pieces int, choices ...Choice) []openai.ChatCompletionStreamResponse {
	return chatChunks(func(s string) []string { return splitText(s, pieces) }, choices)
}

// chatChunks implements ChatChunks with split cutting texts into pieces.
func chatChunks(split func(string) []string, choices []Choice) []openai.ChatCompletionStreamResponse {
	if len(choices) == 0 {
		choices = []Choice{{}}
	}
	seqs := make([][]openai.ChatCompletionStreamChoice, len(choices))
	total := 0
	for i, c := range choices {
		seqs[i] = choiceDeltas(i, c, split)
		total += len(seqs[i])
	}
	out := make([]openai.ChatCompletionStreamResponse, 0, total)
	for round := 0; len(out) < total; round++ {
		for _, seq := range seqs {
			if round < len(seq) {
				out = append(out, openai.ChatCompletionStreamResponse{
					Choices: []openai.ChatCompletionStreamChoice{seq[round]},
				})
			}
		}
	}
	return out
}

// choiceDeltas returns the stream choices of choice c, in order.
func choiceDeltas(index int, c Choice, split func(string) []string) []openai.ChatCompletionStreamChoice {
	var out []openai.ChatCompletionStreamChoice
	role := openai.ChatMessageRoleAssistant
	if c.Content != "" || len(c.ToolCalls) == 0 {
		for _, p := range split(c.Content) {
			out = append(out, openai.ChatCompletionStreamChoice{
				Index: index,
				Delta: openai.ChatCompletionStreamChoiceDelta{Role: role, Content: p},
			})
			role = ""
		}
	}
	args := make([][]string, len(c.ToolCalls))
	rounds := 0
	for i, tc := range c.ToolCalls {
		args[i] = split(tc.Arguments)
		rounds = max(rounds, len(args[i]))
	}
	for r := range rounds {
		for i, tc := range c.ToolCalls {
			if r >= len(args[i]) {
				continue
			}
			d := openai.ToolCall{Index: &i, Function: openai.FunctionCall{Arguments: args[i][r]}}
			if r == 0 {
				d.ID, d.Type, d.Function.Name = tc.id(index, i), openai.ToolTypeFunction, tc.Name
			}
			out = append(out, openai.ChatCompletionStreamChoice{
				Index: index,
				Delta: openai.ChatCompletionStreamChoiceDelta{Role: role, ToolCalls: []openai.ToolCall{d}},
			})
			role = ""
		}
	}
	return append(out, openai.ChatCompletionStreamChoice{Index: index, FinishReason: c.finishReason()})
}

// ChatResponse builds the non-streamed counterpart of [ChatChunks]: a chat
// completion with one assistant message per choice, for [JSON]. Its id,
// created, model and usage are left zero for the server to fill.
func ChatResponse(choices ...Choice) openai.ChatCompletionResponse {
	if len(choices) == 0 {
		choices = []Choice{{}}
	}
	r := openai.ChatCompletionResponse{Choices: make([]openai.ChatCompletionChoice, len(choices))}
	for i, c := range choices {
		m := openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: c.Content}
		for j, tc := range c.ToolCalls {
			m.ToolCalls = append(m.ToolCalls, openai.ToolCall{
				ID:       tc.id(i, j),
				Type:     openai.ToolTypeFunction,
				Function: openai.FunctionCall{Name: tc.Name, Arguments: tc.Arguments},
			})
		}
		r.Choices[i] = openai.ChatCompletionChoice{Index: i, Message: m, FinishReason: c.finishReason()}
	}
	return r
}

// CompletionChunks builds the chunks of a streamed legacy completion, for
// [CompletionStream]: each text is one choice, split into pieces chunks and
// followed by a chunk with empty text and finish_reason "stop"; the choices'
// chunks are interleaved round-robin. With no texts it builds one empty
// choice.
func CompletionChunks(pieces int, texts ...string) []openai.CompletionResponse {
	return completionChunks(func(s string) []string { return splitText(s, pieces) }, texts)
}

// completionChunks implements CompletionChunks with split cutting texts into
// pieces.
func completionChunks(split func(string) []string, texts []string) []openai.CompletionResponse {
	if len(texts) == 0 {
		texts = []string{""}
	}
	seqs := make([][]openai.CompletionChoice, len(texts))
	total := 0
	for i, t := range texts {
		for _, p := range split(t) {
			seqs[i] = append(seqs[i], openai.CompletionChoice{Index: i, Text: p})
		}
		seqs[i] = append(seqs[i], openai.CompletionChoice{Index: i, FinishReason: string(openai.FinishReasonStop)})
		total += len(seqs[i])
	}
	out := make([]openai.CompletionResponse, 0, total)
	for round := 0; len(out) < total; round++ {
		for _, seq := range seqs {
			if round < len(seq) {
				out = append(out, openai.CompletionResponse{Choices: []openai.CompletionChoice{seq[round]}})
			}
		}
	}
	return out
}

// splitText cuts s into n pieces of about equal rune count, never splitting
// a rune. It returns fewer pieces when s has fewer than n runes, and one
// empty piece for an empty s.
func splitText(s string, n int) []string {
	runes := utf8.RuneCountInString(s)
	n = max(min(n, runes), 1)
	out := make([]string, 0, n)
	size, extra := runes/n, runes%n
	for i := range n {
		k := size
		if i < extra {
			k++
		}
		end := 0
		for range k {
			_, w := utf8.DecodeRuneInString(s[end:])
			end += w
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}

// splitWords cuts s before each space, the way tokenizers attach a leading
// space to the following word.
func splitWords(s string) []string {
	var out []string
	start := 0
	for i := 1; i < len(s); i++ {
		if s[i] == ' ' {
			out = append(out, s[start:i])
			start = i
		}
	}
	return append(out, s[start:])
}
