// Advanced shows advanced mode: pipeline.Start begins a run that travels in
// the context and collects its steps (OpenAI calls, Measure and Checkpoint
// steps) with a run-level user ID and metadata; defer run.End(&err) submits
// it on every path; two runs form a conversation thread.
//
//	go run ./examples/advanced
//
// The scenario is a support bot for an online shop. Turn 1 answers "where is
// my order?"; turn 2 tries to cancel the order, fails because it has
// shipped, tells the customer so, and marks its run as failed.
//
// Without OPENAI_API_KEY and GENTRACE_API_KEY it talks to in-process fake
// services; with them it uses the real OpenAI API and Gentrace.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/examples/internal/exampleenv"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// Order is what the shop's order service knows.
type Order struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Carrier string `json:"carrier"`
	ETA     string `json:"eta"`
}

var errShipped = errors.New("order already shipped: it cannot be cancelled")

func lookupOrder(ctx context.Context, id string) (Order, error) {
	if err := sleep(ctx, 20*time.Millisecond); err != nil { // a database query
		return Order{}, err
	}
	return Order{ID: id, Status: "shipped", Carrier: "DHL", ETA: "2025-06-12"}, nil
}

func cancelOrder(ctx context.Context, o Order) (map[string]any, error) {
	if err := sleep(ctx, 10*time.Millisecond); err != nil { // a call to the order service
		return nil, err
	}
	if o.Status == "shipped" {
		return nil, errShipped
	}
	return map[string]any{"cancelled": o.ID}, nil
}

// sleep stands for the latency of a service; it ends early with ctx.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

const system = "You are the support assistant of an online shop. Be brief."

var cancelTool = goopenai.Tool{
	Type: goopenai.ToolTypeFunction,
	Function: &goopenai.FunctionDefinition{
		Name:        "cancel_order",
		Description: "Cancel an order that has not shipped yet.",
		Parameters:  json.RawMessage(`{"type":"object","properties":{"order_id":{"type":"string"}},"required":["order_id"]}`),
	},
}

func run(out io.Writer) (err error) {
	env, err := exampleenv.Start(exampleenv.Options{ScriptOpenAI: script, Out: out})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.Close()) }()
	ctx := context.Background()
	bot := &supportBot{out: out, client: env.OpenAI()}

	// Pipeline metadata goes to every run of the pipeline.
	bot.pipeline, err = env.Gentrace.NewPipeline("support-bot",
		gentrace.WithPipelineMetadata(gentrace.Metadata{"service": gentrace.String("shop-support")}))
	if err != nil {
		return err
	}

	turn1, reply, err := bot.whereIsMyOrder(ctx, "A-1017")
	if err != nil {
		return err
	}
	report(out, "turn 1", turn1)
	turn2, err := bot.cancel(ctx, turn1.ID(), reply, "Actually, please cancel it.")
	if err != nil {
		return err
	}
	report(out, "turn 2", turn2)

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := env.Gentrace.Flush(ctx); err != nil {
		return err
	}
	env.PrintPayloads(turn2.ID())
	return nil
}

// supportBot answers customers. Each turn of a conversation is one run of
// its pipeline.
type supportBot struct {
	out      io.Writer
	pipeline *gentrace.Pipeline
	client   *openai.Client
}

// whereIsMyOrder is turn 1: it looks the order up and lets the model answer.
// The run travels in ctx, so Measure and the OpenAI client record into it;
// the deferred End submits it on every path, with the error if there is one.
func (b *supportBot) whereIsMyOrder(ctx context.Context, orderID string) (run *gentrace.Runner, reply goopenai.ChatCompletionMessage, err error) {
	// The user ID and the run metadata belong to the whole run.
	ctx, run, err = b.pipeline.Start(ctx, gentrace.RunContext{
		UserID: "customer-1017",
		Metadata: gentrace.Metadata{
			"channel": gentrace.String("chat-widget"),
			"ticket":  gentrace.URL("https://support.example.com/tickets/5521", "Ticket 5521"),
		},
	})
	if err != nil {
		return nil, reply, err
	}
	defer run.End(&err)

	// Measure times a function and records its inputs and typed result.
	order, err := gentrace.Measure(ctx, map[string]any{"orderId": orderID},
		func(ctx context.Context) (Order, error) { return lookupOrder(ctx, orderID) },
		gentrace.WithProvider("shop", "lookup_order"),
		gentrace.WithStepMetadata(gentrace.Metadata{"db": gentrace.String("orders-replica")}))
	if err != nil {
		return run, reply, err
	}
	orderJSON, err := json.Marshal(order)
	if err != nil {
		return run, reply, err
	}
	resp, err := b.client.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model: goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{
			{Role: goopenai.ChatMessageRoleSystem, Content: system + " Order data: " + string(orderJSON)},
			{Role: goopenai.ChatMessageRoleUser, Content: "Where is my order " + orderID + "?"},
		},
	}, openai.WithStepMetadata(gentrace.Metadata{"prompt": gentrace.String("order-status-v3")}))
	if err != nil {
		return run, reply, err
	}
	reply = resp.Choices[0].Message
	fmt.Fprintln(b.out, "turn 1 reply:", reply.Content)
	return run, reply, nil
}

