// Openaigo shows the official OpenAI Go client, github.com/openai/openai-go/v3,
// recording its calls with gentrace-go: one client option (openaigo.Record)
// and openai-go's own types and methods.
//
//	cd examples/openaigo && go run .
//
// In advanced mode a run is started and carried in the context: a chat
// completion, a streamed Responses API call with a function tool and an
// embeddings call become its steps, with their cost and latency. In simple
// mode one call, given openaigo.WithPipeline, becomes a run of its own.
//
// Without OPENAI_API_KEY and GENTRACE_API_KEY it talks to in-process fake
// services (packages openaitest and gentracetest) and nothing leaves the
// machine; with them it uses the real OpenAI API and Gentrace. It is a
// module of its own, so that the other examples do not carry openai-go.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/gentrace/gentrace-go/openaigo"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(out io.Writer) (err error) {
	env, err := setUp(out)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.close()) }()

	// The one line that makes openai-go record.
	client := openai.NewClient(append(env.openaiOptions, openaigo.Record())...)
	pipeline, err := env.gentrace.NewPipeline("openaigo-example")
	if err != nil {
		return err
	}

	fmt.Fprintln(out, "Advanced mode: a run carried in the context")
	ctx, run, err := pipeline.Start(context.Background(), gentrace.RunContext{UserID: "user-1"})
	if err != nil {
		return err
	}
	if err := advanced(ctx, out, client); err != nil {
		run.End(&err)
		return err
	}
	run.End(nil)
	for i, s := range run.Steps() {
		fmt.Fprintf(out, "  step %d: %s\n", i+1, describe(s))
	}
	cost, _ := run.Cost()
	fmt.Fprintf(out, "  run %s: %d steps, $%.8f\n\n", run.ID(), len(run.Steps()), cost.Value)

	fmt.Fprintln(out, "Simple mode: one call, one run")
	var runID string
	resp, err := client.Chat.Completions.New(context.Background(), chat("Say hello in French."),
		openaigo.WithPipeline(pipeline, gentrace.RunContext{UserID: "user-2"}),
		openaigo.WithRunID(&runID))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  answer: %s\n  run %s\n\n", resp.Choices[0].Message.Content, runID)

	flushCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := env.gentrace.Flush(flushCtx); err != nil {
		return err
	}
	env.report(run.ID(), runID)
	return nil
}

// advanced makes three calls under the run ctx carries.
func advanced(ctx context.Context, out io.Writer, client openai.Client) error {
	resp, err := client.Chat.Completions.New(ctx, chat("Suggest a name for a weather app."))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  chat: %s\n", resp.Choices[0].Message.Content)

	stream := client.Responses.NewStreaming(ctx, responses.ResponseNewParams{
		Model:        "gpt-4.1-mini",
		Input:        responses.ResponseNewParamsInputUnion{OfString: openai.String("What is the weather in Paris?")},
		Instructions: openai.String("Use the tools you are given."),
		Tools: []responses.ToolUnionParam{{OfFunction: &responses.FunctionToolParam{
			Name:        "get_weather",
			Description: openai.String("The current weather in a city."),
			Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}},
				"required": []string{"city"}, "additionalProperties": false},
			Strict: openai.Bool(true),
		}}},
	})
	for stream.Next() {
		if ev := stream.Current(); ev.Type == "response.output_item.done" && ev.Item.Type == "function_call" {
			call := ev.Item.AsFunctionCall()
			fmt.Fprintf(out, "  responses (streamed): the model calls %s(%s)\n", call.Name, call.Arguments)
		}
	}
	if err := stream.Err(); err != nil {
		return err
	}
	if err := stream.Close(); err != nil {
		return err
	}

	emb, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model: openai.EmbeddingModelTextEmbedding3Small,
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"sunny", "rainy"}},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  embeddings: %d vectors of %d dimensions\n", len(emb.Data), len(emb.Data[0].Embedding))
	return nil
}

func chat(text string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)},
	}
}

