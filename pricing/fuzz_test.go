package pricing

import (
	"strings"
	"testing"
)

func FuzzLookup(f *testing.F) {
	for _, s := range []string{
		"gpt-4o", "gpt-4o-2024-05-13", "gpt-4o-2024-08-06", "gpt-4-0613",
		"gpt-4o-mini-search-preview", "ft:gpt-4o-mini-2024-07-18:acme::x", "gpt-35-turbo-0613", "ft:gpt-35-turbo:a::b",
		"davinci-002:ft-acme", "ft:", ":", "-", "-0613", "unknown-2024-01-01",
	} {
		f.Add(s)
	}
	tab := Default()
	f.Fuzz(func(t *testing.T, model string) {
		p, match, ok := tab.Lookup(model)
		if !ok {
			if match != "" || p != (Price{}) {
				t.Fatalf("Lookup(%q) = %+v, %q with ok=false", model, p, match)
			}
			return
		}
		e, known := tab.models[match]
		if !known || e.Price != p {
			t.Fatalf("Lookup(%q) = %+v, %q: not the table's price for that key", model, p, match)
		}
		if match == model {
			return
		}
		// Anything but an exact hit is the name without its date or, for a
		// fine-tuned model, its base (dated or not) under "ft:", possibly
		// through a family rule: never a shorter name it merely starts with.
		name := model
		if base, fine := fineTunedBase(model); fine {
			name, match = base, strings.TrimPrefix(match, fineTunePrefix)
		}
		for _, f := range tab.families {
			if rest, ok := strings.CutPrefix(name, f.Prefix); ok && (rest == "" || rest[0] == '-') {
				if _, direct := exactOrAlias(tab.models, name); !direct {
					name = f.As + rest
				}
			}
		}
		if name != match && stripDate(name) != match {
			t.Fatalf("Lookup(%q) matched %q: neither the name nor its alias", model, match)
		}
	})
}

func FuzzParse(f *testing.F) {
	f.Add(embedded)
	f.Add([]byte(`{"version": 2, "asOf": "2025-11-15", "unit": "USD per 1M tokens", "models": {"m": {"input": 1, "output": 2, "source": "s", "asOf": "2025-11-15"}}}`))
	f.Add([]byte(`{"version": 2, "asOf": "2025-11-15", "unit": "USD per 1M tokens", "families": [{"prefix": "a", "as": "b"}], "models": {"m": {"input": 1}, "m": {}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := Parse(data)
		if err != nil {
			if tab != nil {
				t.Fatal("Parse returned a table with an error")
			}
			return
		}
		for key, e := range tab.models {
			if err := checkEntry(key, e.Price); err != nil {
				t.Fatalf("Parse accepted %q: %v", key, err)
			}
		}
	})
}
