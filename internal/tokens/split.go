package tokens

// The pre-split: tiktoken cuts text into pieces with a regular expression
// before merging bytes, and no token crosses a piece. The two functions
// below implement the two encodings' expressions by hand, in one pass,
// with the leftmost-first, backtracking semantics of the engines OpenAI's
// tiktoken and tiktoken-go use (fancy-regex, regexp2): at each position the
// alternatives are tried in order, each quantifier is greedy and gives
// characters back only when what follows cannot match.
//
// cl100k_base:
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)
//	|[^\r\n\p{L}\p{N}]?\p{L}+
//	|\p{N}{1,3}
//	| ?[^\s\p{L}\p{N}]+[\r\n]*
//	|\s*[\r\n]+
//	|\s+(?!\S)
//	|\s+
//
// o200k_base:
//
//	[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//	|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//	|\p{N}{1,3}
//	| ?[^\s\p{L}\p{N}]+[\r\n/]*
//	|\s*[\r\n]+
//	|\s+(?!\S)
//	|\s+
//
// Every character starts a match of some alternative, so the matches tile
// the text and each function returns where the piece starting at i ends.
// Both run in time linear in the length of the piece they return: the only
// backtracking (o200k_base's first alternative, the whitespace
// alternatives) looks back over the run just scanned.

// prefixable reports whether a character of class c can be the optional
// leading [^\r\n\p{L}\p{N}] of a word.
func prefixable(c uint8) bool { return c&(cLetter|cNumber|cNewline) == 0 }

// punct reports whether a character of class c is in [^\s\p{L}\p{N}].
func punct(c uint8) bool { return c&(cLetter|cNumber|cSpace) == 0 }

// splitCl100k returns the end of the cl100k_base piece that starts at
// text[i].
func splitCl100k(text string, i int) int {
	if n := contraction(text, i); n > 0 {
		return i + n
	}
	c, size := classAt(text, i)
	switch {
	case c&cLetter != 0:
		return runOf(text, i+size, cLetter)
	case prefixable(c) && i+size < len(text):
		if c2, size2 := classAt(text, i+size); c2&cLetter != 0 {
			return runOf(text, i+size+size2, cLetter)
		}
	}
	if c&cNumber != 0 {
		return digits3(text, i+size)
	}
	if end, ok := punctuation(text, i, c, size, false); ok {
		return end
	}
	return whitespace(text, i)
}

// splitO200k returns the end of the o200k_base piece that starts at
// text[i].
func splitO200k(text string, i int) int {
	c, size := classAt(text, i)
	if c&(cUpper|cLower) != 0 || prefixable(c) {
		// The two word alternatives, each first with the optional
		// prefix character taken, then without it.
		if prefixable(c) && i+size < len(text) {
			if end, ok := wordLowerEnd(text, i+size); ok {
				return end
			}
		}
		if end, ok := wordLowerEnd(text, i); ok {
			return end
		}
		if prefixable(c) && i+size < len(text) {
			if end, ok := wordUpperEnd(text, i+size); ok {
				return end
			}
		}
		if end, ok := wordUpperEnd(text, i); ok {
			return end
		}
	}
	if c&cNumber != 0 {
		return digits3(text, i+size)
	}
	if end, ok := punctuation(text, i, c, size, true); ok {
		return end
	}
	return whitespace(text, i)
}

// wordLowerEnd matches U*L+C? at text[i] (U the upper class, L the lower
// class, C a contraction), the first alternative of o200k_base after its
// prefix: U* takes the whole run of upper-class characters, then L+ the run
// of lower-class ones; if there are none, U* gives characters back until
// the last one it kept before a lower-class character, which upper-class
// runes in both classes (Lm, Lo, marks) can be.
func wordLowerEnd(text string, i int) (int, bool) {
	j := i
	lastBoth := -1 // end of the last rune of the upper run that is also lower-class
	for j < len(text) {
		c, size := classAt(text, j)
		if c&cUpper == 0 {
			break
		}
		j += size
		if c&cLower != 0 {
			lastBoth = j
		}
	}
	end := -1
	if j < len(text) {
		if c, size := classAt(text, j); c&cLower != 0 {
			end = runOf(text, j+size, cLower)
		}
	}
	if end < 0 {
		if lastBoth < 0 {
			return 0, false
		}
		end = lastBoth
	}
	return end + contraction(text, end), true
}

