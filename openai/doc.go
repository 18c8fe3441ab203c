/*
Package openai wraps github.com/sashabaranov/go-openai so that every call is
recorded as a Gentrace step with its cost and latency. The methods keep
go-openai's names, parameters, responses (embedded, with a PipelineRunID
added) and error values, so switching is a change of constructor:

	client := openai.NewClient(os.Getenv("OPENAI_API_KEY"))

Import it under another name when go-openai's package is imported too:

	import (
		gogpt "github.com/sashabaranov/go-openai"
		"github.com/gentrace/gentrace-go/openai"
	)

# Simple mode

A call with [WithPipelineSlug] becomes a one-step run submitted on its own;
the response carries its PipelineRunID (a stream carries it as soon as it
opens). [WithUserID], [WithMetadata] and [WithPreviousRunID] reach the run.
Without a slug and without a runner, nothing is recorded.

# Advanced mode

[Client.ForRunner] binds the client to a gentrace.Runner: every call adds
a step to that run, which the runner submits.

# What a step records

Chat: inputs are the (rendered) messages, user, tools and template inputs;
model params are every other request field plus the templates; outputs are
the response. Embeddings and moderations: inputs are the request without
model, model params are {model}. Values are snapshotted when the call
returns: changing the request or the response afterwards does not change
the record (values of go-openai's fields of type any are copied when they
are maps, slices, raw JSON or jsonschema definitions, and shared
otherwise). A client made with [NewClient] or [NewClientWithConfig]
records non-streamed chat completions and embeddings from the bodies that
crossed the wire (it wraps go-openai's HTTP client to keep a copy), so the
record is exactly what OpenAI received and answered and nothing is encoded
again; a client made with [Wrap] records copies of go-openai's structs.
OpenAI's errors are recorded on the step and returned unchanged.

# Templates

[WithContentInputs] (chat) and [WithPromptInputs] (completions) render
Mustache templates before the call: {{x}} is HTML-escaped, {{{x}}} is not.
Partials ({{> name}}) render as nothing: no file is ever read. A template
that does not parse is [ErrTemplate], returned before anything is sent.

# Streams

Recv passes every chunk on at once and unchanged. The step aggregates all
choices by index, tool calls by their index, each choice's finish reason
and the usage when present; it is recorded when the stream ends, fails or
is closed early (recorded with "closedEarly": true and null finish
reasons). A choice keeps only what the stream carried. Time to first
token is measured.

# Cost and token estimation

Cost in US dollars comes from the embedded, dated table of package
github.com/gentrace/gentrace-go/pricing (set another with
[WithPriceTable]): the exact model first, then its alias (the name without
a date suffix), then the table's written-down family rules; never a prefix
of another model's name. An unknown model has no cost and is logged once; a
free model (moderations, which report no usage) costs 0. When a stream
carries no usage, tokens are counted with tiktoken when the step is
completed, off the caller's path, and marked Estimated; tool definitions
are counted as the model reads them, and the counts of long texts are
remembered in a bounded cache, since every call of a conversation resends
its history.
[WithExactStreamUsage] and [WithExactUsage] ask OpenAI for exact usage
instead and hide the extra chunk from a caller who did not ask for it.
*/
package openai
