// Package support is the kind of code a program tests: an HTTP handler that
// answers customer questions with a model, each request a Gentrace run. Its
// test, handler_test.go, is the README's "Testing your code": it drives the
// handler offline, against the fake OpenAI server of package openaitest and
// the fake Gentrace backend of package gentracetest, and checks the run that
// was recorded.
package support

import (
	"context"
	"io"
	"net/http"

	gentrace "github.com/gentrace/gentrace-go"
	goopenai "github.com/sashabaranov/go-openai"
)

// Handler answers a question, sent as the request body, for the user the
// X-User-ID header names.
type Handler struct {
	Pipeline *gentrace.Pipeline
	// OpenAI is made with openai.Record, so the calls it makes under a
	// run's context record into that run.
	OpenAI *goopenai.Client
}

// ServeHTTP answers 200 with the model's answer, 400 without a question and
// 502 when the model fails; each answered request is a run of h.Pipeline.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	question, err := io.ReadAll(io.LimitReader(r.Body, 4<<10))
	if err != nil || len(question) == 0 {
		http.Error(w, "send a question", http.StatusBadRequest)
		return
	}
	answer, err := h.answer(r.Context(), r.Header.Get("X-User-ID"), string(question))
	if err != nil {
		http.Error(w, "the assistant is unavailable", http.StatusBadGateway)
		return
	}
	io.WriteString(w, answer)
}

// answer is one run; the deferred End submits it, with the error if any.
func (h *Handler) answer(ctx context.Context, userID, question string) (answer string, err error) {
	ctx, run, err := h.Pipeline.Start(ctx, gentrace.RunContext{UserID: userID})
	if err != nil {
		return "", err
	}
	defer run.End(&err)
	resp, err := h.OpenAI.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model: goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{
			{Role: goopenai.ChatMessageRoleSystem, Content: "You are the support assistant of an online shop."},
			{Role: goopenai.ChatMessageRoleUser, Content: question},
		},
	})
	if err != nil {
		return "", err
	}
	return resp.Choices[0].Message.Content, nil
}
