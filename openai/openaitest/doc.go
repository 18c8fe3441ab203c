// Package openaitest provides a fake OpenAI API server for tests, benchmarks
// and offline examples, in the spirit of [net/http/httptest].
//
// The [Server] listens on a loopback port and speaks OpenAI's wire format, so
// the unmodified github.com/sashabaranov/go-openai client works against it:
//
//	srv := openaitest.NewServer()
//	defer srv.Close()
//	client := openai.NewClientWithConfig(srv.ClientConfig())
//
// # Routes and built-in answers
//
// Without a script the server answers deterministically, echoing the request's
// model (or a sensible default when it has none):
//
//   - POST /v1/chat/completions: one choice per "n" whose assistant text is
//     [DefaultChatReply], finish_reason "stop", and a usage object. With
//     "stream": true the same text arrives as server-sent events, one word per
//     chunk, the first carrying role "assistant", the last finish_reason.
//   - POST /v1/completions: [DefaultCompletionText], streamed or not, one
//     choice per prompt and per "n".
//   - POST /v1/embeddings: one unit vector per input, of
//     [DefaultEmbeddingDimensions] (or the request's "dimensions"), derived
//     from the input so equal inputs get equal vectors; base64 when
//     "encoding_format" is "base64".
//   - POST /v1/moderations: one unflagged result per input.
//
// Any other path answers 404 with OpenAI's error body, unless a response is
// scripted for it. Ids count up per server ("chatcmpl-openaitest-1", ...);
// "created" is fixed at 2025-01-01T00:00:00Z; each answer carries an
// X-Request-Id header. Token counts are estimates at about four bytes per
// token, not a tokenizer's.
//
// # Scripting
//
// [Server.Enqueue] queues responses for a route, each answering one request;
// when the queue is empty, the response given to [Server.SetDefault] answers
// every request, and without one the built-in answer does. Responses are
// built with [JSON] (any go-openai response type, or raw JSON), [ChatStream]
// and [CompletionStream] (chunks, usually from [ChatChunks] and
// [CompletionChunks]), [Error] and [ErrorBody] (an HTTP status with OpenAI's
// error body), [Raw] and [Disconnect]. A [Response] is encoded once when it is
// built, so a default serves thousands of requests cheaply.
//
// # Streams
//
// A stream is framed as OpenAI frames it: Content-Type text/event-stream, one
// "data: {json}\n\n" event per chunk, flushed at once, then "data: [DONE]\n\n".
// When the request sets "stream_options": {"include_usage": true}, every chunk
// carries "usage": null and a last chunk with "choices": [] and the usage
// precedes [DONE]; without it, no usage is sent.
//
// # Faults
//
// [Response.CutAfter] drops the connection after some chunks (or bytes),
// [Response.ErrorAfter] sends an error event mid-stream,
// [Response.WithChunkDelay] and [Response.WithDelay] slow a response down,
// [Error] answers with an HTTP error status, and [Disconnect] hangs up without
// answering. The methods also apply to the built-in answers, through the zero
// Response: Response{}.CutAfter(3) cuts the built-in stream.
//
// # Recording
//
// [Server.Requests] returns every request received, with its headers and raw
// body; [Request] decodes the body into go-openai's request types.
// [Server.Reset] forgets requests and queued responses between test phases.
//
// # Concurrency
//
// A Server and its Responses are safe for concurrent use. [Server.Close]
// ends pending delays and streams, so no goroutine outlives it.
package openaitest
