package tokens

import (
	"encoding/base64"
	"image"
	_ "image/gif" // formats whose size a data URL's header gives
	_ "image/jpeg"
	_ "image/png"
	"math"
	"strings"

	_ "golang.org/x/image/webp"
)

// Images in messages cost tokens by OpenAI's published vision rule, which
// depends on the model:
//
//   - tile models (gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o1, o3, gpt-4-turbo):
//     detail "low" costs a fixed base; "high" and "auto" scale the image to
//     fit 2048×2048, then its shorter side down to 768, and add a cost per
//     512-pixel tile to the base;
//   - patch models (gpt-4.1-mini, gpt-4.1-nano, gpt-5-mini, gpt-5-nano,
//     o4-mini): the image is cut into 32-pixel patches, at most 1536 (a
//     larger image is scaled down first), and the patch count is
//     multiplied by the model's factor.
type imageRule struct {
	base, tile int     // tile models
	multiplier float64 // patch models (base and tile unused)
}

// imageRuleFor returns the vision rule of model.
func imageRuleFor(model string) imageRule {
	m := baseModel(model)
	switch {
	case hasModelPrefix(m, "gpt-4.1-mini"), hasModelPrefix(m, "gpt-5-mini"):
		return imageRule{multiplier: 1.62}
	case hasModelPrefix(m, "gpt-4.1-nano"), hasModelPrefix(m, "gpt-5-nano"):
		return imageRule{multiplier: 2.46}
	case hasModelPrefix(m, "o4-mini"):
		return imageRule{multiplier: 1.72}
	case hasModelPrefix(m, "gpt-4o-mini"):
		return imageRule{base: 2833, tile: 5667}
	case hasModelPrefix(m, "o1"), hasModelPrefix(m, "o3"):
		return imageRule{base: 75, tile: 150}
	case hasModelPrefix(m, "computer-use-preview"):
		return imageRule{base: 65, tile: 129}
	}
	return imageRule{base: 85, tile: 170}
}

// hasModelPrefix reports whether m is family or one of its variants
// (family followed by "-").
func hasModelPrefix(m, family string) bool {
	return m == family || strings.HasPrefix(m, family+"-")
}

// ImageTokens returns the tokens of a width×height image at detail ("low",
// "high", or "auto" and "" which count as high) for model.
func ImageTokens(model, detail string, width, height int) int {
	rule := imageRuleFor(model)
	if rule.multiplier > 0 {
		return int(math.Round(float64(patches(width, height)) * rule.multiplier))
	}
	if detail == "low" || width <= 0 || height <= 0 {
		return rule.base
	}
	w, h := float64(width), float64(height)
	if w > 2048 || h > 2048 {
		s := 2048 / math.Max(w, h)
		w, h = w*s, h*s
	}
	if short := math.Min(w, h); short > 768 {
		s := 768 / short
		w, h = w*s, h*s
	}
	tiles := int(math.Ceil(w/512) * math.Ceil(h/512))
	return rule.base + rule.tile*tiles
}

// maxPatches is the patch budget of patch models.
const maxPatches = 1536

// patches returns the number of 32-pixel patches of a width×height image,
// scaled down to fit maxPatches first if it does not.
func patches(width, height int) int {
	if width <= 0 || height <= 0 {
		return 0
	}
	w, h := float64(width), float64(height)
	n := math.Ceil(w/32) * math.Ceil(h/32)
	if n <= maxPatches {
		return int(n)
	}
	r := math.Sqrt(32 * 32 * maxPatches / (w * h))
	r *= math.Min(math.Floor(w*r/32)/(w*r/32), math.Floor(h*r/32)/(h*r/32))
	// Whole pixels: 1800×2400 scales to 1056×1408 (33×44 patches), and
	// float error must not turn 1056 into 1056.0000001 and 34 patches.
	sw, sh := math.Floor(w*r+1e-6), math.Floor(h*r+1e-6)
	n = math.Ceil(sw/32) * math.Ceil(sh/32)
	return int(min(n, maxPatches))
}

// lowDetailTokens is what an image of unknown size is counted as: the
// tile models' fixed low-detail cost, the one figure that does not depend
// on the size (85 tokens for patch models, the budget OpenAI documents for
// low detail).
func lowDetailTokens(model string) int {
	if rule := imageRuleFor(model); rule.multiplier == 0 {
		return rule.base
	}
	return 85
}

// imageEstimate counts one image given by URL: a data URL's size comes from
// its header (only the bytes image.DecodeConfig needs are decoded); a
// remote image's size is unknown, so it is counted at the low-detail cost
// and reported.
func imageEstimate(model, url, detail string) Estimate {
	if w, h, ok := dataURLSize(url); ok {
		return Estimate{Tokens: ImageTokens(model, detail, w, h)}
	}
	n := lowDetailTokens(model)
	if detail == "low" {
		return Estimate{Tokens: n}
	}
	var est Estimate
	est.Tokens = n
	if strings.HasPrefix(url, "data:") {
		est.note("inline image of unknown format counted at the low-detail cost of %d tokens", n)
	} else {
		est.note("remote image counted at the low-detail cost of %d tokens (its size is unknown)", n)
	}
	return est
}

// dataURLSize returns the dimensions of the image in a base64 data URL
// (PNG, JPEG, GIF or WebP).
func dataURLSize(url string) (width, height int, ok bool) {
	rest, isData := strings.CutPrefix(url, "data:")
	if !isData {
		return 0, 0, false
	}
	meta, payload, found := strings.Cut(rest, ",")
	if !found || !strings.HasSuffix(meta, ";base64") {
		return 0, 0, false
	}
	cfg, _, err := image.DecodeConfig(base64.NewDecoder(base64.StdEncoding, strings.NewReader(payload)))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return 0, 0, false
	}
	return cfg.Width, cfg.Height, true
}
