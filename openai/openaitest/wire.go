package openaitest

import (
	"bytes"
	"encoding/json"
	"strconv"

	goopenai "github.com/sashabaranov/go-openai"
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
	holeLogprobs              // member `"logprobs":null,` of a chat choice, or nothing (see [Wire])
	holeTierHead              // members `"service_tier":..,"system_fingerprint":..,` of a chunk
	holeTierTail              // members `,"service_tier":..,"system_fingerprint":..` of a completion
	numHoles
)

// sentinels are JSON strings that stand in for holes while encoding. They start
// with a NUL, which json escapes to \u0000, so no real content can collide.
var sentinels = [numHoles]string{
	holeID:        "\x00openaitest:id",
	holeModel:     "\x00openaitest:model",
	holeUsage:     "\x00openaitest:usage",
	holeEmbedding: "\x00openaitest:embedding-usage",
	holeLogprobs:  "\x00openaitest:logprobs",
	holeTierHead:  "\x00openaitest:tier-head",
	holeTierTail:  "\x00openaitest:tier-tail",
}

// sentinelJSON holds the encoded form of each sentinel, as found in output.
var sentinelJSON = func() (out [numHoles][]byte) {
	for h, s := range sentinels {
		out[h], _ = json.Marshal(s)
	}
	return out
}()

// patterns are what a template cuts out for each hole. A value hole is its
// sentinel alone; a member hole also takes its key and comma, so that the
// fill can drop the member altogether.
var patterns = func() (out [numHoles][]byte) {
	out = sentinelJSON
	member := func(h hole, prefix, suffix string) []byte {
		return append(append([]byte(prefix), sentinelJSON[h]...), suffix...)
	}
	out[holeLogprobs] = member(holeLogprobs, `"logprobs":`, ",")
	out[holeTierHead] = member(holeTierHead, `"service_tier":`, ",")
	out[holeTierTail] = member(holeTierTail, `,"service_tier":`, "")
	return out
}()

// rawHole returns a json.RawMessage that encodes as the sentinel of h, for
// fields (like usage) whose type is not a string.
func rawHole(h hole) json.RawMessage { return json.RawMessage(sentinelJSON[h]) }

