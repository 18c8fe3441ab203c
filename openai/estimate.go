package openai

import (
	"sync"

	"github.com/gentrace/gentrace-go/internal/tokens"
	openai "github.com/sashabaranov/go-openai"
)

// Token estimation runs when a step is completed, on a delivery worker, but
// it is still the costliest part of recording a stream (tiktoken encodes
// about 1.5 MB/s), and its CPU competes with the application's. Chat
// prompts repeat: every call of a conversation resends the system prompt
// and the history, so the per-message counts are remembered.

// messageKey identifies a plain text message under one encoding: the fields
// tokens.ChatPrompt counts for a message without parts, tool calls or a
// function call.
type messageKey struct {
	encoding, role, content, name, toolCallID, refusal, reasoning string
}

// Bounds of one generation of the message cache. Two generations are kept,
// so memory stays under twice these while recently used entries survive.
const (
	cacheEntries = 4096
	cacheBytes   = 4 << 20
	// cacheMaxMessage keeps huge messages (pasted documents) out of the cache,
	// so that a few of them do not evict everything else.
	cacheMaxMessage = 64 << 10
)

// messageCounts caches the token counts of chat messages, shared by all
// clients; it is safe for concurrent use.
var messageCounts tokenCache

type tokenCache struct {
	mu       sync.Mutex
	cur, old map[messageKey]int
	curBytes int
}

func (c *tokenCache) get(k messageKey) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.cur[k]; ok {
		return n, true
	}
	n, ok := c.old[k]
	if ok {
		c.putLocked(k, n)
	}
	return n, ok
}

func (c *tokenCache) put(k messageKey, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, n)
}

func (c *tokenCache) putLocked(k messageKey, n int) {
	size := k.size()
	if c.cur == nil || len(c.cur) >= cacheEntries || c.curBytes+size > cacheBytes {
		c.old, c.cur, c.curBytes = c.cur, make(map[messageKey]int), 0
	}
	c.cur[k] = n
	c.curBytes += size
}

func (k messageKey) size() int {
	return len(k.role) + len(k.content) + len(k.name) + len(k.toolCallID) + len(k.refusal) + len(k.reasoning)
}

// chatPromptTokens is tokens.ChatPrompt, with the count of each plain text
// message remembered. The formula is additive (a message's count does not
// depend on the others), so counting messages one at a time gives the same
// total.
func chatPromptTokens(model string, msgs []openai.ChatCompletionMessage, tools []openai.Tool) int {
	enc := tokens.EncodingForModel(model)
	// tokens.ChatPrompt of no message and no tool is the reply priming.
	priming := tokens.ChatPrompt(model, nil, nil)
	n := priming
	for i := range msgs {
		m := &msgs[i]
		if len(m.MultiContent) > 0 || len(m.ToolCalls) > 0 || m.FunctionCall != nil {
			n += tokens.ChatPrompt(model, msgs[i:i+1], nil) - priming
			continue
		}
		k := messageKey{enc, m.Role, m.Content, m.Name, m.ToolCallID, m.Refusal, m.ReasoningContent}
		if k.size() > cacheMaxMessage {
			n += tokens.ChatPrompt(model, msgs[i:i+1], nil) - priming
			continue
		}
		c, ok := messageCounts.get(k)
		if !ok {
			c = tokens.ChatPrompt(model, msgs[i:i+1], nil) - priming
			messageCounts.put(k, c)
		}
		n += c
	}
	if len(tools) > 0 {
		n += tokens.ChatPrompt(model, nil, tools) - priming
	}
	return n
}

// rememberReply stores the count of a generated message as the prompt
// message it becomes when the conversation goes on: the next call resends
// the reply as history, and then finds its count here. completion is the
// reply's completion count (tokens.CompletionMessage); the prompt form adds
// the message overhead and the role, which ChatPrompt counts separately
// from the content, so no text is encoded twice.
func rememberReply(model string, m openai.ChatCompletionMessage, completion int) {
	if len(m.MultiContent) > 0 || len(m.ToolCalls) > 0 || m.FunctionCall != nil || m.Content == "" {
		return
	}
	k := messageKey{tokens.EncodingForModel(model), m.Role, m.Content, m.Name, m.ToolCallID, m.Refusal, m.ReasoningContent}
	if k.size() > cacheMaxMessage || m.Name != "" || m.ToolCallID != "" {
		return
	}
	priming := tokens.ChatPrompt(model, nil, nil)
	overhead := tokens.ChatPrompt(model, []openai.ChatCompletionMessage{{Role: m.Role}}, nil) - priming
	messageCounts.put(k, overhead+completion)
}

// completionPromptTokens estimates the prompt tokens of a legacy completion
// request: text prompts are counted, token prompts are their length.
func completionPromptTokens(model string, prompt any) int {
	n := 0
	switch p := prompt.(type) {
	case string:
		n = tokens.CompletionPrompt(model, p)
	case []string:
		for _, s := range p {
			n += tokens.CompletionPrompt(model, s)
		}
	case []any:
		for _, s := range p {
			if s, ok := s.(string); ok {
				n += tokens.CompletionPrompt(model, s)
			}
		}
	case []int:
		n = len(p)
	case [][]int:
		for _, t := range p {
			n += len(t)
		}
	}
	return n
}
