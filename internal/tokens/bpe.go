package tokens

import (
	"math"
	"strings"
	"sync"
)

// noRank marks a pair of parts whose concatenation is not a token.
const noRank = math.MaxUint32

// smallPiece is the longest piece merged by the quadratic scan; longer ones
// (runs of repeated punctuation, long words, base64, unspaced CJK) go
// through a heap, so that no input takes more than O(n log n) time.
const smallPiece = 64

// countPiece returns the number of tokens piece encodes to: tiktoken's
// byte-pair merge, which repeatedly joins the adjacent pair of parts whose
// concatenation has the lowest rank (the leftmost on ties) until no pair is
// a token.
func (e *encoder) countPiece(piece string) int {
	if len(piece) == 1 {
		return 1 // every byte is a token
	}
	h := hashString(piece)
	if _, ok := e.vocab.rankHashed(piece, h); ok {
		return 1
	}
	if len(piece) == 2 {
		return 2
	}
	if n, ok := e.cache.get(piece, h); ok {
		return n
	}
	var n int
	if len(piece) <= smallPiece {
		n = e.mergeSmall(piece)
	} else {
		n = e.mergeLarge(piece)
	}
	e.cache.put(piece, h, n)
	return n
}

// rankOf returns the rank of s, or noRank if s is not a token.
func (e *encoder) rankOf(s string) uint32 {
	if r, ok := e.vocab.rankHashed(s, hashString(s)); ok {
		return r
	}
	return noRank
}

// mergeSmall is tiktoken's merge as OpenAI wrote it: parts are kept as an
// array of start offsets, each with the rank of the part joined to the one
// after it, and every step scans for the lowest rank.
func (e *encoder) mergeSmall(piece string) int {
	var start [smallPiece + 1]uint8
	var rank [smallPiece + 1]uint32
	k := len(piece) + 1 // boundaries: parts are piece[start[i]:start[i+1]]
	for i := range k {
		start[i] = uint8(i)
	}
	for i := 0; i+2 < k; i++ {
		rank[i] = e.rankOf(piece[i : i+2])
	}
	rank[k-2], rank[k-1] = noRank, noRank
	for k > 2 {
		minRank, minIdx := uint32(noRank), 0
		for i, r := range rank[:k-1] {
			if r < minRank {
				minRank, minIdx = r, i
			}
		}
		if minRank == noRank {
			break
		}
		i := minIdx
		// Join parts i and i+1: boundary i+1 goes.
		if i+3 < k {
			rank[i] = e.rankOf(piece[start[i]:start[i+3]])
		} else {
			rank[i] = noRank
		}
		if i > 0 {
			rank[i-1] = e.rankOf(piece[start[i-1]:start[i+2]])
		}
		copy(start[i+1:k-1], start[i+2:k])
		copy(rank[i+1:k-1], rank[i+2:k])
		k--
	}
	return k - 1
}

// pair is a candidate join in mergeLarge: the parts starting at pos and
// ending at end, whose concatenation has rank rank.
type pair struct {
	rank     uint32
	pos, end int32
}

func (a pair) less(b pair) bool { return a.rank < b.rank || a.rank == b.rank && a.pos < b.pos }

// mergeLarge gives the same result as mergeSmall in O(n log n): parts form a
// linked list, and candidate joins wait in a heap ordered by rank, then
// position, as the scan would find them. A join made stale by an earlier
// one (its parts changed) is recognised by its end and skipped.
func (e *encoder) mergeLarge(piece string) int {
	n := int32(len(piece))
	next := make([]int32, n) // end of the part starting at i; -1 once i is joined into the part before it
	prev := make([]int32, n) // start of the part before the one starting at i
	heap := make([]pair, 0, n)
	for i := range n {
		next[i], prev[i] = i+1, i-1
		if i+2 <= n {
			if r := e.rankOf(piece[i : i+2]); r != noRank {
				heap = append(heap, pair{r, i, i + 2})
			}
		}
	}
	for i := len(heap)/2 - 1; i >= 0; i-- {
		siftDown(heap, i)
	}
	parts := int(n)
	for len(heap) > 0 {
		p := heap[0]
		last := len(heap) - 1
		heap[0] = heap[last]
		heap = heap[:last]
		siftDown(heap, 0)

		j := next[p.pos]
		if j < 0 || j >= n || next[j] != p.end {
			continue // stale
		}
		next[p.pos], next[j] = p.end, -1
		if p.end < n {
			prev[p.end] = p.pos
		}
		parts--
		if p.end < n {
			if r := e.rankOf(piece[p.pos:next[p.end]]); r != noRank {
				heap = push(heap, pair{r, p.pos, next[p.end]})
			}
		}
		if a := prev[p.pos]; a >= 0 {
			if r := e.rankOf(piece[a:p.end]); r != noRank {
				heap = push(heap, pair{r, a, p.end})
			}
		}
	}
	return parts
}

func push(h []pair, p pair) []pair {
	h = append(h, p)
	for i := len(h) - 1; i > 0; {
		parent := (i - 1) / 2
		if !h[i].less(h[parent]) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
	return h
}

func siftDown(h []pair, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r].less(h[l]) {
			m = r
		}
		if !h[m].less(h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// pieceCache remembers the token counts of pieces that needed merging.
// Natural text repeats its words, and a conversation resends its history on
// every call, so most merges are found here the second time. It is sharded
// to keep lock contention low and bounded: a full shard is emptied (the
// entries that matter come back at once).
//
// It is safe for concurrent use; the zero value is an empty cache.
type pieceCache struct {
	shards [cacheShards]cacheShard
}

const (
	cacheShards = 16
	// shardEntries and shardBytes bound each shard: 16 × 4096 pieces and
	// 16 × 256 KiB of piece bytes keep the cache of one encoding under
	// about 8 MB with the map's own overhead.
	shardEntries = 4096
	shardBytes   = 256 << 10
	// maxCachedPiece keeps the longest pieces (a run of one character)
	// out: they rarely repeat and would crowd the others out. Unspaced
	// scripts (Chinese, Japanese, Thai) make pieces of a sentence, which
	// do repeat when a conversation is resent.
	maxCachedPiece = 1024
)

type cacheShard struct {
	mu    sync.Mutex
	m     map[string]int32
	bytes int
}

func (c *pieceCache) get(piece string, h uint64) (int, bool) {
	s := &c.shards[h>>60]
	s.mu.Lock()
	n, ok := s.m[piece]
	s.mu.Unlock()
	return int(n), ok
}

func (c *pieceCache) put(piece string, h uint64, n int) {
	if len(piece) > maxCachedPiece {
		return
	}
	s := &c.shards[h>>60]
	s.mu.Lock()
	if s.m == nil || len(s.m) >= shardEntries || s.bytes+len(piece) > shardBytes {
		s.m, s.bytes = make(map[string]int32, 256), 0
	}
	// Clone: piece may be a slice of a large text that must not be kept.
	s.m[strings.Clone(piece)] = int32(n)
	s.bytes += len(piece)
	s.mu.Unlock()
}

// reset empties the cache.
func (c *pieceCache) reset() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.m, s.bytes = nil, 0
		s.mu.Unlock()
	}
}
