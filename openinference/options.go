package openinference

import "go.opentelemetry.io/otel/trace"

// Option configures an Observer in New.
type Option func(*config)

type config struct {
	provider    trace.TracerProvider // nil: the global provider, looked up per run
	hideInputs  bool
	hideOutputs bool
	hideVectors bool
}

// WithTracerProvider sets the provider the spans are made with. By default,
// or with nil, the global provider (otel.GetTracerProvider) is looked up
// each time a run's spans are made, so a provider installed after New is
// used. The Observer never sets any global.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.provider = tp }
}

// WithHideInputs leaves out what was sent to a model or step, which may
// hold personal data: input.value and input.mime_type,
// llm.input_messages.* (a Responses call's instructions included),
// llm.prompts.*, embedding.embeddings.*.embedding.text and
// llm.prompt_template.variables. Model parameters, tools and context
// attributes are kept. It is the counterpart of OpenInference's
// OPENINFERENCE_HIDE_INPUTS.
func WithHideInputs() Option {
	return func(c *config) { c.hideInputs = true }
}

// WithHideOutputs leaves out what a model or step returned: output.value
// and output.mime_type, llm.output_messages.*, llm.choices.* and
// embedding vectors. Token counts, cost and errors are kept. It is the
// counterpart of OpenInference's OPENINFERENCE_HIDE_OUTPUTS.
func WithHideOutputs() Option {
	return func(c *config) { c.hideOutputs = true }
}

// WithHideEmbeddingVectors leaves out embedding.embeddings.*.embedding.vector,
// which can be large (output.value, the whole response, still carries the
// vectors unless WithHideOutputs is given too). It is the counterpart of
// OpenInference's OPENINFERENCE_HIDE_EMBEDDING_VECTORS.
func WithHideEmbeddingVectors() Option {
	return func(c *config) { c.hideVectors = true }
}
