package pricing

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

//go:embed prices.json
var embedded []byte

// fileVersion is the only schema version of the price file Parse accepts.
const fileVersion = 1

// fileUnit is the unit every price in the file must be quoted in.
const fileUnit = "USD per 1M tokens"

// fineTunePrefix marks keys that price fine-tuned models and the model names
// OpenAI gives them.
const fineTunePrefix = "ft:"

// Table maps model names to prices.
//
// A Table never changes after construction, so one value is safe for
// concurrent use; [Table.With] returns a new table. A nil *Table behaves as an
// empty table: it knows no model.
type Table struct {
	asOf   string
	source string

	// models holds every key, "ft:" keys included, for exact matches and
	// alias/prefix matches of ordinary names.
	models map[string]entry
	// fineTuned holds the "ft:" keys by their base name ("ft:gpt-4o" under
	// "gpt-4o") so a fine-tuned name resolves without building a string.
	fineTuned map[string]entry

	// Prefix candidates longer than these cannot match, so Lookup skips them.
	maxModelLen, maxFineTunedLen int
}

// entry is a price with the table key it is stored under, which Lookup
// reports as the match.
type entry struct {
	key   string
	price Price
}

var defaultTable = sync.OnceValue(func() *Table {
	t, err := Parse(embedded)
	if err != nil {
		// The embedded file is validated by the package's tests.
		panic(err)
	}
	return t
})

// Default returns the table parsed from the embedded price file. It is parsed
// once, on first use, and the same *Table is returned to every caller.
func Default() *Table { return defaultTable() }

// newTable indexes prices, which must already be valid.
func newTable(asOf, source string, prices map[string]Price) *Table {
	t := &Table{
		asOf:      asOf,
		source:    source,
		models:    make(map[string]entry, len(prices)),
		fineTuned: make(map[string]entry),
	}
	for key, p := range prices {
		e := entry{key: key, price: p}
		t.models[key] = e
		t.maxModelLen = max(t.maxModelLen, len(key))
		// A key such as "ft:gpt-4o-mini:org::id" names one fine-tuned model
		// and matches only exactly; "ft:gpt-4o-mini" prices a whole base.
		if base, ok := strings.CutPrefix(key, fineTunePrefix); ok && base != "" && !strings.Contains(base, ":") {
			t.fineTuned[base] = e
			t.maxFineTunedLen = max(t.maxFineTunedLen, len(base))
		}
	}
	return t
}

// AsOf returns the date (YYYY-MM-DD) of the prices the table was built from.
// Tables made by [Table.With] keep the date of the table they extend.
func (t *Table) AsOf() string {
	if t == nil {
		return ""
	}
	return t.asOf
}

// Source returns where the table's prices come from, as the price file states.
func (t *Table) Source() string {
	if t == nil {
		return ""
	}
	return t.source
}

// Models returns every key in the table, sorted.
func (t *Table) Models() []string {
	if t == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(t.models))
}

// Lookup returns the price of model, the table key that supplied it (for
// diagnostics), and whether one was found. See the package documentation for
// the order in which keys are tried. An unknown or empty model reports
// ok=false and a zero Price, which callers must not use as a cost.
//
// Lookup does not allocate.
func (t *Table) Lookup(model string) (price Price, match string, ok bool) {
	if t == nil || model == "" {
		return Price{}, "", false
	}
	if e, ok := t.models[model]; ok {
		return e.price, e.key, true
	}
	var e entry
	if base, isFineTuned := fineTunedBase(model); isFineTuned {
		if base == "" {
			return Price{}, "", false
		}
		e, ok = t.fineTuned[base]
		if !ok {
			e, ok = resolve(t.fineTuned, base, t.maxFineTunedLen)
		}
	} else {
		e, ok = resolve(t.models, model, t.maxModelLen)
	}
	if !ok {
		return Price{}, "", false
	}
	return e.price, e.key, true
}

// resolve looks name up in m by alias and then by longest prefix; the caller
// has already tried the exact name.
func resolve(m map[string]entry, name string, maxLen int) (entry, bool) {
	if alias := stripDate(name); len(alias) < len(name) {
		if e, ok := m[alias]; ok {
			return e, true
		}
	}
	for i := min(len(name)-1, maxLen); i > 0; i-- {
		if name[i] != '-' {
			continue
		}
		if e, ok := m[name[:i]]; ok {
			return e, true
		}
	}
	return entry{}, false
}

// fineTunedBase reports whether model names a fine-tuned model and, if so, the
// model it was tuned from: "gpt-4o-mini-2024-07-18" for
// "ft:gpt-4o-mini-2024-07-18:org:suffix:id", "davinci" for the legacy
// "davinci:ft-org-2023-01-01".
func fineTunedBase(model string) (base string, ok bool) {
	rest, hasPrefix := strings.CutPrefix(model, fineTunePrefix)
	base, _, hasSuffix := strings.Cut(rest, ":")
	return base, hasPrefix || hasSuffix
}

