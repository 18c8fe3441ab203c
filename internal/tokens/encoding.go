package tokens

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
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

// encoder counts tokens of one encoding: its vocabulary, its pre-split and
// a cache of merged pieces. It is safe for concurrent use.
type encoder struct {
	vocab *vocab
	split func(text string, i int) int
	cache pieceCache
}

// Shared encoders, built on first use: sync.OnceValues makes the lazy
// construction safe under concurrent first calls, and an encoder's vocabulary
// is read-only afterwards.
var (
	o200k  = sync.OnceValues(func() (*encoder, error) { return build(O200kBase) })
	cl100k = sync.OnceValues(func() (*encoder, error) { return build(Cl100kBase) })
)

// build constructs the encoder for encoding from the vocabulary embedded by
// github.com/pkoukk/tiktoken-go-loader. It touches no global state and never
// the network (tiktoken-go's own loader downloads vocabularies).
func build(encoding string) (*encoder, error) {
	var split func(string, int) int
	switch encoding {
	case O200kBase:
		split = splitO200k
	case Cl100kBase:
		split = splitCl100k
	default:
		return nil, fmt.Errorf("tokens: unsupported encoding %q", encoding)
	}
	v, err := loadVocab(encoding)
	if err != nil {
		return nil, err
	}
	classTable() // built here rather than on the first non-ASCII text
	return &encoder{vocab: v, split: split}, nil
}

// encoderFor returns the shared encoder for encoding; unknown names get
// o200k_base, as unknown models do.
func encoderFor(encoding string) (*encoder, error) {
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
// exists so a caller can pay that one-time cost (about 20 to 50 ms of CPU,
// and 6 to 12 MB kept for the life of the process, per encoding) early,
// typically with `go tokens.Preload(model)` when a stream without usage
// starts.
func Preload(model string) {
	_, _ = encoderFor(EncodingForModel(model))
}

// Count returns the number of tokens text encodes to in encoding ([O200kBase]
// or [Cl100kBase]; any other name counts as [O200kBase]), exactly as
// tiktoken's encode_ordinary counts them.
//
// Text is encoded as ordinary text: special-token strings such as
// "<|endoftext|>" count as the characters they are. Bytes that are not
// valid UTF-8 count as U+FFFD, the character encoding/json sends in their
// place (tiktoken-go counts them so too). Time is linear in the length of
// text, and O(n log n) for a single piece of n bytes (a long run of one
// character).
func Count(encoding, text string) int {
	if text == "" {
		return 0
	}
	enc, err := encoderFor(encoding)
	if err != nil {
		// Unreachable with the embedded vocabularies; an estimate must
		// still not fail, so fall back to OpenAI's "4 bytes a token".
		return (len(text) + 3) / 4
	}
	return enc.count(text)
}

// count returns the number of tokens of text.
func (e *encoder) count(text string) int {
	if !utf8.ValidString(text) {
		text = replaceInvalid(text)
	}
	n := 0
	for i := 0; i < len(text); {
		j := e.split(text, i)
		n += e.countPiece(text[i:j])
		i = j
	}
	return n
}

// ResetCaches empties the piece caches of both encoders and the cache of
// long texts' counts, so that a benchmark can measure a first pass over
// text the tokenizer has not seen.
func ResetCaches() {
	for _, get := range []func() (*encoder, error){o200k, cl100k} {
		if e, err := get(); err == nil {
			e.cache.reset()
		}
	}
	texts.reset()
}

// replaceInvalid returns text with every byte that does not start a valid
// UTF-8 sequence replaced by U+FFFD, as Go's []rune conversion and
// encoding/json do (strings.ToValidUTF8 would replace a run of them with
// one).
func replaceInvalid(text string) string {
	var b strings.Builder
	b.Grow(len(text) + 16)
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(text[i : i+size])
		}
		i += size
	}
	return b.String()
}
