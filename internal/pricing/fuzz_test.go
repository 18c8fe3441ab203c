package pricing

import (
	"strings"
	"testing"
)

func FuzzLookup(f *testing.F) {
	for _, s := range []string{
		"gpt-4o", "gpt-4o-2024-05-13", "gpt-4o-2024-08-06", "gpt-4-0613",
		"gpt-4o-mini-search-preview", "ft:gpt-4o-mini-2024-07-18:acme::x",
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
		if !known || e.price != p {
			t.Fatalf("Lookup(%q) = %+v, %q: not the table's price for that key", model, p, match)
		}
		if match == model {
			return
		}
		// Anything but an exact hit is a "-"-bounded prefix of the name or,
		// for a fine-tuned model, its base or a prefix of it under "ft:".
		name := model
		if base, fine := fineTunedBase(model); fine {
			name, match = base, strings.TrimPrefix(match, fineTunePrefix)
		}
		if name != match && !strings.HasPrefix(name, match+"-") {
			t.Fatalf("Lookup(%q) matched %q, not a prefix at a dash", model, match)
		}
	})
}

func FuzzParse(f *testing.F) {
	f.Add(embedded)
	f.Add([]byte(`{"version": 1, "asOf": "2025-11-15", "unit": "USD per 1M tokens", "models": {"m": {"input": 1, "output": 2}}}`))
	f.Add([]byte(`{"version": 1, "asOf": "2025-11-15", "unit": "USD per 1M tokens", "models": {"m": {"input": 1}, "m": {}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := Parse(data)
		if err != nil {
			if tab != nil {
				t.Fatal("Parse returned a table with an error")
			}
			return
		}
		for key, e := range tab.models {
			if err := checkEntry(key, e.price); err != nil {
				t.Fatalf("Parse accepted %q: %v", key, err)
			}
		}
	})
}
