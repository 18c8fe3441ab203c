package openaitest

import (
	"bytes"
	"encoding/json"
	"strconv"

	openai "github.com/sashabaranov/go-openai"
)

// This file holds the JSON shapes OpenAI actually sends and the pre-encoded
// templates the server fills per request.
//
// go-openai's own structs cannot be marshalled as they are: ContentFilterResults
// is a struct tagged omitempty, so every choice would carry Azure filter results;
// ToolCall.Type has no omitempty, so argument deltas would carry "type":"";
// and Usage is an omitempty pointer, so "usage":null cannot be expressed. The
// wire types below mirror OpenAI's field order and null conventions instead.

// defaultCreated is the "created" timestamp of every response whose scripted
// value leaves it zero: 2025-01-01T00:00:00Z, fixed so output is reproducible.
const defaultCreated = 1735689600

// hole names a value that is only known per request.
type hole uint8

const (
	holeID        hole = iota // response id, a JSON string
	holeModel                 // model echoed from the request, a JSON string
	holeUsage                 // chat/completion usage object
	holeEmbedding             // embeddings usage object
	numHoles
)

// sentinels are JSON strings that stand in for holes while encoding. They start
// with a NUL, which json escapes to \u0000, so no real content can collide.
var sentinels = [numHoles]string{
	holeID:        "\x00openaitest:id",
	holeModel:     "\x00openaitest:model",
	holeUsage:     "\x00openaitest:usage",
	holeEmbedding: "\x00openaitest:embedding-usage",
}

// sentinelJSON holds the encoded form of each sentinel, as found in output.
var sentinelJSON = func() (out [numHoles][]byte) {
	for h, s := range sentinels {
		out[h], _ = json.Marshal(s)
	}
	return out
}()

// rawHole returns a json.RawMessage that encodes as the sentinel of h, for
// fields (like usage) whose type is not a string.
func rawHole(h hole) json.RawMessage { return json.RawMessage(sentinelJSON[h]) }

// fill carries the per-request values of the holes, each already JSON-encoded.
type fill struct {
	vals [numHoles][]byte
}

// template is an encoded JSON value with holes. It is immutable once built
// and shared by every request that serves it.
type template struct {
	lits  [][]byte // len(holes)+1 literal segments
	holes []hole
	has   [numHoles]bool // which holes occur at least once
	usage bool           // the value already carries a "usage" member
}

// appendTo appends the template to dst with its holes filled from f.
func (t *template) appendTo(dst []byte, f *fill) []byte {
	for i, h := range t.holes {
		dst = append(dst, t.lits[i]...)
		dst = append(dst, f.vals[h]...)
	}
	return append(dst, t.lits[len(t.lits)-1]...)
}

// compile encodes v (without HTML escaping, as OpenAI does) and cuts it at the
// sentinels.
func compile(v any) (*template, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := bytes.TrimRight(buf.Bytes(), "\n")
	t := &template{}
	for {
		at, which := -1, hole(0)
		for h := range numHoles {
			if i := bytes.Index(b, sentinelJSON[h]); i >= 0 && (at < 0 || i < at) {
				at, which = i, h
			}
		}
		if at < 0 {
			t.lits = append(t.lits, b)
			return t, nil
		}
		t.lits = append(t.lits, b[:at])
		t.holes = append(t.holes, which)
		t.has[which] = true
		b = b[at+len(sentinelJSON[which]):]
	}
}

// rawTemplate wraps bytes that are sent verbatim.
func rawTemplate(b []byte) *template {
	return &template{lits: [][]byte{b}}
}

// appendJSONString appends s as a JSON string, taking a fast path for the
// plain ASCII that model names and ids consist of.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			b, _ := json.Marshal(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendEstimatedUsage appends a usage object in the shape OpenAI sends for
// chat and completions, details included.
func appendEstimatedUsage(dst []byte, prompt, completion int) []byte {
	dst = append(dst, `{"prompt_tokens":`...)
	dst = strconv.AppendInt(dst, int64(prompt), 10)
	dst = append(dst, `,"completion_tokens":`...)
	dst = strconv.AppendInt(dst, int64(completion), 10)
	dst = append(dst, `,"total_tokens":`...)
	dst = strconv.AppendInt(dst, int64(prompt+completion), 10)
	return append(dst, `,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},`+
		`"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,`+
		`"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`...)
}

// appendEmbeddingUsage appends the usage object of an embeddings response.
func appendEmbeddingUsage(dst []byte, prompt int) []byte {
	dst = append(dst, `{"prompt_tokens":`...)
	dst = strconv.AppendInt(dst, int64(prompt), 10)
	dst = append(dst, `,"total_tokens":`...)
	dst = strconv.AppendInt(dst, int64(prompt), 10)
	return append(dst, '}')
}