// describe is one line about a recorded step.
func describe(s gentrace.Step) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s in %v", s.Invocation, s.Elapsed().Round(time.Millisecond))
	if u := s.Usage; u != nil {
		fmt.Fprintf(&b, ", %d+%d tokens", u.PromptTokens, u.CompletionTokens)
		if u.Estimated {
			b.WriteString(" (estimated)")
		}
	}
	if c, ok := s.Cost(); ok {
		fmt.Fprintf(&b, ", $%.8f", c.Value)
	}
	if s.Error != "" {
		fmt.Fprintf(&b, ", error %q", s.Error)
	}
	return b.String()
}

// env holds the services of one run of the example: the real ones when
// their keys are set, in-process fakes otherwise.
type env struct {
	out           io.Writer
	gentrace      *gentrace.Client
	openaiOptions []option.RequestOption
	fakeOpenAI    *openaitest.Server
	fakeGentrace  *gentracetest.Server
}

func setUp(out io.Writer) (*env, error) {
	e := &env{out: out}
	if os.Getenv("OPENAI_API_KEY") != "" {
		// openai.NewClient reads OPENAI_API_KEY (and OPENAI_BASE_URL).
		fmt.Fprintln(out, "OpenAI:   online (key from OPENAI_API_KEY)")
	} else {
		e.fakeOpenAI = openaitest.NewServer()
		e.fakeOpenAI.Enqueue(openaitest.RouteChatCompletions, openaitest.TextReply("How about \"Skycast\"?"),
			openaitest.TextReply("Bonjour !"))
		e.fakeOpenAI.Enqueue(openaitest.RouteResponses, openaitest.ToolCallReply(
			openaitest.ToolCall{Name: "get_weather", Arguments: `{"city":"Paris"}`}))
		e.openaiOptions = []option.RequestOption{
			option.WithBaseURL(e.fakeOpenAI.URL() + "/"),
			option.WithAPIKey("offline"),
			option.WithHTTPClient(e.fakeOpenAI.HTTPClient()),
		}
		fmt.Fprintf(out, "OpenAI:   offline (in-process fake server at %s; set OPENAI_API_KEY for the real API)\n", e.fakeOpenAI.URL())
	}
	var err error
	if os.Getenv("GENTRACE_API_KEY") != "" {
		e.gentrace, err = gentrace.New() // GENTRACE_API_KEY, GENTRACE_BASE_URL
		if err == nil {
			fmt.Fprintf(out, "Gentrace: online (%s, key from GENTRACE_API_KEY)\n", e.gentrace.BaseURL())
		}
	} else {
		e.fakeGentrace = gentracetest.NewServer()
		e.gentrace, err = gentrace.New(gentrace.WithBaseURL(e.fakeGentrace.URL), gentrace.WithAPIKey(e.fakeGentrace.APIKey))
		fmt.Fprintf(out, "Gentrace: offline (in-process fake backend at %s; set GENTRACE_API_KEY for Gentrace)\n", e.fakeGentrace.URL)
	}
	if err != nil {
		e.closeFakes()
		return nil, err
	}
	fmt.Fprintln(out)
	return e, nil
}

// report says where the runs went: with the fake backend, what it stored.
func (e *env) report(ids ...string) {
	if e.fakeGentrace == nil {
		fmt.Fprintln(e.out, "The runs are in Gentrace, under the pipeline openaigo-example.")
		return
	}
	for _, id := range ids {
		run, ok := e.fakeGentrace.Run(id)
		if !ok {
			fmt.Fprintf(e.out, "The fake backend did not receive run %s.\n", id)
			continue
		}
		fmt.Fprintf(e.out, "The fake backend stored run %s of %q (user %q) with %d step(s):", run.ID, run.Slug,
			run.StepRuns[0].Context.UserID, len(run.StepRuns))
		for _, s := range run.StepRuns {
			fmt.Fprintf(e.out, " %s", s.Invocation)
		}
		fmt.Fprintln(e.out)
	}
}

// close delivers what is pending and stops the services.
func (e *env) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := e.gentrace.Shutdown(ctx)
	e.closeFakes()
	return err
}

func (e *env) closeFakes() {
	if e.fakeOpenAI != nil {
		e.fakeOpenAI.Close()
	}
	if e.fakeGentrace != nil {
		e.fakeGentrace.Close()
	}
}
