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
	"errors"
	"fmt"
	"io"
	"log"
	"os"
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
	env, err := exampleenv.Start(exampleenv.Options{ScriptOpenAI: script, Out: out})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.Close()) }()
	client := env.OpenAI()

	// What an HTTP middleware would do once per request: put the user, the
	// session and request-wide attributes in the request's context.
	ctx, err := withRequestScope(context.Background(), "user-1017", "support-session-88")
	if err != nil {
		return err
	}
	// A bad value is an error, never a silently empty ID.
	if _, err := gentrace.WithSession(ctx, ""); errors.Is(err, gentrace.ErrInvalidAttribute) {
		fmt.Fprintln(out, "refused:", err)
	} else {
		return fmt.Errorf("want gentrace.ErrInvalidAttribute, got %v", err)
	}

	// Several calls of one chat session, in simple mode: each is a run that
	// reads the user and the session from the context.
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
		fmt.Fprintf(out, "user:  %s\nagent: %s\n  run %s\n", question, resp.Choices[0].Message.Content, resp.PipelineRunID)
	}

	// Advanced mode: Start reads the same context; an explicit RunContext
	// value wins over it.
	pipeline, err := env.Gentrace.NewPipeline("support-escalation")
	if err != nil {
		return err
	}
	id, err := escalate(ctx, out, pipeline)
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
		fmt.Fprintln(out)
		for _, id := range ids {
			r, ok := srv.Run(id)
			if !ok {
				return fmt.Errorf("the fake backend has no run %s", id)
			}
			fmt.Fprintf(out, "received run %s: userId %q, sessionId %v, plan %v\n",
				r.Slug, r.StepRuns[0].Context.UserID, r.Metadata["sessionId"].Value, r.Metadata["plan"].Value)
		}
	}
	return nil
}

// withRequestScope returns ctx carrying the user, the session and the
// request's attributes, which every run started under it records (and
// OpenTelemetry spans too, with package openinference).
func withRequestScope(ctx context.Context, userID, sessionID string) (context.Context, error) {
	ctx, err := gentrace.WithUser(ctx, userID)
	if err != nil {
		return ctx, err
	}
	if ctx, err = gentrace.WithSession(ctx, sessionID); err != nil {
		return ctx, err
	}
	return gentrace.WithAttributes(ctx, gentrace.Attributes{
		Metadata: gentrace.Metadata{"plan": gentrace.String("pro")},
		Tags:     []string{"support", "web"},
	})
}

// escalate is a run started under the request's context: its user and
// session come from there, its "plan" from RunContext, which wins.
func escalate(ctx context.Context, out io.Writer, pipeline *gentrace.Pipeline) (id string, err error) {
	ctx, run, err := pipeline.Start(ctx, gentrace.RunContext{Metadata: gentrace.Metadata{"plan": gentrace.String("enterprise")}})
	if err != nil {
		return "", err
	}
	defer run.End(&err)
	if err := gentrace.RunnerFromContext(ctx).Checkpoint(map[string]any{"reason": "billing"}, map[string]any{"queue": "billing-team"},
		gentrace.WithProvider("app", "route_ticket")); err != nil {
		return run.ID(), err
	}
	meta := run.Metadata()
	fmt.Fprintf(out, "escalation %v: user %q, session %s, plan %s (RunContext wins over the context)\n",
		run, run.UserID(), meta["sessionId"], meta["plan"])
	return run.ID(), nil
}

func script(srv *openaitest.Server) {
	srv.Enqueue(openaitest.RouteChatCompletions,
		exampleenv.Reply("Sorry about that. I have corrected the address on your account."),
		exampleenv.Reply("Done: the corrected invoice is on its way to billing@example.com."),
	)
}