type wireUsage struct {
	PromptTokens            int                             `json:"prompt_tokens"`
	CompletionTokens        int                             `json:"completion_tokens"`
	TotalTokens             int                             `json:"total_tokens"`
	PromptTokensDetails     *openai.PromptTokensDetails     `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *openai.CompletionTokensDetails `json:"completion_tokens_details,omitempty"`
}

func toWireUsage(u openai.Usage) *wireUsage {
	w := wireUsage(u)
	return &w
}

type wireFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type wireToolCall struct {
	ID       string          `json:"id"`
	Type     openai.ToolType `json:"type"`
	Function wireFunction    `json:"function"`
}

type wireMessage struct {
	Role             string               `json:"role"`
	Content          *string              `json:"content"`
	Refusal          *string              `json:"refusal"`
	ReasoningContent string               `json:"reasoning_content,omitempty"`
	FunctionCall     *openai.FunctionCall `json:"function_call,omitempty"`
	ToolCalls        []wireToolCall       `json:"tool_calls,omitempty"`
}

type wireChatChoice struct {
	Index                int                         `json:"index"`
	Message              wireMessage                 `json:"message"`
	Logprobs             *openai.LogProbs            `json:"logprobs"`
	FinishReason         openai.FinishReason         `json:"finish_reason"`
	ContentFilterResults openai.ContentFilterResults `json:"content_filter_results,omitzero"`
}

type wireChatResponse struct {
	ID                  string                      `json:"id"`
	Object              string                      `json:"object"`
	Created             int64                       `json:"created"`
	Model               string                      `json:"model"`
	Choices             []wireChatChoice            `json:"choices"`
	Usage               json.RawMessage             `json:"usage"`
	ServiceTier         openai.ServiceTier          `json:"service_tier,omitempty"`
	SystemFingerprint   string                      `json:"system_fingerprint,omitempty"`
	PromptFilterResults []openai.PromptFilterResult `json:"prompt_filter_results,omitempty"`
}

type wireFunctionDelta struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

type wireToolCallDelta struct {
	Index    *int              `json:"index,omitempty"`
	ID       string            `json:"id,omitempty"`
	Type     openai.ToolType   `json:"type,omitempty"`
	Function wireFunctionDelta `json:"function"`
}

type wireDelta struct {
	Role             string               `json:"role,omitempty"`
	Content          string               `json:"content,omitempty"`
	ReasoningContent string               `json:"reasoning_content,omitempty"`
	Refusal          string               `json:"refusal,omitempty"`
	FunctionCall     *openai.FunctionCall `json:"function_call,omitempty"`
	ToolCalls        []wireToolCallDelta  `json:"tool_calls,omitempty"`
}

type wireChunkChoice struct {
	Index                int                                        `json:"index"`
	Delta                wireDelta                                  `json:"delta"`
	Logprobs             *openai.ChatCompletionStreamChoiceLogprobs `json:"logprobs"`
	FinishReason         openai.FinishReason                        `json:"finish_reason"`
	ContentFilterResults openai.ContentFilterResults                `json:"content_filter_results,omitzero"`
}

type wireChatChunk struct {
	ID                  string                      `json:"id"`
	Object              string                      `json:"object"`
	Created             int64                       `json:"created"`
	Model               string                      `json:"model"`
	SystemFingerprint   string                      `json:"system_fingerprint,omitempty"`
	Choices             []wireChunkChoice           `json:"choices"`
	PromptFilterResults []openai.PromptFilterResult `json:"prompt_filter_results,omitempty"`
	Usage               any                         `json:"usage,omitempty"`
}

type wireCompletionChoice struct {
	Text         string                `json:"text"`
	Index        int                   `json:"index"`
	Logprobs     *openai.LogprobResult `json:"logprobs"`
	FinishReason openai.FinishReason   `json:"finish_reason"`
}

type wireCompletion struct {
	ID      string                 `json:"id"`
	Object  string                 `json:"object"`
	Created int64                  `json:"created"`
	Model   string                 `json:"model"`
	Choices []wireCompletionChoice `json:"choices"`
	Usage   any                    `json:"usage,omitempty"`
}

type wireEmbedding struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"`
}

type wireEmbeddingResponse struct {
	Object string          `json:"object"`
	Data   []wireEmbedding `json:"data"`
	Model  string          `json:"model"`
	Usage  any             `json:"usage"`
}

type wireModerationResponse struct {
	ID      string          `json:"id"`
	Model   string          `json:"model"`
	Results []openai.Result `json:"results"`
}

type wireErrorBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    any     `json:"code"`
}

// wireError is OpenAI's error envelope. "error" must be the first member:
// go-openai recognises a mid-stream error event by the literal prefix
// `data: {"error":`.
type wireError struct {
	Error wireErrorBody `json:"error"`
}

