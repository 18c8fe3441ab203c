package pricing

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// withCached builds a Price that has a cached-input price.
func withCached(in, cached, out float64) Price {
	return Price{Input: in, CachedInput: cached, HasCachedInput: true, Output: out}
}

// noCached builds a Price whose cached tokens bill at the input rate.
func noCached(in, out float64) Price { return Price{Input: in, Output: out} }

func TestDefaultSpecPrices(t *testing.T) {
	t.Parallel()
	// SPEC §4's figures, plus the gpt-5 family and other current models.
	tests := []struct {
		model string
		want  Price
	}{
		{"gpt-4o", withCached(2.50, 1.25, 10.00)},
		{"gpt-4o-2024-05-13", noCached(5.00, 15.00)},
		{"gpt-4o-mini", withCached(0.15, 0.075, 0.60)},
		{"gpt-4.1", withCached(2.00, 0.50, 8.00)},
		{"gpt-4.1-mini", withCached(0.40, 0.10, 1.60)},
		{"gpt-4.1-nano", withCached(0.10, 0.025, 0.40)},
		{"o1", withCached(15.00, 7.50, 60.00)},
		{"o3", withCached(2.00, 0.50, 8.00)},
		{"o3-mini", withCached(1.10, 0.55, 4.40)},
		{"o4-mini", withCached(1.10, 0.275, 4.40)},
		{"gpt-3.5-turbo", noCached(0.50, 1.50)},
		{"gpt-4", noCached(30.00, 60.00)},
		{"gpt-4-turbo", noCached(10.00, 30.00)},
		{"text-embedding-3-small", noCached(0.02, 0)},
		{"text-embedding-3-large", noCached(0.13, 0)},
		{"text-embedding-ada-002", noCached(0.10, 0)},

		{"gpt-5", withCached(1.25, 0.125, 10.00)},
		{"gpt-5-mini", withCached(0.25, 0.025, 2.00)},
		{"gpt-5-nano", withCached(0.05, 0.005, 0.40)},
		{"gpt-5-chat-latest", withCached(1.25, 0.125, 10.00)},
		{"gpt-5-pro", noCached(15.00, 120.00)},
		{"gpt-5.1", withCached(1.25, 0.125, 10.00)},
		{"gpt-4.5-preview", withCached(75.00, 37.50, 150.00)},
		{"o1-mini", withCached(1.10, 0.55, 4.40)},
		{"o1-pro", noCached(150.00, 600.00)},
		{"o3-pro", noCached(20.00, 80.00)},
		{"chatgpt-4o-latest", noCached(5.00, 15.00)},
		{"gpt-4-32k", noCached(60.00, 120.00)},
		{"gpt-3.5-turbo-instruct", noCached(1.50, 2.00)},
		{"gpt-3.5-turbo-0125", noCached(0.50, 1.50)},
		{"gpt-3.5-turbo-1106", noCached(1.00, 2.00)},
		{"omni-moderation-latest", Price{}},
		{"text-moderation-latest", Price{}},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			t.Parallel()
			got, match, ok := Default().Lookup(tt.model)
			if !ok || match != tt.model || got != tt.want {
				t.Errorf("Lookup(%q) = %+v, %q, %v; want %+v, %q, true", tt.model, got, match, ok, tt.want, tt.model)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, model string
		wantMatch   string // "" means no price
	}{
		{"exact alias", "gpt-4o", "gpt-4o"},
		{"exact snapshot dearer than alias", "gpt-4o-2024-05-13", "gpt-4o-2024-05-13"},
		{"exact 4-digit snapshot priced apart", "gpt-3.5-turbo-1106", "gpt-3.5-turbo-1106"},
		{"dated snapshot falls back to alias", "gpt-4o-2024-08-06", "gpt-4o"},
		{"later snapshot falls back to alias", "gpt-4o-2024-11-20", "gpt-4o"},
		{"mini snapshot to mini alias", "gpt-4o-mini-2024-07-18", "gpt-4o-mini"},
		{"gpt-4.1-mini snapshot", "gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"},
		{"gpt-5 snapshot", "gpt-5-2025-08-07", "gpt-5"},
		{"o1 snapshot", "o1-2024-12-17", "o1"},
		{"o1-mini snapshot not o1", "o1-mini-2024-09-12", "o1-mini"},
		{"4-digit suffix to alias", "gpt-4-0613", "gpt-4"},
		{"4-digit suffix on 32k", "gpt-4-32k-0613", "gpt-4-32k"},
		{"search preview snapshot", "gpt-4o-mini-search-preview-2025-03-11", "gpt-4o-mini-search-preview"},
		{"transcribe has its own price, not gpt-4o-mini's", "gpt-4o-mini-transcribe", "gpt-4o-mini-transcribe"},
		{"tts snapshot to its alias, not gpt-4o-mini", "gpt-4o-mini-tts-2025-03-20", "gpt-4o-mini-tts"},
		{"codex-mini has its own price, not gpt-5-codex's", "gpt-5-codex-mini", "gpt-5-codex-mini"},
		{"codex-mini snapshot", "gpt-5-codex-mini-2025-11-07", "gpt-5-codex-mini"},
		{"no prefix match: unknown codex variant", "gpt-5-codex-max", ""},
		{"no prefix match: unknown gpt-4o variant", "gpt-4o-mini-future-thing", ""},
		{"no prefix match: gpt-4-turbo variant", "gpt-4-turbo-new", ""},
		{"turbo preview alias row", "gpt-4-turbo-preview", "gpt-4-turbo-preview"},
		{"gpt-5.1 codex row", "gpt-5.1-codex", "gpt-5.1-codex"},
		{"gpt-5.1 mini codex has its own price", "gpt-5.1-codex-mini", "gpt-5.1-codex-mini"},
		{"realtime snapshot priced apart", "gpt-4o-realtime-preview-2024-10-01", "gpt-4o-realtime-preview-2024-10-01"},
		{"realtime later snapshot to alias", "gpt-4o-realtime-preview-2024-12-17", "gpt-4o-realtime-preview"},
		{"image model", "gpt-image-1", "gpt-image-1"},
		{"whisper", "whisper-1", "whisper-1"},
		{"family rule: Azure spelling", "gpt-35-turbo", "gpt-3.5-turbo"},
		{"family rule then snapshot row", "gpt-35-turbo-0613", "gpt-3.5-turbo-0613"},
		{"family rule then alias", "gpt-35-turbo-16k-0613", "gpt-3.5-turbo-16k-0613"},
		{"family rule only at a dash", "gpt-35-turbox", ""},
		{"prefix only at dash", "gpt-4oz", ""},
		{"gpt-4.5 is not gpt-4", "gpt-4.5-preview-2025-02-27", "gpt-4.5-preview"},
		{"moderation snapshot", "omni-moderation-2024-09-26", "omni-moderation-2024-09-26"},
		{"fine-tune", "ft:gpt-4o-mini-2024-07-18:acme::abc123", "ft:gpt-4o-mini"},
		{"fine-tune with suffix", "ft:gpt-4o-2024-08-06:acme:support-bot:abc123", "ft:gpt-4o"},
		{"fine-tune of 4-digit snapshot", "ft:gpt-3.5-turbo-0125:acme::abc123", "ft:gpt-3.5-turbo"},
		{"fine-tune of 4.1-nano", "ft:gpt-4.1-nano-2025-04-14:acme::x", "ft:gpt-4.1-nano"},
		{"fine-tune without a fine-tune price", "ft:gpt-5-2025-08-07:acme::x", ""},
		{"legacy fine-tune", "davinci-002:ft-acme-2023-08-01", "ft:davinci-002"},
		{"empty fine-tune base", "ft::acme::x", ""},
		{"version tag after a colon", "gpt-3.5-turbo-instruct:20230824-v2", "gpt-3.5-turbo-instruct"},
		{"version tag on an unknown model", "claude-3:2024", ""},
		{"empty version tag", "gpt-4o:", ""},
		{"unknown", "claude-3-opus", ""},
		{"unknown with date", "llama-2024-01-01", ""},
		{"only a date", "-2024-01-01", ""},
		{"empty", "", ""},
		{"dash", "-", ""},
		{"case differs", "GPT-4o", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, match, ok := Default().Lookup(tt.model)
			if tt.wantMatch == "" {
				if ok || match != "" || got != (Price{}) {
					t.Errorf("Lookup(%q) = %+v, %q, %v; want no price", tt.model, got, match, ok)
				}
				return
			}
			want, _, _ := Default().Lookup(tt.wantMatch)
			if !ok || match != tt.wantMatch || got != want {
				t.Errorf("Lookup(%q) = %+v, %q, %v; want %+v, %q, true", tt.model, got, match, ok, want, tt.wantMatch)
			}
		})
	}
}

