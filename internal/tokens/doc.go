// Package tokens estimates how many tokens an OpenAI request or response
// uses, for the calls that do not say so themselves.
//
// OpenAI reports usage on every non-streaming response, but a stream carries
// usage only when the request asks for it (stream_options.include_usage), and
// a Responses stream only in its final response.completed event. Without
// usage there is no cost, so a recorder counts tokens itself, from the JSON
// bodies that crossed the wire. The results are estimates, to be marked
// Estimated wherever they surface.
//
// # Requests and answers
//
// [ChatRequest], [ResponsesRequest] and the types they hold mirror the
// request bodies of the Chat Completions and Responses APIs and decode with
// encoding/json from what any client sends. [ChatPrompt], [ChatCompletion],
// [ResponsesPrompt], [ResponsesCompletion], [CompletionPrompt],
// [Completion] and [EmbeddingInput] count them and return an [Estimate],
// which lists what could not be measured (an image at a remote URL, audio,
// hidden reasoning tokens), so that the recorder can mark the step.
//
// Text is counted exactly as tiktoken counts it. What OpenAI adds around the
// text (message framing, the rendering of function definitions into a
// TypeScript-like namespace, the framing of generated tool calls) follows
// OpenAI's cookbook and the layout open-source estimators publish; the
// per-encoding constants are one table (see format.go), checked against the
// prompt_tokens the API reported for the cookbook's examples and others.
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
// The tokenizer is this package's own: a hand-written pre-split for the two
// encodings' split patterns (no regular-expression engine), tiktoken's
// byte-pair merge over a hash table of the vocabulary, and a bounded cache
// of merged pieces. Its counts are tested against tiktoken-go's encoder,
// including a differential fuzz target over arbitrary bytes.
//
// Each encoder is built on first use and then shared; building one parses
// the embedded vocabulary (20 to 50 ms), so call [Preload] early to keep
// that cost off the path that records a step.
//
// # Concurrency
//
// Every function in this package is safe for concurrent use.
package tokens
