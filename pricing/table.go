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
const fileVersion = 2

// fileUnit is the unit every token price in the file must be quoted in.
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

	// models holds every key, "ft:" keys included, for exact and alias
	// matches of ordinary names.
	models map[string]Entry
	// fineTuned holds the "ft:" keys by their base name ("ft:gpt-4o" under
	// "gpt-4o") so a fine-tuned name resolves without building a string.
	fineTuned map[string]Entry
	families  []Family
}

// Entry is one row of a table: a model's price and where it comes from.
type Entry struct {
	// Model is the table key: a model name, an alias that also prices its
	// dated snapshots, or "ft:BASE" for models fine-tuned from BASE.
	Model string
	Price Price
	// Source is where the price was read (a URL), AsOf the date it was
	// read (YYYY-MM-DD); both are empty for prices added with With.
	Source, AsOf string
	// Note explains anything unusual about the row.
	Note string
}

// Family is an explicit lookup rule for names that are neither a key nor a
// dated snapshot of one: a name equal to Prefix, or starting with Prefix
// and "-", is looked up again with Prefix replaced by As. Rules exist only
// where both names denote the same model (Azure's "gpt-35-turbo" is
// OpenAI's "gpt-3.5-turbo"); no rule maps one model to another's price.
type Family struct {
	Prefix, As, Note string
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

// newTable indexes entries, which must already be valid.
func newTable(asOf, source string, entries map[string]Entry, families []Family) *Table {
	t := &Table{
		asOf:      asOf,
		source:    source,
		models:    make(map[string]Entry, len(entries)),
		fineTuned: make(map[string]Entry),
		families:  families,
	}
	for key, e := range entries {
		e.Model = key
		t.models[key] = e
		// A key such as "ft:gpt-4o-mini:org::id" names one fine-tuned model
		// and matches only exactly; "ft:gpt-4o-mini" prices a whole base.
		if base, ok := strings.CutPrefix(key, fineTunePrefix); ok && base != "" && !strings.Contains(base, ":") {
			t.fineTuned[base] = e
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

// Entry returns the row stored under key exactly, without the lookup rules.
func (t *Table) Entry(key string) (Entry, bool) {
	if t == nil {
		return Entry{}, false
	}
	e, ok := t.models[key]
	return e, ok
}

// Families returns the table's family rules.
func (t *Table) Families() []Family {
	if t == nil {
		return nil
	}
	return slices.Clone(t.families)
}

// Lookup returns the price of model, the table key that supplied it (for
// diagnostics), and whether one was found. See the package documentation for
// the rules, tried in order. An unknown or empty model reports ok=false and
// a zero Price, which callers must not use as a cost.
//
// Lookup does not allocate.
func (t *Table) Lookup(model string) (price Price, match string, ok bool) {
	e, ok := t.lookup(model)
	if !ok {
		return Price{}, "", false
	}
	return e.Price, e.Model, true
}

func (t *Table) lookup(model string) (Entry, bool) {
	if t == nil || model == "" {
		return Entry{}, false
	}
	if e, ok := t.models[model]; ok {
		return e, true
	}
	if base, isFineTuned := fineTunedBase(model); isFineTuned {
		if base == "" {
			return Entry{}, false
		}
		return t.resolve(t.fineTuned, base)
	}
	if e, ok := t.resolve(t.models, model); ok {
		return e, true
	}
	// A version tag after a colon names a revision of the same model, as
	// the completions API answers "gpt-3.5-turbo-instruct:20230824-v2".
	if base, tag, found := strings.Cut(model, ":"); found && base != "" && tag != "" {
		return t.resolve(t.models, base)
	}
	return Entry{}, false
}

// resolve looks name up in m: exactly, then as a dated snapshot of an
// alias, then through the family rules (once, and again exactly or as a
// snapshot).
func (t *Table) resolve(m map[string]Entry, name string) (Entry, bool) {
	if e, ok := exactOrAlias(m, name); ok {
		return e, true
	}
	for _, f := range t.families {
		rest, ok := strings.CutPrefix(name, f.Prefix)
		if !ok || (rest != "" && rest[0] != '-') {
			continue
		}
		if e, ok := exactOrAlias(m, f.As+rest); ok {
			return e, true
		}
	}
	return Entry{}, false
}

// exactOrAlias looks name up exactly, then without a date suffix.
func exactOrAlias(m map[string]Entry, name string) (Entry, bool) {
	if e, ok := m[name]; ok {
		return e, true
	}
	if alias := stripDate(name); len(alias) < len(name) {
		if e, ok := m[alias]; ok {
			return e, true
		}
	}
	return Entry{}, false
}

// fineTunedBase reports whether model names a fine-tuned model and, if so, the
// model it was tuned from: "gpt-4o-mini-2024-07-18" for
// "ft:gpt-4o-mini-2024-07-18:org:suffix:id", "davinci" for the legacy
// "davinci:ft-org-2023-01-01".
func fineTunedBase(model string) (base string, ok bool) {
	rest, hasPrefix := strings.CutPrefix(model, fineTunePrefix)
	base, tag, hasSuffix := strings.Cut(rest, ":")
	// A legacy fine-tune is "base:ft-org-date"; another tag after a colon is
	// a version of the model itself (see lookup).
	return base, hasPrefix || hasSuffix && strings.HasPrefix(tag, "ft-")
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
	entries := make(map[string]Entry, len(overrides))
	var asOf, source string
	var families []Family
	if t != nil {
		asOf, source, families = t.asOf, t.source, t.families
		maps.Copy(entries, t.models)
	}
	for key, p := range overrides {
		entries[key] = Entry{Price: p, Note: "added with With"}
	}
	return newTable(asOf, source, entries, families), nil
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
	Version  int             `json:"version"`
	AsOf     string          `json:"asOf"`
	Unit     string          `json:"unit"`
	Source   string          `json:"source"`
	Families []familyRow     `json:"families"`
	Models   json.RawMessage `json:"models"`
}

type familyRow struct {
	Prefix string `json:"prefix"`
	As     string `json:"as"`
	Note   string `json:"note"`
}

// priceRow is one model in prices.json. Pointers tell a missing field from a
// zero price: input and output are required unless the model is billed per
// minute or per character; cachedInput is optional. source and asOf are
// required: every price says where and when it was read.
type priceRow struct {
	Input                *float64 `json:"input"`
	CachedInput          *float64 `json:"cachedInput"`
	Output               *float64 `json:"output"`
	AudioInput           float64  `json:"audioInput"`
	CachedAudioInput     float64  `json:"cachedAudioInput"`
	AudioOutput          float64  `json:"audioOutput"`
	ImageInput           float64  `json:"imageInput"`
	CachedImageInput     float64  `json:"cachedImageInput"`
	ImageOutput          float64  `json:"imageOutput"`
	PerMinute            float64  `json:"perMinute"`
	PerMillionCharacters float64  `json:"perMillionCharacters"`
	Source               string   `json:"source"`
	AsOf                 string   `json:"asOf"`
	Note                 string   `json:"note"`
}

// Parse builds a table from a price file in the format of the embedded
// prices.json. It rejects unknown fields, duplicate or malformed model
// names, rows without prices, source or date, invalid prices and family
// rules that are not complete, so a mistake in the file fails loudly
// instead of mispricing calls.
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
	entries, err := parseModels(f.Models)
	if err != nil {
		return nil, fmt.Errorf("gentrace: parse price table: %w", err)
	}
	var families []Family
	for _, r := range f.Families {
		if r.Prefix == "" || r.As == "" || r.Prefix == r.As {
			return nil, fmt.Errorf("gentrace: parse price table: family rule %q → %q is incomplete", r.Prefix, r.As)
		}
		families = append(families, Family(r))
	}
	return newTable(f.AsOf, f.Source, entries, families), nil
}

// parseModels decodes the models object key by key, because decoding it into
// a map would silently keep only the last of two rows with the same name.
func parseModels(raw json.RawMessage) (map[string]Entry, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("models is not an object")
	}
	entries := make(map[string]Entry)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string) // object keys are always strings
		if _, dup := entries[key]; dup {
			return nil, fmt.Errorf("price for model %q listed twice", key)
		}
		var row priceRow
		if err := dec.Decode(&row); err != nil {
			return nil, fmt.Errorf("price for model %q: %w", key, err)
		}
		perUnit := row.PerMinute > 0 || row.PerMillionCharacters > 0
		if !perUnit && (row.Input == nil || row.Output == nil) {
			return nil, fmt.Errorf("price for model %q: input and output prices are required", key)
		}
		if row.Source == "" {
			return nil, fmt.Errorf("price for model %q: source is required", key)
		}
		if _, err := time.Parse(time.DateOnly, row.AsOf); err != nil {
			return nil, fmt.Errorf("price for model %q: asOf %q is not a YYYY-MM-DD date", key, row.AsOf)
		}
		p := Price{
			AudioInput: row.AudioInput, CachedAudioInput: row.CachedAudioInput, AudioOutput: row.AudioOutput,
			ImageInput: row.ImageInput, CachedImageInput: row.CachedImageInput, ImageOutput: row.ImageOutput,
			PerMinute: row.PerMinute, PerMillionCharacters: row.PerMillionCharacters,
		}
		if row.Input != nil {
			p.Input = *row.Input
		}
		if row.Output != nil {
			p.Output = *row.Output
		}
		if row.CachedInput != nil {
			p.CachedInput, p.HasCachedInput = *row.CachedInput, true
		}
		if err := checkEntry(key, p); err != nil {
			return nil, err
		}
		entries[key] = Entry{Price: p, Source: row.Source, AsOf: row.AsOf, Note: row.Note}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return entries, nil
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
