package openaitest

// Option configures a [Server] at construction.
type Option func(*config)

type config struct {
	apiKey    string
	checkKey  bool
	noRecords bool
	wire      Wire
}

// defaultAPIKey is the key [Server.ClientConfig] uses unless [WithRequiredKey]
// sets one.
const defaultAPIKey = "test-key"

// WithRequiredKey makes the server answer 401 (invalid_api_key, as OpenAI does) to
// every request whose Authorization header is not "Bearer " + key, and makes
// [Server.ClientConfig] send key. By default the server accepts any request,
// with or without a key, and ClientConfig sends "test-key".
func WithRequiredKey(key string) Option {
	return func(c *config) { c.apiKey, c.checkKey = key, true }
}

// WithoutRecording stops the server from keeping requests, so that
// [Server.Requests] stays empty. Benchmarks that send many thousands of
// requests use it to keep memory flat. By default every request is kept.
func WithoutRecording() Option {
	return func(c *config) { c.noRecords = true }
}

// WithWire makes the server send w's variant of the wire format, for tests
// of code that must also read what older models or OpenAI-compatible
// servers send. The default is the zero [Wire].
func WithWire(w Wire) Option {
	return func(c *config) { c.wire = w }
}

// Wire holds the details of OpenAI's wire format that differ between models,
// API versions and OpenAI-compatible servers. The zero Wire is what OpenAI's
// API sends today for its current models (the gpt-5 family):
//
//   - chat choices that carry no log probabilities leave out the "logprobs"
//     key, streamed or not;
//   - chat completions and their chunks carry "service_tier" ("default", or
//     the tier the request asked for) and "system_fingerprint": null;
//   - chat and Responses API streams carry an "obfuscation" member, random
//     padding that OpenAI adds unless the request sets
//     "stream_options": {"include_obfuscation": false};
//   - streams have Content-Type "text/event-stream; charset=utf-8".
//
// Values scripted explicitly (a go-openai value's ServiceTier,
// SystemFingerprint or Logprobs) are sent as given, whatever the Wire.
// Setting every boolean field gives the shape this package sent before it
// followed the current wire, which is also what many compatible servers
// send; [CompactChatChunks] gives their chunk sequences. A Wire is a plain
// value, set once per server with [WithWire].
type Wire struct {
	// LogprobsNull sends "logprobs": null in chat choices that carry no log
	// probabilities, as gpt-4o and gpt-4.1 do.
	LogprobsNull bool
	// SystemFingerprint, when set, is the system_fingerprint of chat
	// answers, such as the "fp_..." values gpt-4o sends, instead of null.
	SystemFingerprint string
	// NoServiceTier leaves out service_tier and system_fingerprint.
	NoServiceTier bool
	// NoObfuscation leaves out the "obfuscation" member of stream events.
	NoObfuscation bool
	// PlainEventStream sends streams with Content-Type "text/event-stream",
	// without the charset parameter.
	PlainEventStream bool
}
