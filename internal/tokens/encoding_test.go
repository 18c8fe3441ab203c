package tokens

import (
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pkoukk/tiktoken-go"
	tiktokenloader "github.com/pkoukk/tiktoken-go-loader"
)

// errNoNetwork fails any HTTP request made by this test binary: counting
// must never download a vocabulary.
var errNoNetwork = errors.New("tokens test: network access attempted")

type noNetwork struct{}

func (noNetwork) RoundTrip(*http.Request) (*http.Response, error) { return nil, errNoNetwork }

func TestMain(m *testing.M) {
	http.DefaultTransport = noNetwork{}
	os.Exit(m.Run())
}

var encodings = []string{O200kBase, Cl100kBase}

func readTestdata(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// mustEncoder returns the shared encoder, failing the test if it cannot be
// built.
func mustEncoder(tb testing.TB, encoding string) *tiktoken.Tiktoken {
	tb.Helper()
	enc, err := encoder(encoding)
	if err != nil {
		tb.Fatal(err)
	}
	return enc
}

// corpus returns texts that exercise the split patterns: prose, markdown,
// code, contractions, digits, runs of mixed whitespace, non-Latin scripts,
// emoji and special-token strings.
func corpus(tb testing.TB) []string {
	return []string{
		readTestdata(tb, "reply_en.md"),
		readTestdata(tb, "reply_multilingual.txt"),
		"func main() {\n\tx := map[string]int{\"a\": 1}\n    if x[\"a\"] > 0 { fmt.Println(\"ok\") }\n}\n",
		`{"city": "Paris", "unit": "celsius", "days": [1, 2, 3]}`,
		"I'm sure it's fine; they'll say we've done what I'd DONE. 'S 'LL",
		"a  b   c \t d\t\te \n f\n\n g \r\n h  \n  i",
		"12 345 6789 1234567 3.14159 -42 +7 1e10",
		" leading space, trailing spaces   ",
		"<|endoftext|> hi <|fim_prefix|> <|endofprompt|> <|im_start|>user",
		"naïve café — “quotes” … © ½ ÆØÅ ǅ ʰ",
		"👩‍💻 coding 🚀🚀 at 3am ☕️",
		"https://example.com/a/b?c=d&e=f#g path/to/file.go:12",
	}
}

func TestEncodingForModel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		model string
		want  string
	}{
		// o200k_base families, aliases and dated snapshots.
		{"gpt-4o", O200kBase},
		{"gpt-4o-2024-08-06", O200kBase},
		{"gpt-4o-mini", O200kBase},
		{"gpt-4o-mini-2024-07-18", O200kBase},
		{"gpt-4o-realtime-preview", O200kBase},
		{"chatgpt-4o-latest", O200kBase},
		{"gpt-4.1", O200kBase},
		{"gpt-4.1-mini-2025-04-14", O200kBase},
		{"gpt-4.1-nano", O200kBase},
		{"gpt-4.5-preview", O200kBase},
		{"gpt-4.5-preview-2025-02-27", O200kBase},
		{"o1", O200kBase},
		{"o1-mini", O200kBase},
		{"o1-preview-2024-09-12", O200kBase},
		{"o1-pro", O200kBase},
		{"o3", O200kBase},
		{"o3-mini-2025-01-31", O200kBase},
		{"o3-pro", O200kBase},
		{"o4-mini", O200kBase},
		{"o4-mini-2025-04-16", O200kBase},
		{"gpt-5", O200kBase},
		{"gpt-5-mini", O200kBase},
		{"gpt-5-nano-2025-08-07", O200kBase},
		{"gpt-5-chat-latest", O200kBase},
		{"gpt-5-codex", O200kBase},
		{"gpt-5.1", O200kBase},
		// cl100k_base families.
		{"gpt-4", Cl100kBase},
		{"gpt-4-0613", Cl100kBase},
		{"gpt-4-32k", Cl100kBase},
		{"gpt-4-turbo", Cl100kBase},
		{"gpt-4-turbo-2024-04-09", Cl100kBase},
		{"gpt-4-1106-preview", Cl100kBase},
		{"gpt-3.5-turbo", Cl100kBase},
		{"gpt-3.5-turbo-0125", Cl100kBase},
		{"gpt-3.5-turbo-16k", Cl100kBase},
		{"gpt-3.5-turbo-instruct", Cl100kBase},
		{"gpt-35-turbo", Cl100kBase},
		{"text-embedding-ada-002", Cl100kBase},
		{"text-embedding-3-small", Cl100kBase},
		{"text-embedding-3-large", Cl100kBase},
		{"davinci-002", Cl100kBase},
		{"babbage-002", Cl100kBase},
		// Fine-tuned models count as their base.
		{"ft:gpt-4o-mini-2024-07-18:my-org::abc123", O200kBase},
		{"ft:gpt-4o-2024-08-06:my-org:custom-suffix:abc123", O200kBase},
		{"ft:gpt-4.1-2025-04-14:my-org::abc123", O200kBase},
		{"ft:gpt-3.5-turbo-0125:my-org::abc123", Cl100kBase},
		{"ft:gpt-4-0613:my-org:suffix:abc123", Cl100kBase},
		{"ft:davinci-002:my-org::abc123", Cl100kBase},
		{"gpt-3.5-turbo:my-org::abc123", Cl100kBase},
		// Case and space do not matter.
		{"  GPT-4  ", Cl100kBase},
		{"GPT-4o", O200kBase},
		// Unknown models.
		{"", O200kBase},
		{"ft:", O200kBase},
		{"my-custom-model", O200kBase},
		{"llama-3.1-70b", O200kBase},
		{"text-davinci-003", O200kBase},
		{"gpt-40", O200kBase},
	}
	for _, tt := range tests {
		if got := EncodingForModel(tt.model); got != tt.want {
			t.Errorf("EncodingForModel(%q) = %q, want %q", tt.model, got, tt.want)
		}
	}
}

