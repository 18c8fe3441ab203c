package tokens

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math/bits"
	"strconv"

	"github.com/pkoukk/tiktoken-go-loader/assets"
)

// vocab maps the byte strings of an encoding's tokens to their ranks. It is
// an open-addressing hash table over one byte arena rather than a
// map[string]int: a lookup hashes a sub-slice of the piece being merged
// without building a string, and the table is built from the vocabulary file
// in a few milliseconds with two allocations.
//
// A vocab never changes after load, so lookups are safe for concurrent use.
type vocab struct {
	arena []byte // every token's bytes, back to back
	slots []slot // len is a power of two; a slot with n == 0 is empty
	mask  uint64
}

// slot is one table entry: the token's bytes are arena[off:off+n].
type slot struct {
	off  uint32
	n    uint16
	rank uint32
}

// errVocab reports a vocabulary file that does not have tiktoken's format
// ("base64 rank" per line).
var errVocab = errors.New("malformed vocabulary")

// loadVocab parses the vocabulary of encoding from the files embedded by
// github.com/pkoukk/tiktoken-go-loader (OpenAI's published .tiktoken files,
// one "base64(token) rank" line per token).
func loadVocab(encoding string) (*vocab, error) {
	data, err := assets.Assets.ReadFile(encoding + ".tiktoken")
	if err != nil {
		return nil, fmt.Errorf("tokens: load %s vocabulary: %w", encoding, err)
	}
	v, err := parseVocab(data)
	if err != nil {
		return nil, fmt.Errorf("tokens: load %s vocabulary: %w", encoding, err)
	}
	return v, nil
}

// parseVocab builds a vocab from the text of a .tiktoken file.
func parseVocab(data []byte) (*vocab, error) {
	lines := bytes.Count(data, []byte{'\n'}) + 1
	v := &vocab{arena: make([]byte, 0, len(data)*3/4)}
	size := 1 << bits.Len(uint(lines*2)) // load factor at most 1/2
	v.slots = make([]slot, size)
	v.mask = uint64(size - 1)
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(line) == 0 {
			continue
		}
		sp := bytes.IndexByte(line, ' ')
		if sp <= 0 {
			return nil, errVocab
		}
		rank, err := strconv.ParseUint(string(line[sp+1:]), 10, 32)
		if err != nil {
			return nil, errVocab
		}
		off := len(v.arena)
		v.arena = v.arena[:off+base64.StdEncoding.DecodedLen(sp)]
		n, err := base64.StdEncoding.Decode(v.arena[off:], line[:sp])
		if err != nil || n == 0 || n > 0xffff {
			return nil, errVocab
		}
		v.arena = v.arena[:off+n]
		if !v.insert(slot{off: uint32(off), n: uint16(n), rank: uint32(rank)}) {
			return nil, fmt.Errorf("%w: token of rank %d listed twice", errVocab, rank)
		}
	}
	return v, nil
}

// insert adds s to the table; it reports false if its bytes are already
// there.
func (v *vocab) insert(s slot) bool {
	key := v.arena[s.off : s.off+uint32(s.n)]
	for i := hashBytes(key) & v.mask; ; i = (i + 1) & v.mask {
		e := v.slots[i]
		if e.n == 0 {
			v.slots[i] = s
			return true
		}
		if bytes.Equal(v.arena[e.off:e.off+uint32(e.n)], key) {
			return false
		}
	}
}

// rankHashed returns the rank of the token whose bytes are s, if there is
// one; h is hashString(s), which the caller may need for other lookups.
func (v *vocab) rankHashed(s string, h uint64) (uint32, bool) {
	for i := h & v.mask; ; i = (i + 1) & v.mask {
		e := &v.slots[i]
		if e.n == 0 {
			return 0, false
		}
		if int(e.n) == len(s) && string(v.arena[e.off:e.off+uint32(e.n)]) == s {
			return e.rank, true
		}
	}
}

// size returns the number of tokens in the vocabulary.
func (v *vocab) size() int {
	n := 0
	for _, s := range v.slots {
		if s.n != 0 {
			n++
		}
	}
	return n
}

// hashBytes is hashString for the vocabulary's byte slices.
func hashBytes(b []byte) uint64 { return hash(b) }

// hashString is a fast, non-cryptographic hash of s (the pieces and tokens
// of natural text are short, usually under 16 bytes, so they take one or two
// multiply rounds). Its quality only affects the table's probe lengths.
func hashString(s string) uint64 { return hash(s) }

func hash[T string | []byte](b T) uint64 {
	const (
		m1 = 0x9e3779b97f4a7c15
		m2 = 0xbf58476d1ce4e5b9
	)
	h := uint64(len(b)) * m1
	for len(b) >= 8 {
		h = (h ^ le64(b)) * m2
		h ^= h >> 29
		b = b[8:]
	}
	if len(b) > 0 {
		var t uint64
		if len(b) >= 4 {
			t = uint64(le32(b)) | uint64(le32(b[len(b)-4:]))<<32
		} else {
			t = uint64(b[0]) | uint64(b[len(b)/2])<<8 | uint64(b[len(b)-1])<<16
		}
		h = (h ^ t) * m2
	}
	h ^= h >> 32
	h *= m1
	return h ^ h>>29
}

func le64[T string | []byte](b T) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func le32[T string | []byte](b T) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
