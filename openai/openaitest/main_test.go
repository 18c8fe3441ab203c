package openaitest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gentrace/gentrace-go/internal/leakcheck"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

func TestMain(m *testing.M) {
	leakcheck.Main(m)
}

// newServer starts a Server that the test closes when it ends.
func newServer(t testing.TB, opts ...openaitest.Option) (*openaitest.Server, *goopenai.Client) {
	t.Helper()
	srv := openaitest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv, srv.Client()
}

func chatRequest(model string, messages ...string) goopenai.ChatCompletionRequest {
	r := goopenai.ChatCompletionRequest{Model: model}
	for i, m := range messages {
		role := goopenai.ChatMessageRoleUser
		if i%2 == 1 {
			role = goopenai.ChatMessageRoleAssistant
		}
		r.Messages = append(r.Messages, goopenai.ChatCompletionMessage{Role: role, Content: m})
	}
	return r
}

// collectChat reads a chat stream to its end; err is nil after [DONE].
func collectChat(t testing.TB, c *goopenai.Client, req goopenai.ChatCompletionRequest) ([]goopenai.ChatCompletionStreamResponse, error) {
	t.Helper()
	stream, err := c.CreateChatCompletionStream(context.Background(), req)
	if err != nil {
		return nil, err
	}
	defer stream.Close()
	return drain(stream.Recv)
}

// collectCompletion reads a completion stream to its end.
func collectCompletion(t testing.TB, c *goopenai.Client, req goopenai.CompletionRequest) ([]goopenai.CompletionResponse, error) {
	t.Helper()
	stream, err := c.CreateCompletionStream(context.Background(), req)
	if err != nil {
		return nil, err
	}
	defer stream.Close()
	return drain(stream.Recv)
}

// drain collects what recv returns until io.EOF (nil error) or another
// error.
func drain[T any](recv func() (T, error)) ([]T, error) {
	var out []T
	for {
		chunk, err := recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, chunk)
	}
}

// post sends body to route with the server's own HTTP client and returns the
// raw answer.
func post(t testing.TB, srv *openaitest.Server, method string, route openaitest.Route, body string) (*http.Response, string) {
	t.Helper()
	base := strings.TrimSuffix(srv.URL(), "/v1")
	req, err := http.NewRequest(method, base+string(route), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.ClientConfig().HTTPClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// apiError asserts that err is an *goopenai.APIError and returns it.
func apiError(t testing.TB, err error) *goopenai.APIError {
	t.Helper()
	var e *goopenai.APIError
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *goopenai.APIError", err, err)
	}
	return e
}
