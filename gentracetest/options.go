package gentracetest

import "errors"

// DefaultAPIKey is the API key a [Server] accepts unless [WithAPIKey] sets
// another.
const DefaultAPIKey = "gentracetest-api-key"

// An Option configures a [Server] made by [NewServer] or [Start].
type Option func(*config) error

type config struct {
	apiKey string
}

func newConfig(opts []Option) (config, error) {
	c := config{apiKey: DefaultAPIKey}
	for _, opt := range opts {
		if err := opt(&c); err != nil {
			return config{}, err
		}
	}
	return c, nil
}

// WithAPIKey sets the API key the server accepts in
// "Authorization: Bearer <key>". The default is [DefaultAPIKey]; an empty key
// is an error.
func WithAPIKey(key string) Option {
	return func(c *config) error {
		if key == "" {
			return errors.New("gentracetest: WithAPIKey: empty API key")
		}
		c.apiKey = key
		return nil
	}
}