// stripDate returns name without a trailing snapshot date, either
// -YYYY-MM-DD or OpenAI's older -MMDD, or name itself if it has none.
func stripDate(name string) string {
	if n := len(name) - len("-2006-01-02"); n > 0 && name[n] == '-' &&
		digits(name[n+1:n+5]) && name[n+5] == '-' && digits(name[n+6:n+8]) &&
		name[n+8] == '-' && digits(name[n+9:]) {
		return name[:n]
	}
	if n := len(name) - len("-0613"); n > 0 && name[n] == '-' && digits(name[n+1:]) {
		return name[:n]
	}
	return name
}

// digits reports whether s is non-empty and all ASCII digits.
func digits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// With returns a new table holding t's prices with overrides added, an
// override replacing any price t has for the same key. Keys follow the lookup
// rules: "gpt-4o" also prices its dated snapshots, "ft:gpt-4o" prices models
// fine-tuned from gpt-4o, and a full name such as "ft:gpt-4o:org::id" prices
// that model alone. t is not modified; with no overrides t itself is returned.
//
// With returns an error naming the first offending model (in key order) if a
// key is empty or has surrounding spaces, or a price is negative, NaN or
// infinite, or has a CachedInput without HasCachedInput.
func (t *Table) With(overrides map[string]Price) (*Table, error) {
	for _, key := range slices.Sorted(maps.Keys(overrides)) {
		if err := checkEntry(key, overrides[key]); err != nil {
			return nil, fmt.Errorf("gentrace: %w", err)
		}
	}
	if len(overrides) == 0 && t != nil {
		return t, nil
	}
	prices := make(map[string]Price, len(overrides))
	var asOf, source string
	if t != nil {
		asOf, source = t.asOf, t.source
		for key, e := range t.models {
			prices[key] = e.price
		}
	}
	maps.Copy(prices, overrides)
	return newTable(asOf, source, prices), nil
}

// checkEntry reports why key and p cannot go into a table. Its callers add
// the "gentrace: " prefix and their context.
func checkEntry(key string, p Price) error {
	if key == "" {
		return errors.New("price for empty model name")
	}
	if strings.TrimSpace(key) != key {
		return fmt.Errorf("price for model %q: model name has surrounding spaces", key)
	}
	if err := p.check(); err != nil {
		return fmt.Errorf("price for model %q: %w", key, err)
	}
	return nil
}

// priceFile is the layout of prices.json.
type priceFile struct {
	Version int             `json:"version"`
	AsOf    string          `json:"asOf"`
	Unit    string          `json:"unit"`
	Source  string          `json:"source"`
	Models  json.RawMessage `json:"models"`
}

// priceRow is one model in prices.json. Pointers tell a missing field from a
// zero price: input and output are required, cachedInput is optional.
type priceRow struct {
	Input       *float64 `json:"input"`
	CachedInput *float64 `json:"cachedInput"`
	Output      *float64 `json:"output"`
	Note        string   `json:"note"`
}

// Parse builds a table from a price file in the format of the embedded
// prices.json. It rejects unknown fields, duplicate or malformed model
// names, rows without input or output, and invalid prices, so a mistake in
// the file fails loudly instead of mispricing calls.
func Parse(data []byte) (*Table, error) {
	var f priceFile
	if err := decodeStrict(data, &f); err != nil {
		return nil, fmt.Errorf("gentrace: parse price table: %w", err)
	}
	if f.Version != fileVersion {
		return nil, fmt.Errorf("gentrace: parse price table: version %d, want %d", f.Version, fileVersion)
	}
	if _, err := time.Parse(time.DateOnly, f.AsOf); err != nil {
		return nil, fmt.Errorf("gentrace: parse price table: asOf %q is not a YYYY-MM-DD date", f.AsOf)
	}
	if f.Unit != fileUnit {
		return nil, fmt.Errorf("gentrace: parse price table: unit %q, want %q", f.Unit, fileUnit)
	}
	prices, err := parseModels(f.Models)
	if err != nil {
		return nil, fmt.Errorf("gentrace: parse price table: %w", err)
	}
	return newTable(f.AsOf, f.Source, prices), nil
}

// parseModels decodes the models object key by key, because decoding it into
// a map would silently keep only the last of two rows with the same name.
func parseModels(raw json.RawMessage) (map[string]Price, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("models is not an object")
	}
	prices := make(map[string]Price)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string) // object keys are always strings
		if _, dup := prices[key]; dup {
			return nil, fmt.Errorf("price for model %q listed twice", key)
		}
		var row priceRow
		if err := dec.Decode(&row); err != nil {
			return nil, fmt.Errorf("price for model %q: %w", key, err)
		}
		if row.Input == nil || row.Output == nil {
			return nil, fmt.Errorf("price for model %q: input and output prices are required", key)
		}
		p := Price{Input: *row.Input, Output: *row.Output}
		if row.CachedInput != nil {
			p.CachedInput, p.HasCachedInput = *row.CachedInput, true
		}
		if err := checkEntry(key, p); err != nil {
			return nil, err
		}
		prices[key] = p
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return prices, nil
}

// decodeStrict decodes exactly one JSON value from data into v, rejecting
// unknown fields and trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the table")
	}
	return nil
}
