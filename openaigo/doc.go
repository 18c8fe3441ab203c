/*
Package openaigo records the calls of the official OpenAI Go client,
github.com/openai/openai-go/v3, as Gentrace steps with their cost and
latency. It is a thin layer over the wire recorder of package
github.com/gentrace/gentrace-go/openaihttp, installed through openai-go's
middleware option, so the same steps come out of openai-go, go-openai and
the gentrace-go wrapper. It is a module of its own, so that programs that
do not use openai-go do not carry it.

# Recording a client

Record makes a client record; its types and methods stay openai-go's own:

	client := openai.NewClient(option.WithAPIKey(key), openaigo.Record())

	ctx, run, err := pipeline.Start(ctx, gentrace.RunContext{UserID: "user-1"})
	if err != nil {
		return err
	}
	defer run.End(&err)
	resp, err := client.Chat.Completions.New(ctx, params) // a step of run

A call made under a context that carries a run records into it; under
gentrace.WithPipeline it becomes a one-step run; otherwise it is not
recorded. Middleware gives the middleware itself, to share a recorder
or to install it for one request.

# Simple mode per request

WithPipeline makes one call a one-step run of a pipeline, WithRunID
receives its PipelineRunID, and WithStepMetadata sets its step's metadata
(in either mode):

	var runID string
	resp, err := client.Chat.Completions.New(ctx, params,
		openaigo.WithPipeline(pipeline, gentrace.RunContext{UserID: "user-1"}),
		openaigo.WithRunID(&runID))

openai-go runs a client's middleware before a request's, so the recorder
installed on the client sees a call before the request's options: the run
or pipeline a context names wins over WithPipeline (which is then reported
as ErrRunOption), and WithPipeline records through the client's recorder,
or through one of its own on a client without one.

# What openai-go users keep

Bodies pass through unchanged and unbuffered, streams (ssestream) chunk by
chunk. Errors reach the caller as openai-go made them (*openai.Error), and
option.WithResponseInto and the raw responses are the server's. openai-go
retries a failed attempt through the same middleware: its attempts record
one step, which starts with the first, counts them in "attempt" and lists
the errors of the failed ones in "attemptErrors" (see
openaihttp.Recorder.Do). Azure OpenAI through openai-go's azure package
records as OpenAI (providerName "openai", priced by the model the response
names), with Step.Platform "azure".

# What a step records

See package openaihttp: the calls it routes (chat completions, legacy
completions, embeddings, moderations, the Responses API, images, audio),
inputs and model params split from the request, outputs as OpenAI answered
them, streams assembled, time to first token, cost from the price table,
and usage estimated when a stream carries none. A chat stream sent to
OpenAI's own API asks for its exact usage, and the extra chunk is hidden
from openai-go (openaihttp.WithStreamUsage).
*/
package openaigo