// cancel is turn 2, linked to turn 1 by its previous run ID. The model asks
// to cancel the order, which has shipped: the customer is told so, and the
// run is marked as failed although the turn itself succeeds.
func (b *supportBot) cancel(ctx context.Context, previousRunID string, reply goopenai.ChatCompletionMessage, message string) (run *gentrace.Runner, err error) {
	ctx, run, err = b.pipeline.Start(ctx, gentrace.RunContext{
		UserID:        "customer-1017",
		PreviousRunID: previousRunID,
		Metadata:      gentrace.Metadata{"channel": gentrace.String("chat-widget")},
	})
	if err != nil {
		return nil, err
	}
	defer run.End(&err)

	// Checkpoint records a result computed earlier (here by a keyword
	// rule); it starts where the previous step ended.
	intent := "other"
	if strings.Contains(strings.ToLower(message), "cancel") {
		intent = "cancel"
	}
	if err := run.Checkpoint(map[string]any{"message": message}, map[string]any{"intent": intent},
		gentrace.WithProvider("rules", "classify_intent")); err != nil {
		return run, err
	}

	// A user ID belongs to the whole run: a call that names another one is
	// refused before anything is sent.
	_, err = b.client.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{}, openai.WithUserID("someone-else"))
	if !errors.Is(err, gentrace.ErrStepUserID) {
		return run, fmt.Errorf("want gentrace.ErrStepUserID, got %v", err)
	}
	fmt.Fprintln(b.out, "refused as expected:", err)

	call, err := b.client.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model: goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{
			{Role: goopenai.ChatMessageRoleSystem, Content: system},
			{Role: goopenai.ChatMessageRoleUser, Content: "Where is my order A-1017?"},
			reply,
			{Role: goopenai.ChatMessageRoleUser, Content: message},
		},
		Tools: []goopenai.Tool{cancelTool},
	})
	if err != nil {
		return run, err
	}
	calls := call.Choices[0].Message.ToolCalls
	if len(calls) == 0 {
		fmt.Fprintln(b.out, "turn 2 reply:", call.Choices[0].Message.Content)
		return run, nil
	}
	fmt.Fprintf(b.out, "turn 2 tool call: %s(%s)\n", calls[0].Function.Name, calls[0].Function.Arguments)
	var args struct {
		OrderID string `json:"order_id"`
	}
	if err := json.Unmarshal([]byte(calls[0].Function.Arguments), &args); err != nil {
		return run, fmt.Errorf("cancel_order arguments: %w", err)
	}
	order, err := gentrace.Measure(ctx, map[string]any{"orderId": args.OrderID},
		func(ctx context.Context) (Order, error) { return lookupOrder(ctx, args.OrderID) },
		gentrace.WithProvider("shop", "lookup_order"))
	if err != nil {
		return run, err
	}
	// A failing Measure records its step with the error and returns the
	// error unchanged.
	_, err = gentrace.Measure(ctx, map[string]any{"order": order},
		func(ctx context.Context) (map[string]any, error) { return cancelOrder(ctx, order) },
		gentrace.WithProvider("shop", "cancel_order"))
	if !errors.Is(err, errShipped) {
		return run, err
	}
	// The turn handles the failure (the customer gets an answer), so it
	// returns no error; SetError marks the run as failed all the same.
	fmt.Fprintln(b.out, "turn 2 reply: Sorry, order", order.ID, "has already shipped, so it can no longer be cancelled.")
	run.SetError(err)
	return run, nil
}

// report prints what a run recorded.
func report(out io.Writer, name string, r *gentrace.Runner) {
	fmt.Fprintf(out, "%s: %v, user %s, previous run %q\n", name, r, r.UserID(), r.PreviousRunID())
	for i, s := range r.Steps() {
		fmt.Fprintf(out, "  %d. %s\n", i+1, exampleenv.DescribeStep(s))
	}
	costText := "none"
	if cost, ok := r.Cost(); ok {
		costText = exampleenv.USD(cost)
	}
	fmt.Fprintf(out, "  cost %s, elapsed %v, metadata %v\n\n", costText, r.Elapsed().Round(time.Millisecond), r.Metadata())
}

func script(srv *openaitest.Server) {
	srv.Enqueue(openaitest.RouteChatCompletions,
		exampleenv.Reply("Your order A-1017 has shipped with DHL and should arrive on June 12."),
		exampleenv.ToolCallReply(openaitest.ToolCall{Name: "cancel_order", Arguments: `{"order_id":"A-1017"}`}),
	)
}