// fill carries the per-request values of the holes, each already JSON-encoded.
// The slices are shared and never modified.
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
// hole patterns.
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
			if i := bytes.Index(b, patterns[h]); i >= 0 && (at < 0 || i < at) {
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
		b = b[at+len(patterns[which]):]
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
// chat and completions, details included; reasoning is the part of the
// completion tokens spent reasoning.
func appendEstimatedUsage(dst []byte, prompt, completion, reasoning int) []byte {
	return appendUsage(dst, &goopenai.Usage{PromptTokens: prompt, CompletionTokens: completion,
		TotalTokens:             prompt + completion,
		CompletionTokensDetails: &goopenai.CompletionTokensDetails{ReasoningTokens: reasoning}})
}

// appendUsage appends u as OpenAI sends a chat or completion usage: both
// detail objects are always present, zero when u leaves them nil, with
// OpenAI's member order.
func appendUsage(dst []byte, u *goopenai.Usage) []byte {
	var in goopenai.PromptTokensDetails
	var out goopenai.CompletionTokensDetails
	if u.PromptTokensDetails != nil {
		in = *u.PromptTokensDetails
	}
	if u.CompletionTokensDetails != nil {
		out = *u.CompletionTokensDetails
	}
	dst = appendIntMember(dst, `{"prompt_tokens":`, u.PromptTokens)
	dst = appendIntMember(dst, `,"completion_tokens":`, u.CompletionTokens)
	dst = appendIntMember(dst, `,"total_tokens":`, u.TotalTokens)
	dst = appendIntMember(dst, `,"prompt_tokens_details":{"cached_tokens":`, in.CachedTokens)
	dst = appendIntMember(dst, `,"audio_tokens":`, in.AudioTokens)
	dst = appendIntMember(dst, `},"completion_tokens_details":{"reasoning_tokens":`, out.ReasoningTokens)
	dst = appendIntMember(dst, `,"audio_tokens":`, out.AudioTokens)
	dst = appendIntMember(dst, `,"accepted_prediction_tokens":`, out.AcceptedPredictionTokens)
	dst = appendIntMember(dst, `,"rejected_prediction_tokens":`, out.RejectedPredictionTokens)
	return append(dst, "}}"...)
}

// appendIntMember appends the literal prefix and then n.
func appendIntMember(dst []byte, prefix string, n int) []byte {
	return strconv.AppendInt(append(dst, prefix...), int64(n), 10)
}

// appendEmbeddingUsage appends the usage object of an embeddings response.
func appendEmbeddingUsage(dst []byte, prompt int) []byte {
	dst = appendIntMember(dst, `{"prompt_tokens":`, prompt)
	dst = appendIntMember(dst, `,"total_tokens":`, prompt)
	return append(dst, '}')
}

// usageJSON returns u encoded by appendUsage, for a field of a wire struct.
func usageJSON(u goopenai.Usage) json.RawMessage {
	return appendUsage(nil, &u)
}

// jsonNull is the JSON literal null, for members that OpenAI sends as null.
var jsonNull = json.RawMessage("null")

// emptyArray is an empty JSON array, for members that OpenAI sends as [].
var emptyArray = json.RawMessage("[]")

type wireFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type wireToolCall struct {
	ID       string            `json:"id"`
	Type     goopenai.ToolType `json:"type"`
	Function wireFunction      `json:"function"`
}

type wireMessage struct {
	Role             string                 `json:"role"`
	Content          *string                `json:"content"`
	ReasoningContent string                 `json:"reasoning_content,omitempty"`
	FunctionCall     *goopenai.FunctionCall `json:"function_call,omitempty"`
	ToolCalls        []wireToolCall         `json:"tool_calls,omitempty"`
	Refusal          *string                `json:"refusal"`
	Annotations      json.RawMessage        `json:"annotations"`
}

type wireChatChoice struct {
	Index                int                           `json:"index"`
	Message              wireMessage                   `json:"message"`
	Logprobs             any                           `json:"logprobs"`
	FinishReason         goopenai.FinishReason         `json:"finish_reason"`
	ContentFilterResults goopenai.ContentFilterResults `json:"content_filter_results,omitzero"`
}

type wireChatResponse struct {
	ID                  string                        `json:"id"`
	Object              string                        `json:"object"`
	Created             int64                         `json:"created"`
	Model               string                        `json:"model"`
	Choices             []wireChatChoice              `json:"choices"`
	Usage               json.RawMessage               `json:"usage"`
	ServiceTier         any                           `json:"service_tier,omitempty"`
	SystemFingerprint   any                           `json:"system_fingerprint,omitempty"`
	PromptFilterResults []goopenai.PromptFilterResult `json:"prompt_filter_results,omitempty"`
}

type wireFunctionDelta struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

type wireToolCallDelta struct {
	Index    *int              `json:"index,omitempty"`
	ID       string            `json:"id,omitempty"`
	Type     goopenai.ToolType `json:"type,omitempty"`
	Function wireFunctionDelta `json:"function"`
}

type wireDelta struct {
	Role             string                 `json:"role,omitempty"`
	Content          any                    `json:"content,omitempty"`
	ReasoningContent string                 `json:"reasoning_content,omitempty"`
	FunctionCall     *goopenai.FunctionCall `json:"function_call,omitempty"`
	ToolCalls        []wireToolCallDelta    `json:"tool_calls,omitempty"`
	Refusal          any                    `json:"refusal,omitempty"`
}

type wireChunkChoice struct {
	Index                int                           `json:"index"`
	Delta                wireDelta                     `json:"delta"`
	Logprobs             any                           `json:"logprobs"`
	FinishReason         goopenai.FinishReason         `json:"finish_reason"`
	ContentFilterResults goopenai.ContentFilterResults `json:"content_filter_results,omitzero"`
}

type wireChatChunk struct {
	ID                  string                        `json:"id"`
	Object              string                        `json:"object"`
	Created             int64                         `json:"created"`
	Model               string                        `json:"model"`
	ServiceTier         any                           `json:"service_tier,omitempty"`
	SystemFingerprint   any                           `json:"system_fingerprint,omitempty"`
	Choices             []wireChunkChoice             `json:"choices"`
	PromptFilterResults []goopenai.PromptFilterResult `json:"prompt_filter_results,omitempty"`
	Usage               any                           `json:"usage,omitempty"`
}

type wireCompletionChoice struct {
	Text         string                  `json:"text"`
	Index        int                     `json:"index"`
	Logprobs     *goopenai.LogprobResult `json:"logprobs"`
	FinishReason goopenai.FinishReason   `json:"finish_reason"`
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
	ID      string            `json:"id"`
	Model   string            `json:"model"`
	Results []goopenai.Result `json:"results"`
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

// tierMembers returns the service_tier and system_fingerprint members of a
// scripted value: a hole that the server fills per request (see [Wire]) when
// the script sets neither, else the scripted values, with service_tier
// "default" and system_fingerprint null standing in for the one left empty.
func tierMembers(tier goopenai.ServiceTier, fingerprint string, h hole) (any, any) {
	if tier == "" && fingerprint == "" {
		return rawHole(h), nil
	}
	var fp any = jsonNull
	if fingerprint != "" {
		fp = fingerprint
	}
	return orDefault(tier, goopenai.ServiceTierDefault), fp
}

func wireChatResponseOf(r *goopenai.ChatCompletionResponse) wireChatResponse {
	w := wireChatResponse{
		ID:                  orHole(r.ID, holeID),
		Object:              orDefault(r.Object, "chat.completion"),
		Created:             orDefault(r.Created, defaultCreated),
		Model:               orHole(r.Model, holeModel),
		Choices:             make([]wireChatChoice, len(r.Choices)),
		PromptFilterResults: r.PromptFilterResults,
	}
	w.ServiceTier, w.SystemFingerprint = tierMembers(r.ServiceTier, r.SystemFingerprint, holeTierTail)
	if r.Usage == (goopenai.Usage{}) {
		w.Usage = rawHole(holeUsage)
	} else {
		w.Usage = usageJSON(r.Usage)
	}
	for i, c := range r.Choices {
		m := c.Message
		wm := wireMessage{
			Role:             orDefault(m.Role, goopenai.ChatMessageRoleAssistant),
			ReasoningContent: m.ReasoningContent,
			FunctionCall:     m.FunctionCall,
			Annotations:      emptyArray,
		}
		if m.Content != "" || (len(m.ToolCalls) == 0 && m.FunctionCall == nil && m.Refusal == "") {
			wm.Content = &m.Content
		}
		if m.Refusal != "" {
			wm.Refusal = &m.Refusal
		}
		for _, tc := range m.ToolCalls {
			wm.ToolCalls = append(wm.ToolCalls, wireToolCall{
				ID:       tc.ID,
				Type:     orDefault(tc.Type, goopenai.ToolTypeFunction),
				Function: wireFunction{Name: tc.Function.Name, Arguments: tc.Function.Arguments},
			})
		}
		w.Choices[i] = wireChatChoice{
			Index:                c.Index,
			Message:              wm,
			Logprobs:             rawHole(holeLogprobs),
			FinishReason:         c.FinishReason,
			ContentFilterResults: c.ContentFilterResults,
		}
		if c.LogProbs != nil {
			w.Choices[i].Logprobs = c.LogProbs
		}
	}
	return w
}

// roleOpening says what the first delta of a streamed choice, the one that
// carries only the role, sends as content and refusal, after what the
// choice streams next.
type roleOpening uint8

const (
	openText    roleOpening = iota // "content": "", "refusal": null
	openCalls                      // "content": null, "refusal": null
	openRefusal                    // "content": null, "refusal": ""
)

// roleOpenings finds, for each choice index of a stream, how its role-only
// delta opens: as text when the choice streams content (or nothing at all),
// else as a refusal when it streams one, else for tool calls.
func roleOpenings(chunks []goopenai.ChatCompletionStreamResponse) map[int]roleOpening {
	type seen struct{ content, refusal, calls bool }
	found := make(map[int]seen)
	for i := range chunks {
		for _, ch := range chunks[i].Choices {
			s := found[ch.Index]
			s.content = s.content || ch.Delta.Content != ""
			s.refusal = s.refusal || ch.Delta.Refusal != ""
			s.calls = s.calls || len(ch.Delta.ToolCalls) > 0 || ch.Delta.FunctionCall != nil
			found[ch.Index] = s
		}
	}
	out := make(map[int]roleOpening, len(found))
	for index, s := range found {
		switch {
		case s.content:
			out[index] = openText
		case s.refusal:
			out[index] = openRefusal
		case s.calls:
			out[index] = openCalls
		default:
			out[index] = openText
		}
	}
	return out
}

// isRoleOnly reports whether d opens a choice: a role and nothing else.
func isRoleOnly(d *goopenai.ChatCompletionStreamChoiceDelta) bool {
	return d.Role != "" && d.Content == "" && d.Refusal == "" && d.ReasoningContent == "" &&
		len(d.ToolCalls) == 0 && d.FunctionCall == nil
}

func wireChatChunkOf(c *goopenai.ChatCompletionStreamResponse, openings map[int]roleOpening) wireChatChunk {
	w := wireChatChunk{
		ID:                  orHole(c.ID, holeID),
		Object:              orDefault(c.Object, "chat.completion.chunk"),
		Created:             orDefault(c.Created, defaultCreated),
		Model:               orHole(c.Model, holeModel),
		Choices:             make([]wireChunkChoice, len(c.Choices)),
		PromptFilterResults: c.PromptFilterResults,
	}
	w.ServiceTier, w.SystemFingerprint = tierMembers("", c.SystemFingerprint, holeTierHead)
	if c.Usage != nil {
		w.Usage = usageJSON(*c.Usage)
	}
	for i, ch := range c.Choices {
		d := &ch.Delta
		wd := wireDelta{
			Role:             d.Role,
			ReasoningContent: d.ReasoningContent,
			FunctionCall:     d.FunctionCall,
		}
		if d.Content != "" {
			wd.Content = d.Content
		}
		if d.Refusal != "" {
			wd.Refusal = d.Refusal
		}
		if isRoleOnly(d) {
			switch openings[ch.Index] {
			case openText:
				wd.Content, wd.Refusal = "", jsonNull
			case openCalls:
				wd.Content, wd.Refusal = jsonNull, jsonNull
			case openRefusal:
				wd.Content, wd.Refusal = jsonNull, ""
			}
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
			Logprobs:             rawHole(holeLogprobs),
			FinishReason:         ch.FinishReason,
			ContentFilterResults: ch.ContentFilterResults,
		}
		if ch.Logprobs != nil {
			w.Choices[i].Logprobs = ch.Logprobs
		}
	}
	return w
}

func isZeroLogprobs(l *goopenai.LogprobResult) bool {
	return l.Tokens == nil && l.TokenLogprobs == nil && l.TopLogprobs == nil && l.TextOffset == nil
}

// wireCompletionOf converts a completion response or stream chunk. A nil
// usage becomes usageHole (a hole, or nil to leave usage out).
func wireCompletionOf(r *goopenai.CompletionResponse, usageHole any) wireCompletion {
	w := wireCompletion{
		ID:      orHole(r.ID, holeID),
		Object:  orDefault(r.Object, "text_completion"),
		Created: orDefault(r.Created, defaultCreated),
		Model:   orHole(r.Model, holeModel),
		Choices: make([]wireCompletionChoice, len(r.Choices)),
		Usage:   usageHole,
	}
	if r.Usage != nil {
		w.Usage = usageJSON(*r.Usage)
	}
	for i, c := range r.Choices {
		wc := wireCompletionChoice{
			Text:         c.Text,
			Index:        c.Index,
			FinishReason: goopenai.FinishReason(c.FinishReason),
		}
		if !isZeroLogprobs(&c.LogProbs) {
			wc.Logprobs = &c.LogProbs
		}
		w.Choices[i] = wc
	}
	return w
}

func wireErrorOf(e goopenai.APIError) wireError {
	return wireError{Error: wireErrorBody{
		Message: e.Message,
		Type:    e.Type,
		Param:   e.Param,
		Code:    e.Code,
	}}
}
