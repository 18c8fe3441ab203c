// Metadata shows typed metadata values and how run and step metadata merge:
// the run's metadata is applied before every step's, key by key, and the
// last write wins.
//
//	go run ./examples/metadata
//
// The merge is the worked example of the specification, on a real run:
// run metadata {a: r, b: r}, step 1 {a: 1, c: 1}, step 2 {b: 2} gives
// {a: r, b: 2, c: 1}. A key ends with the last step's value if that step set
// it (b), else with the run's value (a), else with the latest earlier step's
// value (c).
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
	"maps"
	"os"
	"slices"
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

func run(out io.Writer) (err error) {
	env, err := exampleenv.Start(exampleenv.Options{
		ScriptOpenAI: func(srv *openaitest.Server) {
			srv.Enqueue(openaitest.RouteChatCompletions, exampleenv.Reply("Bonjour tout le monde"))
		},
		Out: out,
	})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.Close()) }()
	ctx := context.Background()

	// Metadata values are typed: strings, booleans and links.
	typed := gentrace.Metadata{
		"model":     gentrace.String("gpt-4o-mini"),
		"cacheHit":  gentrace.Bool(false),
		"dashboard": gentrace.URL("https://grafana.example.com/d/translate", "Latency dashboard"),
	}
	if err := typed.Validate(); err != nil {
		return err
	}
	pipeline, err := env.Gentrace.NewPipeline("translate")
	if err != nil {
		return err
	}
	// A malformed value is refused before anything is sent, naming the key.
	bad := gentrace.Metadata{"docs": gentrace.URL("/relative/path", "Docs")}
	_, _, err = pipeline.Start(ctx, gentrace.RunContext{Metadata: bad})
	if !errors.Is(err, gentrace.ErrInvalidMetadata) {
		return fmt.Errorf("want gentrace.ErrInvalidMetadata, got %v", err)
	}
	fmt.Fprintln(out, "refused:", err)

	translated, err := translate(ctx, out, pipeline, env.OpenAI(), typed)
	if err != nil {
		return err
	}

	// The same rule as a function, without a run.
	fmt.Fprintln(out, "MergeMetadata:", gentrace.MergeMetadata(
		gentrace.Metadata{"a": gentrace.String("r"), "b": gentrace.String("r")},
		gentrace.Metadata{"a": gentrace.String("1"), "c": gentrace.String("1")},
		gentrace.Metadata{"b": gentrace.String("2")},
	))

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := env.Gentrace.Flush(ctx); err != nil {
		return err
	}
	if srv := env.FakeGentrace(); srv != nil {
		if r, ok := srv.Run(translated.ID()); ok {
			fmt.Fprintln(out, "\nrun metadata received by the fake backend:")
			for _, k := range slices.Sorted(maps.Keys(r.Metadata)) {
				wire, err := json.Marshal(r.Metadata[k])
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "  %-9s %s\n", k, wire)
			}
			fmt.Fprintln(out)
		}
	}
	return nil
}

// translate is one run whose metadata is merged with its two steps'.
func translate(ctx context.Context, out io.Writer, pipeline *gentrace.Pipeline, client *openai.Client, typed gentrace.Metadata) (run *gentrace.Runner, err error) {
	// Run metadata R = {a: r, b: r} (plus the typed values).
	meta := maps.Clone(typed)
	meta["a"], meta["b"] = gentrace.String("r"), gentrace.String("r")
	ctx, run, err = pipeline.Start(ctx, gentrace.RunContext{Metadata: meta})
	if err != nil {
		return nil, err
	}
	defer run.End(&err)
	show(out, "after Start", run)

	// Step 1, a Checkpoint, sets S1 = {a: 1, c: 1}.
	if err := run.Checkpoint(
		map[string]any{"text": "Hello world"}, map[string]any{"language": "en"},
		gentrace.WithProvider("app", "detect_language"),
		gentrace.WithStepMetadata(gentrace.Metadata{"a": gentrace.String("1"), "c": gentrace.String("1")}),
	); err != nil {
		return run, err
	}
	show(out, "after step 1", run)

	// Step 2, an OpenAI call made with the run's context, sets S2 = {b: 2}
	// and cacheHit, a boolean.
	resp, err := client.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Translate to French: Hello world"}},
	}, openai.WithStepMetadata(gentrace.Metadata{"b": gentrace.String("2"), "cacheHit": gentrace.Bool(true)}))
	if err != nil {
		return run, err
	}
	fmt.Fprintln(out, "translation:", resp.Choices[0].Message.Content)
	show(out, "after step 2", run)
	return run, nil
}

// show prints the run's merged metadata, as it would be sent now.
func show(out io.Writer, when string, r *gentrace.Runner) {
	m := r.Metadata()
	fmt.Fprintf(out, "%-13s a=%v b=%v c=%v cacheHit=%v\n", when+":", value(m, "a"), value(m, "b"), value(m, "c"), value(m, "cacheHit"))
}

func value(m gentrace.Metadata, key string) string {
	v, ok := m[key]
	if !ok {
		return "(unset)"
	}
	return v.String()
}
