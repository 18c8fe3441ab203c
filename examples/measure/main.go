// Measure shows steps of your own code: gentrace.Measure times a function
// and records its inputs and typed result, Runner.Checkpoint records values
// already computed, manual costs in cents or dollars add up in Runner.Cost,
// and a step can ask Gentrace to render one output as HTML.
//
//	go run ./examples/measure
//
// Without GENTRACE_API_KEY it talks to an in-process fake Gentrace backend;
// with it, to Gentrace. It makes no OpenAI call.
package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log"
	"strings"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/examples/internal/exampleenv"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

// Hit is one search result.
type Hit struct {
	Title string  `json:"title"`
	Score float64 `json:"score"`
}

// Translation is the answer of a paid translation service. Its Cost, under
// the outputs key "cost", counts towards the run's cost.
type Translation struct {
	Text string        `json:"text"`
	Cost gentrace.Cost `json:"cost"`
}

// QuotaError is a typed error of the translation service.
type QuotaError struct{ RetryIn time.Duration }

func (e *QuotaError) Error() string {
	return fmt.Sprintf("translation quota exceeded, retry in %v", e.RetryIn)
}

func search(query string) ([]Hit, error) {
	time.Sleep(30 * time.Millisecond)
	return []Hit{{"Effective Go", 0.92}, {"Go Memory Model", 0.71}}, nil
}

func translate(text, to string) (Translation, error) {
	time.Sleep(40 * time.Millisecond)
	if to == "tlh" {
		return Translation{}, &QuotaError{RetryIn: time.Minute}
	}
	// The service bills 0.002 cents per character.
	return Translation{Text: "Go efficace", Cost: gentrace.Cents(0.002 * float64(len(text)))}, nil
}

func run() error {
	env, err := exampleenv.Start(exampleenv.Options{NoOpenAI: true})
	if err != nil {
		return err
	}
	defer env.Close()
	ctx := context.Background()

	pipeline, err := env.Gentrace.NewPipeline("doc-search")
	if err != nil {
		return err
	}
	runner, err := pipeline.Start(ctx, gentrace.RunContext{UserID: "reader-3"})
	if err != nil {
		return err
	}

	// Measure is generic: it returns fn's result with its own type. A
	// result that is not a JSON object is recorded as {"value": result}.
	hits, err := gentrace.Measure(runner, map[string]any{"query": "effective go"},
		func() ([]Hit, error) { return search("effective go") },
		gentrace.WithProvider("search", "vector_query"))
	if err != nil {
		return err
	}
	fmt.Printf("search: %d hits, best %q\n", len(hits), hits[0].Title)

	// A manual cost in dollars on a Checkpoint: the search service's fee,
	// known after the fact.
	if err := runner.Checkpoint(map[string]any{"queries": 1}, map[string]any{"cost": gentrace.Dollars(0.0015)},
		gentrace.WithProvider("search", "billing")); err != nil {
		return err
	}

	// A manual cost in cents, carried in the function's result.
	tr, err := gentrace.Measure(runner, map[string]any{"text": hits[0].Title, "to": "fr"},
		func() (Translation, error) { return translate(hits[0].Title, "fr") },
		gentrace.WithProvider("translator", "translate"))
	if err != nil {
		return err
	}
	fmt.Printf("translation: %q, cost %v %s\n", tr.Text, tr.Cost.Value, tr.Cost.Unit)

	// A failing function: its step is recorded with outputs {} and the
	// error's text, and its error comes back unchanged, type and all.
	_, err = gentrace.Measure(runner, map[string]any{"text": hits[0].Title, "to": "tlh"},
		func() (Translation, error) { return translate(hits[0].Title, "tlh") },
		gentrace.WithProvider("translator", "translate"))
	var quota *QuotaError
	if !errors.As(err, &quota) {
		return fmt.Errorf("want a *QuotaError, got %v", err)
	}
	fmt.Printf("translation failed: %v (a *QuotaError, RetryIn %v)\n", err, quota.RetryIn)

	// A malformed cost is refused with ErrInvalidCost, and the step is not
	// recorded.
	_, err = gentrace.Measure(runner, nil, func() (map[string]any, error) {
		return map[string]any{"cost": map[string]any{"type": "euros", "value": 1}}, nil
	})
	fmt.Println("refused:", err, "| errors.Is(err, gentrace.ErrInvalidCost):", errors.Is(err, gentrace.ErrInvalidCost))

	// Render: Gentrace shows the output under "html" as a page.
	page, err := gentrace.Measure(runner, map[string]any{"hits": hits},
		func() (map[string]string, error) {
			var b strings.Builder
			b.WriteString("<ul>")
			for _, h := range hits {
				fmt.Fprintf(&b, "<li>%s (%.2f)</li>", html.EscapeString(h.Title), h.Score)
			}
			b.WriteString("</ul>")
			return map[string]string{"html": b.String()}, nil
		},
		gentrace.WithProvider("app", "render_results"), gentrace.WithRender("html"))
	if err != nil {
		return err
	}
	fmt.Println("page:", page["html"])

	id, err := runner.Submit(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("\nrun %s:\n", id)
	for i, s := range runner.Steps() {
		fmt.Printf("  %d. %s\n", i+1, exampleenv.DescribeStep(s))
	}
	total, _ := runner.Cost()
	fmt.Printf("  total cost %s (0.0015 dollars + 0.024 cents), elapsed %v\n\n", exampleenv.USD(total), runner.Elapsed().Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := env.Gentrace.Flush(ctx); err != nil {
		return err
	}
	env.PrintPayloads(id)
	return nil
}
