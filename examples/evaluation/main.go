// Evaluation runs a small pipeline on a Gentrace pipeline's test cases and
// submits the outputs as one test result, with Client.RunTest.
//
//	go run ./examples/evaluation
//
// RunTest fetches the test cases of the pipeline "capital-quiz", calls the
// code under test on each (several at once by default) and submits the
// outputs, or each case's error, as one test result. Here the code under
// test asks a model for a country's capital; each case is also a traced run
// of the pipeline, whose cost (from the price table) goes into the case's
// outputs. Client.SubmitTestResult submits outputs computed another way.
//
// The result's name, branch and commit come from GENTRACE_RESULT_NAME (or
// GENTRACE_RUN_NAME), GENTRACE_BRANCH and GENTRACE_COMMIT when set.
//
// Without GENTRACE_API_KEY the cases come from an in-process fake backend
// seeded below; with it, the pipeline must exist in Gentrace with test
// cases whose inputs have a "country". Without OPENAI_API_KEY the answers
// come from an in-process fake OpenAI server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"sync"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/examples/internal/exampleenv"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

const slug = "capital-quiz"

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(out io.Writer) (err error) {
	env, err := exampleenv.Start(exampleenv.Options{ScriptOpenAI: scriptOpenAI, SeedGentrace: seedGentrace, Out: out})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.Close()) }()
	ctx := context.Background()

	pipeline, err := env.Gentrace.NewPipeline(slug)
	if err != nil {
		return err
	}
	q := &quiz{out: out, pipeline: pipeline, client: env.OpenAI()}
	fmt.Fprintf(out, "test cases of pipeline %q:\n", slug)
	resultID, err := env.Gentrace.RunTest(ctx, slug, q.evaluate,
		// One case at a time, so that the fake server's scripted answers
		// meet the cases in order; the default runs
		// gentrace.DefaultTestConcurrency at once.
		gentrace.WithConcurrency(1),
		gentrace.WithResultMetadata(gentrace.Metadata{"model": gentrace.String(goopenai.GPT4oMini)}))
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "test result ID:", resultID)

	flushCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := env.Gentrace.Flush(flushCtx); err != nil {
		return err
	}
	fmt.Fprintln(out)
	env.PrintTestResults()
	return nil
}

// quiz is the code under test.
type quiz struct {
	pipeline *gentrace.Pipeline
	client   *openai.Client

	mu  sync.Mutex // RunTest calls evaluate from several goroutines
	out io.Writer
}

// evaluate runs the pipeline on one test case and returns its outputs, with
// the cost of the case's run in US dollars. An error fails this case only:
// RunTest submits it with the error's text.
func (q *quiz) evaluate(ctx context.Context, tc gentrace.TestCase) (map[string]any, error) {
	country, ok := tc.Inputs["country"].(string)
	if !ok {
		return nil, fmt.Errorf("test case %q: inputs.country is not a string", tc.Name)
	}
	answer, run, err := q.capital(ctx, country)
	verdict := "ok"
	if expected, _ := tc.ExpectedOutputs["capital"].(string); err == nil && !strings.EqualFold(answer, expected) {
		verdict = fmt.Sprintf("expected %q", expected)
	}
	costText := "no cost"
	cost, priced := run.Cost()
	if priced {
		costText = "cost " + exampleenv.USD(cost)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if err != nil {
		fmt.Fprintf(q.out, "  %-10s %-10s failed: %v\n", tc.Name, country, err)
		return nil, err
	}
	fmt.Fprintf(q.out, "  %-10s %-10s %-10s %-17s %s\n", tc.Name, country, answer, costText, verdict)
	outputs := map[string]any{"capital": answer}
	if priced {
		outputs["cost"] = cost
	}
	return outputs, nil
}

// capital asks the model for a country's capital. Each call is a run of the
// pipeline, which the deferred End submits with the error if there is one.
func (q *quiz) capital(ctx context.Context, country string) (answer string, run *gentrace.Runner, err error) {
	ctx, run, err = q.pipeline.Start(ctx, gentrace.RunContext{
		Metadata: gentrace.Metadata{"purpose": gentrace.String("evaluation")},
	})
	if err != nil {
		return "", nil, err
	}
	defer run.End(&err)
	resp, err := q.client.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model:       goopenai.GPT4oMini,
		Temperature: 0,
		Messages: []goopenai.ChatCompletionMessage{
			{Role: goopenai.ChatMessageRoleSystem, Content: "Answer with the name of the city only."},
			{Role: goopenai.ChatMessageRoleUser, Content: "What is the capital of " + country + "?"},
		},
	})
	if err != nil {
		return "", run, err
	}
	return strings.TrimSpace(resp.Choices[0].Message.Content), run, nil
}

// seedGentrace gives the fake backend the pipeline's test cases.
func seedGentrace(srv *gentracetest.Server) {
	c := func(name, country, capital string) gentracetest.Case {
		return gentracetest.Case{
			Name:            name,
			Inputs:          map[string]any{"country": country},
			ExpectedOutputs: map[string]any{"capital": capital},
		}
	}
	srv.AddTestCases(slug,
		c("europe-1", "Portugal", "Lisbon"),
		c("asia-1", "Japan", "Tokyo"),
		c("oceania-1", "Australia", "Canberra"),
		c("africa-1", "Kenya", "Nairobi"),
	)
}

// scriptOpenAI gives the fake OpenAI server one answer per case, in order:
// the third is wrong, as models sometimes are, and the fourth is an error
// of an overloaded server.
func scriptOpenAI(srv *openaitest.Server) {
	srv.Enqueue(openaitest.RouteChatCompletions,
		exampleenv.Reply("Lisbon"),
		exampleenv.Reply("Tokyo"),
		exampleenv.Reply("Sydney"),
		openaitest.Error(503, "The server is overloaded. Please retry later."),
	)
}
