package openaitest

import (
	"math/rand/v2"
	"strconv"
	"unicode/utf8"

	goopenai "github.com/sashabaranov/go-openai"
)

// Choice describes one choice of a model's answer, for [ChatChunks] and
// [ChatResponse]. The zero Choice is an empty assistant message that stops.
type Choice struct {
	// Content is the assistant text; it may be empty when ToolCalls or
	// Refusal is not.
	Content string
	// Refusal is the model's refusal message, which OpenAI sends instead of
	// Content when it declines to answer.
	Refusal string
	// ToolCalls are the parallel tool calls of the answer, in order.
	ToolCalls []ToolCall
	// FinishReason defaults to "tool_calls" when ToolCalls is not empty,
	// otherwise to "stop".
	FinishReason goopenai.FinishReason
}

// ToolCall describes one function call requested by the model, for
// [Choice] and [Answer].
type ToolCall struct {
	// ID is the call's id (its call_id on the Responses API). It defaults
	// to "call_<choice>_<index>", for example "call_0_1"; the Responses API
	// has one choice, 0.
	ID string
	// Name is the function's name.
	Name string
	// Arguments is the function's arguments as JSON text, sent as is (a
	// stream delivers it in pieces).
	Arguments string
}

func (c Choice) finishReason() goopenai.FinishReason {
	switch {
	case c.FinishReason != "":
		return c.FinishReason
	case len(c.ToolCalls) > 0:
		return goopenai.FinishReasonToolCalls
	default:
		return goopenai.FinishReasonStop
	}
}

func (tc ToolCall) id(choice, index int) string {
	if tc.ID != "" {
		return tc.ID
	}
	return "call_" + strconv.Itoa(choice) + "_" + strconv.Itoa(index)
}

// ChatChunks builds the chunks of a streamed chat completion, for
// [ChatStream], in the order OpenAI sends them today. With no choices it
// builds one empty choice.
//
// Each choice opens with a chunk that carries only role "assistant" (sent
// with "content": "" before text, "content": null before tool calls or a
// refusal, and "refusal": null). Its Content, then its Refusal, follow as
// pieces chunks of about equal length each (fewer when the text has fewer
// runes). Each tool call then comes whole, in turn: a header chunk with the
// call's index, id, type "function", name and "arguments": "", then its
// arguments in pieces deltas. The choice ends with a chunk whose delta is
// empty and whose finish_reason is set.
//
// With several choices (n > 1) every chunk carries one choice, and the
// choices' chunks interleave irregularly, as OpenAI's do, but in the same
// order on every call, so tests are reproducible.
//
// Chunks leave id, created, model, service_tier and system_fingerprint zero:
// the server fills them per request. [CompactChatChunks] builds the older,
// denser shape.
func ChatChunks(pieces int, choices ...Choice) []goopenai.ChatCompletionStreamResponse {
	split := func(s string) []string { return splitText(s, pieces) }
	return chatChunks(split, split, choices)
}

// chatChunks implements ChatChunks, cutting texts with split and tool call
// arguments with splitArgs.
func chatChunks(split, splitArgs func(string) []string, choices []Choice) []goopenai.ChatCompletionStreamResponse {
	if len(choices) == 0 {
		choices = []Choice{{}}
	}
	seqs := make([][]goopenai.ChatCompletionStreamChoice, len(choices))
	for i, c := range choices {
		seqs[i] = choiceDeltas(i, c, split, splitArgs)
	}
	return chunksOf(interleave(seqs))
}

// chunksOf wraps each choice delta in a chunk of its own.
func chunksOf(deltas []goopenai.ChatCompletionStreamChoice) []goopenai.ChatCompletionStreamResponse {
	out := make([]goopenai.ChatCompletionStreamResponse, len(deltas))
	for i := range deltas {
		out[i].Choices = deltas[i : i+1 : i+1]
	}
	return out
}