// TestCountMatchesTiktoken pins counts published by OpenAI's tiktoken.
func TestCountMatchesTiktoken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text     string
		encoding string
		want     int
	}{
		{"tiktoken is great!", O200kBase, 6},
		{"tiktoken is great!", Cl100kBase, 6},
		{"antidisestablishmentarianism", Cl100kBase, 6},
		{"antidisestablishmentarianism", O200kBase, 6},
		{"2 + 2 = 4", Cl100kBase, 7},
		{"2 + 2 = 4", O200kBase, 7},
		{"お誕生日おめでとう", Cl100kBase, 9},
		{"お誕生日おめでとう", O200kBase, 8},
		{"", O200kBase, 0},
		{"", Cl100kBase, 0},
	}
	for _, tt := range tests {
		if got := Count(tt.encoding, tt.text); got != tt.want {
			t.Errorf("Count(%s, %q) = %d, want %d", tt.encoding, tt.text, got, tt.want)
		}
	}
}

func TestCountUnknownEncodingIsO200k(t *testing.T) {
	t.Parallel()
	const text = "お誕生日おめでとう"
	if got, want := Count("p50k_base", text), Count(O200kBase, text); got != want {
		t.Errorf("Count(p50k_base) = %d, want the o200k_base count %d", got, want)
	}
}

// TestSpecialTokensAreOrdinaryText checks that special-token strings in user
// text neither panic nor collapse into one special token.
func TestSpecialTokensAreOrdinaryText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text     string
		encoding string
		want     int
	}{
		{"<|endoftext|>", O200kBase, 7},
		{"<|endoftext|>", Cl100kBase, 7},
		{"Before <|endoftext|> after", O200kBase, 9},
		{"Before <|endoftext|> after", Cl100kBase, 8},
	}
	for _, tt := range tests {
		if got := Count(tt.encoding, tt.text); got != tt.want {
			t.Errorf("Count(%s, %q) = %d, want %d", tt.encoding, tt.text, got, tt.want)
		}
	}
	for _, enc := range encodings {
		for _, special := range []string{"<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>", "<|im_start|>", "<|im_end|>"} {
			if got := Count(enc, special); got <= 1 {
				t.Errorf("Count(%s, %q) = %d, want the ordinary-text count (> 1)", enc, special, got)
			}
		}
	}
}

var registryOnce sync.Once

// registryEncoder returns tiktoken-go's own encoder for encoding, loaded
// through its registry with the offline loader, as reference for the
// encoders build makes.
func registryEncoder(tb testing.TB, encoding string) *tiktoken.Tiktoken {
	tb.Helper()
	registryOnce.Do(func() { tiktoken.SetBpeLoader(tiktokenloader.NewOfflineLoader()) })
	enc, err := tiktoken.GetEncoding(encoding)
	if err != nil {
		tb.Fatal(err)
	}
	return enc
}

// TestBuildMatchesRegistry checks that the encoders built here (with their
// own copy of the split patterns) produce the very tokens of tiktoken-go's
// registry encoders.
func TestBuildMatchesRegistry(t *testing.T) {
	t.Parallel()
	for _, encoding := range encodings {
		ours, ref := mustEncoder(t, encoding), registryEncoder(t, encoding)
		for _, text := range corpus(t) {
			if got, want := ours.EncodeOrdinary(text), ref.EncodeOrdinary(text); !slices.Equal(got, want) {
				t.Errorf("%s: tokens of %.30q = %v, want %v", encoding, text, got, want)
			}
		}
	}
}

// checkSafeCuts checks that every point cutPoint prefers is safe: that the
// text around it (radius bytes either side; all of it if radius is 0)
// encodes to the same tokens whole as cut in two there.
func checkSafeCuts(t *testing.T, enc *tiktoken.Tiktoken, text string, radius int) {
	t.Helper()
	for i := 1; i < len(text); i++ {
		if text[i] != ' ' || text[i-1] <= ' ' || text[i-1] >= 0x80 {
			continue
		}
		lo, hi := 0, len(text)
		if radius > 0 {
			lo, hi = max(lo, i-radius), min(hi, i+radius)
		}
		whole := enc.EncodeOrdinary(text[lo:hi])
		cut := append(enc.EncodeOrdinary(text[lo:i]), enc.EncodeOrdinary(text[i:hi])...)
		if !slices.Equal(cut, whole) {
			t.Errorf("cutting %q at %d changes its tokens", text[lo:hi], i-lo)
			return
		}
	}
}

