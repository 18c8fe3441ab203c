// OpenTelemetry shows package openinference: every run gentrace-go delivers
// to Gentrace also becomes OpenTelemetry spans in the OpenInference
// conventions (a CHAIN span per run, an LLM span per chat call, a CHAIN
// span per Measure step), joined to the trace of the request that made it.
//
//	go run ./examples/opentelemetry
//
// The spans are printed with the stdout exporter. A real program gives its
// tracer provider an OTLP exporter instead
// (go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp) to send
// them to a collector or to Arize Phoenix; nothing else changes.
//
// Without OPENAI_API_KEY and GENTRACE_API_KEY it talks to in-process fake
// services and runs offline; with them it uses the real OpenAI API and
// Gentrace.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/examples/internal/exampleenv"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/gentrace/gentrace-go/openinference"
	goopenai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(out io.Writer) (err error) {
	ctx := context.Background()

	// 1. A tracer provider, as the program already has for its own traces.
	exporter, err := stdouttrace.New(stdouttrace.WithWriter(out), stdouttrace.WithPrettyPrint())
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exporter),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "support-bot"))),
	)
	defer func() {
		if shutdownErr := tp.Shutdown(ctx); err == nil {
			err = shutdownErr
		}
	}()

	// 2. The Gentrace client exports every run it delivers to that provider.
	observer := openinference.New(openinference.WithTracerProvider(tp))
	svc, err := exampleenv.Start(exampleenv.Options{
		ScriptOpenAI: func(srv *openaitest.Server) {
			srv.Enqueue(openaitest.RouteChatCompletions,
				exampleenv.Reply("Of course! Which order is it about?"),
				exampleenv.Reply("Order A-1017 has shipped with DHL."))
		},
		GentraceOptions: []gentrace.Option{gentrace.WithObserver(observer)},
		Out:             out,
	})
	if err != nil {
		return err
	}
	defer func() {
		if closeErr := svc.Close(); err == nil {
			err = closeErr
		}
	}()
	ai := svc.OpenAI()

	// 3. The program handles a traced request; the session, user and tags
	// travel in the context to Gentrace and to the spans.
	ctx, request := tp.Tracer("support-bot").Start(ctx, "POST /chat")
	if ctx, err = gentrace.WithSession(ctx, "session-7"); err != nil {
		return err
	}
	if ctx, err = gentrace.WithUser(ctx, "customer-1017"); err != nil {
		return err
	}
	ctx, err = gentrace.WithAttributes(ctx, gentrace.Attributes{
		Tags:     []string{"support", "en"},
		Metadata: gentrace.Metadata{"plan": gentrace.String("pro")},
	})
	if err != nil {
		return err
	}

	// Simple mode: one call, one run, one LLM span under a CHAIN span.
	greeting, err := ai.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Hi! Can you help me with an order?"}},
	}, openai.WithPipelineSlug("greeter"))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "greeter run %s: %s\n", greeting.PipelineRunID, greeting.Choices[0].Message.Content)

	// Advanced mode: a Measure step and a chat call in one run, which
	// travels in the context.
	pipeline, err := svc.Gentrace.NewPipeline("order-status")
	if err != nil {
		return err
	}
	runID, answer, err := orderStatus(ctx, pipeline, ai, "A-1017")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "order-status run %s: %s\n", runID, answer)
	request.End()

	// 4. Spans are made as runs are delivered; flush both to see them now.
	if err := svc.Gentrace.Flush(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nSpans (one trace: POST /chat > greeter, order-status > their steps):")
	return tp.ForceFlush(ctx)
}

// orderStatus is one run of the pipeline: a Measure step and a chat call,
// both recorded through the context. The deferred End submits the run.
func orderStatus(ctx context.Context, pipeline *gentrace.Pipeline, ai *openai.Client, orderID string) (runID, answer string, err error) {
	ctx, run, err := pipeline.Start(ctx, gentrace.RunContext{})
	if err != nil {
		return "", "", err
	}
	defer run.End(&err)
	order, err := gentrace.Measure(ctx, map[string]any{"orderId": orderID},
		func(context.Context) (map[string]any, error) { return lookupOrder(orderID) },
		gentrace.WithProvider("shop", "lookup_order"))
	if err != nil {
		return run.ID(), "", err
	}
	resp, err := ai.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model: goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{
			{Role: goopenai.ChatMessageRoleSystem, Content: fmt.Sprintf("You are a support assistant. Order data: %v", order)},
			{Role: goopenai.ChatMessageRoleUser, Content: "Where is my order " + orderID + "?"},
		},
	})
	if err != nil {
		return run.ID(), "", err
	}
	return run.ID(), resp.Choices[0].Message.Content, nil
}

func lookupOrder(id string) (map[string]any, error) {
	time.Sleep(20 * time.Millisecond) // a database query
	return map[string]any{"id": id, "status": "shipped", "carrier": "DHL"}, nil
}
