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
gentrace.Pipeline.Start (or to a simple-mode OpenAI call) carries a span,
the run span is its child, so a run recorded while handling a traced
request joins that request's trace.

Spans are made once per run, when the client first tries to deliver it
to Gentrace, on a delivery goroutine, with the recorded start and end
times (trace.WithTimestamp), so they cost the caller nothing; a run
Gentrace then refuses still has its spans. Runs that are never sent
(dropped because the queue is full or still queued when Shutdown's
deadline passes, or refused as invalid before sending) have no spans.
After Client.Flush returns, the spans of the runs it waited for have
been handed to the tracer provider.

Step spans:

  - openai_createChatCompletion: LLM, named "ChatCompletion".
  - openai_createCompletion: LLM, named "Completion"; prompts and texts
    as llm.prompts.{i}.prompt.text and llm.choices.{i}.completion.text.
  - openai_createEmbedding: EMBEDDING, named "CreateEmbeddings".
  - openai_createModeration: GUARDRAIL (OpenInference's kind for a
    moderation check), named "Moderation", with
    gentrace.moderation.flagged true when any input was flagged.
  - any other step (Measure, Checkpoint, other providers): CHAIN, named
    after its invocation, or "step" when it is undeclared, with its
    inputs and outputs as input.value and output.value.

# Attributes

LLM spans carry llm.model_name (the model the response names, else the
requested one), llm.provider and llm.system ("openai"),
llm.invocation_parameters (the step's model parameters as JSON),
llm.input_messages.{i}.message.role|content|name|tool_call_id|tool_calls
(and message.contents for multi-part content), llm.tools.{i}.tool.json_schema,
llm.output_messages.{i}.message.* from the response's choices,
llm.token_count.prompt|completion|total (and
llm.token_count.prompt_details.cache_read when tokens were cached),
llm.cost.total (US dollars, when the model has a price), and input.value
and output.value, the step's inputs and outputs as recorded for
Gentrace, with input.mime_type and output.mime_type "application/json".

EMBEDDING spans follow OpenInference's embedding conventions: the model
is embedding.model_name and the parameters embedding.invocation_parameters
(llm.system and llm.provider are not used on embedding spans);
embedding.embeddings.{i}.embedding.text holds text inputs and
embedding.embeddings.{i}.embedding.vector the vectors; token counts are
llm.token_count.prompt and llm.token_count.total.

Every span carries the context attributes set with gentrace.WithAttributes
(or WithUser, WithSession): session.id, user.id, metadata (a JSON object
of plain values: strings, booleans, and the URL of a url value), tag.tags
(a list of strings), llm.prompt_template.template,
llm.prompt_template.version and llm.prompt_template.variables (JSON). A
step span takes them from the context of its call where that context set
them, else from the run's context. user.id is the run's user ID, because a
user ID belongs to the whole run; session.id falls back to the run
metadata "sessionId". The run span's metadata is the run's merged
metadata as sent to Gentrace; a step span's is its context's metadata
overlaid with the step's own.

Gentrace-specific attributes use the gentrace. prefix:
gentrace.run_id (every span), gentrace.pipeline_slug and
gentrace.previous_run_id (run span), gentrace.provider_name and
gentrace.invocation (step spans), gentrace.token_count.estimated (true
when token counts were estimated with a tokenizer because a stream
carried no usage), gentrace.stream.closed_early (true when the caller
closed a stream before its end: the output is partial but the span is
not an error) and gentrace.time_to_first_token_ms (streams, with a
"first_token" span event at that instant).

# Errors

A step that failed has status Error with the step's error text, and an
"exception" event with exception.message; so does the run span when the
run has an error (gentrace.Runner.SetError). Other spans leave the status
unset, as OpenTelemetry asks of instrumentation.

# Privacy

[WithHideInputs], [WithHideOutputs] and [WithHideEmbeddingVectors] leave
out prompts, answers and vectors, in the manner of OpenInference's
OPENINFERENCE_HIDE_* settings. To mask values in both Gentrace and the
spans, use gentrace.WithTransform: spans are made from the transformed
steps.
*/
package openinference
