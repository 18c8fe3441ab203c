// Package tokens estimates how many tokens an OpenAI request or response
// uses, for the calls that do not say so themselves.
//
// OpenAI reports usage on every non-streaming response, but a stream carries
// usage only when the request asks for it (stream_options.include_usage).
// Without usage there is no cost, so the OpenAI wrapper counts tokens itself
// with the model's tiktoken encoding. The results are estimates, to be marked
// Estimated wherever they surface: text counts match tiktoken exactly, but
// the per-message overheads are OpenAI's documented rule of thumb and the
// per-tool overheads are a heuristic, because OpenAI does not disclose how it
// renders messages and tool definitions into tokens.
//
// # Encodings
//
// Two encodings are supported, [O200kBase] and [Cl100kBase], chosen by
// [EncodingForModel]. Their vocabularies are embedded in the binary (through
// github.com/pkoukk/tiktoken-go-loader), so counting never touches the
// network. That embedding is why only the OpenAI wrapper imports this
// package: programs that use the core package alone do not carry the
// vocabularies.
//
// Each encoder is built on first use and then shared; building one parses a
// vocabulary of up to 200,000 entries and takes a noticeable fraction of a
// second, so call [Preload] early (for example in a goroutine when a stream
// without usage starts) to keep that cost off the path that records a step.
//
// # Concurrency
//
// Every function in this package is safe for concurrent use.
package tokens
