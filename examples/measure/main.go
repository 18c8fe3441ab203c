// Measure shows steps of your own code: gentrace.Measure times a function
// and records its inputs and typed result into the run the context carries
// (and the function gets that context, so code it calls records into the
// same run), Runner.Checkpoint records values already computed, code deep in
// a call chain finds the run with gentrace.RunnerFromContext, manual costs
// in cents or dollars add up in Runner.Cost, and a step can ask Gentrace to
// render one output as HTML.
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
	"io"
	"log"
	"os"
	"strings"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/examples/internal/exampleenv"
)

func main() {
	if err := run(os.Stdout); err != nil {
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

// search is a two-stage search. It is given only a context, yet its stages
// become steps of the run the context carries, and so does the fee it
// reports.
func search(ctx context.Context, query string) ([]Hit, error) {
	vector, err := gentrace.Measure(ctx, map[string]any{"query": query},
		func(ctx context.Context) ([]float64, error) {
			return []float64{0.12, -0.4, 0.33}, sleep(ctx, 10*time.Millisecond)
		},
		gentrace.WithProvider("search", "embed_query"))
	if err != nil {
		return nil, err
	}
	if err := sleep(ctx, 20*time.Millisecond); err != nil { // the index lookup
		return nil, err
	}
	// The search service's fee, known after the fact: a manual cost in
	// dollars on a Checkpoint, recorded through the run the context carries.
	if err := gentrace.RunnerFromContext(ctx).Checkpoint(map[string]any{"dimensions": len(vector)},
		map[string]any{"cost": gentrace.Dollars(0.0015)}, gentrace.WithProvider("search", "billing")); err != nil {
		return nil, err
	}
	return []Hit{{"Effective Go", 0.92}, {"Go Memory Model", 0.71}}, nil
}

func translate(ctx context.Context, text, to string) (Translation, error) {
	if err := sleep(ctx, 40*time.Millisecond); err != nil {
		return Translation{}, err
	}
	if to == "tlh" {
		return Translation{}, &QuotaError{RetryIn: time.Minute}
	}
	// The service bills 0.002 cents per character.
	return Translation{Text: "Go efficace", Cost: gentrace.Cents(0.002 * float64(len(text)))}, nil
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

func run(out io.Writer) (err error) {
	env, err := exampleenv.Start(exampleenv.Options{NoOpenAI: true, Out: out})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.Close()) }()
	ctx := context.Background()

	pipeline, err := env.Gentrace.NewPipeline("doc-search")
	if err != nil {
		return err
	}
	docs, err := findDocs(ctx, out, pipeline, "effective go")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nrun %s:\n", docs.ID())
	for i, s := range docs.Steps() {
		fmt.Fprintf(out, "  %d. %s\n", i+1, exampleenv.DescribeStep(s))
	}
	total, _ := docs.Cost()
	fmt.Fprintf(out, "  total cost %s (0.0015 dollars + 0.024 cents), elapsed %v\n\n", exampleenv.USD(total), docs.Elapsed().Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := env.Gentrace.Flush(ctx); err != nil {
		return err
	}
	env.PrintPayloads(docs.ID())
	return nil
}

// findDocs is one run of the pipeline; the deferred End submits it.
func findDocs(ctx context.Context, out io.Writer, pipeline *gentrace.Pipeline, query string) (run *gentrace.Runner, err error) {
	ctx, run, err = pipeline.Start(ctx, gentrace.RunContext{UserID: "reader-3"})
	if err != nil {
		return nil, err
	}
	defer run.End(&err)

	// Measure is generic: it returns fn's result with its own type. A
	// result that is not a JSON object is recorded as {"value": result}.
	// fn gets the run's context: the steps search records itself come
	// before this one, which is recorded when fn returns.
	hits, err := gentrace.Measure(ctx, map[string]any{"query": query},
		func(ctx context.Context) ([]Hit, error) { return search(ctx, query) },
		gentrace.WithProvider("search", "vector_query"))
	if err != nil {
		return run, err
	}
	fmt.Fprintf(out, "search: %d hits, best %q\n", len(hits), hits[0].Title)

	// A manual cost in cents, carried in the function's result.
	tr, err := gentrace.Measure(ctx, map[string]any{"text": hits[0].Title, "to": "fr"},
		func(ctx context.Context) (Translation, error) { return translate(ctx, hits[0].Title, "fr") },
		gentrace.WithProvider("translator", "translate"))
	if err != nil {
		return run, err
	}
	fmt.Fprintf(out, "translation: %q, cost %v %s\n", tr.Text, tr.Cost.Value, tr.Cost.Unit)

	// A failing function: its step is recorded with outputs {} and the
	// error's text, and its error comes back unchanged, type and all.
	_, err = gentrace.Measure(ctx, map[string]any{"text": hits[0].Title, "to": "tlh"},
		func(ctx context.Context) (Translation, error) { return translate(ctx, hits[0].Title, "tlh") },
		gentrace.WithProvider("translator", "translate"))
	quota, ok := errors.AsType[*QuotaError](err)
	if !ok {
		return run, fmt.Errorf("want a *QuotaError, got %v", err)
	}
	fmt.Fprintf(out, "translation failed: %v (a *QuotaError, RetryIn %v)\n", err, quota.RetryIn)

	// A malformed cost is refused with ErrInvalidCost, and the step is not
	// recorded.
	_, err = gentrace.Measure(ctx, nil, func(context.Context) (map[string]any, error) {
		return map[string]any{"cost": map[string]any{"type": "euros", "value": 1}}, nil
	}, gentrace.WithProvider("app", "bad_cost"))
	if !errors.Is(err, gentrace.ErrInvalidCost) {
		return run, fmt.Errorf("want gentrace.ErrInvalidCost, got %v", err)
	}
	fmt.Fprintln(out, "refused:", err)

	// Render: Gentrace shows the output under "html" as a page.
	page, err := gentrace.Measure(ctx, map[string]any{"hits": hits},
		func(context.Context) (map[string]string, error) {
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
		return run, err
	}
	fmt.Fprintln(out, "page:", page["html"])
	return run, nil
}
