package openaigo_test

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/gentracetest"
	wrapper "github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	goopenai "github.com/sashabaranov/go-openai"
)

// Answers of the Responses API, scripted as bytes, as in the wrapper's
// two-client test.
const responseJSON = `{"id":"resp_1","object":"response","created_at":1741000000,"status":"completed","model":"gpt-4.1-2025-04-14","output":[{"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}","status":"completed"}],"usage":{"input_tokens":20,"input_tokens_details":{"cached_tokens":0},"output_tokens":8,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":28}}`

var responseStream = strings.Join([]string{
	"event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_2\",\"object\":\"response\",\"status\":\"in_progress\",\"model\":\"gpt-4.1-2025-04-14\",\"output\":[]}}\n\n",
	"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"Sunny\"}\n\n",
	"event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":2,\"response\":{\"id\":\"resp_2\",\"object\":\"response\",\"status\":\"completed\",\"model\":\"gpt-4.1-2025-04-14\",\"output\":[{\"id\":\"msg_1\",\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Sunny\",\"annotations\":[]}]}],\"usage\":{\"input_tokens\":30,\"output_tokens\":1,\"total_tokens\":31}}}\n\n",
}, "")

// scenario is one sequence of calls, made by each client with its own
// types: a chat, a stream, a chat with a tool, embeddings, and the
// Responses API plain and streamed.
type scenario struct {
	chat, stream, tools, embed, response, rstream func(context.Context) error
}

// goopenaiScenario makes the calls with a go-openai client, or with the
// wrapper's methods (which take the same requests).
type goopenaiCalls interface {
	CreateChatCompletion(context.Context, goopenai.ChatCompletionRequest) (goopenai.ChatCompletionResponse, error)
	CreateChatCompletionStream(context.Context, goopenai.ChatCompletionRequest) (*goopenai.ChatCompletionStream, error)
	CreateEmbeddings(context.Context, goopenai.EmbeddingRequestConverter) (goopenai.EmbeddingResponse, error)
	CreateResponse(context.Context, goopenai.CreateResponseRequest) (goopenai.CreateResponseResponse, error)
	CreateResponseStream(context.Context, goopenai.CreateResponseRequest) (*goopenai.ResponseStream, error)
}

func goChat(text string) goopenai.ChatCompletionRequest {
	return goopenai.ChatCompletionRequest{Model: "gpt-4o-mini", Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: text}}}
}

var weatherParameters = map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}

func goResponse(stream bool) goopenai.CreateResponseRequest {
	return goopenai.CreateResponseRequest{Model: "gpt-4.1", Input: "Weather in Paris?", Instructions: "Use tools.", Stream: stream,
		Tools: []goopenai.ResponseTool{goopenai.NewResponseFunctionTool(goopenai.FunctionDefinition{Name: "get_weather",
			Parameters: weatherParameters})}}
}

func drain[T any](recv func() (T, error)) error {
	for {
		if _, err := recv(); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func goopenaiScenario(c goopenaiCalls) scenario {
	tools := goChat("Weather in Paris?")
	tools.Tools = []goopenai.Tool{{Type: goopenai.ToolTypeFunction, Function: &goopenai.FunctionDefinition{Name: "get_weather",
		Parameters: weatherParameters}}}
	return scenario{
		chat: func(ctx context.Context) error { _, err := c.CreateChatCompletion(ctx, goChat("Hi")); return err },
		stream: func(ctx context.Context) error {
			s, err := c.CreateChatCompletionStream(ctx, goChat("Hi"))
			if err != nil {
				return err
			}
			defer s.Close()
			return drain(s.Recv)
		},
		tools: func(ctx context.Context) error { _, err := c.CreateChatCompletion(ctx, tools); return err },
		embed: func(ctx context.Context) error {
			_, err := c.CreateEmbeddings(ctx, goopenai.EmbeddingRequest{Model: goopenai.SmallEmbedding3, Input: []string{"a", "b"}})
			return err
		},
		response: func(ctx context.Context) error { _, err := c.CreateResponse(ctx, goResponse(false)); return err },
		rstream: func(ctx context.Context) error {
			s, err := c.CreateResponseStream(ctx, goResponse(true))
			if err != nil {
				return err
			}
			defer s.Close()
			return drain(s.Recv)
		},
	}
}

// wrapperCalls adapts the wrapper, whose methods return its own types.
type wrapperCalls struct{ c *wrapper.Client }

func (w wrapperCalls) CreateChatCompletion(ctx context.Context, r goopenai.ChatCompletionRequest) (goopenai.ChatCompletionResponse, error) {
	resp, err := w.c.CreateChatCompletion(ctx, r)
	return resp.ChatCompletionResponse, err
}

func (w wrapperCalls) CreateChatCompletionStream(ctx context.Context, r goopenai.ChatCompletionRequest) (*goopenai.ChatCompletionStream, error) {
	s, err := w.c.CreateChatCompletionStream(ctx, r)
	if err != nil {
		return nil, err
	}
	return s.ChatCompletionStream, nil
}

func (w wrapperCalls) CreateEmbeddings(ctx context.Context, r goopenai.EmbeddingRequestConverter) (goopenai.EmbeddingResponse, error) {
	resp, err := w.c.CreateEmbeddings(ctx, r)
	return resp.EmbeddingResponse, err
}

func (w wrapperCalls) CreateResponse(ctx context.Context, r goopenai.CreateResponseRequest) (goopenai.CreateResponseResponse, error) {
	resp, err := w.c.CreateResponse(ctx, r)
	return resp.CreateResponseResponse, err
}

func (w wrapperCalls) CreateResponseStream(ctx context.Context, r goopenai.CreateResponseRequest) (*goopenai.ResponseStream, error) {
	s, err := w.c.CreateResponseStream(ctx, r)
	if err != nil {
		return nil, err
	}
	return s.ResponseStream, nil
}

func openaigoScenario(c openai.Client) scenario {
	tools := userMessage("Weather in Paris?")
	tools.Tools = []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
		Name: "get_weather", Parameters: weatherParameters})}
	response := responses.ResponseNewParams{
		Model:        "gpt-4.1",
		Input:        responses.ResponseNewParamsInputUnion{OfString: openai.String("Weather in Paris?")},
		Instructions: openai.String("Use tools."),
		Tools:        []responses.ToolUnionParam{{OfFunction: &responses.FunctionToolParam{Name: "get_weather", Parameters: weatherParameters}}},
	}
	return scenario{
		chat: func(ctx context.Context) error { _, err := c.Chat.Completions.New(ctx, userMessage("Hi")); return err },
		stream: func(ctx context.Context) error {
			s := c.Chat.Completions.NewStreaming(ctx, userMessage("Hi"))
			defer s.Close()
			for s.Next() {
			}
			return s.Err()
		},
		tools: func(ctx context.Context) error { _, err := c.Chat.Completions.New(ctx, tools); return err },
		embed: func(ctx context.Context) error {
			_, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: openai.EmbeddingModelTextEmbedding3Small,
				Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}}})
			return err
		},
		response: func(ctx context.Context) error { _, err := c.Responses.New(ctx, response); return err },
		rstream: func(ctx context.Context) error {
			s := c.Responses.NewStreaming(ctx, response)
			defer s.Close()
			for s.Next() {
			}
			return s.Err()
		},
	}
}