// choiceDeltas returns the stream deltas of choice c, in OpenAI's order.
func choiceDeltas(index int, c Choice, split, splitArgs func(string) []string) []goopenai.ChatCompletionStreamChoice {
	delta := func(d goopenai.ChatCompletionStreamChoiceDelta) goopenai.ChatCompletionStreamChoice {
		return goopenai.ChatCompletionStreamChoice{Index: index, Delta: d}
	}
	out := []goopenai.ChatCompletionStreamChoice{delta(goopenai.ChatCompletionStreamChoiceDelta{Role: goopenai.ChatMessageRoleAssistant})}
	if c.Content != "" {
		for _, p := range split(c.Content) {
			out = append(out, delta(goopenai.ChatCompletionStreamChoiceDelta{Content: p}))
		}
	}
	if c.Refusal != "" {
		for _, p := range split(c.Refusal) {
			out = append(out, delta(goopenai.ChatCompletionStreamChoiceDelta{Refusal: p}))
		}
	}
	for i, tc := range c.ToolCalls {
		out = append(out, delta(goopenai.ChatCompletionStreamChoiceDelta{ToolCalls: []goopenai.ToolCall{{
			Index: &i, ID: tc.id(index, i), Type: goopenai.ToolTypeFunction,
			Function: goopenai.FunctionCall{Name: tc.Name},
		}}}))
		if tc.Arguments == "" {
			continue
		}
		for _, p := range splitArgs(tc.Arguments) {
			out = append(out, delta(goopenai.ChatCompletionStreamChoiceDelta{ToolCalls: []goopenai.ToolCall{{
				Index: &i, Function: goopenai.FunctionCall{Arguments: p},
			}}}))
		}
	}
	return append(out, goopenai.ChatCompletionStreamChoice{Index: index, FinishReason: c.finishReason()})
}

// interleaveSeed fixes the irregular order in which the chunks of several
// choices are merged, so that every run of a test sees the same stream.
const interleaveSeed = 0x6f70656e61697465 // "openaite"

// interleave merges sequences, keeping the order within each, in an
// irregular but reproducible order: each next item is drawn from a sequence
// chosen with odds proportional to what it has left, so all end near the
// end, as parallel generations do.
func interleave[T any](seqs [][]T) []T {
	if len(seqs) == 1 {
		return seqs[0]
	}
	total := 0
	for _, s := range seqs {
		total += len(s)
	}
	rng := rand.New(rand.NewPCG(interleaveSeed, uint64(total)))
	next := make([]int, len(seqs))
	out := make([]T, 0, total)
	for left := total; left > 0; left-- {
		pick := rng.IntN(left)
		for i, s := range seqs {
			rest := len(s) - next[i]
			if pick < rest {
				out = append(out, s[next[i]])
				next[i]++
				break
			}
			pick -= rest
		}
	}
	return out
}

// CompactChatChunks builds chat chunks in the denser shape that some
// OpenAI-compatible servers and older OpenAI models send, and that
// [ChatChunks] built before it followed today's wire: role "assistant"
// rides on the first content chunk (there is no role-only chunk), the
// argument deltas of parallel tool calls interleave round-robin (the first
// of each carrying id, type and name), and several choices take turns
// round-robin. The arguments are as for ChatChunks.
func CompactChatChunks(pieces int, choices ...Choice) []goopenai.ChatCompletionStreamResponse {
	if len(choices) == 0 {
		choices = []Choice{{}}
	}
	split := func(s string) []string { return splitText(s, pieces) }
	seqs := make([][]goopenai.ChatCompletionStreamChoice, len(choices))
	for i, c := range choices {
		seqs[i] = compactDeltas(i, c, split)
	}
	return chunksOf(roundRobin(seqs))
}

