package gentrace

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParseCost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		json    string
		want    Cost
		problem string // empty for valid input
	}{
		{"dollars", `{"type":"dollars","value":0.25}`, Dollars(0.25), ""},
		{"cents", `{"type":"cents","value":12}`, Cents(12), ""},
		{"zero", `{"type":"cents","value":0}`, Cents(0), ""},
		{"negative", `{"type":"dollars","value":-1}`, Cost{}, "finite number >= 0"},
		{"euros", `{"type":"euros","value":1}`, Cost{}, `"euros"`},
		{"no type", `{"value":1}`, Cost{}, `"type"`},
		{"no value", `{"type":"dollars"}`, Cost{}, `missing "value"`},
		{"null value", `{"type":"dollars","value":null}`, Cost{}, `missing "value"`},
		{"string value", `{"type":"dollars","value":"1"}`, Cost{}, "must be a number"},
		{"extra field", `{"type":"dollars","value":1,"currency":"usd"}`, Cost{}, `unexpected field "currency"`},
		{"bare number", `1.5`, Cost{}, "want {"},
		{"null", `null`, Cost{}, "want {"},
		{"huge", `{"type":"dollars","value":1e999}`, Cost{}, "must be a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCost([]byte(tt.json))
			if tt.problem == "" {
				if err != nil || got != tt.want {
					t.Fatalf("ParseCost = %v, %v; want %v", got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, ErrInvalidCost) || !strings.Contains(err.Error(), tt.problem) {
				t.Fatalf("ParseCost error = %v; want ErrInvalidCost saying %q", err, tt.problem)
			}
		})
	}
}

func TestCostUSDAndValidate(t *testing.T) {
	t.Parallel()
	if got := Cents(12.5).USD(); got != 0.125 {
		t.Errorf("Cents(12.5).USD() = %v", got)
	}
	if got := Dollars(2).USD(); got != 2 {
		t.Errorf("Dollars(2).USD() = %v", got)
	}
	for _, c := range []Cost{Dollars(math.NaN()), Dollars(math.Inf(1)), Cents(-0.01), {Unit: "", Value: 1}} {
		if err := c.Validate(); !errors.Is(err, ErrInvalidCost) {
			t.Errorf("%v.Validate() = %v", c, err)
		}
	}
}
