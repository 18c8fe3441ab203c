package openaitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	goopenai "github.com/sashabaranov/go-openai"
)

type kind uint8

const (
	kindDefault    kind = iota // the route's built-in answer
	kindJSON                   // a non-streamed JSON body
	kindStream                 // an SSE stream
	kindRaw                    // a body sent verbatim, whatever the request
	kindDisconnect             // the connection is closed without an answer
	kindReply                  // an Answer, rendered per route and request
	kindBuiltin                // a built-in answer rendered per request (images, speech)
)

// Response is one scripted answer of the [Server]. Build it with [Reply],
// [TextReply] or [ToolCallReply] (a model's answer, for whatever route and
// streaming mode the request uses), [JSON], [ChatStream] or
// [CompletionStream] (an exact body or chunk sequence), [Error] or
// [ErrorBody] (an HTTP error), [Raw] or [Disconnect]; adjust it with its
// With... and ...After methods, and hand it to [Server.Enqueue] or
// [Server.SetDefault].
//
// A Response is an immutable value: every method returns a modified copy, and
// the bytes it sends are encoded once, when it is built, so one Response can
// serve any number of requests, concurrently.
//
// The zero Response stands for the route's built-in default answer, and its
// methods apply to that answer too: Response{}.WithChunkDelay(d) slows down
// the built-in stream.
//
// Fields that OpenAI always sets but a scripted go-openai value leaves zero
// are filled per request: id (a per-server sequence such as
// "chatcmpl-openaitest-1"), object, created (2025-01-01T00:00:00Z), model
// (echoed from the request), usage (estimated from the request and the
// reply, at about four bytes per token), and on chat answers service_tier,
// system_fingerprint and logprobs as the server's [Wire] says.
type Response struct {
	kind   kind
	status int
	header http.Header

	body   *template // kindJSON, kindRaw
	body64 *template // embeddings with "encoding_format": "base64"

	chunks     []*template // kindStream
	usageChunk *template   // the usage-only chunk before [DONE]
	obfuscate  bool        // chunks get an "obfuscation" member (chat streams)

	reply *replyPlan // kindReply

	usage         *goopenai.Usage // explicit usage (WithUsage)
	usageJSON     []byte          // usage, JSON-encoded
	completionEst int             // estimated completion tokens of the reply
	reasoningEst  int             // the part of completionEst spent reasoning

	delay      time.Duration
	chunkDelay time.Duration
	cut        int                // k+1: cut the connection after k chunks or bytes; 0: never
	errAt      int                // k+1: send errEvent after k chunks; 0: never
	errEvent   []byte             // a complete "data: {...}\n\n" error event
	errAPI     *goopenai.APIError // the error of errEvent, for the Responses API's framing

	err error // why the Response could not be built; served as a 500
}

func newResponse(k kind, status int) Response {
	return Response{kind: k, status: status}
}

func failed(err error) Response {
	return scriptError(fmt.Errorf("openaitest: cannot encode scripted response: %w", err))
}

// scriptError returns a Response that answers 500 with err's message, for a
// script that cannot answer the request it meets.
func scriptError(err error) Response {
	r := newResponse(kindJSON, http.StatusInternalServerError)
	r.err = err
	return r
}

// JSON returns a 200 response whose body is v encoded as JSON.
//
// The go-openai response types ([goopenai.ChatCompletionResponse],
// [goopenai.CompletionResponse], [goopenai.EmbeddingResponse],
// [goopenai.ModerationResponse], or pointers to them) are sent in OpenAI's own
// wire shape, with zero id, object, created, model and usage filled per request
// (see [Response]); an embeddings response is base64-encoded for requests that
// ask for "encoding_format": "base64". A [json.RawMessage] or []byte is sent
// verbatim, valid or not; anything else is encoded with encoding/json as is.
//
// JSON answers only non-streamed requests; a request with "stream": true gets a
// 400 error that names the mismatch. A value that cannot be encoded yields a
// Response that answers 500 with the encoding error as its message.
func JSON(v any) Response {
	r := newResponse(kindJSON, http.StatusOK)
	var err error
	switch v := v.(type) {
	case json.RawMessage:
		r.body = rawTemplate(v)
	case []byte:
		r.body = rawTemplate(v)
	case goopenai.ChatCompletionResponse:
		return JSON(&v)
	case *goopenai.ChatCompletionResponse:
		r.body, err = compile(wireChatResponseOf(v))
		n := 0
		for _, c := range v.Choices {
			n += messageBytes(c.Message)
		}
		r.completionEst = tokens(n)
	case goopenai.CompletionResponse:
		return JSON(&v)
	case *goopenai.CompletionResponse:
		r.body, err = compile(wireCompletionOf(v, rawHole(holeUsage)))
		n := 0
		for _, c := range v.Choices {
			n += len(c.Text)
		}
		r.completionEst = tokens(n)
	case goopenai.EmbeddingResponse:
		return JSON(&v)
	case *goopenai.EmbeddingResponse:
		r.body, r.body64, err = compileEmbeddings(v)
	case goopenai.ModerationResponse:
		return JSON(&v)
	case *goopenai.ModerationResponse:
		r.body, err = compile(wireModerationResponse{
			ID:      orHole(v.ID, holeID),
			Model:   orHole(v.Model, holeModel),
			Results: v.Results,
		})
	default:
		r.body, err = compile(v)
	}
	if err != nil {
		return failed(err)
	}
	return r
}

