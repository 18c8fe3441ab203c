package gentracetest

import (
	"errors"
	"fmt"
)

// DefaultAPIKey is the API key a [Server] accepts unless [WithRequiredKey] sets
// another.
const DefaultAPIKey = "gentracetest-api-key"

// An Option configures a [Server] made by [NewServer] or [Start].
type Option func(*config) error

type config struct {
	apiKey        string
	maxBody       int
	strictThreads bool
}

// DefaultMaxBodyBytes is the largest request body a [Server] accepts unless
// [WithMaxBodyBytes] sets another limit, and the most that option allows.
const DefaultMaxBodyBytes = 32 << 20

func newConfig(opts []Option) (config, error) {
	c := config{apiKey: DefaultAPIKey, maxBody: DefaultMaxBodyBytes}
	for _, opt := range opts {
		if err := opt(&c); err != nil {
			return config{}, err
		}
	}
	return c, nil
}

// WithRequiredKey sets the API key the server accepts in
// "Authorization: Bearer <key>". The default is [DefaultAPIKey]; an empty key
// is an error.
func WithRequiredKey(key string) Option {
	return func(c *config) error {
		if key == "" {
			return errors.New("gentracetest: WithRequiredKey: empty API key")
		}
		c.apiKey = key
		return nil
	}
}

// WithMaxBodyBytes sets the largest request body the server accepts, like
// the body limit of the real API; a larger body is answered 413 with a
// message giving both sizes, and counted in [Counts].Rejected. The default
// is [DefaultMaxBodyBytes]; n must be between 1 and that.
func WithMaxBodyBytes(n int) Option {
	return func(c *config) error {
		if n < 1 || n > DefaultMaxBodyBytes {
			return fmt.Errorf("gentracetest: WithMaxBodyBytes(%d): want 1 to %d", n, DefaultMaxBodyBytes)
		}
		c.maxBody = n
		return nil
	}
}

// WithStrictThreads makes the server refuse, with 400, a run whose
// previousRunId names a run it has not stored, as an API that checks
// threads would. A client that sends a thread's runs out of order, or a
// turn whose previous run was lost, then sees its run refused. Off by
// default: the server stores such runs.
func WithStrictThreads() Option {
	return func(c *config) error {
		c.strictThreads = true
		return nil
	}
}
