package tokens

import (
	"sync"
	"testing"

	"github.com/pkoukk/tiktoken-go"
	tiktokenloader "github.com/pkoukk/tiktoken-go-loader"
)

// The reference this package's tokenizer is tested against: tiktoken-go
// (regexp2 for the split, its own merge), built on the same embedded
// vocabularies with the split patterns OpenAI's tiktoken publishes.
const (
	refO200kPattern = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?` +
		`|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?` +
		`|\p{N}{1,3}` +
		`| ?[^\s\p{L}\p{N}]+[\r\n/]*` +
		`|\s*[\r\n]+` +
		`|\s+(?!\S)` +
		`|\s+`
	refCl100kPattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)` +
		`|[^\r\n\p{L}\p{N}]?\p{L}+` +
		`|\p{N}{1,3}` +
		`| ?[^\s\p{L}\p{N}]+[\r\n]*` +
		`|\s*[\r\n]+` +
		`|\s+(?!\S)` +
		`|\s+`
)

var refEncoders sync.Map // encoding name → *tiktoken.Tiktoken

// reference returns tiktoken-go's encoder for encoding.
func reference(tb testing.TB, encoding string) *tiktoken.Tiktoken {
	tb.Helper()
	if e, ok := refEncoders.Load(encoding); ok {
		return e.(*tiktoken.Tiktoken)
	}
	pattern := refO200kPattern
	if encoding == Cl100kBase {
		pattern = refCl100kPattern
	}
	ranks, err := tiktokenloader.NewOfflineLoader().LoadTiktokenBpe(encoding + ".tiktoken")
	if err != nil {
		tb.Fatal(err)
	}
	bpe, err := tiktoken.NewCoreBPE(ranks, map[string]int{}, pattern)
	if err != nil {
		tb.Fatal(err)
	}
	e := tiktoken.NewTiktoken(bpe, &tiktoken.Encoding{Name: encoding, PatStr: pattern, MergeableRanks: ranks, SpecialTokens: map[string]int{}}, map[string]any{})
	actual, _ := refEncoders.LoadOrStore(encoding, e)
	return actual.(*tiktoken.Tiktoken)
}

// refCount is the reference count of text.
func refCount(tb testing.TB, encoding, text string) int {
	tb.Helper()
	return len(reference(tb, encoding).EncodeOrdinary(text))
}

// refPieces returns the pieces the reference pattern splits text into.
func refPieces(tb testing.TB, encoding, text string) []string {
	tb.Helper()
	enc := reference(tb, encoding)
	var pieces []string
	for _, tok := range enc.EncodeOrdinary(text) {
		pieces = append(pieces, enc.Decode([]int{tok}))
	}
	return pieces
}