// wordUpperEnd matches U+L*C? at text[i], the second alternative of
// o200k_base after its prefix.
func wordUpperEnd(text string, i int) (int, bool) {
	j := runOf(text, i, cUpper)
	if j == i {
		return 0, false
	}
	j = runOf(text, j, cLower)
	return j + contraction(text, j), true
}

// contraction returns the length in bytes of the match of
// (?i:'s|'t|'re|'ve|'m|'ll|'d) at text[i], apostrophe included, or 0. Case folding is Unicode's simple folding, as in
// OpenAI's tiktoken (Rust regex): besides S, the s also matches ſ (U+017F
// LATIN SMALL LETTER LONG S), which folds to it.
func contraction(text string, i int) int {
	if i >= len(text) || text[i] != '\'' {
		return 0
	}
	rest := text[i+1:]
	if len(rest) == 0 {
		return 0
	}
	switch rest[0] | 0x20 {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v':
		if len(rest) >= 2 && rest[1]|0x20 == 'e' {
			return 3
		}
	case 'l':
		if len(rest) >= 2 && rest[1]|0x20 == 'l' {
			return 3
		}
	}
	if len(rest) >= 2 && rest[0] == 0xc5 && rest[1] == 0xbf { // ſ
		return 3
	}
	return 0
}

// runOf returns the end of the run of characters of class flags that starts
// at text[i] (i itself if there is none).
func runOf(text string, i int, flags uint8) int {
	for i < len(text) {
		c, size := classAt(text, i)
		if c&flags == 0 {
			break
		}
		i += size
	}
	return i
}

// digits3 returns the end of \p{N}{1,3} whose first character ends at i.
func digits3(text string, i int) int {
	for range 2 {
		if i >= len(text) {
			break
		}
		c, size := classAt(text, i)
		if c&cNumber == 0 {
			break
		}
		i += size
	}
	return i
}

// punctuation matches " ?[^\s\p{L}\p{N}]+[\r\n]*" at text[i] (c and size
// describe its first character); with slash, the trailing class is
// [\r\n/], as in o200k_base.
func punctuation(text string, i int, c uint8, size int, slash bool) (int, bool) {
	j := i
	if text[i] == ' ' && i+1 < len(text) {
		if c2, size2 := classAt(text, i+1); punct(c2) {
			j = i + 1 + size2
		}
	}
	if j == i {
		if !punct(c) {
			return 0, false
		}
		j = i + size
	}
	for j < len(text) {
		c, size := classAt(text, j)
		if !punct(c) {
			break
		}
		j += size
	}
	for j < len(text) && (text[j] == '\r' || text[j] == '\n' || slash && text[j] == '/') {
		j++
	}
	return j, true
}

// whitespace matches the last three alternatives of both patterns at
// text[i], a white-space character:
//
//   - \s*[\r\n]+ ends after the last \r or \n of the run of white space;
//   - \s+(?!\S) takes the whole run at the end of the text, and otherwise
//     all of it but its last character, which then leads the next word;
//   - \s+ takes the single white-space character that remains.
func whitespace(text string, i int) int {
	j, lastNewline, lastStart := i, -1, i
	for j < len(text) {
		c, size := classAt(text, j)
		if c&cSpace == 0 {
			break
		}
		lastStart = j
		j += size
		if c&cNewline != 0 {
			lastNewline = j
		}
	}
	switch {
	case lastNewline >= 0:
		return lastNewline
	case j == len(text) || lastStart == i:
		return j
	default:
		return lastStart
	}
}
