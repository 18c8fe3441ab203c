package exampleenv

import (
	"strings"
	"time"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// Latencies of the fake OpenAI server's scripted replies, so that recorded
// latencies and times to first token look like a real model's.
const (
	ReplyDelay = 150 * time.Millisecond // before a reply, or before a stream's first chunk
	ChunkDelay = 15 * time.Millisecond  // between stream chunks
)

// Reply is a scripted chat completion whose assistant message is text.
func Reply(text string) openaitest.Response {
	return openaitest.JSON(openaitest.ChatResponse(openaitest.Choice{Content: text})).WithDelay(ReplyDelay)
}

// ToolCallReply is a scripted chat completion in which the model asks for
// one function call.
func ToolCallReply(name, arguments string) openaitest.Response {
	return openaitest.JSON(openaitest.ChatResponse(openaitest.Choice{
		ToolCalls: []openaitest.ToolCall{{Name: name, Arguments: arguments}},
	})).WithDelay(ReplyDelay)
}

// StreamReply is a scripted streamed chat completion that sends text about
// one word per chunk, as a model does token by token.
func StreamReply(text string) openaitest.Response {
	words := strings.SplitAfter(text, " ")
	chunks := make([]goopenai.ChatCompletionStreamResponse, 0, len(words)+1)
	for i, w := range words {
		delta := goopenai.ChatCompletionStreamChoiceDelta{Content: w}
		if i == 0 {
			delta.Role = goopenai.ChatMessageRoleAssistant
		}
		chunks = append(chunks, goopenai.ChatCompletionStreamResponse{
			Choices: []goopenai.ChatCompletionStreamChoice{{Delta: delta}},
		})
	}
	chunks = append(chunks, goopenai.ChatCompletionStreamResponse{
		Choices: []goopenai.ChatCompletionStreamChoice{{FinishReason: goopenai.FinishReasonStop}},
	})
	return openaitest.ChatStream(chunks...).WithDelay(ReplyDelay).WithChunkDelay(ChunkDelay)
}
