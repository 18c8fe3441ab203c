package gentrace_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
)

// A run with a Checkpoint and two Measure steps, ended and delivered to a
// fake backend. Measure finds the run in the context Start returned.
func ExampleMeasure() {
	backend := gentracetest.NewServer()
	defer backend.Close()
	client, err := gentrace.New(gentrace.WithAPIKey(backend.APIKey), gentrace.WithBaseURL(backend.URL))
	if err != nil {
		panic(err)
	}
	defer client.Shutdown(context.Background())

	pipeline, _ := client.NewPipeline("summarize")
	ctx, runner, _ := pipeline.Start(context.Background(), gentrace.RunContext{
		UserID:   "user-42",
		Metadata: gentrace.Metadata{"env": gentrace.String("staging")},
	})
	_ = runner.Checkpoint(map[string]any{"url": "https://example.com/post"}, map[string]any{"text": "Long post ..."})
	words, err := gentrace.Measure(ctx, map[string]any{"text": "Long post ..."}, func(context.Context) (int, error) {
		return len(strings.Fields("Long post ...")), nil
	}, gentrace.WithStepMetadata(gentrace.Metadata{"tokenizer": gentrace.String("whitespace")}))
	fmt.Println("words:", words, err)

	_, err = gentrace.Measure(ctx, nil, func(context.Context) (string, error) {
		return "", errors.New("summarizer unavailable")
	})
	fmt.Println("error returned unchanged:", err)

	id, err := runner.Submit(context.Background(), gentrace.WaitForServer())
	if err != nil {
		panic(err)
	}
	run, _ := backend.Run(id)
	fmt.Println("steps delivered:", len(run.StepRuns))
	fmt.Println("user on every step:", run.StepRuns[0].Context.UserID, run.StepRuns[2].Context.UserID)
	fmt.Println("failed step error:", run.StepRuns[2].Error)
	fmt.Println("merged metadata keys:", len(run.Metadata))
	// Output:
	// words: 3 <nil>
	// error returned unchanged: summarizer unavailable
	// steps delivered: 3
	// user on every step: user-42 user-42
	// failed step error: summarizer unavailable
	// merged metadata keys: 2
}

// Manual costs in outputs add up to the run's cost, cents converted.
func ExampleRunner_Cost() {
	client, _ := gentrace.New(gentrace.WithAPIKey("example"), gentrace.WithBaseURL("http://127.0.0.1:1/api"))
	defer client.Shutdown(context.Background())
	pipeline, _ := client.NewPipeline("costs")
	_, runner, _ := pipeline.Start(context.Background(), gentrace.RunContext{})

	_ = runner.Checkpoint(nil, map[string]any{"answer": "42", "cost": gentrace.Cents(1.5)})
	_ = runner.Checkpoint(nil, map[string]any{"answer": "43", "cost": gentrace.Dollars(0.25)})
	err := runner.Checkpoint(nil, map[string]any{"cost": map[string]any{"type": "euros", "value": 1}})
	fmt.Println(err)

	total, ok := runner.Cost()
	fmt.Printf("total: $%.3f (%v)\n", total.USD(), ok)
	// Output:
	// gentrace: invalid cost: type "euros": want "dollars" or "cents"
	// total: $0.265 (true)
}

// Run metadata is applied before every step's metadata, and the last step
// wins: the worked example of the merge rule.
func ExampleMergeMetadata() {
	run := gentrace.Metadata{"a": gentrace.String("r"), "b": gentrace.String("r")}
	step1 := gentrace.Metadata{"a": gentrace.String("1"), "c": gentrace.String("1")}
	step2 := gentrace.Metadata{"b": gentrace.String("2")}
	merged := gentrace.MergeMetadata(run, step1, step2)
	for _, k := range []string{"a", "b", "c"} {
		fmt.Println(k, merged[k])
	}
	// Output:
	// a "r"
	// b "2"
	// c "1"
}

// Request-scoped users and sessions travel in the context and reach every
// run started under it.
func ExampleWithAttributes() {
	ctx, err := gentrace.WithUser(context.Background(), "user-7")
	if err != nil {
		panic(err)
	}
	ctx, _ = gentrace.WithSession(ctx, "checkout-session-1")
	ctx, _ = gentrace.WithAttributes(ctx, gentrace.Attributes{Tags: []string{"checkout"}})
	client, _ := gentrace.New(gentrace.WithAPIKey("example"), gentrace.WithBaseURL("http://127.0.0.1:1/api"))
	defer client.Shutdown(context.Background())
	pipeline, _ := client.NewPipeline("checkout-assistant")
	_, runner, _ := pipeline.Start(ctx, gentrace.RunContext{})
	fmt.Println(runner.UserID(), runner.Metadata()["sessionId"])

	_, err = gentrace.WithSession(ctx, "")
	fmt.Println(err)
	// Output:
	// user-7 "checkout-session-1"
	// gentrace: invalid context attribute: empty session ID
}

// A run ended on every path: defer run.End(&err) records the function's
// error, if any, and submits the run, once.
func ExampleRunner_End() {
	backend := gentracetest.NewServer()
	defer backend.Close()
	client, _ := gentrace.New(gentrace.WithAPIKey(backend.APIKey), gentrace.WithBaseURL(backend.URL))
	pipeline, _ := client.NewPipeline("refunds")

	refund := func(ctx context.Context, orderID string) (err error) {
		ctx, run, err := pipeline.Start(ctx, gentrace.RunContext{UserID: "user-9"})
		if err != nil {
			return err
		}
		defer run.End(&err)
		_, err = gentrace.Measure(ctx, map[string]any{"order": orderID}, func(context.Context) (bool, error) {
			return false, errors.New("payment provider timed out")
		})
		return err
	}
	fmt.Println(refund(context.Background(), "A-17"))

	_ = client.Shutdown(context.Background()) // delivers what is pending
	run := backend.Runs()[0]
	fmt.Println("stored with its error:", run.Error)
	// Output:
	// payment provider timed out
	// stored with its error: payment provider timed out
}
