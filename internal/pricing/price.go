package pricing

import (
	"errors"
	"fmt"
	"math"
)

// tokensPerUnit is the number of tokens every price is quoted for.
const tokensPerUnit = 1_000_000

// Price is what one model costs, in US dollars per 1M tokens.
//
// The zero value is a valid price of zero for every kind of token (as for the
// free moderation models). A Price is a plain value, safe to copy and share.
type Price struct {
	// Input is the price of a prompt token not served from the prompt cache.
	Input float64

	// CachedInput is the price of a prompt token served from OpenAI's prompt
	// cache. It counts only when HasCachedInput is true.
	CachedInput float64

	// HasCachedInput reports whether the model has its own cached-input price.
	// When false, cached tokens are billed at Input, as OpenAI does for models
	// without a caching discount. It is a separate flag rather than a zero
	// CachedInput so that a genuinely free cached price stays expressible.
	HasCachedInput bool

	// Output is the price of a completion token, reasoning tokens included.
	Output float64
}

// CachedInputRate returns the price per 1M cached prompt tokens: CachedInput
// when the model has one, Input otherwise.
func (p Price) CachedInputRate() float64 {
	if p.HasCachedInput {
		return p.CachedInput
	}
	return p.Input
}

// Cost returns the cost in US dollars of a call that used promptTokens prompt
// tokens, cachedTokens of them served from cache, and completionTokens
// completion tokens.
//
// Counts below zero are treated as zero, and cachedTokens is capped at
// promptTokens, because OpenAI reports cached tokens as a subset of the prompt
// and a malformed usage must not yield a negative or inflated cost.
func (p Price) Cost(promptTokens, cachedTokens, completionTokens int) float64 {
	prompt := max(promptTokens, 0)
	cached := min(max(cachedTokens, 0), prompt)
	completion := max(completionTokens, 0)
	return (float64(prompt-cached)*p.Input +
		float64(cached)*p.CachedInputRate() +
		float64(completion)*p.Output) / tokensPerUnit
}

// check reports why p cannot be used as a price, without naming the model.
func (p Price) check() error {
	for _, f := range [...]struct {
		name string
		v    float64
	}{{"input", p.Input}, {"cached input", p.CachedInput}, {"output", p.Output}} {
		switch {
		case math.IsNaN(f.v) || math.IsInf(f.v, 0):
			return fmt.Errorf("%s price %v is not a finite number", f.name, f.v)
		case f.v < 0:
			return fmt.Errorf("%s price %v is negative", f.name, f.v)
		}
	}
	if !p.HasCachedInput && p.CachedInput != 0 {
		// Without the flag the value would be silently ignored.
		return errors.New("cached input price set without HasCachedInput")
	}
	return nil
}