// orHole returns s, or the sentinel of h when s is empty.
func orHole(s string, h hole) string {
	if s == "" {
		return sentinels[h]
	}
	return s
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func wireChatResponseOf(r *openai.ChatCompletionResponse) wireChatResponse {
	w := wireChatResponse{
		ID:                  orHole(r.ID, holeID),
		Object:              orDefault(r.Object, "chat.completion"),
		Created:             orDefault(r.Created, defaultCreated),
		Model:               orHole(r.Model, holeModel),
		Choices:             make([]wireChatChoice, len(r.Choices)),
		ServiceTier:         r.ServiceTier,
		SystemFingerprint:   r.SystemFingerprint,
		PromptFilterResults: r.PromptFilterResults,
	}
	if r.Usage == (openai.Usage{}) {
		w.Usage = rawHole(holeUsage)
	} else {
		w.Usage, _ = json.Marshal(toWireUsage(r.Usage))
	}
	for i, c := range r.Choices {
		m := c.Message
		wm := wireMessage{
			Role:             orDefault(m.Role, openai.ChatMessageRoleAssistant),
			ReasoningContent: m.ReasoningContent,
			FunctionCall:     m.FunctionCall,
		}
		if m.Content != "" || (len(m.ToolCalls) == 0 && m.FunctionCall == nil) {
			wm.Content = &m.Content
		}
		if m.Refusal != "" {
			wm.Refusal = &m.Refusal
		}
		for _, tc := range m.ToolCalls {
			wm.ToolCalls = append(wm.ToolCalls, wireToolCall{
				ID:       tc.ID,
				Type:     orDefault(tc.Type, openai.ToolTypeFunction),
				Function: wireFunction{Name: tc.Function.Name, Arguments: tc.Function.Arguments},
			})
		}
		w.Choices[i] = wireChatChoice{
			Index:                c.Index,
			Message:              wm,
			Logprobs:             c.LogProbs,
			FinishReason:         c.FinishReason,
			ContentFilterResults: c.ContentFilterResults,
		}
	}
	return w
}

func wireChatChunkOf(c *openai.ChatCompletionStreamResponse) wireChatChunk {
	w := wireChatChunk{
		ID:                  orHole(c.ID, holeID),
		Object:              orDefault(c.Object, "chat.completion.chunk"),
		Created:             orDefault(c.Created, defaultCreated),
		Model:               orHole(c.Model, holeModel),
		SystemFingerprint:   c.SystemFingerprint,
		Choices:             make([]wireChunkChoice, len(c.Choices)),
		PromptFilterResults: c.PromptFilterResults,
	}
	if c.Usage != nil {
		w.Usage = toWireUsage(*c.Usage)
	}
	for i, ch := range c.Choices {
		d := ch.Delta
		wd := wireDelta{
			Role:             d.Role,
			Content:          d.Content,
			ReasoningContent: d.ReasoningContent,
			Refusal:          d.Refusal,
			FunctionCall:     d.FunctionCall,
		}
		for _, tc := range d.ToolCalls {
			wd.ToolCalls = append(wd.ToolCalls, wireToolCallDelta{
				Index:    tc.Index,
				ID:       tc.ID,
				Type:     tc.Type,
				Function: wireFunctionDelta{Name: tc.Function.Name, Arguments: tc.Function.Arguments},
			})
		}
		w.Choices[i] = wireChunkChoice{
			Index:                ch.Index,
			Delta:                wd,
			Logprobs:             ch.Logprobs,
			FinishReason:         ch.FinishReason,
			ContentFilterResults: ch.ContentFilterResults,
		}
	}
	return w
}

func isZeroLogprobs(l *openai.LogprobResult) bool {
	return l.Tokens == nil && l.TokenLogprobs == nil && l.TopLogprobs == nil && l.TextOffset == nil
}

// wireCompletionOf converts a completion response or stream chunk. A nil
// usage becomes usageHole (a hole, or nil to leave usage out).
func wireCompletionOf(r *openai.CompletionResponse, usageHole any) wireCompletion {
	w := wireCompletion{
		ID:      orHole(r.ID, holeID),
		Object:  orDefault(r.Object, "text_completion"),
		Created: orDefault(r.Created, defaultCreated),
		Model:   orHole(r.Model, holeModel),
		Choices: make([]wireCompletionChoice, len(r.Choices)),
		Usage:   usageHole,
	}
	if r.Usage != nil {
		w.Usage = toWireUsage(*r.Usage)
	}
	for i, c := range r.Choices {
		wc := wireCompletionChoice{
			Text:         c.Text,
			Index:        c.Index,
			FinishReason: openai.FinishReason(c.FinishReason),
		}
		if !isZeroLogprobs(&c.LogProbs) {
			wc.Logprobs = &c.LogProbs
		}
		w.Choices[i] = wc
	}
	return w
}

func wireErrorOf(e openai.APIError) wireError {
	return wireError{Error: wireErrorBody{
		Message: e.Message,
		Type:    e.Type,
		Param:   e.Param,
		Code:    e.Code,
	}}
}
