// Evaluation runs a small pipeline on a Gentrace pipeline's test cases and
// submits the outputs as one test result.
//
//	go run ./examples/evaluation
//
// It fetches the test cases of the pipeline "capital-quiz", asks the model
// for each case's answer through the recording OpenAI client, attaches the
// call's cost in cents (from the price table) to each output, and submits
// them with Client.SubmitTestResult. Client.RunTest does the fetching, the
// running (several cases at once) and the submitting in one call.
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
	"fmt"
	"log"
	"strings"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/examples/internal/exampleenv"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/gentrace/gentrace-go/pricing"
	goopenai "github.com/sashabaranov/go-openai"
)

const slug = "capital-quiz"

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	env, err := exampleenv.Start(exampleenv.Options{ScriptOpenAI: scriptOpenAI, SeedGentrace: seedGentrace})
	if err != nil {
		return err
	}
	defer env.Close()
	ctx := context.Background()
	client := env.OpenAI()

	cases, err := env.Gentrace.GetTestCases(ctx, slug)
	if err != nil {
		return err
	}
	fmt.Printf("%d test cases for pipeline %q\n", len(cases), slug)

	outputs := make([]map[string]any, len(cases))
	for i, tc := range cases {
		country, _ := tc.Inputs["country"].(string)
		answer, cost, priced, err := capital(ctx, client, country)
		if err != nil {
			return err
		}
		outputs[i] = map[string]any{"capital": answer}
		costText := "no price for the model"
		if priced {
			outputs[i]["cost"] = cost
			costText = fmt.Sprintf("cost %v cents", cost.Value)
		}
		expected, _ := tc.ExpectedOutputs["capital"].(string)
		verdict := "ok"
		if !strings.EqualFold(answer, expected) {
			verdict = fmt.Sprintf("expected %q", expected)
		}
		fmt.Printf("  %-10s %-10s %-8s %-22s %s\n", tc.Name, country, answer, costText, verdict)
	}

	resultID, err := env.Gentrace.SubmitTestResult(ctx, slug, cases, outputs,
		gentrace.WithResultMetadata(gentrace.Metadata{"model": gentrace.String(goopenai.GPT4oMini)}))
	if err != nil {
		return err
	}
	fmt.Println("test result ID:", resultID)
	fmt.Println()
	env.PrintTestResults()
	return nil
}

// capital is the pipeline under test: it asks the model for a country's
// capital and returns the answer with the call's cost in cents, and false
// when the price table does not know the model. The client records nothing
// here (no pipeline slug, no runner): the test result carries the outputs.
func capital(ctx context.Context, client *openai.Client, country string) (string, gentrace.Cost, bool, error) {
	resp, err := client.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model:       goopenai.GPT4oMini,
		Temperature: 0,
		Messages: []goopenai.ChatCompletionMessage{
			{Role: goopenai.ChatMessageRoleSystem, Content: "Answer with the name of the city only."},
			{Role: goopenai.ChatMessageRoleUser, Content: "What is the capital of " + country + "?"},
		},
	})
	if err != nil {
		return "", gentrace.Cost{}, false, err
	}
	answer := strings.TrimSpace(resp.Choices[0].Message.Content)
	price, _, ok := pricing.Default().Lookup(resp.Model)
	if !ok {
		return answer, gentrace.Cost{}, false, nil
	}
	u := resp.Usage
	cached := 0
	if u.PromptTokensDetails != nil {
		cached = u.PromptTokensDetails.CachedTokens
	}
	return answer, gentrace.Cents(100 * price.Cost(pricing.Usage{InputTokens: u.PromptTokens, CachedInputTokens: cached, OutputTokens: u.CompletionTokens})), true, nil
}

// seedGentrace gives the fake backend the pipeline's test cases.
func seedGentrace(srv *gentracetest.Server) {
	c := func(name, country, capital string) gentracetest.TestCase {
		return gentracetest.TestCase{
			Name:            name,
			Inputs:          map[string]any{"country": country},
			ExpectedOutputs: map[string]any{"capital": capital},
		}
	}
	srv.AddTestCases(slug,
		c("europe-1", "Portugal", "Lisbon"),
		c("asia-1", "Japan", "Tokyo"),
		c("oceania-1", "Australia", "Canberra"),
	)
}

// scriptOpenAI gives the fake OpenAI server one answer per case, in order;
// the third is wrong, as models sometimes are.
func scriptOpenAI(srv *openaitest.Server) {
	srv.Enqueue(openaitest.RouteChatCompletions,
		exampleenv.Reply("Lisbon"),
		exampleenv.Reply("Tokyo"),
		exampleenv.Reply("Sydney"),
	)
}
