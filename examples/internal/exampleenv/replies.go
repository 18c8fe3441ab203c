package exampleenv

import (
	"time"

	"github.com/gentrace/gentrace-go/openai/openaitest"
)

// Latencies of the fake OpenAI server's scripted replies, so that recorded
// latencies and times to first token look like a real model's.
const (
	ReplyDelay = 150 * time.Millisecond // before a reply's status line
	ChunkDelay = 15 * time.Millisecond  // before each event of a stream
)

// Paced returns r slowed down like a real model: ReplyDelay before it
// answers and, when it streams, ChunkDelay before each chunk.
func Paced(r openaitest.Response) openaitest.Response {
	return r.WithDelay(ReplyDelay).WithChunkDelay(ChunkDelay)
}

// Reply is openaitest.TextReply(text), paced: the model answers text, as a
// chat completion or a Responses API response, streamed one word per chunk
// when the request streams.
func Reply(text string) openaitest.Response { return Paced(openaitest.TextReply(text)) }

// ToolCallReply is openaitest.ToolCallReply(calls...), paced: the model asks
// for the given function calls.
func ToolCallReply(calls ...openaitest.ToolCall) openaitest.Response {
	return Paced(openaitest.ToolCallReply(calls...))
}