// onlyOneClientSends are request fields that one client sends and the
// others leave out: go-openai sends "stream": false on every chat request
// that does not stream (its field has no omitempty); the wrapper and the
// plain client share it, openai-go leaves it out.
var onlyOneClientSends = []*regexp.Regexp{
	regexp.MustCompile(`,?"stream":false`),
}

// TestOneScenarioThroughThreeClients runs the same calls through the
// wrapper, an unmodified go-openai client that records (openai.Record) and
// openai-go recording with openaigo.Record: the steps must be the same,
// apart from times, the fake server's IDs and the fields only one client
// sends.
func TestOneScenarioThroughThreeClients(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	clients := map[string]scenario{
		"wrapper":         goopenaiScenario(wrapperCalls{wrapper.NewClientWithConfig(w.oai.ClientConfig(), wrapper.WithGentrace(w.gc))}),
		"plain go-openai": goopenaiScenario(goopenai.NewClientWithConfig(wrapper.Record(w.oai.ClientConfig()))),
		"openai-go":       openaigoScenario(w.client(nil)),
	}
	names := []string{"wrapper", "plain go-openai", "openai-go"}
	steps := map[string][]gentracetest.StepRun{}
	for _, name := range names {
		c := clients[name]
		w.oai.Enqueue(openaitest.RouteResponses,
			openaitest.Raw(200, []byte(responseJSON)),
			openaitest.Raw(200, []byte(responseStream)).WithHeader("Content-Type", "text/event-stream"))
		ctx, r := w.start()
		for i, call := range []func(context.Context) error{c.chat, c.stream, c.tools, c.embed, c.response, c.rstream} {
			if err := call(ctx); err != nil {
				t.Fatalf("%s: call %d: %v", name, i, err)
			}
		}
		steps[name] = w.end(r).StepRuns
	}
	ids := regexp.MustCompile(`"(chatcmpl|modr|cmpl)-openaitest-\d+"`)
	comparable := func(s gentracetest.StepRun) string {
		s.StartTime, s.EndTime, s.ElapsedTime = time.Time{}, time.Time{}, 0
		delete(s.Outputs, "timeToFirstTokenMs")
		j := ids.ReplaceAllString(rawJSON(t, s), "ID")
		for _, re := range onlyOneClientSends {
			j = re.ReplaceAllString(j, "")
		}
		return j
	}
	want := steps["wrapper"]
	if len(want) != 6 {
		t.Fatalf("wrapper: %d steps, want 6", len(want))
	}
	for _, name := range names[1:] {
		got := steps[name]
		if len(got) != len(want) {
			t.Fatalf("%s: %d steps, want %d", name, len(got), len(want))
		}
		for i := range want {
			if a, b := comparable(want[i]), comparable(got[i]); a != b {
				t.Errorf("step %d differs:\n  wrapper %s\n%9s %s", i, a, name, b)
			}
		}
	}
	if s := steps["openai-go"]; s[4].Invocation != "openai_createResponse" || s[5].Outputs["status"] != "completed" ||
		s[1].Outputs["usageEstimated"] != true {
		t.Errorf("openai-go steps: %+v", s)
	}
}