func compileEmbeddings(v *goopenai.EmbeddingResponse) (floats, b64 *template, err error) {
	w := wireEmbeddingResponse{
		Object: orDefault(v.Object, "list"),
		Data:   make([]wireEmbedding, len(v.Data)),
		Model:  orHole(string(v.Model), holeModel),
		Usage:  rawHole(holeEmbedding),
	}
	if v.Usage != (goopenai.Usage{}) {
		w.Usage = struct {
			PromptTokens int `json:"prompt_tokens"`
			TotalTokens  int `json:"total_tokens"`
		}{v.Usage.PromptTokens, v.Usage.TotalTokens}
	}
	for i, e := range v.Data {
		w.Data[i] = wireEmbedding{Object: orDefault(e.Object, "embedding"), Index: e.Index, Embedding: e.Embedding}
	}
	if floats, err = compile(w); err != nil {
		return nil, nil, err
	}
	for i, e := range v.Data {
		w.Data[i].Embedding = string(appendBase64Vector(nil, e.Embedding))
	}
	b64, err = compile(w)
	return floats, b64, err
}

// Raw returns a response with the given status whose body is sent verbatim,
// whatever the request asked for (streamed or not). Its Content-Type is
// application/json unless set with [Response.WithHeader]. Raw is the tool for
// malformed bodies, non-OpenAI proxies answering 502 with HTML, or a hand-made
// event stream (set Content-Type to text/event-stream).
func Raw(status int, body []byte) Response {
	r := newResponse(kindRaw, status)
	r.body = rawTemplate(body)
	return r
}

// Error returns a response with the given HTTP status and an OpenAI error body
// {"error":{"message":..,"type":..,"param":null,"code":..}}. The type and code
// follow what OpenAI sends for the status: 401 invalid_request_error with code
// invalid_api_key, 429 requests with code rate_limit_exceeded, 5xx
// server_error, any other status invalid_request_error. go-openai turns it into
// an *[goopenai.APIError] carrying the status and message. Use [ErrorBody] to
// set every field.
func Error(status int, message string) Response {
	e := goopenai.APIError{Message: message, Type: "invalid_request_error"}
	switch {
	case status == http.StatusUnauthorized:
		e.Code = "invalid_api_key"
	case status == http.StatusTooManyRequests:
		e.Type, e.Code = "requests", "rate_limit_exceeded"
	case status >= 500:
		e.Type = "server_error"
	}
	return ErrorBody(status, e)
}

// ErrorBody returns a response with the given HTTP status and e as the OpenAI
// error body. Only e's Message, Type, Param and Code are sent; Param and Code
// are null when nil.
func ErrorBody(status int, e goopenai.APIError) Response {
	b, err := json.Marshal(wireErrorOf(e))
	if err != nil {
		return failed(err)
	}
	r := newResponse(kindRaw, status)
	r.body = rawTemplate(b)
	return r
}

// Disconnect returns a response that closes the connection as soon as the
// request is read, without sending a status line: the client sees a transport
// error (io.EOF), as with a crashed proxy.
func Disconnect() Response {
	return newResponse(kindDisconnect, 0)
}

// ChatStream returns a streamed chat completion that sends chunks as
// "data: {json}\n\n" server-sent events, flushing after each, then
// "data: [DONE]\n\n", with Content-Type text/event-stream. [ChatChunks] builds
// typical chunks.
//
// Chunks are sent as given, with zero id, object, created and model filled per
// request; all chunks of one stream share one id. A chunk whose delta carries
// only role "assistant" opens its choice as OpenAI does: "content": "" (or
// null, when the choice streams tool calls or a refusal and no content) and
// "refusal": null (or "" before a refusal). Zero service_tier,
// system_fingerprint and logprobs follow the server's [Wire], and so does
// the "obfuscation" member each chunk gets.
//
// When the request sets "stream_options": {"include_usage": true}, every chunk
// also carries "usage": null and a usage-only chunk ("choices": [], usage set)
// precedes [DONE], as OpenAI does; its usage is [Response.WithUsage]'s, else
// an estimate. Without include_usage no usage is sent, unless a chunk carries
// one itself (which lets tests model servers that misbehave).
//
// ChatStream answers only requests with "stream": true; others get a 400 error
// that names the mismatch.
func ChatStream(chunks ...goopenai.ChatCompletionStreamResponse) Response {
	r := newResponse(kindStream, http.StatusOK)
	r.obfuscate = true
	r.chunks = make([]*template, len(chunks))
	openings := roleOpenings(chunks)
	n := 0
	for i := range chunks {
		c := &chunks[i]
		t, err := compile(wireChatChunkOf(c, openings))
		if err != nil {
			return failed(err)
		}
		t.usage = c.Usage != nil
		r.chunks[i] = t
		for _, ch := range c.Choices {
			n += deltaBytes(ch.Delta)
		}
	}
	r.completionEst = tokens(n)
	last := wireChatChunk{ID: sentinels[holeID], Object: "chat.completion.chunk", Created: defaultCreated,
		Model: sentinels[holeModel], ServiceTier: rawHole(holeTierHead), Choices: []wireChunkChoice{},
		Usage: rawHole(holeUsage)}
	if len(chunks) > 0 {
		first := wireChatChunkOf(&chunks[0], nil)
		last.ID, last.Object, last.Created, last.Model = first.ID, first.Object, first.Created, first.Model
		last.ServiceTier, last.SystemFingerprint = first.ServiceTier, first.SystemFingerprint
	}
	var err error
	if r.usageChunk, err = compile(last); err != nil {
		return failed(err)
	}
	r.usageChunk.usage = true
	return r
}

