package tokens

import (
	"fmt"
	"strings"
	"sync"
)

// Estimate is a token count computed from a request or from the parts of an
// answer that arrived, for calls whose usage OpenAI did not report.
//
// The zero value is an estimate of 0 tokens that covers everything.
type Estimate struct {
	// Tokens is the estimated number of tokens.
	Tokens int
	// Unmeasured lists, one short sentence each, what the estimate could not
	// measure and how it counted it instead: an image whose size is unknown
	// (a remote URL), audio, a file, a tool of a type that is not rendered
	// into the prompt, hidden reasoning tokens. A recorder marks a step
	// whose estimate has any as not covering them.
	Unmeasured []string
}

// Complete reports whether the estimate measured everything it counted.
func (e Estimate) Complete() bool { return len(e.Unmeasured) == 0 }

// note records something the estimate could not measure.
func (e *Estimate) note(format string, args ...any) {
	e.Unmeasured = append(e.Unmeasured, fmt.Sprintf(format, args...))
}

// merge adds o's tokens and notes to e.
func (e *Estimate) merge(o Estimate) {
	e.Tokens += o.Tokens
	e.Unmeasured = append(e.Unmeasured, o.Unmeasured...)
}

// countText is Count with the counts of long texts remembered. Estimation
// sees the same texts again and again: every call of a conversation resends
// the system prompt, the tool definitions and the history, and a reply
// recorded once comes back as history on the next call. Hashing and
// comparing a text costs a small fraction of tokenizing it.
func countText(encoding, text string) int {
	if len(text) < minCachedText {
		return Count(encoding, text)
	}
	k := textKey{encoding, text}
	if n, ok := texts.get(k); ok {
		return n
	}
	n := Count(encoding, text)
	if len(text) <= maxCachedText {
		texts.put(textKey{encoding, strings.Clone(text)}, n)
	}
	return n
}

// Bounds of the text cache: texts shorter than minCachedText are counted
// again (the lookup would cost about as much); texts longer than
// maxCachedText (pasted documents) are not kept, so that a few of them do
// not evict everything else. Each of the two generations holds at most
// textCacheEntries texts and textCacheBytes bytes.
const (
	minCachedText    = 128
	maxCachedText    = 64 << 10
	textCacheEntries = 4096
	textCacheBytes   = 4 << 20
)

type textKey struct{ encoding, text string }

// texts caches the counts of long texts, shared by all callers.
var texts textCache

// textCache keeps two generations of counts: when the current one is full
// it becomes the old one, and entries found in the old one move back, so
// memory stays under twice the bounds while recently used texts survive.
// It is safe for concurrent use; the zero value is empty.
type textCache struct {
	mu       sync.Mutex
	cur, old map[textKey]int
	curBytes int
}

func (c *textCache) get(k textKey) (int, bool) {
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

func (c *textCache) put(k textKey, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, n)
}

func (c *textCache) putLocked(k textKey, n int) {
	if c.cur == nil || len(c.cur) >= textCacheEntries || c.curBytes+len(k.text) > textCacheBytes {
		c.old, c.cur, c.curBytes = c.cur, make(map[textKey]int), 0
	}
	c.cur[k] = n
	c.curBytes += len(k.text)
}

func (c *textCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur, c.old, c.curBytes = nil, nil, 0
}
