package openaitest

import (
	"encoding/json"
	"net/http"

	openai "github.com/sashabaranov/go-openai"
)

// Request is one request the [Server] received, as returned by
// [Server.Requests]. Header and Body are shared with the server's record and
// must not be modified.
type Request struct {
	// Method is the HTTP method, normally POST.
	Method string
	// Route is the URL path, for example [RouteChatCompletions].
	Route Route
	// Header holds the request headers, Authorization included.
	Header http.Header
	// Body is the raw request body.
	Body []byte
	// Model is the body's "model", or empty when the body has none or is not
	// JSON.
	Model string
	// Stream is the body's "stream".
	Stream bool
}

// ChatCompletionRequest decodes Body as go-openai's chat completion request.
func (r Request) ChatCompletionRequest() (openai.ChatCompletionRequest, error) {
	var v openai.ChatCompletionRequest
	err := r.Decode(&v)
	return v, err
}

// CompletionRequest decodes Body as go-openai's legacy completion request.
func (r Request) CompletionRequest() (openai.CompletionRequest, error) {
	var v openai.CompletionRequest
	err := r.Decode(&v)
	return v, err
}

// EmbeddingRequest decodes Body as go-openai's embedding request; its Input
// decodes as a string or a []any.
func (r Request) EmbeddingRequest() (openai.EmbeddingRequest, error) {
	var v openai.EmbeddingRequest
	err := r.Decode(&v)
	return v, err
}

// ModerationRequest decodes Body as go-openai's moderation request.
func (r Request) ModerationRequest() (openai.ModerationRequest, error) {
	var v openai.ModerationRequest
	err := r.Decode(&v)
	return v, err
}

// Decode decodes Body as JSON into v, for fields the go-openai types lack
// (decode into a map[string]any) or for routes of your own.
func (r Request) Decode(v any) error {
	return json.Unmarshal(r.Body, v)
}

// requestInfo is the part of a request body the server needs to answer.
type requestInfo struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	N              int             `json:"n"`
	Messages       []messageInfo   `json:"messages"`
	Tools          byteLen         `json:"tools"`
	Prompt         json.RawMessage `json:"prompt"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     int             `json:"dimensions"`

	fill fill
}

type messageInfo struct {
	Content byteLen `json:"content"`
	Name    string  `json:"name"`
}

// byteLen decodes any JSON value into its encoded length, which is all the
// token estimate needs, without allocating.
type byteLen int

func (n *byteLen) UnmarshalJSON(b []byte) error {
	*n = byteLen(len(b))
	if string(b) == "null" {
		*n = 0
	}
	return nil
}

func (info *requestInfo) includeUsage() bool {
	return info.StreamOptions != nil && info.StreamOptions.IncludeUsage
}

// promptTokens estimates the prompt tokens of the request: for chat, 3 per
// message plus its content and name, 3 for the reply priming, plus the tool
// definitions; for other routes, the prompt or input text.
func (info *requestInfo) promptTokens(route Route) int {
	switch route {
	case RouteChatCompletions:
		n := 3 + tokens(int(info.Tools))
		for _, m := range info.Messages {
			n += 3 + tokens(int(m.Content))
			if m.Name != "" {
				n++
			}
		}
		return n
	case RouteCompletions:
		return tokens(len(info.Prompt))
	default:
		return tokens(len(info.Input))
	}
}
