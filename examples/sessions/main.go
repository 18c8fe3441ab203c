// Sessions shows request-scoped users and sessions carried in
// context.Context: every run started under the context gets the user ID
// and the session ID (run metadata "sessionId"), in simple and advanced
// mode, with explicit values winning.
//
//	go run ./examples/sessions
//
// Without OPENAI_API_KEY and GENTRACE_API_KEY it talks to in-process fake
// services; with them it uses the real OpenAI API and Gentrace.
package main

import (
	"context"
	"fmt"
	"log"
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

func run() error {
	env, err := exampleenv.Start(exampleenv.Options{ScriptOpenAI: script})
	if err != nil {
		return err
	}
	defer env.Close()
	client := env.OpenAI()

	// What an HTTP middleware would do once per request: put the user and
	// the session in the request's context. A bad value is an error here,
	// never a silently empty ID.
	ctx, err := gentrace.WithAttributes(context.Background(),
		gentrace.AttrUser("user-1017"),
		gentrace.AttrSession("support-session-88"),
		gentrace.AttrMetadata(gentrace.Metadata{"plan": gentrace.String("pro")}),
		gentrace.AttrTags("support", "web"),
	)
	if err != nil {
		return err
	}
	if _, err := gentrace.WithSession(ctx, ""); err != nil {
		fmt.Println("refused:", err)
	}

	// Several calls of one chat session, in simple mode: each is a run that
	// reads the user and session from the context.
	var ids []string
	messages := []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleSystem, Content: "You are a helpful support agent."}}
	for _, question := range []string{"My invoice shows the wrong address.", "Can you resend it to billing@example.com?"} {
		messages = append(messages, goopenai.ChatCompletionMessage{Role: goopenai.ChatMessageRoleUser, Content: question})
		resp, err := client.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{Model: goopenai.GPT4oMini, Messages: messages},
			openai.WithPipelineSlug("support-chat"))
		if err != nil {
			return err
		}
		messages = append(messages, resp.Choices[0].Message)
		ids = append(ids, resp.PipelineRunID)
		fmt.Printf("user:  %s\nagent: %s\n  run %s\n", question, resp.Choices[0].Message.Content, resp.PipelineRunID)
	}

	// Advanced mode: Start reads the same context; an explicit RunContext
	// value would win over it.
	pipeline, err := env.Gentrace.NewPipeline("support-escalation")
	if err != nil {
		return err
	}
	runner, err := pipeline.Start(ctx, gentrace.RunContext{Metadata: gentrace.Metadata{"plan": gentrace.String("enterprise")}})
	if err != nil {
		return err
	}
	if err := runner.Checkpoint(map[string]any{"reason": "billing"}, map[string]any{"queue": "billing-team"},
		gentrace.WithProvider("app", "route_ticket")); err != nil {
		return err
	}
	meta := runner.Metadata()
	fmt.Printf("escalation run %s: user %q, session %s, plan %s (RunContext wins over the context)\n",
		runner.ID(), runner.UserID(), meta["sessionId"], meta["plan"])
	id, err := runner.Submit(ctx)
	if err != nil {
		return err
	}
	ids = append(ids, id)

	flushCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := env.Gentrace.Flush(flushCtx); err != nil {
		return err
	}
	if srv := env.FakeGentrace(); srv != nil {
		fmt.Println()
		for _, id := range ids {
			r, _ := srv.Run(id)
			fmt.Printf("received run %s: userId %q, sessionId %v, plan %v\n",
				r.Slug, r.StepRuns[0].Context.UserID, r.Metadata["sessionId"].Value, r.Metadata["plan"].Value)
		}
	}
	return nil
}

func script(srv *openaitest.Server) {
	srv.Enqueue(openaitest.RouteChatCompletions,
		exampleenv.Reply("Sorry about that. I have corrected the address on your account."),
		exampleenv.Reply("Done: the corrected invoice is on its way to billing@example.com."),
	)
}
