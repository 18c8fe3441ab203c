package pricing_test

import (
	"fmt"

	"github.com/gentrace/gentrace-go/pricing"
)

func ExampleTable_Lookup() {
	for _, model := range []string{"gpt-4o-2024-08-06", "gpt-4o-2024-05-13", "gpt-4o-mini-transcribe", "gpt-35-turbo-0613", "gpt-5-codex-max"} {
		price, match, ok := pricing.Default().Lookup(model)
		if !ok {
			fmt.Printf("%s: no price\n", model)
			continue
		}
		fmt.Printf("%s: priced as %s, $%.2f in / $%.2f out\n", model, match, price.Input, price.Output)
	}
	// Output:
	// gpt-4o-2024-08-06: priced as gpt-4o, $2.50 in / $10.00 out
	// gpt-4o-2024-05-13: priced as gpt-4o-2024-05-13, $5.00 in / $15.00 out
	// gpt-4o-mini-transcribe: priced as gpt-4o-mini-transcribe, $1.25 in / $5.00 out
	// gpt-35-turbo-0613: priced as gpt-3.5-turbo-0613, $1.50 in / $2.00 out
	// gpt-5-codex-max: no price
}

func ExampleTable_With() {
	table, err := pricing.Default().With(map[string]pricing.Price{
		"my-model": {Input: 1, CachedInput: 0.25, HasCachedInput: true, Output: 4},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	price, match, _ := table.Lookup("my-model-2025-06-01")
	fmt.Println(match, price.Cost(pricing.Usage{InputTokens: 2000, CachedInputTokens: 1000, OutputTokens: 500}))

	_, err = pricing.Default().With(map[string]pricing.Price{"gpt-4o": {Input: -1}})
	fmt.Println(err)
	// Output:
	// my-model 0.00325
	// gentrace: price for model "gpt-4o": input price -1 is negative
}

func ExamplePrice_Cost() {
	price, _, _ := pricing.Default().Lookup("gpt-4o")
	// 10,000 prompt tokens of which 4,000 were cached, 1,000 completion
	// tokens (reasoning tokens would be part of them).
	fmt.Printf("$%.4f\n", price.Cost(pricing.Usage{InputTokens: 10_000, CachedInputTokens: 4_000, OutputTokens: 1_000}))
	// Output: $0.0300
}

func ExamplePrice_Cost_audio() {
	price, _, _ := pricing.Default().Lookup("gpt-realtime")
	// A realtime turn: 1,000 input tokens of which 800 audio (200 of them
	// cached), 500 output tokens of which 400 audio.
	fmt.Printf("$%.6f\n", price.Cost(pricing.Usage{
		InputTokens: 1_000, CachedInputTokens: 200, AudioInputTokens: 800, CachedAudioInputTokens: 200,
		OutputTokens: 500, AudioOutputTokens: 400,
	}))
	// Output: $0.047280
}

func ExampleEntry() {
	e, _ := pricing.Default().Entry("gpt-5-mini")
	fmt.Println(e.Model, e.Price.Input, e.Price.Output, e.AsOf)
	// Output: gpt-5-mini 0.25 2 2025-11-15
}
