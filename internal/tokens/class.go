package tokens

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// Character classes of the two split patterns, as bit flags of a rune.
//
// The patterns use \p{L} (letters), \p{N} (numbers), \s (white space), the
// literal \r and \n, and for o200k_base two unions of letter categories and
// marks: upper = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] and lower =
// [\p{Ll}\p{Lm}\p{Lo}\p{M}]. Categories come from Go's unicode package, the
// tables tiktoken-go's regular expressions use too.
const (
	cLetter  = 1 << iota // \p{L}
	cNumber              // \p{N}
	cSpace               // \s: Unicode White_Space
	cNewline             // \r or \n
	cUpper               // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
	cLower               // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
)

// tableRunes is how many code points the class table covers: the Basic
// Multilingual Plane and the Supplementary Multilingual Plane (emoji,
// historic scripts). Rarer runes are classified with unicode.Is.
const tableRunes = 0x20000

// classTable holds the class of every rune below tableRunes; it is built
// from the unicode range tables on first use (about a millisecond).
var classTable = sync.OnceValue(func() *[tableRunes]uint8 {
	t := new([tableRunes]uint8)
	set := func(rt *unicode.RangeTable, flags uint8) {
		for _, r := range rt.R16 {
			for c := uint32(r.Lo); c <= uint32(r.Hi); c += uint32(r.Stride) {
				t[c] |= flags
			}
		}
		for _, r := range rt.R32 {
			for c := r.Lo; c <= r.Hi && c < tableRunes; c += r.Stride {
				t[c] |= flags
			}
		}
	}
	set(unicode.Lu, cLetter|cUpper)
	set(unicode.Lt, cLetter|cUpper)
	set(unicode.Ll, cLetter|cLower)
	set(unicode.Lm, cLetter|cUpper|cLower)
	set(unicode.Lo, cLetter|cUpper|cLower)
	set(unicode.M, cUpper|cLower)
	set(unicode.N, cNumber)
	set(unicode.White_Space, cSpace)
	t['\r'] |= cNewline
	t['\n'] |= cNewline
	return t
})

// asciiClass is classTable for ASCII, kept apart so that the common case
// needs no sync.Once check and stays in one cache line or two.
var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := range utf8.RuneSelf {
		switch {
		case 'a' <= c && c <= 'z':
			t[c] = cLetter | cLower
		case 'A' <= c && c <= 'Z':
			t[c] = cLetter | cUpper
		case '0' <= c && c <= '9':
			t[c] = cNumber
		case c == '\r' || c == '\n':
			t[c] = cSpace | cNewline
		case c == ' ' || c == '\t' || c == '\v' || c == '\f':
			t[c] = cSpace
		}
	}
	return t
}()

// classOf returns the class flags of r.
func classOf(r rune) uint8 {
	if r < tableRunes {
		return classTable()[r]
	}
	var c uint8
	switch {
	case unicode.In(r, unicode.Lu, unicode.Lt):
		c = cLetter | cUpper
	case unicode.Is(unicode.Ll, r):
		c = cLetter | cLower
	case unicode.In(r, unicode.Lm, unicode.Lo):
		c = cLetter | cUpper | cLower
	case unicode.Is(unicode.M, r):
		c = cUpper | cLower
	case unicode.Is(unicode.N, r):
		c = cNumber
	case unicode.Is(unicode.White_Space, r):
		c = cSpace
	}
	return c
}

// classAt returns the class of the rune that starts at text[i] and its size
// in bytes. text is valid UTF-8 and i < len(text).
func classAt(text string, i int) (uint8, int) {
	if b := text[i]; b < utf8.RuneSelf {
		return asciiClass[b], 1
	}
	r, size := utf8.DecodeRuneInString(text[i:])
	return classOf(r), size
}
