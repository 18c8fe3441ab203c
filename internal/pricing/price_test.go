package pricing

import (
	"math"
	"testing"
)

// approx reports whether a and b agree to within float rounding of dollar
// amounts.
func approx(a, b float64) bool { return math.Abs(a-b) <= 1e-12*max(1, math.Abs(a), math.Abs(b)) }

func TestPriceCost(t *testing.T) {
	t.Parallel()
	gpt4o := Price{Input: 2.50, CachedInput: 1.25, HasCachedInput: true, Output: 10.00}
	noCache := Price{Input: 30.00, Output: 60.00}
	freeCache := Price{Input: 1, CachedInput: 0, HasCachedInput: true, Output: 2}
	tests := []struct {
		name                       string
		price                      Price
		prompt, cached, completion int
		want                       float64
	}{
		{"prompt and completion", gpt4o, 1_000_000, 0, 1_000_000, 12.50},
		{"small call", gpt4o, 1000, 0, 500, 0.0025 + 0.005},
		{"cached at cached rate", gpt4o, 1000, 400, 0, (600*2.50 + 400*1.25) / 1e6},
		{"all cached", gpt4o, 1000, 1000, 10, (1000*1.25 + 10*10.00) / 1e6},
		{"no cached price bills cached at input", noCache, 1000, 400, 100, (1000*30.00 + 100*60.00) / 1e6},
		{"free cached price", freeCache, 1000, 1000, 0, 0},
		{"cached above prompt is clamped", gpt4o, 100, 500, 0, 100 * 1.25 / 1e6},
		{"negative prompt", gpt4o, -5, 0, 1000, 1000 * 10.00 / 1e6},
		{"negative cached", gpt4o, 1000, -5, 0, 1000 * 2.50 / 1e6},
		{"negative completion", gpt4o, 1000, 0, -5, 1000 * 2.50 / 1e6},
		{"zero usage", gpt4o, 0, 0, 0, 0},
		{"embedding has no output", Price{Input: 0.02}, 1_000_000, 0, 0, 0.02},
		{"free model", Price{}, 1_000_000, 0, 1_000_000, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.price.Cost(tt.prompt, tt.cached, tt.completion)
			if !approx(got, tt.want) {
				t.Errorf("Cost(%d, %d, %d) = %v, want %v", tt.prompt, tt.cached, tt.completion, got, tt.want)
			}
			if got < 0 {
				t.Errorf("Cost(%d, %d, %d) = %v, negative", tt.prompt, tt.cached, tt.completion, got)
			}
		})
	}
}

func TestPriceCachedInputRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		price Price
		want  float64
	}{
		{"own cached price", Price{Input: 2, CachedInput: 0.5, HasCachedInput: true}, 0.5},
		{"free cached price", Price{Input: 2, HasCachedInput: true}, 0},
		{"no cached price", Price{Input: 2}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.price.CachedInputRate(); got != tt.want {
				t.Errorf("CachedInputRate() = %v, want %v", got, tt.want)
			}
		})
	}
}
