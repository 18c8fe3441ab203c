// Package openaitest provides a fake OpenAI API server for tests, benchmarks
// and offline examples, in the spirit of [net/http/httptest].
//
// The [Server] listens on a loopback port and speaks OpenAI's wire format as
// OpenAI sends it today, so unmodified clients work against it and meet what
// they meet in production. With github.com/sashabaranov/go-openai:
//
//	srv := openaitest.NewServer()
//	defer srv.Close()
//	client := goopenai.NewClientWithConfig(srv.ClientConfig())
//
// With the official github.com/openai/openai-go (whose base URL ends in a
// slash):
//
//	client := openai.NewClient(option.WithBaseURL(srv.URL()+"/"),
//		option.WithAPIKey("test-key"), option.WithHTTPClient(srv.HTTPClient()))
//
// # Testing your code
//
// A test scripts what the model answers, runs the code under test against
// the server and checks what it did and what the server received:
//
//	srv.Enqueue(openaitest.RouteChatCompletions,
//		openaitest.ToolCallReply(openaitest.ToolCall{Name: "get_weather", Arguments: `{"city":"Paris"}`}),
//		openaitest.TextReply("It is sunny in Paris."))
//	answer := myAgent(ctx, client, "Weather in Paris?")
//	req, _ := srv.Requests()[1].ChatCompletionRequest() // the tool result went back
//
// [TextReply], [ToolCallReply] and [Reply] describe a model's answer once, and
// the server renders it for whatever route and mode the request uses: a chat
// completion or a Responses API response, plain JSON or a stream. [Error]
// scripts an HTTP error. The examples show each.
//
// # Routes and built-in answers
//
// Without a script the server answers deterministically, echoing the request's
// model (or a sensible default when it has none):
//
//   - POST /v1/chat/completions: one choice per "n" whose assistant text is
//     [DefaultChatReply], finish_reason "stop", and a usage object. With
//     "stream": true the same text arrives as server-sent events, one word per
//     chunk, in the chunk sequence [ChatChunks] describes.
//   - POST /v1/responses: a Responses API response whose output is a message
//     with [DefaultChatReply] (after an empty reasoning item for reasoning
//     models: gpt-5*, o1*, o3*, o4*), as JSON or as OpenAI's typed event
//     stream (see [Reply]).
//   - POST /v1/completions: [DefaultCompletionText], streamed or not, one
//     choice per prompt and per "n".
//   - POST /v1/embeddings: one unit vector per input, of
//     [DefaultEmbeddingDimensions] (or the request's "dimensions"), derived
//     from the input so equal inputs get equal vectors; base64 when
//     "encoding_format" is "base64".
//   - POST /v1/moderations: one unflagged result per input.
//   - POST /v1/images/generations: "n" blank images of the requested size,
//     as URLs that the server itself serves (dall-e models, by default) or
//     base64 (response_format "b64_json", and always for gpt-image models,
//     which also report token usage as OpenAI bills it).
//   - POST /v1/audio/transcriptions and /v1/audio/translations: a
//     multipart/form-data upload answered with [DefaultTranscript] in the
//     requested response_format: json (with usage: seconds for whisper-1,
//     tokens for the gpt-4o transcribe models), text, verbose_json, srt or
//     vtt. The audio's duration is read from WAV files and estimated from
//     the size of others.
//   - POST /v1/audio/speech: silent audio about as long as reading the
//     input takes, in the requested response_format with its Content-Type,
//     sent in chunks.
//
// Any other path answers 404 with OpenAI's error body, unless a response is
// scripted for it. Ids count up per server ("chatcmpl-openaitest-1",
// "resp_openaitest_2", ...); "created" is fixed at 2025-01-01T00:00:00Z; each
// answer carries an X-Request-Id header. Token counts are estimates at about
// four bytes per token, not a tokenizer's; [Response.WithUsage] sets exact
// ones.
//
// # Scripting
//
// [Server.Enqueue] queues responses for a route, each answering one request;
// when the queue is empty, the response given to [Server.SetDefault] answers
// every request, and without one the built-in answer does. Besides the
// replies above, responses are built with [JSON] (any go-openai response
// type, or raw JSON), [ChatStream] and [CompletionStream] (exact chunks,
// usually from [ChatChunks] and [CompletionChunks]), [Error] and [ErrorBody]
// (an HTTP status with OpenAI's error body), [Raw] and [Disconnect]. A
// [Response] is encoded once when it is built, so a default serves thousands
// of requests cheaply.
//
// # The wire format
//
// Answers follow what OpenAI sends today, which clients and recorders must
// handle: chat completions carry "service_tier", "system_fingerprint",
// "refusal": null and "annotations": []; choices without log probabilities
// leave the "logprobs" key out; a streamed choice opens with a role-only
// chunk ("content": "", or null before tool calls), sends each tool call
// whole, in turn, after a header chunk whose "arguments" is "", and several
// choices interleave irregularly; stream events carry OpenAI's
// "obfuscation" padding; streams have Content-Type
// "text/event-stream; charset=utf-8". [Wire] (set with [WithWire]) selects
// the variants older models and compatible servers send, and
// [CompactChatChunks] their chunk sequences.
//
// Chat and legacy completion streams frame each chunk as "data: {json}\n\n"
// and end with "data: [DONE]\n\n". When the request sets
// "stream_options": {"include_usage": true}, every chunk carries
// "usage": null and a last chunk with "choices": [] and the usage precedes
// [DONE]; without it, no usage is sent. Responses API streams send
// "event: <type>\ndata: {json}\n\n" events numbered by "sequence_number" and
// end after response.completed (or response.incomplete or response.failed)
// without [DONE], as OpenAI's do.
//
// # Faults
//
// [Response.CutAfter] drops the connection after some chunks, events or
// bytes, [Response.ErrorAfter] sends an error event mid-stream,
// [Response.WithChunkDelay] and [Response.WithDelay] slow a response down,
// [Error] answers with an HTTP error status, [Disconnect] hangs up without
// answering, and an [Answer] can stop incomplete or fail. The methods also
// apply to the built-in answers, through the zero Response:
// Response{}.CutAfter(3) cuts the built-in stream.
//
// # Recording
//
// [Server.Requests] returns every request received, with its headers and raw
// body; [Request] decodes the body into go-openai's request types, or parses
// a multipart upload. [Server.Reset] forgets requests and queued responses
// between test phases.
//
// # Concurrency
//
// A Server and its Responses are safe for concurrent use. [Server.Close]
// ends pending delays and streams, so no goroutine outlives it.
package openaitest
