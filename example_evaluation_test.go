package gentrace_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
)

// guessYear is the code under test: it answers when an event happened.
func guessYear(event string) (int, error) {
	switch {
	case strings.Contains(event, "Apollo"):
		return 1969, nil
	case strings.Contains(event, "Berlin"):
		return 1989, nil
	}
	return 0, errors.New("no idea")
}

// startFakeGentrace starts a fake Gentrace with three test cases for the
// "guess-the-year" pipeline, and a client that talks to it. A real program
// calls gentrace.New() with GENTRACE_API_KEY set.
func startFakeGentrace() (*gentracetest.Server, *gentrace.Client) {
	srv := gentracetest.NewServer()
	srv.AddTestCases("guess-the-year",
		gentracetest.Case{Name: "moon", Inputs: map[string]any{"event": "Apollo 11 landing"}},
		gentracetest.Case{Name: "wall", Inputs: map[string]any{"event": "Fall of the Berlin Wall"}},
		gentracetest.Case{Name: "phone", Inputs: map[string]any{"event": "First iPhone"}},
	)
	client, err := gentrace.New(gentrace.WithBaseURL(srv.URL), gentrace.WithAPIKey(srv.APIKey))
	if err != nil {
		log.Fatal(err)
	}
	return srv, client
}

// Fetch a pipeline's test cases, run the code under test on each, and
// submit the outputs, with a manual cost, as one test result.
func ExampleClient_SubmitTestResult() {
	srv, client := startFakeGentrace()
	defer srv.Close()
	defer client.Shutdown(context.Background())
	ctx := context.Background()

	cases, err := client.GetTestCases(ctx, "guess-the-year")
	if err != nil {
		log.Fatal(err)
	}
	outputs := make([]map[string]any, len(cases))
	for i, tc := range cases {
		year, _ := guessYear(tc.Inputs["event"].(string))
		outputs[i] = map[string]any{"year": year, "cost": gentrace.Cents(0.2)}
	}
	if _, err := client.SubmitTestResult(ctx, "guess-the-year", cases, outputs,
		gentrace.WithResultName("nightly"),
		gentrace.WithResultMetadata(gentrace.Metadata{"model": gentrace.String("rules-v1")}),
	); err != nil {
		log.Fatal(err)
	}

	res := srv.TestResults()[0]
	fmt.Println("result:", res.Name)
	for i, run := range res.TestRuns {
		fmt.Println(cases[i].Name, run.Outputs["year"], run.Outputs["cost"])
	}
	// Output:
	// result: nightly
	// moon 1969 map[type:cents value:0.2]
	// wall 1989 map[type:cents value:0.2]
	// phone 0 map[type:cents value:0.2]
}

// RunTest fetches the cases, runs a function on each (several at once) and
// submits the result. A case whose function fails is submitted with the
// error, and the others are not affected.
func ExampleClient_RunTest() {
	srv, client := startFakeGentrace()
	defer srv.Close()
	defer client.Shutdown(context.Background())

	_, err := client.RunTest(context.Background(), "guess-the-year",
		func(ctx context.Context, tc gentrace.TestCase) (map[string]any, error) {
			year, err := guessYear(tc.Inputs["event"].(string))
			if err != nil {
				return nil, err
			}
			return map[string]any{"year": year}, nil
		},
		gentrace.WithResultName("nightly"),
		gentrace.WithConcurrency(2),
	)
	if err != nil {
		log.Fatal(err)
	}

	for _, run := range srv.TestResults()[0].TestRuns {
		fmt.Printf("inputs %v: outputs %v, error %q\n", run.Inputs, run.Outputs, run.Error)
	}
	// Output:
	// inputs map[event:Apollo 11 landing]: outputs map[year:1969], error ""
	// inputs map[event:Fall of the Berlin Wall]: outputs map[year:1989], error ""
	// inputs map[event:First iPhone]: outputs map[], error "no idea"
}