func TestLookupSnapshotPricedApartFromAlias(t *testing.T) {
	t.Parallel()
	snap, _, _ := Default().Lookup("gpt-4o-2024-05-13")
	alias, _, _ := Default().Lookup("gpt-4o")
	if snap == alias {
		t.Fatalf("gpt-4o-2024-05-13 priced as gpt-4o: %+v", snap)
	}
	// 1M cached prompt tokens: the snapshot has no cached price, so they
	// bill at its $5 input rate, not at gpt-4o's $1.25 cached rate.
	if got := snap.Cost(Usage{InputTokens: 1_000_000, CachedInputTokens: 1_000_000}); got != 5 {
		t.Errorf("gpt-4o-2024-05-13 cost of 1M cached tokens = %v, want 5", got)
	}
}

func TestLookupFineTuneNeverBasePrice(t *testing.T) {
	t.Parallel()
	ft, _, _ := Default().Lookup("ft:gpt-4o-mini-2024-07-18:acme::abc")
	base, _, _ := Default().Lookup("gpt-4o-mini")
	if ft == base {
		t.Errorf("fine-tuned gpt-4o-mini priced as the base model: %+v", ft)
	}
}

func TestWith(t *testing.T) {
	t.Parallel()
	custom := withCached(1, 0.5, 2)
	tests := []struct {
		name      string
		overrides map[string]Price
		model     string
		wantMatch string
		want      Price
	}{
		{"override", map[string]Price{"gpt-4o": custom}, "gpt-4o", "gpt-4o", custom},
		{"override reaches snapshots", map[string]Price{"gpt-4o": custom}, "gpt-4o-2024-08-06", "gpt-4o", custom},
		{"override leaves dearer snapshot", map[string]Price{"gpt-4o": custom}, "gpt-4o-2024-05-13", "gpt-4o-2024-05-13", noCached(5, 15)},
		{"addition", map[string]Price{"my-model": custom}, "my-model", "my-model", custom},
		{"addition reaches snapshots", map[string]Price{"my-model": custom}, "my-model-2025-01-01", "my-model", custom},
		{"snapshot added beside alias", map[string]Price{"gpt-4.1-2025-04-14": custom}, "gpt-4.1-2025-04-14", "gpt-4.1-2025-04-14", custom},
		{"fine-tune base price", map[string]Price{"ft:gpt-5": custom}, "ft:gpt-5-2025-08-07:acme::x", "ft:gpt-5", custom},
		{"one fine-tuned model", map[string]Price{"ft:gpt-4o:acme::x": custom}, "ft:gpt-4o:acme::x", "ft:gpt-4o:acme::x", custom},
		{"free model", map[string]Price{"free": {}}, "free", "free", Price{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var before []Price
			for key := range tt.overrides {
				p, _, _ := Default().Lookup(key)
				before = append(before, p)
			}
			tab, err := Default().With(tt.overrides)
			if err != nil {
				t.Fatalf("With: %v", err)
			}
			got, match, ok := tab.Lookup(tt.model)
			if !ok || match != tt.wantMatch || got != tt.want {
				t.Errorf("Lookup(%q) = %+v, %q, %v; want %+v, %q, true", tt.model, got, match, ok, tt.want, tt.wantMatch)
			}
			if tab.AsOf() != Default().AsOf() || tab.Source() != Default().Source() {
				t.Errorf("With changed AsOf/Source to %q/%q", tab.AsOf(), tab.Source())
			}
			var after []Price
			for key := range tt.overrides {
				p, _, _ := Default().Lookup(key)
				after = append(after, p)
			}
			if !slices.Equal(before, after) {
				t.Errorf("With changed the default table: %+v, was %+v", after, before)
			}
		})
	}
}

