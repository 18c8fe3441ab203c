package openai

import (
	"encoding/json"

	"github.com/gentrace/gentrace-go/internal/tokens"
	openai "github.com/sashabaranov/go-openai"
)

// Token estimation works on the wire form of requests and answers
// (internal/tokens decodes the JSON bodies any client sends), so the
// go-openai values recorded here are converted through encoding/json.
// Repeated texts (a conversation's system prompt, tool definitions and
// history) are remembered by internal/tokens itself.

// chatPromptTokens estimates the prompt tokens of a chat request.
func chatPromptTokens(model string, req *openai.ChatCompletionRequest) tokens.Estimate {
	var wire tokens.ChatRequest
	if !convert(req, &wire) {
		return tokens.Estimate{}
	}
	return tokens.ChatPrompt(model, &wire)
}

// chatCompletionTokens estimates the completion tokens of generated
// messages, one per choice.
func chatCompletionTokens(model string, msgs []openai.ChatCompletionMessage) tokens.Estimate {
	var wire []tokens.ChatMessage
	if !convert(msgs, &wire) {
		return tokens.Estimate{}
	}
	return tokens.ChatCompletion(model, wire)
}

// completionPromptTokens estimates the prompt tokens of a legacy completion
// request: text prompts are counted, token prompts are their length.
func completionPromptTokens(model string, prompt any) tokens.Estimate {
	raw, err := json.Marshal(prompt)
	if err != nil {
		return tokens.Estimate{}
	}
	return tokens.CompletionPrompt(model, raw)
}

// convert re-encodes v (a go-openai value) into its wire form w.
func convert(v, w any) bool {
	raw, err := json.Marshal(v)
	return err == nil && json.Unmarshal(raw, w) == nil
}
