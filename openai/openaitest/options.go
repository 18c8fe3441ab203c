package openaitest

// Option configures a [Server] at construction.
type Option func(*config)

type config struct {
	apiKey    string
	checkKey  bool
	noRecords bool
}

// defaultAPIKey is the key [Server.ClientConfig] uses unless [WithAPIKey]
// sets one.
const defaultAPIKey = "test-key"

// WithAPIKey makes the server answer 401 (invalid_api_key, as OpenAI does) to
// every request whose Authorization header is not "Bearer " + key, and makes
// [Server.ClientConfig] send key. By default the server accepts any request,
// with or without a key, and ClientConfig sends "test-key".
func WithAPIKey(key string) Option {
	return func(c *config) { c.apiKey, c.checkKey = key, true }
}

// WithoutRecording stops the server from keeping requests, so that
// [Server.Requests] stays empty. Benchmarks that send many thousands of
// requests use it to keep memory flat. By default every request is kept.
func WithoutRecording() Option {
	return func(c *config) { c.noRecords = true }
}
