package pricing_test

import (
	"fmt"

	"github.com/gentrace/gentrace-go/internal/pricing"
)

func ExampleTable_Lookup() {
	for _, model := range []string{"gpt-4o-2024-08-06", "gpt-4o-2024-05-13", "gpt-4o-mini-transcribe", "my-model"} {
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
	// gpt-4o-mini-transcribe: priced as gpt-4o-mini, $0.15 in / $0.60 out
	// my-model: no price
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
	fmt.Println(match, price.Cost(2000, 1000, 500))

	_, err = pricing.Default().With(map[string]pricing.Price{"gpt-4o": {Input: -1}})
	fmt.Println(err)
	// Output:
	// my-model 0.00325
	// gentrace: price for model "gpt-4o": input price -1 is negative
}

func ExamplePrice_Cost() {
	price, _, _ := pricing.Default().Lookup("gpt-4o")
	// 10,000 prompt tokens of which 4,000 were cached, 1,000 completion tokens.
	fmt.Printf("$%.4f\n", price.Cost(10_000, 4_000, 1_000))
	// Output: $0.0300
}
