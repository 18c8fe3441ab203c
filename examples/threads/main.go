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
	"log"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/examples/internal/exampleenv"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	env, err := exampleenv.Start(exampleenv.Options{ScriptOpenAI: script})
	if err != nil {
		return err
	}
	defer env.Close()
	client := env.OpenAI()
	ctx, err := gentrace.WithUser(context.Background(), "user-31")
	if err != nil {
		return err
	}
	pipeline, err := env.Gentrace.NewPipeline("cooking-assistant")
	if err != nil {
		return err
	}

	messages := []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleSystem, Content: "You are a cooking assistant."}}
	var runIDs []string
	previous := "" // the first turn starts the thread
	for turn, question := range []string{
		"What can I cook with leeks and potatoes?",
		"Can I make it without cream?",
		"How long does it keep in the fridge?",
	} {
		runner, err := pipeline.Start(ctx, gentrace.RunContext{PreviousRunID: previous})
		if err != nil {
			return err
		}
		messages = append(messages, goopenai.ChatCompletionMessage{Role: goopenai.ChatMessageRoleUser, Content: question})
		resp, err := client.ForRunner(runner).CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
			Model: goopenai.GPT4oMini, Messages: messages,
		})
		if err != nil {
			return err
		}
		messages = append(messages, resp.Choices[0].Message)
		// Waiting for the server makes a broken link an error right here.
		id, err := runner.Submit(ctx, gentrace.WaitForServer())
		if err != nil {
			return err
		}
		fmt.Printf("turn %d: %s\n  -> %s\n  run %s, previous run %q\n", turn+1, question, resp.Choices[0].Message.Content, id, previous)
		runIDs = append(runIDs, id)
		previous = id
	}

	// A fork: another run naming the second turn as its previous run.
	fork, err := pipeline.Start(ctx, gentrace.RunContext{PreviousRunID: runIDs[1]})
	if err != nil {
		return err
	}
	_, err = fork.Submit(ctx, gentrace.WaitForServer())
	var apiErr *gentrace.APIError
	switch {
	case errors.As(err, &apiErr):
		fmt.Printf("\na second run after turn 2 is refused: %d %s\n", apiErr.StatusCode, apiErr.Message)
	case err == nil && env.GentraceOffline():
		return errors.New("the fake backend accepted a forked thread")
	default:
		fmt.Println("\nfork:", err)
	}
	stats := env.Gentrace.Stats()
	fmt.Printf("delivered %d runs, %d refused\n", stats.Delivered, stats.Failed)
	return nil
}

func script(srv *openaitest.Server) {
	srv.Enqueue(openaitest.RouteChatCompletions,
		exampleenv.Reply("A leek and potato soup: sweat the leeks in butter, add potatoes and stock, simmer 20 minutes, blend."),
		exampleenv.Reply("Yes: blend in a spoon of olive oil or a little of the cooking potato for body."),
		exampleenv.Reply("Three to four days in a closed container; it also freezes well for three months."),
	)
}