func TestWithLeavesReceiverUnchanged(t *testing.T) {
	t.Parallel()
	orig, _, _ := Default().Lookup("gpt-4o")
	if _, err := Default().With(map[string]Price{"gpt-4o": noCached(99, 99), "added": noCached(1, 1)}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := Default().Lookup("gpt-4o"); got != orig {
		t.Errorf("default gpt-4o = %+v after With, want %+v", got, orig)
	}
	if _, _, ok := Default().Lookup("added"); ok {
		t.Error("default table knows a model added to a derived table")
	}
}

func TestWithNoOverrides(t *testing.T) {
	t.Parallel()
	for _, o := range []map[string]Price{nil, {}} {
		tab, err := Default().With(o)
		if err != nil || tab != Default() {
			t.Errorf("With(%v) = %p, %v; want the receiver", o, tab, err)
		}
	}
}

func TestWithInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		overrides map[string]Price
		wantErr   string
	}{
		{"negative input", map[string]Price{"gpt-4o": {Input: -1}}, `gentrace: price for model "gpt-4o": input price -1 is negative`},
		{"negative cached", map[string]Price{"m": withCached(1, -0.5, 1)}, `"m": cached input price -0.5 is negative`},
		{"negative output", map[string]Price{"m": noCached(1, -1)}, `"m": output price -1 is negative`},
		{"NaN", map[string]Price{"m": {Input: math.NaN()}}, `"m": input price NaN is not a finite number`},
		{"infinite", map[string]Price{"m": {Output: math.Inf(1)}}, `"m": output price +Inf is not a finite number`},
		{"negative infinite", map[string]Price{"m": {Input: math.Inf(-1)}}, `"m": input price -Inf is not a finite number`},
		{"cached without flag", map[string]Price{"m": {Input: 1, CachedInput: 0.5}}, `"m": cached input price set without HasCachedInput`},
		{"empty name", map[string]Price{"": {}}, "gentrace: price for empty model name"},
		{"spaces in name", map[string]Price{" gpt-4o": {}}, `gentrace: price for model " gpt-4o": model name has surrounding spaces`},
		{"first bad key in order", map[string]Price{"b": {Input: -1}, "a": {Input: -2}}, `"a": input price -2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tab, err := Default().With(tt.overrides)
			if err == nil || tab != nil {
				t.Fatalf("With = %v, %v; want an error", tab, err)
			}
			if !strings.HasPrefix(err.Error(), "gentrace: ") || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("With error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestNilTable(t *testing.T) {
	t.Parallel()
	var tab *Table
	if p, m, ok := tab.Lookup("gpt-4o"); ok || m != "" || p != (Price{}) {
		t.Errorf("nil Lookup = %+v, %q, %v; want no price", p, m, ok)
	}
	if tab.AsOf() != "" || tab.Source() != "" || tab.Models() != nil {
		t.Error("nil table has a date, source or models")
	}
	got, err := tab.With(map[string]Price{"m": noCached(1, 2)})
	if err != nil {
		t.Fatal(err)
	}
	if p, m, ok := got.Lookup("m-2025-01-01"); !ok || m != "m" || p != noCached(1, 2) {
		t.Errorf("Lookup on table built from nil = %+v, %q, %v", p, m, ok)
	}
}

// TestEmbeddedTable fails when someone adds a bad row to prices.json.
func TestEmbeddedTable(t *testing.T) {
	t.Parallel()
	tab, err := Parse(embedded)
	if err != nil {
		t.Fatalf("embedded prices.json: %v", err)
	}
	if _, err := time.Parse(time.DateOnly, tab.AsOf()); err != nil {
		t.Errorf("AsOf() = %q, not a date", tab.AsOf())
	}
	if !strings.Contains(tab.Source(), tab.AsOf()) {
		t.Errorf("Source() = %q does not name the table's date %s", tab.Source(), tab.AsOf())
	}
	models := tab.Models()
	if len(models) < 16 {
		t.Fatalf("embedded table has %d models", len(models))
	}
	for _, key := range models {
		p, match, ok := tab.Lookup(key)
		if !ok || match != key {
			t.Errorf("%q does not look itself up: %q, %v", key, match, ok)
		}
		if err := p.check(); err != nil {
			t.Errorf("%q: %v", key, err)
		}
		if strings.ToLower(key) != key || strings.ContainsAny(key, " \t\n") {
			t.Errorf("%q: model names are lower case without spaces", key)
		}
		// Cached input is a discount on input; output is dearer than input
		// for every chat model. A row breaking this is most likely a typo.
		if p.HasCachedInput && p.CachedInput > p.Input {
			t.Errorf("%q: cached input %v above input %v", key, p.CachedInput, p.Input)
		}
		if p.Output != 0 && p.Output < p.Input {
			t.Errorf("%q: output %v below input %v", key, p.Output, p.Input)
		}
		e, _ := tab.Entry(key)
		if e.Model != key || e.Source == "" {
			t.Errorf("%q: entry %+v has no source", key, e)
		}
		if d, err := time.Parse(time.DateOnly, e.AsOf); err != nil || e.AsOf > tab.AsOf() || d.Year() < 2023 {
			t.Errorf("%q: row date %q is not a date on or before the table's %s", key, e.AsOf, tab.AsOf())
		}
		if p.Input > 1000 || p.Output > 1000 {
			t.Errorf("%q: price %+v above $1000 per 1M tokens; per-1K figure?", key, p)
		}
	}
	if Default().AsOf() != tab.AsOf() || len(Default().Models()) != len(models) {
		t.Error("Default() differs from the parsed embedded file")
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	const head = `{"version": 2, "asOf": "2025-11-15", "unit": "USD per 1M tokens", "source": "s", "models": `
	const row = `"source": "s", "asOf": "2025-11-15"`
	tests := []struct {
		name, file, wantErr string
	}{
		{"not JSON", `{`, "parse price table"},
		{"trailing data", head + `{}} {}`, "trailing data"},
		{"unknown top-level field", `{"version": 2, "asOf": "2025-11-15", "unit": "USD per 1M tokens", "currency": "EUR", "models": {}}`, `unknown field "currency"`},
		{"wrong version", `{"version": 1, "asOf": "2025-11-15", "unit": "USD per 1M tokens", "models": {}}`, "version 1"},
		{"missing version", `{"asOf": "2025-11-15", "unit": "USD per 1M tokens", "models": {}}`, "version 0"},
		{"bad date", `{"version": 2, "asOf": "15/11/2025", "unit": "USD per 1M tokens", "models": {}}`, `asOf "15/11/2025"`},
		{"missing date", `{"version": 2, "unit": "USD per 1M tokens", "models": {}}`, `asOf ""`},
		{"per 1K unit", `{"version": 2, "asOf": "2025-11-15", "unit": "USD per 1K tokens", "models": {}}`, `unit "USD per 1K tokens"`},
		{"models not object", head + `[]}`, "models is not an object"},
		{"models missing", `{"version": 2, "asOf": "2025-11-15", "unit": "USD per 1M tokens"}`, "models is not an object"},
		{"duplicate row", head + `{"m": {"input": 1, "output": 1, ` + row + `}, "m": {"input": 2, "output": 2, ` + row + `}}}`, `"m" listed twice`},
		{"missing input", head + `{"m": {"output": 1, ` + row + `}}}`, `"m": input and output prices are required`},
		{"missing output", head + `{"m": {"input": 1, ` + row + `}}}`, `"m": input and output prices are required`},
		{"null input", head + `{"m": {"input": null, "output": 1, ` + row + `}}}`, `"m": input and output prices are required`},
		{"misspelt field", head + `{"m": {"input": 1, "output": 1, "cached_input": 0.5, ` + row + `}}}`, `"m": json: unknown field "cached_input"`},
		{"string price", head + `{"m": {"input": "1", "output": 1, ` + row + `}}}`, `"m"`},
		{"negative price", head + `{"m": {"input": 1, "output": -1, ` + row + `}}}`, `"m": output price -1 is negative`},
		{"negative cached", head + `{"m": {"input": 1, "cachedInput": -1, "output": 1, ` + row + `}}}`, `"m": cached input price -1 is negative`},
		{"negative audio", head + `{"m": {"input": 1, "output": 1, "audioOutput": -1, ` + row + `}}}`, `"m": audio output price -1 is negative`},
		{"row without source", head + `{"m": {"input": 1, "output": 1, "asOf": "2025-11-15"}}}`, `"m": source is required`},
		{"row without date", head + `{"m": {"input": 1, "output": 1, "source": "s"}}}`, `"m": asOf "" is not a YYYY-MM-DD date`},
		{"row with bad date", head + `{"m": {"input": 1, "output": 1, "source": "s", "asOf": "2025-13-01"}}}`, `"m": asOf "2025-13-01"`},
		{"empty name", head + `{"": {"input": 1, "output": 1, ` + row + `}}}`, "empty model name"},
		{"padded name", head + `{"m ": {"input": 1, "output": 1, ` + row + `}}}`, `"m ": model name has surrounding spaces`},
		{"row not object", head + `{"m": 1}}`, `"m"`},
		{"incomplete family rule", `{"version": 2, "asOf": "2025-11-15", "unit": "USD per 1M tokens", "families": [{"prefix": "a"}], "models": {}}`, `family rule "a" → "" is incomplete`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tab, err := Parse([]byte(tt.file))
			if err == nil || tab != nil {
				t.Fatalf("Parse = %v, %v; want an error", tab, err)
			}
			if !strings.HasPrefix(err.Error(), "gentrace: parse price table: ") || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseCachedPrice(t *testing.T) {
	t.Parallel()
	tab, err := Parse([]byte(`{"version": 2, "asOf": "2025-11-15", "unit": "USD per 1M tokens", "models": {
		"free-cache": {"input": 1, "cachedInput": 0, "output": 2, "source": "s", "asOf": "2025-11-15"},
		"no-cache": {"input": 1, "output": 2, "source": "s", "asOf": "2025-11-15"},
		"null-cache": {"input": 1, "cachedInput": null, "output": 2, "note": "n", "source": "s", "asOf": "2025-11-15"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		model string
		want  Price
	}{
		{"free-cache", withCached(1, 0, 2)},
		{"no-cache", noCached(1, 2)},
		{"null-cache", noCached(1, 2)},
	}
	for _, tt := range tests {
		if got, _, _ := tab.Lookup(tt.model); got != tt.want {
			t.Errorf("Lookup(%q) = %+v, want %+v", tt.model, got, tt.want)
		}
	}
}

func TestDefaultConcurrent(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tab, err := Default().With(map[string]Price{fmt.Sprint("m", i): noCached(1, 1)})
			if err != nil {
				t.Error(err)
				return
			}
			for range 100 {
				if _, _, ok := Default().Lookup("gpt-4o-2024-08-06"); !ok {
					t.Error("gpt-4o snapshot not found")
				}
				if _, _, ok := tab.Lookup(fmt.Sprint("m", i)); !ok {
					t.Error("added model not found")
				}
			}
		}()
	}
	wg.Wait()
}

