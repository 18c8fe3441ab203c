package openaitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"

	goopenai "github.com/sashabaranov/go-openai"
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
	// Model is the body's "model" (a JSON member, or a multipart form
	// field), or empty when the body has none.
	Model string
	// Stream is the body's "stream" (a JSON member, or a multipart form
	// field).
	Stream bool
}

// ChatCompletionRequest decodes Body as go-openai's chat completion request.
func (r Request) ChatCompletionRequest() (goopenai.ChatCompletionRequest, error) {
	var v goopenai.ChatCompletionRequest
	err := r.Decode(&v)
	return v, err
}

// CompletionRequest decodes Body as go-openai's legacy completion request.
func (r Request) CompletionRequest() (goopenai.CompletionRequest, error) {
	var v goopenai.CompletionRequest
	err := r.Decode(&v)
	return v, err
}

// EmbeddingRequest decodes Body as go-openai's embedding request; its Input
// decodes as a string or a []any.
func (r Request) EmbeddingRequest() (goopenai.EmbeddingRequest, error) {
	var v goopenai.EmbeddingRequest
	err := r.Decode(&v)
	return v, err
}

// ModerationRequest decodes Body as go-openai's moderation request.
func (r Request) ModerationRequest() (goopenai.ModerationRequest, error) {
	var v goopenai.ModerationRequest
	err := r.Decode(&v)
	return v, err
}

// ResponseRequest decodes Body as go-openai's Responses API request.
func (r Request) ResponseRequest() (goopenai.CreateResponseRequest, error) {
	var v goopenai.CreateResponseRequest
	err := r.Decode(&v)
	return v, err
}

// ImageRequest decodes Body as go-openai's image generation request.
func (r Request) ImageRequest() (goopenai.ImageRequest, error) {
	var v goopenai.ImageRequest
	err := r.Decode(&v)
	return v, err
}

// SpeechRequest decodes Body as go-openai's text-to-speech request.
func (r Request) SpeechRequest() (goopenai.CreateSpeechRequest, error) {
	var v goopenai.CreateSpeechRequest
	err := r.Decode(&v)
	return v, err
}

// MultipartForm parses Body as the multipart/form-data its Content-Type
// header announces, as audio transcription and translation requests are
// sent: the form's Value holds fields such as "model" and
// "response_format", its File the uploaded audio. Files are kept in memory.
func (r Request) MultipartForm() (*multipart.Form, error) {
	mt, params := parseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, fmt.Errorf("openaitest: request Content-Type %q is not multipart/form-data", r.Header.Get("Content-Type"))
	}
	return multipart.NewReader(bytes.NewReader(r.Body), params["boundary"]).ReadForm(int64(len(r.Body)) + 1<<20)
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
		IncludeUsage       bool  `json:"include_usage"`
		IncludeObfuscation *bool `json:"include_obfuscation"`
	} `json:"stream_options"`
	N              int             `json:"n"`
	Messages       []messageInfo   `json:"messages"`
	Tools          byteLen         `json:"tools"`
	Prompt         json.RawMessage `json:"prompt"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     int             `json:"dimensions"`
	ServiceTier    string          `json:"service_tier"`

	seq  uint64 // the request's number on its server
	body []byte // the raw body
	form *formInfo
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

// obfuscation reports whether the request leaves stream obfuscation on, as
// it is unless "stream_options" sets "include_obfuscation": false.
func (info *requestInfo) obfuscation() bool {
	o := info.StreamOptions
	return o == nil || o.IncludeObfuscation == nil || *o.IncludeObfuscation
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
