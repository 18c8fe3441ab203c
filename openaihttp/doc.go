/*
Package openaihttp records OpenAI API calls at the HTTP layer, as Gentrace
steps with their cost and latency. One recorder serves every client: the
OpenAI wrapper of package github.com/gentrace/gentrace-go/openai, an
unmodified go-openai client, the official openai-go client (through its
middleware option, module github.com/gentrace/gentrace-go/openaigo), or any
http.Client.

	rec := openaihttp.New()
	hc := &http.Client{Transport: rec.Transport(nil)}

A call records into the run its request's context carries
(gentrace.Pipeline.Start), or becomes a one-step run when the context names
a pipeline (gentrace.WithPipeline). A call made under a context with
neither passes through untouched and is not recorded.

# What is recorded

The recorder routes by path (POST, under any base path, Azure's included):

	/chat/completions        openai_createChatCompletion
	/completions             openai_createCompletion
	/embeddings              openai_createEmbedding
	/moderations             openai_createModeration
	/responses               openai_createResponse
	/images/generations      openai_createImage
	/audio/transcriptions    openai_createTranscription
	/audio/translations      openai_createTranslation
	/audio/speech            openai_createSpeech

Inputs are the request fields that carry the prompt (chat: messages, user,
tools; Responses: input, instructions, tools, previous_response_id;
embeddings and moderations: input; images: prompt; audio: the file, by name
and size, and the prompt; speech: input and instructions); model params are
every other request field. Outputs are the response's fields as OpenAI sent
them, byte for byte, plus "cost". A streamed chat or completion is recorded
as the answer it adds up to: choices by index, tool calls by their index
with their arguments joined, each choice's own finish_reason, every
top-level field the chunks carried, and the usage when the stream has it. A
streamed Responses call records the response of its response.completed
event; one that ends early records the items and deltas that arrived.
Speech answers are recorded by their type and size, not their audio.

Status "failed" or "incomplete" of a Responses answer, an error answer, an
error event in a stream, a stream cut before its end, and a transport error
are the step's error; the caller gets them unchanged. A stream the caller
closes before its end is recorded with "closedEarly": true; one read until
every choice has finished is complete. A response body that is neither
read to its end nor closed is recorded when it is garbage collected.

Outputs also carry "timeToFirstTokenMs" for streams, and for a stream
without usage "usage" (estimated with the model's tokenizer),
"usageEstimated": true and, when the estimate could not measure
everything, "usageEstimateOmits": short sentences saying what (a reasoning
model's hidden reasoning tokens, an image given by URL, audio).

Estimates count what the model reads: messages with OpenAI's per-message
framing, tool and function definitions in the TypeScript-like layout OpenAI
renders them in, images by their tiles (dimensions read from data URLs), and
generated tool calls with the framing the model emits; the counts match the
published references (see internal/tokens).

Costs come from package github.com/gentrace/gentrace-go/pricing: the exact
model the answer names, its dated alias, or a written family rule, never a
prefix of another model; text, cached, audio and image tokens, seconds of
audio and characters of speech each at their own rate.

# What passes through

The caller gets the response as the server sent it: the recorder keeps a
copy of what the caller reads, chunk by chunk, and parses it later, when the
step is completed on a delivery goroutine. Request bodies stay replayable
for the client's retries. A body larger than the size cap
(DefaultMaxBodyBytes, WithMaxBodyBytes) is recorded as its start with the
count of bytes left out, and the model and usage found at its end; the
caller's bytes are never cut. A body that is not the JSON it should be is
recorded as text, with "recordingError".

# Retries

A client that retries sends each attempt through the recorder (openai-go
calls its middleware once per attempt). Attempts it numbers with
X-Stainless-Retry-Count, as openai-go does, make one step: an error answer
it retries is held until the next attempt, whose step then starts with the
first and counts the attempts in "attempt" and their errors in
"attemptErrors" (see Recorder.Do).

# Exact usage

A chat stream sent to OpenAI's own API asks for stream_options.include_usage
unless it already does, and the extra usage-only chunk is hidden from the
caller, who did not ask for it; other endpoints keep estimating
(WithStreamUsage changes this).

# Azure

Calls to Azure OpenAI (its hosts, /openai/deployments/ paths or the api-key
header) record as OpenAI calls (providerName "openai"), priced by the model
the response names rather than the deployment; Step.Platform is "azure",
which OpenInference spans report as llm.provider.
*/
package openaihttp
