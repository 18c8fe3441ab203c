package tokens

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/pkoukk/tiktoken-go"
	tiktokenloader "github.com/pkoukk/tiktoken-go-loader"
)

// Names of the supported encodings, as tiktoken spells them.
const (
	// O200kBase is the encoding of gpt-4o, gpt-4.1, gpt-4.5, the o-series,
	// gpt-5 and of every model this package does not recognise.
	O200kBase = "o200k_base"
	// Cl100kBase is the encoding of gpt-3.5, gpt-4 and gpt-4-turbo, the
	// text-embedding models and the davinci-002/babbage-002 completion models.
	Cl100kBase = "cl100k_base"
)

// Split patterns of the two encodings: facts published with OpenAI's
// tiktoken, needed because the encoders are built here rather than through
// tiktoken-go's registry (see build).
const (
	o200kPattern = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?` +
		`|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?` +
		`|\p{N}{1,3}` +
		`| ?[^\s\p{L}\p{N}]+[\r\n/]*` +
		`|\s*[\r\n]+` +
		`|\s+(?!\S)` +
		`|\s+`
	cl100kPattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)` +
		`|[^\r\n\p{L}\p{N}]?\p{L}+` +
		`|\p{N}{1,3}` +
		`| ?[^\s\p{L}\p{N}]+[\r\n]*` +
		`|\s*[\r\n]+` +
		`|\s+(?!\S)` +
		`|\s+`
)

// Shared encoders, built on first use. sync.OnceValues makes the lazy
// construction safe under concurrent first calls, and a *tiktoken.Tiktoken
// only reads its maps and its regexp2.Regexp (documented as safe for
// concurrent use) while encoding, so one instance serves every goroutine.
var (
	o200k  = sync.OnceValues(func() (*tiktoken.Tiktoken, error) { return build(O200kBase) })
	cl100k = sync.OnceValues(func() (*tiktoken.Tiktoken, error) { return build(Cl100kBase) })
)

// build constructs a fresh encoder for encoding from the vocabulary embedded
// by tiktoken-go-loader.
//
// It deliberately bypasses tiktoken.GetEncoding: that path loads through the
// package-global loader, which by default downloads vocabularies, and
// replacing it with tiktoken.SetBpeLoader would be an unsynchronised write to
// a global that the program may use or have configured itself. Building the
// encoder here touches no global state and never the network.
//
// No special tokens are registered: counting uses EncodeOrdinary, so text
// such as "<|endoftext|>" in a message counts as the ordinary text it is
// when OpenAI tokenizes message content, and can neither panic nor error.
func build(encoding string) (*tiktoken.Tiktoken, error) {
	var pattern string
	switch encoding {
	case O200kBase:
		pattern = o200kPattern
	case Cl100kBase:
		pattern = cl100kPattern
	default:
		return nil, fmt.Errorf("tokens: unsupported encoding %q", encoding)
	}
	ranks, err := tiktokenloader.NewOfflineLoader().LoadTiktokenBpe(encoding + ".tiktoken")
	if err != nil {
		return nil, fmt.Errorf("tokens: load %s vocabulary: %w", encoding, err)
	}
	bpe, err := tiktoken.NewCoreBPE(ranks, map[string]int{}, pattern)
	if err != nil {
		return nil, fmt.Errorf("tokens: build %s encoder: %w", encoding, err)
	}
	return tiktoken.NewTiktoken(bpe, &tiktoken.Encoding{
		Name:           encoding,
		PatStr:         pattern,
		MergeableRanks: ranks,
		SpecialTokens:  map[string]int{},
	}, map[string]any{}), nil
}

// encoder returns the shared encoder for encoding; unknown names get
// o200k_base, as unknown models do.
func encoder(encoding string) (*tiktoken.Tiktoken, error) {
	if encoding == Cl100kBase {
		return cl100k()
	}
	return o200k()
}

