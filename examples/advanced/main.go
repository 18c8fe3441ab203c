// Advanced shows advanced mode: a Runner collects the steps of one run
// (OpenAI calls, Measure and Checkpoint steps) with run-level user ID and
// metadata, and two runs form a conversation thread.
//
//	go run ./examples/advanced
//
// The scenario is a support bot for an online shop. Turn 1 answers "where is
// my order?"; turn 2 tries to cancel the order, fails because it has
// shipped, and records the error on its run.
//
// Without OPENAI_API_KEY and GENTRACE_API_KEY it talks to in-process fake
// services; with them it uses the real OpenAI API and Gentrace.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/examples/internal/exampleenv"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

func main() {
	if err := run(); err != nil {
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

func lookupOrder(id string) (Order, error) {
	time.Sleep(20 * time.Millisecond) // a database query
	return Order{ID: id, Status: "shipped", Carrier: "DHL", ETA: "2025-06-12"}, nil
}

func cancelOrder(o Order) (map[string]any, error) {
	time.Sleep(10 * time.Millisecond) // a call to the order service
	if o.Status == "shipped" {
		return nil, errShipped
	}
	return map[string]any{"cancelled": o.ID}, nil
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

func run() error {
	env, err := exampleenv.Start(exampleenv.Options{ScriptOpenAI: script})
	if err != nil {
		return err
	}
	defer env.Close()
	ctx := context.Background()
	client := env.OpenAI()

	// Pipeline metadata goes to every run of the pipeline.
	pipeline, err := env.Gentrace.NewPipeline("support-bot",
		gentrace.WithPipelineMetadata(gentrace.Metadata{"service": gentrace.String("shop-support")}))
	if err != nil {
		return err
	}

	// Turn 1: the user ID and the run metadata belong to the whole run.
	turn1, err := pipeline.Start(ctx, gentrace.RunContext{
		UserID: "customer-1017",
		Metadata: gentrace.Metadata{
			"channel": gentrace.String("chat-widget"),
			"ticket":  gentrace.URL("https://support.example.com/tickets/5521", "Ticket 5521"),
		},
	})
	if err != nil {
		return err
	}
	// Measure times a function and records its inputs and typed result.
	order, err := gentrace.Measure(turn1, map[string]any{"orderId": "A-1017"},
		func() (Order, error) { return lookupOrder("A-1017") },
		gentrace.WithProvider("shop", "lookup_order"),
		gentrace.WithStepMetadata(gentrace.Metadata{"db": gentrace.String("orders-replica")}))
	if err != nil {
		return err
	}
	orderJSON, _ := json.Marshal(order)
	reply, err := client.ForRunner(turn1).CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model: goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{
			{Role: goopenai.ChatMessageRoleSystem, Content: system + " Order data: " + string(orderJSON)},
			{Role: goopenai.ChatMessageRoleUser, Content: "Where is my order A-1017?"},
		},
	}, openai.WithStepMetadata(gentrace.Metadata{"prompt": gentrace.String("order-status-v3")}))
	if err != nil {
		return err
	}
	fmt.Println("turn 1 reply:", reply.Choices[0].Message.Content)
	id1, err := turn1.Submit(ctx)
	if err != nil {
		return err
	}
	report("turn 1", turn1)

	// Turn 2 continues the thread: PreviousRunID links it to turn 1.
	turn2, err := pipeline.Start(ctx, gentrace.RunContext{
		UserID:        "customer-1017",
		PreviousRunID: id1,
		Metadata:      gentrace.Metadata{"channel": gentrace.String("chat-widget")},
	})
	if err != nil {
		return err
	}
	llm := client.ForRunner(turn2)
	message := "Actually, please cancel it."
	// Checkpoint records a result computed earlier (here by a keyword
	// rule); it starts where the previous step ended.
	intent := "cancel"
	if !strings.Contains(strings.ToLower(message), "cancel") {
		intent = "other"
	}
	if err := turn2.Checkpoint(map[string]any{"message": message}, map[string]any{"intent": intent},
		gentrace.WithProvider("rules", "classify_intent")); err != nil {
		return err
	}
	// A step user ID other than the run's is refused: it belongs to the run.
	if _, err := llm.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{}, openai.WithUserID("someone-else")); errors.Is(err, gentrace.ErrStepUserID) {
		fmt.Println("refused as expected:", err)
	}
	call, err := llm.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model: goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{
			{Role: goopenai.ChatMessageRoleSystem, Content: system},
			{Role: goopenai.ChatMessageRoleUser, Content: "Where is my order A-1017?"},
			reply.Choices[0].Message,
			{Role: goopenai.ChatMessageRoleUser, Content: message},
		},
		Tools: []goopenai.Tool{cancelTool},
	})
	if err != nil {
		return err
	}
	if calls := call.Choices[0].Message.ToolCalls; len(calls) > 0 {
		fmt.Printf("turn 2 tool call: %s(%s)\n", calls[0].Function.Name, calls[0].Function.Arguments)
	}
	// A failing Measure records its step with the error and returns the
	// error unchanged; SetError marks the whole run as failed.
	if _, err := gentrace.Measure(turn2, map[string]any{"order": order},
		func() (map[string]any, error) { return cancelOrder(order) },
		gentrace.WithProvider("shop", "cancel_order")); err != nil {
		fmt.Println("turn 2 failed:", err, "| errors.Is(err, errShipped):", errors.Is(err, errShipped))
		if err := turn2.SetError(err); err != nil {
			return err
		}
	}
	if _, err := turn2.Submit(ctx); err != nil {
		return err
	}
	report("turn 2", turn2)

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := env.Gentrace.Flush(ctx); err != nil {
		return err
	}
	env.PrintPayloads(turn2.ID())
	return nil
}

// report prints what a runner recorded.
func report(name string, r *gentrace.Runner) {
	fmt.Printf("%s: run %s, user %s, previous run %q\n", name, r.ID(), r.UserID(), r.PreviousRunID())
	for i, s := range r.Steps() {
		fmt.Printf("  %d. %s\n", i+1, exampleenv.DescribeStep(s))
	}
	cost, ok := r.Cost()
	costText := "none"
	if ok {
		costText = exampleenv.USD(cost)
	}
	fmt.Printf("  cost %s, elapsed %v, metadata %v\n\n", costText, r.Elapsed().Round(time.Millisecond), r.Metadata())
}

func script(srv *openaitest.Server) {
	srv.Enqueue(openaitest.RouteChatCompletions,
		exampleenv.Reply("Your order A-1017 has shipped with DHL and should arrive on June 12."),
		exampleenv.ToolCallReply("cancel_order", `{"order_id":"A-1017"}`),
	)
}