func TestSafeCutsKeepTokens(t *testing.T) {
	t.Parallel()
	for _, encoding := range encodings {
		enc := mustEncoder(t, encoding)
		for _, text := range corpus(t) {
			checkSafeCuts(t, enc, text, 48)
		}
	}
}

func FuzzSafeCutsKeepTokens(f *testing.F) {
	for _, text := range corpus(f) {
		f.Add(text[:min(len(text), 512)])
	}
	f.Fuzz(func(t *testing.T, text string) {
		text = text[:min(len(text), 512)] // Checking is quadratic in length.
		for _, encoding := range encodings {
			checkSafeCuts(t, mustEncoder(t, encoding), text, 0)
		}
	})
}

// TestCountLongText checks the chunked count: exact where safe cuts exist,
// within a token per cut where a run must be split.
func TestCountLongText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		text  string
		exact bool
	}{
		{"english", strings.Repeat(readTestdata(t, "reply_en.md"), 10), true},
		{"multilingual", strings.Repeat(readTestdata(t, "reply_multilingual.txt"), 10), false},
		{"dashes", strings.Repeat("-", 4*maxChunk+7), false},
		{"one long word", strings.Repeat("ab", 2*maxChunk+3), false},
		{"minified json", strings.Repeat(`{"id":12,"tags":["a","b"]},`, 200), false},
		{"invalid utf-8", strings.Repeat("\xff\xbf", maxChunk+5), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, encoding := range encodings {
				enc := mustEncoder(t, encoding)
				got, want := Count(encoding, tt.text), len(enc.EncodeOrdinary(tt.text))
				slack := 0
				if !tt.exact {
					slack = 2 * (len(tt.text)/(maxChunk/2) + 1)
				}
				if got < want-slack || got > want+slack {
					t.Errorf("%s: Count = %d, want %d ± %d", encoding, got, want, slack)
				}
			}
		})
	}
}

func TestCutPoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		text  string
		limit int
		want  int
	}{
		{"last safe space", "ab cd ef gh", 7, 5},
		{"space at limit", "abcdefg hij", 7, 7},
		{"only the first of two spaces is safe", "ab  cdefghij", 7, 2},
		{"space after newline is not safe", "ab\n cdefghij", 7, 7},
		{"space after non-ascii is not safe", "abé cdefghij", 7, 7},
		{"no space: rune boundary", "aaaaaé", 6, 5},
		{"no rune start: limit", "a\x80\x80\x80\x80\x80\x80\x80", 6, 6},
	}
	for _, tt := range tests {
		if got := cutPoint(tt.text, tt.limit); got != tt.want {
			t.Errorf("%s: cutPoint(%q, %d) = %d, want %d", tt.name, tt.text, tt.limit, got, tt.want)
		}
	}
}

// TestConcurrentCount counts from many goroutines at once; run with -race.
func TestConcurrentCount(t *testing.T) {
	t.Parallel()
	texts := corpus(t)
	want := make(map[string][]int)
	for _, encoding := range encodings {
		for _, text := range texts {
			want[encoding] = append(want[encoding], len(mustEncoder(t, encoding).EncodeOrdinary(text)))
		}
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 3 {
				j := (g + i) % len(texts)
				encoding := encodings[(g+i)%len(encodings)]
				if got := Count(encoding, texts[j]); got != want[encoding][j] {
					t.Errorf("goroutine %d: Count(%s, %.20q) = %d, want %d", g, encoding, texts[j], got, want[encoding][j])
				}
			}
			Preload("gpt-4")
		})
	}
	wg.Wait()
}

func BenchmarkEstimateTokens(b *testing.B) {
	texts := []struct {
		name string
		text string
	}{
		{"english-1KB", readTestdata(b, "reply_en.md")},
		{"multilingual-1KB", readTestdata(b, "reply_multilingual.txt")},
		{"dashes-32KB", strings.Repeat("-", 32<<10)},
	}
	for _, tt := range texts {
		for _, encoding := range encodings {
			b.Run(tt.name+"/"+encoding, func(b *testing.B) {
				mustEncoder(b, encoding) // Built before timing.
				b.SetBytes(int64(len(tt.text)))
				b.ReportAllocs()
				for b.Loop() {
					Count(encoding, tt.text)
				}
			})
		}
	}
}

// BenchmarkColdStart measures what the first count of each encoding pays:
// building its encoder from the embedded vocabulary.
func BenchmarkColdStart(b *testing.B) {
	for _, encoding := range encodings {
		b.Run(encoding, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := build(encoding); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
