package openai

import (
	"cmp"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	openai "github.com/sashabaranov/go-openai"
)

// errClosedEarly marks a stream its caller closed before the end.
var errClosedEarly = errors.New("stream closed before it ended")

// chunk is a chunk type of a go-openai stream.
type chunk interface {
	openai.ChatCompletionStreamResponse | openai.CompletionResponse
}

// streamRecorder watches a stream of chunks of type T for its step: Recv
// passes each chunk on while it is aggregated on the side, and the step is
// recorded once, when the stream ends, fails or is closed.
type streamRecorder[T chunk] struct {
	next      func() (T, error) // the go-openai stream's Recv
	usageOnly func(T) bool      // reports the usage-only last chunk
	call      *call             // nil: nothing is recorded
	start     time.Time
	hideUsage bool // drop the usage-only chunk the caller did not ask for
	// What the step is made of, set when call is not nil.
	invocation  string
	complete    func(*gentrace.Step)
	closedEarly *bool
	agg         interface{ add(*T) }

	mu      sync.Mutex
	first   time.Time
	done    bool
	current T // the chunk being aggregated: a copy, so the caller's does not escape
}

// recv returns the next chunk exactly as the go-openai stream does.
func (r *streamRecorder[T]) recv() (T, error) {
	for {
		resp, err := r.next()
		if r.call == nil && !r.hideUsage {
			return resp, err
		}
		if err != nil {
			r.finish(err)
			return resp, err
		}
		skip := r.hideUsage && r.usageOnly(resp)
		r.observe(&resp)
		if !skip {
			return resp, nil
		}
	}
}

func (r *streamRecorder[T]) observe(resp *T) {
	if r.call == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	if r.first.IsZero() {
		r.first = r.call.runner.Now()
	}
	r.current = *resp
	r.agg.add(&r.current)
}

// finish records the step the first time the stream ends: io.EOF is a
// complete answer, errClosedEarly an early close, anything else an error.
func (r *streamRecorder[T]) finish(err error) {
	if r.call == nil {
		return
	}
	r.mu.Lock()
	if r.done {
		r.mu.Unlock()
		return
	}
	r.done = true
	end := r.call.runner.Now()
	first := r.first
	var stepErr error
	switch {
	case errors.Is(err, io.EOF):
	case errors.Is(err, errClosedEarly):
		*r.closedEarly = true
	default:
		stepErr = err
	}
	r.mu.Unlock()
	s := newStep(r.invocation, r.start, end, stepErr)
	if !first.IsZero() {
		s.TimeToFirstToken = first.Sub(r.start)
	}
	s.Complete = r.complete
	r.call.record(s)
}

// chatAggregate assembles a chat completion from stream chunks: choices by
// index, tool calls by their index, each choice's own finish reason, and
// the usage when the stream carries it.
type chatAggregate struct {
	id, model, fingerprint string
	created                int64
	choices                []*choiceAggregate
	usage                  *openai.Usage
	chunks                 int
	closedEarly            bool
}

type choiceAggregate struct {
	index        int
	role         string
	content      strings.Builder
	refusal      strings.Builder
	reasoning    strings.Builder
	finish       openai.FinishReason
	toolCalls    []*toolCallAggregate
	functionName string
	functionArgs strings.Builder
	hasFunction  bool
}

type toolCallAggregate struct {
	index int
	id    string
	typ   openai.ToolType
	name  string
	args  strings.Builder
}

func (a *chatAggregate) add(resp *openai.ChatCompletionStreamResponse) {
	a.chunks++
	if a.id == "" {
		a.id = resp.ID
	}
	if a.model == "" {
		a.model = resp.Model
	}
	if a.created == 0 {
		a.created = resp.Created
	}
	if resp.SystemFingerprint != "" {
		a.fingerprint = resp.SystemFingerprint
	}
	if resp.Usage != nil {
		u := *resp.Usage
		a.usage = &u
	}
	for i := range resp.Choices {
		ch := &resp.Choices[i]
		c := a.choice(ch.Index)
		d := &ch.Delta
		if d.Role != "" {
			c.role = d.Role
		}
		c.content.WriteString(d.Content)
		c.refusal.WriteString(d.Refusal)
		c.reasoning.WriteString(d.ReasoningContent)
		if d.FunctionCall != nil {
			c.hasFunction = true
			if d.FunctionCall.Name != "" {
				c.functionName = d.FunctionCall.Name
			}
			c.functionArgs.WriteString(d.FunctionCall.Arguments)
		}
		for j := range d.ToolCalls {
			c.addToolCall(&d.ToolCalls[j])
		}
		if ch.FinishReason != "" && ch.FinishReason != openai.FinishReasonNull {
			c.finish = ch.FinishReason
		}
	}
}

func (a *chatAggregate) choice(index int) *choiceAggregate {
	for _, c := range a.choices {
		if c.index == index {
			return c
		}
	}
	c := &choiceAggregate{index: index}
	a.choices = append(a.choices, c)
	return c
}

// addToolCall merges a tool-call delta: by its index when it has one; else
// a delta with a new ID starts a call and one without continues the last.
func (c *choiceAggregate) addToolCall(d *openai.ToolCall) {
	var tc *toolCallAggregate
	switch {
	case d.Index != nil:
		for _, t := range c.toolCalls {
			if t.index == *d.Index {
				tc = t
				break
			}
		}
		if tc == nil {
			tc = &toolCallAggregate{index: *d.Index}
			c.toolCalls = append(c.toolCalls, tc)
		}
	case d.ID != "" || len(c.toolCalls) == 0:
		for _, t := range c.toolCalls {
			if t.id == d.ID {
				tc = t
				break
			}
		}
		if tc == nil {
			tc = &toolCallAggregate{index: len(c.toolCalls)}
			c.toolCalls = append(c.toolCalls, tc)
		}
	default:
		tc = c.toolCalls[len(c.toolCalls)-1]
	}
	if d.ID != "" {
		tc.id = d.ID
	}
	if d.Type != "" {
		tc.typ = d.Type
	}
	if d.Function.Name != "" {
		tc.name = d.Function.Name
	}
	tc.args.WriteString(d.Function.Arguments)
}

