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
	text := Price{Input: 2, CachedInput: 0.5, HasCachedInput: true, Output: 8}
	realtime := Price{Input: 4, CachedInput: 0.4, HasCachedInput: true, Output: 16,
		AudioInput: 32, CachedAudioInput: 0.4, AudioOutput: 64, ImageInput: 5, CachedImageInput: 0.5}
	image := Price{Input: 5, CachedInput: 1.25, HasCachedInput: true, Output: 40, ImageInput: 10, CachedImageInput: 2.5, ImageOutput: 40}
	tests := []struct {
		name  string
		price Price
		usage Usage
		want  float64
	}{
		{"nothing", text, Usage{}, 0},
		{"input and output", text, Usage{InputTokens: 1_000_000, OutputTokens: 1_000_000}, 10},
		{"cached input at the cached rate", text, Usage{InputTokens: 1_000_000, CachedInputTokens: 1_000_000}, 0.5},
		{"no cached price: cached at input", Price{Input: 2, Output: 8}, Usage{InputTokens: 1_000_000, CachedInputTokens: 1_000_000}, 2},
		{"reasoning is output", text, Usage{OutputTokens: 500_000}, 4},
		{"negative counts are zero", text, Usage{InputTokens: -5, CachedInputTokens: -1, OutputTokens: -3}, 0},
		{"cached capped at input", text, Usage{InputTokens: 1_000_000, CachedInputTokens: 5_000_000}, 0.5},
		{"audio at audio rates", realtime, Usage{InputTokens: 1_000_000, AudioInputTokens: 1_000_000, OutputTokens: 1_000_000, AudioOutputTokens: 1_000_000}, 96},
		{"cached audio at cached audio rate", realtime, Usage{InputTokens: 1_000_000, CachedInputTokens: 1_000_000, AudioInputTokens: 1_000_000, CachedAudioInputTokens: 1_000_000}, 0.4},
		{"mixed realtime turn", realtime, Usage{InputTokens: 1_000, CachedInputTokens: 200, AudioInputTokens: 800, CachedAudioInputTokens: 200, OutputTokens: 500, AudioOutputTokens: 400},
			(200*4 + 600*32 + 200*0.4 + 100*16 + 400*64) / 1e6},
		{"image input", realtime, Usage{InputTokens: 2_000_000, ImageInputTokens: 1_000_000}, 4 + 5},
		{"audio subset capped at total", realtime, Usage{InputTokens: 1_000_000, AudioInputTokens: 9_000_000}, 32},
		{"audio without audio price at text rate", text, Usage{InputTokens: 1_000_000, AudioInputTokens: 1_000_000, OutputTokens: 1_000_000, AudioOutputTokens: 1_000_000}, 10},
		{"gpt-image-1 edit", image, Usage{InputTokens: 1_050, ImageInputTokens: 1_000, OutputTokens: 4_160, ImageOutputTokens: 4_160},
			(50*5 + 1_000*10 + 4_160*40) / 1e6},
		{"per minute", Price{PerMinute: 0.006}, Usage{AudioSeconds: 90}, 0.009},
		{"per character", Price{PerMillionCharacters: 15}, Usage{Characters: 2_000}, 0.03},
		{"infinite seconds ignored", Price{PerMinute: 0.006}, Usage{AudioSeconds: math.Inf(1)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.price.Cost(tt.usage); !approx(got, tt.want) {
				t.Errorf("Cost(%+v) = %v, want %v", tt.usage, got, tt.want)
			}
		})
	}
}

func TestPriceCachedInputRate(t *testing.T) {
	t.Parallel()
	if got := (Price{Input: 2, CachedInput: 0.5, HasCachedInput: true}).CachedInputRate(); got != 0.5 {
		t.Errorf("with cached price: %v", got)
	}
	if got := (Price{Input: 2}).CachedInputRate(); got != 2 {
		t.Errorf("without cached price: %v", got)
	}
	if got := (Price{Input: 2, HasCachedInput: true}).CachedInputRate(); got != 0 {
		t.Errorf("free cached price: %v", got)
	}
}
