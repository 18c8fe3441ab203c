package gentrace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// CostUnit is the unit of a manual Cost.
type CostUnit string

// The cost units the Gentrace API accepts.
const (
	UnitDollars CostUnit = "dollars"
	UnitCents   CostUnit = "cents"
)

// Cost is an amount of money spent by a step, in dollars or cents. Put it in
// a step's outputs under "cost" (outputs["cost"] = gentrace.Cents(12)) and it
// counts towards the run's cost. OpenAI steps get one computed from the
// token usage. Make it with Dollars or Cents.
type Cost struct {
	Unit  CostUnit `json:"type"`
	Value float64  `json:"value"`
}

// Dollars returns a cost of v US dollars.
func Dollars(v float64) Cost { return Cost{Unit: UnitDollars, Value: v} }

// Cents returns a cost of v US cents.
func Cents(v float64) Cost { return Cost{Unit: UnitCents, Value: v} }

// USD returns the cost in US dollars.
func (c Cost) USD() float64 {
	if c.Unit == UnitCents {
		return c.Value / 100
	}
	return c.Value
}

// Validate reports a unit other than dollars or cents, or a value that is
// negative, NaN or infinite, as an error wrapping ErrInvalidCost.
func (c Cost) Validate() error {
	if c.Unit != UnitDollars && c.Unit != UnitCents {
		return fmt.Errorf("%w: type %q: want \"dollars\" or \"cents\"", ErrInvalidCost, c.Unit)
	}
	if math.IsNaN(c.Value) || math.IsInf(c.Value, 0) || c.Value < 0 {
		return fmt.Errorf("%w: value %v: want a finite number >= 0", ErrInvalidCost, c.Value)
	}
	return nil
}

// ParseCost decodes a manual cost object, {"type": "dollars"|"cents",
// "value": N}, rejecting every other shape with an error that wraps
// ErrInvalidCost and says what is wrong.
func ParseCost(data []byte) (Cost, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return Cost{}, fmt.Errorf("%w: want {\"type\": \"dollars\"|\"cents\", \"value\": N}, got %s", ErrInvalidCost, abbreviate(data))
	}
	for name := range fields {
		if name != "type" && name != "value" {
			return Cost{}, fmt.Errorf("%w: unexpected field %q", ErrInvalidCost, name)
		}
	}
	var c Cost
	if err := json.Unmarshal(fields["type"], &c.Unit); err != nil {
		return Cost{}, fmt.Errorf("%w: \"type\" must be \"dollars\" or \"cents\", got %s", ErrInvalidCost, abbreviate(fields["type"]))
	}
	raw := fields["value"]
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return Cost{}, fmt.Errorf("%w: missing \"value\"", ErrInvalidCost)
	}
	if err := json.Unmarshal(raw, &c.Value); err != nil {
		return Cost{}, fmt.Errorf("%w: \"value\" must be a number, got %s", ErrInvalidCost, abbreviate(raw))
	}
	return c, c.Validate()
}

// costOf reads a cost from an outputs value: a Cost, a *Cost, raw JSON, or
// anything that encodes to a cost object.
func costOf(v any) (Cost, error) {
	switch c := v.(type) {
	case Cost:
		return c, c.Validate()
	case *Cost:
		if c == nil {
			return Cost{}, fmt.Errorf("%w: nil", ErrInvalidCost)
		}
		return *c, c.Validate()
	case json.RawMessage:
		return ParseCost(c)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return Cost{}, fmt.Errorf("%w: %v", ErrInvalidCost, err)
	}
	return ParseCost(data)
}

// Usage is the token usage of a model call, in chat-completion terms: for
// the Responses API, input tokens are PromptTokens and output tokens are
// CompletionTokens. When the provider did not report it (a stream without
// usage), it is estimated with a tokenizer and Estimated is true.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
	TotalTokens      int
	// CachedPromptTokens are prompt tokens served from OpenAI's prompt
	// cache, at the cached-input price; they are part of PromptTokens.
	CachedPromptTokens int
	// ReasoningTokens are a reasoning model's hidden reasoning, billed as
	// output; they are part of CompletionTokens.
	ReasoningTokens int
	// Estimated is true when the counts come from a tokenizer, not from the
	// provider.
	Estimated bool
	// EstimateOmits says, one short sentence each, what an estimate could
	// not measure and how it counted it instead, so it is known to be off:
	// a reasoning model's hidden reasoning tokens (which a stream without
	// usage does not show), an image given by URL (its size is unknown),
	// audio or a file. Nil when the estimate covers everything.
	EstimateOmits []string
}