func TestLookupDoesNotAllocate(t *testing.T) {
	tab := Default()
	for _, model := range []string{
		"gpt-4o", "gpt-4o-2024-08-06", "gpt-4o-mini-transcribe", "gpt-35-turbo-16k-0613",
		"ft:gpt-4o-mini-2024-07-18:acme::abc", "claude-3-opus-20240229",
	} {
		if n := testing.AllocsPerRun(100, func() { tab.Lookup(model) }); n != 0 {
			t.Errorf("Lookup(%q) allocates %v times", model, n)
		}
	}
}

func TestStripDate(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"gpt-4o-2024-08-06", "gpt-4o"},
		{"gpt-4-0613", "gpt-4"},
		{"gpt-4o", "gpt-4o"},
		{"gpt-4o-2024-08", "gpt-4o-2024-08"},
		{"gpt-4o-2024-8-06", "gpt-4o-2024-8-06"},
		{"gpt-4o-20240806", "gpt-4o-20240806"},
		{"gpt-4o-x024-08-06", "gpt-4o-x024-08-06"},
		{"-2024-08-06", "-2024-08-06"},
		{"-0613", "-0613"},
		{"x-0613", "x"},
		{"o3-2025-04-16", "o3"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := stripDate(tt.in); got != tt.want {
			t.Errorf("stripDate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	tab := Default()
	for _, bm := range []struct{ name, model string }{
		{"exact", "gpt-4o-mini"},
		{"alias", "gpt-4o-mini-2024-07-18"},
		{"family", "gpt-35-turbo-0613"},
		{"finetune", "ft:gpt-4o-mini-2024-07-18:acme:support-bot:abc123"},
		{"unknown", "claude-3-5-sonnet-20241022"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tab.Lookup(bm.model)
			}
		})
	}
}
