package openai

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	openai "github.com/sashabaranov/go-openai"
)

// capture holds the bytes of one call as they crossed the wire: the
// request body go-openai sent and, for a successful answer, the body
// OpenAI returned. Recording them spares encoding go-openai's structs
// again when the step is completed, and records exactly what OpenAI
// received and answered.
type capture struct {
	request  []byte
	response []byte
}

type captureKey struct{}

// capturing is go-openai's HTTP client, wrapped to fill the capture a
// call's context carries. Calls without one pass straight through.
type capturing struct{ next openai.HTTPDoer }

// Do implements openai.HTTPDoer.
func (d capturing) Do(req *http.Request) (*http.Response, error) {
	c, _ := req.Context().Value(captureKey{}).(*capture)
	if c == nil {
		return d.next.Do(req)
	}
	if req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			c.request, _ = io.ReadAll(body)
		}
	}
	resp, err := d.next.Do(req)
	if err == nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		resp.Body = &teeBody{ReadCloser: resp.Body, c: c}
	}
	return resp, err
}

// teeBody keeps a copy of what go-openai reads of an answer.
type teeBody struct {
	io.ReadCloser
	c *capture
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.c.response = append(t.c.response, p[:n]...)
	return n, err
}

// withCapture returns ctx carrying a new capture when the client captures,
// and a nil capture otherwise.
func (c *Client) withCapture(ctx context.Context) (context.Context, *capture) {
	if !c.capturing {
		return ctx, nil
	}
	cp := &capture{}
	return context.WithValue(ctx, captureKey{}, cp), cp
}

// answer returns the captured answer when it is one valid JSON value (go-openai
// decoded it, so it holds at least that), or nil.
func (cp *capture) answer() json.RawMessage {
	if cp == nil || !json.Valid(cp.response) {
		return nil
	}
	return cp.response
}

// sent returns the captured request body when it is valid JSON, or nil.
func (cp *capture) sent() json.RawMessage {
	if cp == nil || !json.Valid(cp.request) {
		return nil
	}
	return cp.request
}
