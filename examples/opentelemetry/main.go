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
	"strings"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/examples/internal/exampleenv"
	"github.com/gentrace/gentrace-go/gentracetest"
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
	svc, err := startServices(out, observer)
	if err != nil {
		return err
	}
	defer func() {
		if closeErr := svc.close(); err == nil {
			err = closeErr
		}
	}()
	ai := openai.NewClientWithConfig(svc.openAIConfig, openai.WithGentrace(svc.gentrace))

	// 3. The program handles a traced request; the session, user and tags
	// travel in the context to Gentrace and to the spans.
	ctx, request := tp.Tracer("support-bot").Start(ctx, "POST /chat")
	ctx, err = gentrace.WithAttributes(ctx,
		gentrace.AttrSession("session-7"),
		gentrace.AttrUser("customer-1017"),
		gentrace.AttrTags("support", "en"),
		gentrace.AttrMetadata(gentrace.Metadata{"plan": gentrace.String("pro")}),
	)
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

	// Advanced mode: a Measure step and a chat call in one run.
	pipeline, err := svc.gentrace.NewPipeline("order-status")
	if err != nil {
		return err
	}
	runner, err := pipeline.Start(ctx, gentrace.RunContext{})
	if err != nil {
		return err
	}
	order, err := gentrace.Measure(runner, map[string]any{"orderId": "A-1017"},
		func() (map[string]any, error) { return lookupOrder("A-1017") },
		gentrace.WithProvider("shop", "lookup_order"))
	if err != nil {
		return err
	}
	answer, err := ai.ForRunner(runner).CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model: goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{
			{Role: goopenai.ChatMessageRoleSystem, Content: fmt.Sprintf("You are a support assistant. Order data: %v", order)},
			{Role: goopenai.ChatMessageRoleUser, Content: "Where is my order A-1017?"},
		},
	})
	if err != nil {
		return err
	}
	runID, err := runner.Submit(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "order-status run %s: %s\n", runID, answer.Choices[0].Message.Content)
	request.End()

	// 4. Spans are made as runs are delivered; flush both to see them now.
	if err := svc.gentrace.Flush(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nSpans (one trace: POST /chat > greeter, order-status > their steps):")
	return tp.ForceFlush(ctx)
}

func lookupOrder(id string) (map[string]any, error) {
	time.Sleep(20 * time.Millisecond) // a database query
	return map[string]any{"id": id, "status": "shipped", "carrier": "DHL"}, nil
}

// services are OpenAI and Gentrace, real or in-process fakes.
//
// The shared example helper (examples/internal/exampleenv) makes its own
// Gentrace client and has no way yet to add an observer to it, so this
// example sets up its services itself, in the same way.
type services struct {
	gentrace     *gentrace.Client
	openAIConfig goopenai.ClientConfig
	fakeOpenAI   *openaitest.Server
	fakeGentrace *gentracetest.Server
}

func startServices(out io.Writer, observer gentrace.Observer) (*services, error) {
	s := &services{}
	if key := os.Getenv("OPENAI_API_KEY"); key != "" {
		s.openAIConfig = goopenai.DefaultConfig(key)
		fmt.Fprintln(out, "OpenAI:   online (key from OPENAI_API_KEY)")
	} else {
		s.fakeOpenAI = openaitest.NewServer()
		s.fakeOpenAI.Enqueue(openaitest.RouteChatCompletions,
			exampleenv.Reply("Of course! Which order is it about?"),
			exampleenv.Reply("Order A-1017 has shipped with DHL."))
		s.openAIConfig = s.fakeOpenAI.ClientConfig()
		fmt.Fprintf(out, "OpenAI:   offline (in-process fake server at %s; set OPENAI_API_KEY for the real API)\n", s.fakeOpenAI.URL())
	}
	opts := []gentrace.Option{gentrace.WithObserver(observer)}
	if os.Getenv("GENTRACE_API_KEY") != "" {
		fmt.Fprintln(out, "Gentrace: online (key from GENTRACE_API_KEY)")
	} else {
		s.fakeGentrace = gentracetest.NewServer()
		opts = append(opts, gentrace.WithBaseURL(s.fakeGentrace.URL), gentrace.WithAPIKey(s.fakeGentrace.APIKey))
		fmt.Fprintf(out, "Gentrace: offline (in-process fake backend at %s; set GENTRACE_API_KEY for Gentrace)\n", s.fakeGentrace.URL)
	}
	if s.fakeOpenAI != nil && s.fakeGentrace != nil {
		fmt.Fprintln(out, strings.Repeat("-", 8), "running offline: nothing leaves this machine", strings.Repeat("-", 8))
	}
	fmt.Fprintln(out)
	c, err := gentrace.New(opts...)
	if err != nil {
		s.closeFakes()
		return nil, err
	}
	s.gentrace = c
	return s, nil
}

// close delivers pending runs within ten seconds and stops the fakes.
func (s *services) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.gentrace.Shutdown(ctx)
	s.closeFakes()
	return err
}

func (s *services) closeFakes() {
	if s.fakeGentrace != nil {
		s.fakeGentrace.Close()
	}
	if s.fakeOpenAI != nil {
		s.fakeOpenAI.Close()
	}
}
