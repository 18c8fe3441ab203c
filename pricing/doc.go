// Package pricing holds OpenAI's prices and turns a call's usage into a cost
// in US dollars.
//
// # Table
//
// The default table is embedded from prices.json, a versioned file dated by
// its asOf field (see [Table.AsOf]); every row names its source and the date
// it was read (see [Entry]). Token prices are in US dollars per 1M tokens.
// [Default] parses the file once. Users add or override prices with
// [Table.With], which returns a new table and leaves the old one untouched,
// so a *Table never changes after construction and is safe for concurrent
// use.
//
// # Lookup
//
// [Table.Lookup] finds the price for the model an OpenAI response names,
// trying in order:
//
//  1. the exact name, because a dated snapshot can cost more than its alias
//     (gpt-4o-2024-05-13 is dearer than gpt-4o);
//  2. the alias: the name without a date suffix such as -2024-08-06 or
//     -0613 (gpt-4o-2024-08-06 is priced as gpt-4o);
//  3. the family rules the table writes down (see [Family]): a name that
//     starts with a rule's prefix is looked up again, by steps 1 and 2,
//     with the prefix replaced (Azure's gpt-35-turbo-0613 is priced as
//     gpt-3.5-turbo-0613, hence gpt-3.5-turbo).
//
// Nothing else matches: a name is never priced as a shorter name it happens
// to start with, because different models share prefixes
// (gpt-5-codex-mini is not gpt-5-codex, gpt-4o-mini-transcribe is not
// gpt-4o-mini).
//
// A fine-tuned model (ft:BASE:org::id, or the legacy BASE:ft-...) is billed
// at OpenAI's fine-tuned inference rates, which differ from the base
// model's, so after an exact match on the full name it resolves BASE against
// the table's "ft:" keys by the same three steps and never falls back to
// BASE's ordinary price.
//
// An unknown model has no price: Lookup reports ok=false and the caller
// records no cost rather than 0 or some other model's price.
//
// # Cost
//
// [Price.Cost] computes the cost of a [Usage]: uncached and cached input
// tokens at their rates, output tokens (reasoning included) at the output
// rate, with the audio and image parts of each at their own rates where the
// model prices them apart, plus per-minute and per-character charges.
package pricing
