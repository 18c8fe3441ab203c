// Threads shows a three-turn conversation recorded as a Gentrace thread:
// each run names the run before it as its previous run, so Gentrace links
// them. Threads are singly linked: a second run naming the same previous
// run is refused, and the SDK reports it.
//
//	go run ./examples/threads
//
// Without OPENAI_API_KEY and GENTRACE_API_KEY it talks to in-process fake
// services; with them it uses the real OpenAI API and Gentrace.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"

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
	env, err := exampleenv.Start(exampleenv.Options{ScriptOpenAI: script, Out: out})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.Close()) }()
	ctx, err := gentrace.WithUser(context.Background(), "user-31")
	if err != nil {
		return err
	}
	pipeline, err := env.Gentrace.NewPipeline("cooking-assistant")
	if err != nil {
		return err
	}
	c := &conversation{
		client:   env.OpenAI(),
		pipeline: pipeline,
		messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleSystem, Content: "You are a cooking assistant."}},
	}

	var runIDs []string
	for i, question := range []string{
		"What can I cook with leeks and potatoes?",
		"Can I make it without cream?",
		"How long does it keep in the fridge?",
	} {
		previous := c.last
		answer, err := c.ask(ctx, question)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "turn %d: %s\n  -> %s\n  run %s, previous run %q\n", i+1, question, answer, c.last, previous)
		runIDs = append(runIDs, c.last)
	}

	// A fork: another run naming the second turn as its previous run.
	err = fork(ctx, pipeline, runIDs[1])
	var apiErr *gentrace.APIError
	switch {
	case errors.As(err, &apiErr):
		fmt.Fprintf(out, "\na second run after turn 2 is refused: %d %s\n", apiErr.StatusCode, apiErr.Message)
	case err == nil && env.GentraceOffline():
		return errors.New("the fake backend accepted a forked thread")
	default:
		fmt.Fprintln(out, "\nfork:", err)
	}
	stats := env.Gentrace.Stats()
	fmt.Fprintf(out, "delivered %d runs, %d refused\n", stats.Delivered, stats.Failed)
	return nil
}

// conversation is a chat whose turns form a thread: each turn is a run that
// names the turn before it as its previous run.
type conversation struct {
	client   *openai.Client
	pipeline *gentrace.Pipeline
	messages []goopenai.ChatCompletionMessage
	last     string // the ID of the last turn's run; "" before the first
}

// ask is one turn of the conversation.
func (c *conversation) ask(ctx context.Context, question string) (answer string, err error) {
	ctx, run, err := c.pipeline.Start(ctx, gentrace.RunContext{PreviousRunID: c.last})
	if err != nil {
		return "", err
	}
	defer run.End(&err) // does nothing once Submit has ended the run
	messages := append(c.messages, goopenai.ChatCompletionMessage{Role: goopenai.ChatMessageRoleUser, Content: question})
	resp, err := c.client.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{Model: goopenai.GPT4oMini, Messages: messages})
	if err != nil {
		return "", err
	}
	// Waiting for the server makes a broken link an error right here.
	id, err := run.Submit(ctx, gentrace.WaitForServer())
	if err != nil {
		return "", err
	}
	c.messages = append(messages, resp.Choices[0].Message)
	c.last = id
	return resp.Choices[0].Message.Content, nil
}

// fork submits a run that names previousRunID, and waits for the server's
// answer.
func fork(ctx context.Context, pipeline *gentrace.Pipeline, previousRunID string) error {
	_, run, err := pipeline.Start(ctx, gentrace.RunContext{PreviousRunID: previousRunID})
	if err != nil {
		return err
	}
	_, err = run.Submit(ctx, gentrace.WaitForServer())
	return err
}

func script(srv *openaitest.Server) {
	srv.Enqueue(openaitest.RouteChatCompletions,
		exampleenv.Reply("A leek and potato soup: sweat the leeks in butter, add potatoes and stock, simmer 20 minutes, blend."),
		exampleenv.Reply("Yes: blend in a spoon of olive oil or a little of the cooking potato for body."),
		exampleenv.Reply("Three to four days in a closed container; it also freezes well for three months."),
	)
}