// EncodingForModel returns the name of the tiktoken encoding that model uses:
// [Cl100kBase] for gpt-3.5*, gpt-4 and gpt-4-* (not gpt-4o, gpt-4.1 or
// gpt-4.5), text-embedding-*, davinci-002 and babbage-002, and [O200kBase]
// for everything else, including unknown models, since every model OpenAI
// has released since gpt-4o uses it.
//
// A fine-tuned model counts as its base: "ft:" prefixes and ":org::id"
// suffixes are stripped first, so "ft:gpt-4o-mini-2024-07-18:acme::abc123"
// maps like "gpt-4o-mini-2024-07-18". Matching ignores case and surrounding
// space.
func EncodingForModel(model string) string {
	m := baseModel(model)
	switch {
	case m == "gpt-4",
		strings.HasPrefix(m, "gpt-4-"),
		strings.HasPrefix(m, "gpt-3.5"),
		strings.HasPrefix(m, "gpt-35"), // Azure OpenAI's spelling.
		strings.HasPrefix(m, "text-embedding-"),
		m == "davinci-002",
		m == "babbage-002":
		return Cl100kBase
	}
	return O200kBase
}

// baseModel strips what fine-tuning adds to a model name: the "ft:" prefix
// and everything from the first colon after it (":org:suffix:id").
func baseModel(model string) string {
	m := strings.ToLower(strings.TrimSpace(model))
	m = strings.TrimPrefix(m, "ft:")
	if i := strings.IndexByte(m, ':'); i >= 0 {
		m = m[:i]
	}
	return m
}

// Preload builds the encoder that model uses, if it is not built yet, and
// returns once it is ready. Counting builds it anyway on first use; Preload
// exists so a caller can pay that one-time cost (0.1 to 0.5 s of CPU and 12
// to 24 MB kept for the life of the process, per encoding) early, typically
// with `go tokens.Preload(model)` when a stream without usage starts.
func Preload(model string) {
	_, _ = encoder(EncodingForModel(model))
}

// Count returns the number of tokens text encodes to in encoding ([O200kBase]
// or [Cl100kBase]; any other name counts as [O200kBase]).
//
// Text is encoded as ordinary text: special-token strings such as
// "<|endoftext|>" count as the characters they are. The count equals
// tiktoken's unless text has a stretch of more than 1 KiB in which no space
// follows a printable ASCII character; such stretches (minified JSON, a
// character repeated at length, unspaced CJK) are cut every 1 KiB or so,
// which may shift the count by a token per cut but keeps the time linear.
func Count(encoding, text string) int {
	if text == "" {
		return 0
	}
	enc, err := encoder(encoding)
	if err != nil {
		// Unreachable with the embedded vocabularies; an estimate must
		// still not fail, so fall back to OpenAI's "4 bytes a token".
		return (len(text) + 3) / 4
	}
	return countChunks(enc, text, maxChunk)
}

// maxChunk bounds the bytes encoded in one call. tiktoken-go merges a piece
// (a word, a run of punctuation or of spaces) in time quadratic in its
// length, and one piece can be arbitrarily long: a model stuck repeating "-"
// produces a single piece, which takes over a second to encode at 32 KB.
const maxChunk = 1024

// countChunks counts text in chunks of at most limit bytes, cut where no
// piece can straddle the cut whenever possible (see cutPoint).
func countChunks(enc *tiktoken.Tiktoken, text string, limit int) int {
	n := 0
	for len(text) > limit {
		cut := cutPoint(text, limit)
		n += len(enc.EncodeOrdinary(text[:cut]))
		text = text[cut:]
	}
	return n + len(enc.EncodeOrdinary(text))
}

// cutPoint returns where to cut text (longer than limit bytes), in (0, limit].
//
// It prefers the last space preceded by a printable non-space ASCII byte:
// under both encodings' split patterns a space can join a piece only as the
// piece's first character or inside a run of whitespace, so no piece contains
// "non-space, space" and cutting between them leaves every piece, and thus
// the count, unchanged. Failing that it cuts at a UTF-8 boundary, which can
// split a piece and so is approximate.
func cutPoint(text string, limit int) int {
	for i := limit; i > 0; i-- {
		if text[i] == ' ' && text[i-1] > ' ' && text[i-1] < utf8.RuneSelf {
			return i
		}
	}
	for i := limit; i > 0; i-- {
		if utf8.RuneStart(text[i]) {
			return i
		}
	}
	return limit // Not UTF-8 at all: any cut will do.
}