// streamedChat is a chat completion assembled from a stream, in the shape
// of a non-streamed one (openai.ChatCompletionResponse) minus the fields a
// stream does not carry: go-openai's types would encode them as zero values
// (content_filter_results all "filtered": false, for one), which would
// record what OpenAI never said.
type streamedChat struct {
	ID                string           `json:"id"`
	Object            string           `json:"object"`
	Created           int64            `json:"created"`
	Model             string           `json:"model"`
	Choices           []streamedChoice `json:"choices"`
	Usage             *openai.Usage    `json:"usage,omitempty"`
	SystemFingerprint string           `json:"system_fingerprint,omitempty"`
}

type streamedChoice struct {
	Index   int                          `json:"index"`
	Message openai.ChatCompletionMessage `json:"message"`
	// FinishReason encodes "" as null, as go-openai's type does.
	FinishReason openai.FinishReason `json:"finish_reason"`
}

// response returns the assembled answer, choices in index order. A choice
// without a finish reason (an early close or an error) keeps a null one.
func (a *chatAggregate) response() streamedChat {
	resp := streamedChat{
		ID:                a.id,
		Object:            "chat.completion",
		Created:           a.created,
		Model:             a.model,
		SystemFingerprint: a.fingerprint,
		Usage:             a.usage,
		Choices:           make([]streamedChoice, 0, len(a.choices)),
	}
	for _, c := range byIndex(a.choices, func(c *choiceAggregate) int { return c.index }) {
		msg := openai.ChatCompletionMessage{
			Role:             c.role,
			Content:          c.content.String(),
			Refusal:          c.refusal.String(),
			ReasoningContent: c.reasoning.String(),
		}
		if msg.Role == "" {
			msg.Role = openai.ChatMessageRoleAssistant
		}
		if c.hasFunction {
			msg.FunctionCall = &openai.FunctionCall{Name: c.functionName, Arguments: c.functionArgs.String()}
		}
		for _, tc := range byIndex(c.toolCalls, func(t *toolCallAggregate) int { return t.index }) {
			typ := tc.typ
			if typ == "" {
				typ = openai.ToolTypeFunction
			}
			msg.ToolCalls = append(msg.ToolCalls, openai.ToolCall{
				ID:       tc.id,
				Type:     typ,
				Function: openai.FunctionCall{Name: tc.name, Arguments: tc.args.String()},
			})
		}
		resp.Choices = append(resp.Choices, streamedChoice{Index: c.index, Message: msg, FinishReason: c.finish})
	}
	return resp
}

func byIndex[T any](items []T, index func(T) int) []T {
	out := slices.Clone(items)
	slices.SortStableFunc(out, func(a, b T) int { return cmp.Compare(index(a), index(b)) })
	return out
}

// completionAggregate assembles a legacy completion from stream chunks.
type completionAggregate struct {
	id, model   string
	created     int64
	choices     []*textChoice
	usage       *openai.Usage
	chunks      int
	closedEarly bool
}

type textChoice struct {
	index  int
	text   strings.Builder
	finish string
}

func (a *completionAggregate) add(resp *openai.CompletionResponse) {
	a.chunks++
	if a.id == "" {
		a.id = resp.ID
	}
	if a.model == "" {
		a.model = resp.Model
	}
	if a.created == 0 {
		a.created = resp.Created
	}
	if resp.Usage != nil {
		u := *resp.Usage
		a.usage = &u
	}
	for i := range resp.Choices {
		ch := &resp.Choices[i]
		var c *textChoice
		for _, t := range a.choices {
			if t.index == ch.Index {
				c = t
				break
			}
		}
		if c == nil {
			c = &textChoice{index: ch.Index}
			a.choices = append(a.choices, c)
		}
		c.text.WriteString(ch.Text)
		if ch.FinishReason != "" {
			c.finish = ch.FinishReason
		}
	}
}

// response returns the assembled completion; a choice without a finish
// reason has a null one.
func (a *completionAggregate) response() map[string]any {
	choices := make([]map[string]any, 0, len(a.choices))
	for _, c := range byIndex(a.choices, func(c *textChoice) int { return c.index }) {
		var finish any
		if c.finish != "" {
			finish = c.finish
		}
		choices = append(choices, map[string]any{"index": c.index, "text": c.text.String(), "finish_reason": finish})
	}
	out := map[string]any{
		"id":      a.id,
		"object":  "text_completion",
		"created": a.created,
		"model":   a.model,
		"choices": choices,
	}
	if a.usage != nil {
		out["usage"] = a.usage
	}
	return out
}

func chatUsageOnly(c openai.ChatCompletionStreamResponse) bool {
	return len(c.Choices) == 0 && c.Usage != nil
}

func completionUsageOnly(c openai.CompletionResponse) bool {
	return len(c.Choices) == 0 && c.Usage != nil
}

// streamOptions asks for the stream's exact usage when exact is set and the
// caller did not, keeping the caller's other options; hide reports that the
// usage-only chunk must then be kept from the caller.
func streamOptions(so *openai.StreamOptions, exact bool) (_ *openai.StreamOptions, hide bool) {
	if !exact || (so != nil && so.IncludeUsage) {
		return so, false
	}
	out := openai.StreamOptions{IncludeUsage: true}
	if so != nil {
		out = *so
		out.IncludeUsage = true
	}
	return &out, true
}
