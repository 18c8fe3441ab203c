package openinference_test

import (
	"context"
	"fmt"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/gentrace/gentrace-go/openinference"
	goopenai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// A chat call recorded in Gentrace also becomes OpenInference spans: a
// CHAIN span for the run and an LLM span for the call. Here the spans are
// kept in memory; a real program gives the tracer provider an exporter,
// such as OTLP to Arize Phoenix or a collector.
func Example() {
	fakeOpenAI := openaitest.NewServer() // offline stand-ins for OpenAI and Gentrace
	defer fakeOpenAI.Close()
	fakeGentrace := gentracetest.NewServer()
	defer fakeGentrace.Close()

	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer tp.Shutdown(context.Background())

	client, err := gentrace.New(
		gentrace.WithAPIKey(fakeGentrace.APIKey),
		gentrace.WithBaseURL(fakeGentrace.URL),
		gentrace.WithObserver(openinference.New(openinference.WithTracerProvider(tp))),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Shutdown(context.Background())
	ai := openai.NewClientWithConfig(fakeOpenAI.ClientConfig(), openai.WithGentrace(client))

	ctx, err := gentrace.WithSession(context.Background(), "session-42")
	if err != nil {
		fmt.Println(err)
		return
	}
	if ctx, err = gentrace.WithUser(ctx, "ada"); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := ai.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Hello!"}},
	}, openai.WithPipelineSlug("greeter")); err != nil {
		fmt.Println(err)
		return
	}
	if err := client.Flush(context.Background()); err != nil { // spans are made as runs are delivered
		fmt.Println(err)
		return
	}

	for _, s := range spans.Ended() {
		attrs := attribute.NewSet(s.Attributes()...)
		get := func(key string) string {
			v, _ := attrs.Value(attribute.Key(key))
			return v.String()
		}
		fmt.Printf("%s: kind=%s model=%q session=%s user=%s\n", s.Name(),
			get("openinference.span.kind"), get("llm.model_name"), get("session.id"), get("user.id"))
	}
	// Output:
	// ChatCompletion: kind=LLM model="gpt-4o-mini" session=session-42 user=ada
	// greeter: kind=CHAIN model="" session=session-42 user=ada
}
