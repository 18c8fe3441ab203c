// Package pricing holds the OpenAI price table and turns a call's token usage
// into a cost in US dollars.
//
// # Table
//
// The default table is embedded from prices.json, a versioned file dated by
// its asOf field (see [Table.AsOf]); every price is in US dollars per 1M
// tokens. [Default] parses it once. Users add or override prices with
// [Table.With], which returns a new table and leaves the old one untouched, so
// a *Table never changes after construction and is safe for concurrent use.
//
// # Lookup
//
// [Table.Lookup] finds the price for the model an OpenAI response names, trying
// in order:
//
//  1. the exact name, because a dated snapshot can cost more than its alias
//     (gpt-4o-2024-05-13 is dearer than gpt-4o);
//  2. the alias: the name without a date suffix such as -2024-08-06 or -0613;
//  3. the longest key that is a prefix of the name ending at a "-" boundary,
//     so gpt-4o-mini-transcribe takes gpt-4o-mini's price, not gpt-4o's.
//
// A fine-tuned model (ft:BASE:org::id, or the legacy BASE:ft-...) is billed at
// OpenAI's fine-tuned inference rates, which differ from the base model's, so
// after an exact match on the full name it resolves BASE against the table's
// "ft:" keys by the same three steps and never falls back to BASE's ordinary
// price.
//
// An unknown model has no price: Lookup reports ok=false and the caller
// records no cost rather than 0 or some other model's price.
//
// # Cost
//
// [Price.Cost] computes
//
//	(prompt − cached) × Input + cached × cached rate + completion × Output
//
// per 1M tokens, where the cached rate is CachedInput when the model has one
// and Input otherwise.
package pricing
