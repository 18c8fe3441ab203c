/*
Package openinference exports the runs that gentrace-go records as
OpenTelemetry spans that follow the OpenInference semantic conventions,
so that the same model calls appear both in Gentrace and in any
OpenTelemetry backend (Arize Phoenix, Jaeger, an OTLP collector).

	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter))
	client, err := gentrace.New(gentrace.WithObserver(
		openinference.New(openinference.WithTracerProvider(tp)),
	))

Without [WithTracerProvider] the global provider (otel.GetTracerProvider)
is used; the package never sets a global.

# Span shape

Each run becomes one trace fragment: a run span (openinference.span.kind
CHAIN, named after the pipeline slug) with one child span per step, in
the order the steps were recorded. When the context given to
gentrace.Pipeline.Start (or to a model call made under
gentrace.WithPipeline, simple mode) carries a span,
the run span is its child, so a run recorded while handling a traced
request joins that request's trace.

Spans are made once per run, when the client hands the finished run to
its observers (gentrace.Observer.EndRun), off the caller's path, with the
recorded start and end times (trace.WithTimestamp), so they cost the
caller nothing. See gentrace.Observer for which runs reach observers and
when.

Step spans, by the invocation package openaihttp records:

  - openai_createChatCompletion: LLM, named "ChatCompletion".
  - openai_createCompletion: LLM, named "Completion"; prompts and texts
    as llm.prompts.{i}.prompt.text and llm.choices.{i}.completion.text.
  - openai_createResponse (the Responses API): LLM, named "Response".
  - openai_createImage, openai_createTranscription,
    openai_createTranslation, openai_createSpeech: LLM, named "Image",
    "Transcription", "Translation" and "Speech".
  - openai_createEmbedding: EMBEDDING, named "CreateEmbeddings".
  - openai_createModeration: GUARDRAIL (OpenInference's kind for a
    moderation check), named "Moderation", with
    gentrace.moderation.flagged true when any input was flagged.
  - any other step (Measure, Checkpoint, other providers and OpenAI
    calls): CHAIN, named after its invocation, or "step" when it is
    undeclared, with its inputs and outputs as input.value and
    output.value.

# Attributes

LLM spans carry llm.model_name (the model the response names, else the
requested one: an Azure deployment's answer names the model behind it),
llm.system ("openai"), llm.provider ("azure" for Azure OpenAI, whose API
is OpenAI's, else "openai"), llm.invocation_parameters (the step's model
parameters, every request field that is not an input, as JSON),
llm.token_count.prompt|completion|total, llm.cost.total (US dollars, when
the model has a price), and input.value and output.value, the step's
inputs and outputs as recorded for Gentrace, with input.mime_type and
output.mime_type "application/json". Images and sound are not
copied into spans: base64 images in an answer (an images answer's
b64_json, a Responses image_generation_call's result) and a chat
message's audio data are replaced in output.value by their length;
speech and uploaded audio files are recorded by their size already.

Token details come from the answer's usage, in its chat shape
(prompt_tokens_details, completion_tokens_details) or its Responses and
audio shapes (input_tokens_details, output_tokens_details,
input_token_details), wherever the answer has them, zeros included:
llm.token_count.prompt_details.cache_read (cached_tokens),
llm.token_count.prompt_details.audio and
llm.token_count.completion_details.audio (audio_tokens) and
llm.token_count.completion_details.reasoning (reasoning_tokens).

Messages follow OpenInference's flattened lists:
llm.input_messages.{i}.message.role|content|name|tool_call_id, with
message.contents.{j}.message_content.type|text|image.image.url for
content given as a list (text parts have type "text", images "image",
other parts OpenAI's type and no data),
message.tool_calls.{j}.tool_call.id|function.name|function.arguments, and
message.function_call_name|function_call_arguments_json; the same under
llm.output_messages, and the tools offered as
llm.tools.{i}.tool.json_schema.

  - Chat: the request's messages; one output message per choice.
  - Responses API: the instructions as a system message, then the input:
    a string is a user message; of a list of items, messages keep their
    role, function_call items are the tool calls of an assistant message
    (of the assistant message just before, else of a new one, so that
    parallel calls share a message, as in chat), and function_call_output
    items are tool messages. Output messages come from the output items
    the same way, a message's text parts (and refusals) joined as its
    message.content. Reasoning items and their summaries, item
    references and built-in tool calls are not messages.

EMBEDDING spans follow OpenInference's embedding conventions: the model
is embedding.model_name and every request field but the input
(model, dimensions, encoding_format, user) is in
embedding.invocation_parameters (llm.system and llm.provider are not used
on embedding spans); embedding.embeddings.{i}.embedding.text holds text
inputs and embedding.embeddings.{i}.embedding.vector the vectors, sent as
numbers or as base64; token counts are llm.token_count.prompt and
llm.token_count.total.

Every span carries the context attributes set with gentrace.WithUser,
gentrace.WithSession and gentrace.WithAttributes: session.id, user.id,
metadata (a JSON object of plain values: strings, booleans, and the URL
of a url value), tag.tags (a list of strings),
llm.prompt_template.template, llm.prompt_template.version and
llm.prompt_template.variables (JSON). A step span takes the attributes
from the context of its call where that context set them, else from the
run's context. user.id and session.id are the run's, because they belong
to the whole run; session.id falls back to the run metadata "sessionId". The run span's metadata is the run's merged
metadata as sent to Gentrace; a step span's is its context's metadata
overlaid with the step's own.

Gentrace-specific attributes use the gentrace. prefix:
gentrace.run_id (every span), gentrace.pipeline_slug and
gentrace.previous_run_id (run span), gentrace.provider_name and
gentrace.invocation (step spans), gentrace.token_count.estimated (true
when token counts were estimated with a tokenizer because a stream
carried no usage), gentrace.token_count.estimate_omits (what such an
estimate is known to leave out, such as "reasoning_tokens" for a
reasoning model), gentrace.stream.closed_early (true when the caller
closed a stream before its end: the output is partial but the span is
not an error) and gentrace.time_to_first_token_ms (streams, with a
"first_token" span event at that instant).

# Errors

A step that failed has status Error with the step's error text, and an
"exception" event with exception.message; so does the run span when the
run has an error (gentrace.Runner.SetError, gentrace.Runner.End). Other spans leave the status
unset, as OpenTelemetry asks of instrumentation.

# Privacy

[WithHideInputs], [WithHideOutputs] and [WithHideEmbeddingVectors] leave
out prompts, answers and vectors, in the manner of OpenInference's
OPENINFERENCE_HIDE_* settings. To mask values in both Gentrace and the
spans, use gentrace.WithTransform: spans are made from the transformed
steps.
*/
package openinference