// compactDeltas returns the deltas of choice c for CompactChatChunks.
func compactDeltas(index int, c Choice, split func(string) []string) []goopenai.ChatCompletionStreamChoice {
	var out []goopenai.ChatCompletionStreamChoice
	role := goopenai.ChatMessageRoleAssistant
	if c.Content != "" || (len(c.ToolCalls) == 0 && c.Refusal == "") {
		for _, p := range split(c.Content) {
			out = append(out, goopenai.ChatCompletionStreamChoice{
				Index: index,
				Delta: goopenai.ChatCompletionStreamChoiceDelta{Role: role, Content: p},
			})
			role = ""
		}
	}
	if c.Refusal != "" {
		for _, p := range split(c.Refusal) {
			out = append(out, goopenai.ChatCompletionStreamChoice{
				Index: index,
				Delta: goopenai.ChatCompletionStreamChoiceDelta{Role: role, Refusal: p},
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
			d := goopenai.ToolCall{Index: &i, Function: goopenai.FunctionCall{Arguments: args[i][r]}}
			if r == 0 {
				d.ID, d.Type, d.Function.Name = tc.id(index, i), goopenai.ToolTypeFunction, tc.Name
			}
			out = append(out, goopenai.ChatCompletionStreamChoice{
				Index: index,
				Delta: goopenai.ChatCompletionStreamChoiceDelta{Role: role, ToolCalls: []goopenai.ToolCall{d}},
			})
			role = ""
		}
	}
	return append(out, goopenai.ChatCompletionStreamChoice{Index: index, FinishReason: c.finishReason()})
}

// roundRobin merges sequences taking one item of each in turn.
func roundRobin[T any](seqs [][]T) []T {
	total := 0
	for _, s := range seqs {
		total += len(s)
	}
	out := make([]T, 0, total)
	for round := 0; len(out) < total; round++ {
		for _, seq := range seqs {
			if round < len(seq) {
				out = append(out, seq[round])
			}
		}
	}
	return out
}

// ChatResponse builds the non-streamed counterpart of [ChatChunks]: a chat
// completion with one assistant message per choice, for [JSON]. Its id,
// created, model and usage are left zero for the server to fill.
func ChatResponse(choices ...Choice) goopenai.ChatCompletionResponse {
	if len(choices) == 0 {
		choices = []Choice{{}}
	}
	r := goopenai.ChatCompletionResponse{Choices: make([]goopenai.ChatCompletionChoice, len(choices))}
	for i, c := range choices {
		m := goopenai.ChatCompletionMessage{Role: goopenai.ChatMessageRoleAssistant, Content: c.Content, Refusal: c.Refusal}
		for j, tc := range c.ToolCalls {
			m.ToolCalls = append(m.ToolCalls, goopenai.ToolCall{
				ID:       tc.id(i, j),
				Type:     goopenai.ToolTypeFunction,
				Function: goopenai.FunctionCall{Name: tc.Name, Arguments: tc.Arguments},
			})
		}
		r.Choices[i] = goopenai.ChatCompletionChoice{Index: i, Message: m, FinishReason: c.finishReason()}
	}
	return r
}

// CompletionChunks builds the chunks of a streamed legacy completion, for
// [CompletionStream]: each text is one choice, split into pieces chunks and
// followed by a chunk with empty text and finish_reason "stop"; several
// choices interleave irregularly but reproducibly, as for [ChatChunks].
// With no texts it builds one empty choice.
func CompletionChunks(pieces int, texts ...string) []goopenai.CompletionResponse {
	return completionChunks(func(s string) []string { return splitText(s, pieces) }, texts)
}

// completionChunks implements CompletionChunks with split cutting texts into
// pieces.
func completionChunks(split func(string) []string, texts []string) []goopenai.CompletionResponse {
	if len(texts) == 0 {
		texts = []string{""}
	}
	seqs := make([][]goopenai.CompletionChoice, len(texts))
	for i, t := range texts {
		for _, p := range split(t) {
			seqs[i] = append(seqs[i], goopenai.CompletionChoice{Index: i, Text: p})
		}
		seqs[i] = append(seqs[i], goopenai.CompletionChoice{Index: i, FinishReason: string(goopenai.FinishReasonStop)})
	}
	merged := interleave(seqs)
	out := make([]goopenai.CompletionResponse, len(merged))
	for i := range merged {
		out[i].Choices = merged[i : i+1 : i+1]
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

// splitTokens cuts s into pieces of about four bytes, the size of the
// argument deltas OpenAI streams for tool calls, never splitting a rune.
func splitTokens(s string) []string {
	return splitText(s, max(1, (utf8.RuneCountInString(s)+3)/4))
}
