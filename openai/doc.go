/*
Package openai records the calls of github.com/sashabaranov/go-openai as
Gentrace steps, with their cost and latency, through the wire recorder of
package github.com/gentrace/gentrace-go/openaihttp. It offers two ways in;
the examples import go-openai as goopenai.

# An unmodified go-openai client

Record makes a go-openai configuration record, and the client keeps
go-openai's own types, so code written against *goopenai.Client (or an
interface it satisfies) keeps compiling:

	client := goopenai.NewClientWithConfig(openai.Record(goopenai.DefaultConfig(key)))

	ctx, run, err := pipeline.Start(ctx, gentrace.RunContext{UserID: "user-1"})
	if err != nil {
		return err
	}
	defer run.End(&err)
	resp, err := client.CreateChatCompletion(ctx, req) // a step of run

A call made under a context that carries a run records into it; under
gentrace.WithPipeline it becomes a one-step run; otherwise it is not
recorded.

# The wrapper

Client embeds *goopenai.Client and adds what only a wrapper can:

  - simple mode per call: WithPipelineSlug (with WithUserID, WithMetadata,
    WithPreviousRunID) makes the call a one-step run, and the response
    carries its PipelineRunID (a stream carries it as soon as it opens);
  - Mustache templates: WithContentInputs (chat) and WithPromptInputs
    (completions) render the request and record templates and inputs;
  - WithStepMetadata for the call's step.

Its methods keep go-openai's names and parameters (CreateChatCompletion,
CreateChatCompletionStream, CreateCompletion, CreateCompletionStream,
CreateEmbeddings, Moderations, CreateResponse, CreateResponseStream,
CreateImage, CreateTranscription, CreateTranslation, CreateSpeech), take
optional CallOptions, return go-openai's responses with PipelineRunID
added, and return OpenAI's errors unchanged.

# Templates

Templates render with Mustache without HTML escaping: prompts are not HTML,
and {{code}} reaches the model as written. WithHTMLEscaping restores
Mustache's escaping of {{x}}, as the other Gentrace SDKs render; {{{x}}}
never escapes. Partials ({{> name}}) render as nothing: no file is ever
read. A template that does not parse is ErrTemplate, returned before
anything is sent.

# What a step records

See package openaihttp: inputs and model params split from the request
body as sent, outputs as OpenAI answered them, streams assembled, cost
from the price table, and usage estimated with the model's tokenizer when
a stream carries none.
*/
package openai
