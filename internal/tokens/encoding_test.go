package tokens

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
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

// corpus returns texts that exercise every alternative of the split
// patterns: prose, markdown, code, contractions in both cases, digits, runs
// of mixed whitespace, non-Latin scripts, combining marks, title-case and
// modifier letters, emoji, special-token strings and invalid UTF-8.
func corpus(tb testing.TB) []string {
	return []string{
		readTestdata(tb, "reply_en.md"),
		readTestdata(tb, "reply_multilingual.txt"),
		"func main() {\n\tx := map[string]int{\"a\": 1}\n    if x[\"a\"] > 0 { fmt.Println(\"ok\") }\n}\n",
		`{"city": "Paris", "unit": "celsius", "days": [1, 2, 3]}`,
		"I'm sure it's fine; they'll say we've done what I'd DONE. 'S 'LL 'Re 'vE x'D 'sup ''s",
		"a  b   c \t d\t\te \n f\n\n g \r\n h  \n  i \u00a0j\u3000k \u2028l\u0085m",
		"12 345 6789 1234567 3.14159 -42 +7 1e10 ²³ ½¾ ٣٤٥ 〇",
		" leading space, trailing spaces   ",
		"trailing newline spaces \n   ",
		"<|endoftext|> hi <|fim_prefix|> <|endofprompt|> <|im_start|>user",
		"naïve café — “quotes” … © ½ ÆØÅ ǅ ʰ ǅemo Ǆx ʰʰa",
		"e\u0301\u0301 \u0301\u0301 !\u0301 A\u0301B a\u0300bC\u0327D 'ˆs ˆˆ",
		"👩‍💻 coding 🚀🚀 at 3am ☕️ 🇫🇷🇩🇪",
		"https://example.com/a/b?c=d&e=f#g path/to/file.go:12 //x// a/\n/b",
		"Unspaced CJK: 这是一个没有空格的很长的句子用来测试分词器的行为是否正确",
		"ΑΒΓ αβγ ΑβΓ Ǉǈǉ ﬁﬂ Straße ǅǆ",
		"\xff\xfeinvalid\x80 bytes \xc3(\xe2\x82 end\xf0",
		"it'ſ x'ſo 'Ks",
		strings.Repeat("-", 3000) + strings.Repeat("ab", 700) + strings.Repeat(" ", 200) + "x",
		strings.Repeat("🚀", 300),
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

// TestCountMatchesReference compares every count with tiktoken-go's on the
// corpus, whole and in every prefix of its short texts (each prefix ends
// the text at a different place, which the whitespace alternatives care
// about), cold and with the piece cache warm.
func TestCountMatchesReference(t *testing.T) {
	t.Parallel()
	for _, enc := range encodings {
		for _, text := range corpus(t) {
			want := refCount(t, enc, text)
			for pass := range 2 {
				if got := Count(enc, text); got != want {
					t.Errorf("%s pass %d: Count(%.60q) = %d, want %d", enc, pass, text, got, want)
				}
			}
			if len(text) > 400 {
				continue
			}
			for i := 1; i < len(text); i++ {
				if got, want := Count(enc, text[:i]), refCount(t, enc, text[:i]); got != want {
					t.Errorf("%s: Count(%q) = %d, want %d", enc, text[:i], got, want)
				}
			}
		}
	}
}

// TestSplitMatchesReference compares the pieces themselves, not only their
// token counts, on the corpus: each piece's tokens must be the reference's.
func TestSplitMatchesReference(t *testing.T) {
	t.Parallel()
	for _, name := range encodings {
		enc, err := encoderFor(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range corpus(t) {
			text = replaceInvalid(text)
			var ours []string
			for i := 0; i < len(text); {
				j := enc.split(text, i)
				if j <= i || j > len(text) {
					t.Fatalf("%s: split(%q, %d) = %d", name, text, i, j)
				}
				ours = append(ours, refPieces(t, name, text[i:j])...)
				i = j
			}
			if want := refPieces(t, name, text); strings.Join(ours, "|") != strings.Join(want, "|") {
				t.Errorf("%s: tokens of %.60q differ:\n got %q\nwant %q", name, text, ours, want)
			}
		}
	}
}

// TestMergeLargeMatchesSmall checks the heap merge against the quadratic
// one on every piece of the corpus that both can take.
func TestMergeLargeMatchesSmall(t *testing.T) {
	t.Parallel()
	for _, name := range encodings {
		enc, err := encoderFor(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range corpus(t) {
			text = replaceInvalid(text)
			for i := 0; i < len(text); {
				j := enc.split(text, i)
				for k := i + 1; k <= min(j, i+smallPiece); k++ {
					if small, large := enc.mergeSmall(text[i:k]), enc.mergeLarge(text[i:k]); small != large {
						t.Errorf("%s: merge of %q: small %d, large %d", name, text[i:k], small, large)
					}
				}
				i = j
			}
		}
	}
}

func TestReplaceInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"ok", "ok"},
		{"\xff", "\uFFFD"},
		{"a\xff\xfeb", "a\uFFFD\uFFFDb"},
		{"\xe2\x82", "\uFFFD\uFFFD"},
		{"\uFFFD", "\uFFFD"},
	}
	for _, tt := range tests {
		if got := replaceInvalid(tt.in); got != tt.want {
			t.Errorf("replaceInvalid(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := string([]rune(tt.in)); got != tt.want {
			t.Errorf("test case %q disagrees with []rune: %q", tt.in, got)
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
// text count as the characters they are.
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
}

// TestCountLongPieceLinear checks that a single long piece (a model stuck
// repeating one character) is counted exactly and quickly: the reference
// merges it in quadratic time, so its count is taken at a size it can
// still do, and the long one is checked against the same count per
// repetition.
func TestCountLongPieceLinear(t *testing.T) {
	t.Parallel()
	for _, enc := range encodings {
		for _, unit := range []string{"-", "ab", "=+", "é"} {
			short := strings.Repeat(unit, 512)
			if got, want := Count(enc, short), refCount(t, enc, short); got != want {
				t.Errorf("%s: Count(%q × 512) = %d, want %d", enc, unit, got, want)
			}
			long := strings.Repeat(short, 256) // 128 Ki repetitions
			if got := Count(enc, long); got <= 0 || got > len(long) {
				t.Errorf("%s: Count(%q × 128Ki) = %d", enc, unit, got)
			}
		}
	}
}

func TestConcurrentCount(t *testing.T) {
	t.Parallel()
	texts := corpus(t)
	want := make(map[string]int)
	for _, enc := range encodings {
		for _, text := range texts {
			want[enc+text] = refCount(t, enc, text)
		}
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				enc := encodings[(g+i)%2]
				text := texts[(g*7+i)%len(texts)]
				if got := Count(enc, text); got != want[enc+text] {
					t.Errorf("%s: concurrent Count(%.30q) = %d, want %d", enc, text, got, want[enc+text])
					return
				}
				if i%17 == 0 {
					ResetCaches()
				}
			}
		}()
	}
	wg.Wait()
}

// FuzzCountMatchesReference is the differential fuzz test: for any input,
// valid UTF-8 or not, both encodings count what tiktoken-go counts.
//
//	go test ./internal/tokens -run '^$' -fuzz FuzzCountMatchesReference -fuzztime 5m -fuzzminimizetime 100x
func FuzzCountMatchesReference(f *testing.F) {
	for _, text := range corpus(f) {
		if len(text) <= 2048 {
			f.Add(text)
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 512 {
			// The reference's merge is quadratic in a piece's length and its
			// regexp2 split slow: longer inputs make a call take long enough
			// for the fuzzing coordinator to take the worker for hung. Long
			// pieces are covered by TestCountLongPieceLinear.
			return
		}
		for _, enc := range encodings {
			if got, want := Count(enc, text), refCount(t, enc, text); got != want {
				t.Errorf("%s: Count(%q) = %d, want %d (valid UTF-8: %v)", enc, text, got, want, utf8.ValidString(text))
			}
		}
	})
}

// TestVocabularies checks the embedded vocabularies load whole: every
// token of the published files, each with its own rank, and every byte a
// token.
func TestVocabularies(t *testing.T) {
	t.Parallel()
	for enc, want := range map[string]int{O200kBase: 199998, Cl100kBase: 100256} {
		e, err := encoderFor(enc)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.vocab.size(); got != want {
			t.Errorf("%s: %d tokens, want %d", enc, got, want)
		}
		for b := range 256 {
			if _, ok := e.vocab.rankHashed(string([]byte{byte(b)}), hashString(string([]byte{byte(b)}))); !ok {
				t.Errorf("%s: byte %#x is not a token", enc, b)
			}
		}
	}
	if _, err := parseVocab([]byte("YQ== 0\nYQ== 1\n")); err == nil {
		t.Error("a token listed twice was accepted")
	}
	for _, bad := range []string{"YQ==\n", "YQ== x\n", "!!! 1\n", " 1\n"} {
		if _, err := parseVocab([]byte(bad)); err == nil {
			t.Errorf("parseVocab(%q) accepted", bad)
		}
	}
}