// CompletionStream is [ChatStream] for the legacy completions route: chunks
// are go-openai's [goopenai.CompletionResponse] values, as [CompletionChunks]
// builds them, and the same framing, filling and usage rules apply.
func CompletionStream(chunks ...goopenai.CompletionResponse) Response {
	r := newResponse(kindStream, http.StatusOK)
	r.chunks = make([]*template, len(chunks))
	n := 0
	for i := range chunks {
		c := &chunks[i]
		t, err := compile(wireCompletionOf(c, nil))
		if err != nil {
			return failed(err)
		}
		t.usage = c.Usage != nil
		r.chunks[i] = t
		for _, ch := range c.Choices {
			n += len(ch.Text)
		}
	}
	r.completionEst = tokens(n)
	var head goopenai.CompletionResponse
	if len(chunks) > 0 {
		head = goopenai.CompletionResponse{ID: chunks[0].ID, Object: chunks[0].Object,
			Created: chunks[0].Created, Model: chunks[0].Model}
	}
	last := wireCompletionOf(&head, rawHole(holeUsage))
	var err error
	if r.usageChunk, err = compile(last); err != nil {
		return failed(err)
	}
	r.usageChunk.usage = true
	return r
}

// WithHeader returns a copy of r that also sends the header key: value,
// replacing any default (Content-Type, X-Request-Id), for example Retry-After
// on a 429 or the x-ratelimit-* headers go-openai reads.
func (r Response) WithHeader(key, value string) Response {
	h := r.header.Clone()
	if h == nil {
		h = make(http.Header)
	}
	h.Set(key, value)
	r.header = h
	return r
}

// WithDelay returns a copy of r that waits d before sending the status line,
// as a slow model would. The wait ends early when the client goes away or the
// server closes.
func (r Response) WithDelay(d time.Duration) Response {
	r.delay = d
	return r
}

// WithChunkDelay returns a copy of r that waits d before each event of a
// stream (the usage-only chunk included, [DONE] excluded); headers are sent at
// once. It has no effect on other responses.
func (r Response) WithChunkDelay(d time.Duration) Response {
	r.chunkDelay = d
	return r
}

// WithUsage returns a copy of r that reports u instead of an estimate: in the
// usage-only chunk of a stream requested with include_usage, for a [JSON]
// response whose scripted usage is zero in its body, and for a [Reply] in
// whatever shape the route uses. On the Responses API, u's PromptTokens,
// CompletionTokens and TotalTokens become input_tokens, output_tokens and
// total_tokens, and its cached and reasoning token details become
// input_tokens_details.cached_tokens and
// output_tokens_details.reasoning_tokens.
func (r Response) WithUsage(u goopenai.Usage) Response {
	r.usage = &u
	r.usageJSON = appendUsage(nil, &u)
	return r
}

// CutAfter returns a copy of r that closes the connection abruptly after k
// stream chunks (for a stream; events on the Responses API; 4 KiB pieces of
// built-in speech audio) or k bytes of the body (for any other response),
// without [DONE] or the end of the body: go-openai's Recv then returns
// io.ErrUnexpectedEOF. k beyond the last chunk cuts just before [DONE], so
// the usage-only chunk is not sent. A negative k never cuts.
func (r Response) CutAfter(k int) Response {
	r.cut = max(k+1, 0)
	return r
}

// ErrorAfter returns a copy of r that, after k stream chunks, sends an error
// event data: {"error":{...}} and ends the stream without [DONE], as OpenAI
// does when a generation fails midway. go-openai's Recv then returns an error
// wrapping an *[goopenai.APIError] with e's message. e.Type defaults to
// "server_error". On a Responses API stream (see [Reply]) the error is
// OpenAI's "error" event, {"type":"error","code":..,"message":..,"param":..},
// after k events. It has no effect on responses that are not streams.
func (r Response) ErrorAfter(k int, e goopenai.APIError) Response {
	e.Type = orDefault(e.Type, "server_error")
	b, err := json.Marshal(wireErrorOf(e))
	if err != nil {
		return failed(err)
	}
	ev := make([]byte, 0, len(b)+8)
	ev = append(ev, "data: "...)
	ev = append(ev, b...)
	ev = append(ev, "\n\n"...)
	r.errAt, r.errEvent, r.errAPI = max(k+1, 1), ev, &e
	return r
}
