package openinference

import (
	"bytes"
	"encoding/json"
	"strconv"

	gentrace "github.com/gentrace/gentrace-go"
	"go.opentelemetry.io/otel/attribute"
)

// OpenInference span kinds (openinference.span.kind).
const (
	kindChain     = "CHAIN"
	kindLLM       = "LLM"
	kindEmbedding = "EMBEDDING"
	kindGuardrail = "GUARDRAIL"
)

// OpenInference attribute keys and their Gentrace extensions. List keys are
// flattened with zero-based indexes, as OpenInference requires:
// llm.input_messages.0.message.role.
const (
	keySpanKind = "openinference.span.kind"

	keyInputValue     = "input.value"
	keyInputMimeType  = "input.mime_type"
	keyOutputValue    = "output.value"
	keyOutputMimeType = "output.mime_type"
	mimeJSON          = "application/json"

	keySessionID              = "session.id"
	keyUserID                 = "user.id"
	keyMetadata               = "metadata"
	keyTags                   = "tag.tags"
	keyPromptTemplate         = "llm.prompt_template.template"
	keyPromptTemplateVersion  = "llm.prompt_template.version"
	keyPromptTemplateVariable = "llm.prompt_template.variables"

	keyModelName             = "llm.model_name"
	keyProvider              = "llm.provider"
	keySystem                = "llm.system"
	keyInvocationParameters  = "llm.invocation_parameters"
	keyInputMessages         = "llm.input_messages"
	keyOutputMessages        = "llm.output_messages"
	keyPrompts               = "llm.prompts"
	keyChoices               = "llm.choices"
	keyTools                 = "llm.tools"
	keyTokensPrompt          = "llm.token_count.prompt"
	keyTokensCompletion      = "llm.token_count.completion"
	keyTokensTotal           = "llm.token_count.total"
	keyTokensCacheRead       = "llm.token_count.prompt_details.cache_read"
	keyTokensPromptAudio     = "llm.token_count.prompt_details.audio"
	keyTokensReasoning       = "llm.token_count.completion_details.reasoning"
	keyTokensCompletionAudio = "llm.token_count.completion_details.audio"
	keyCostTotal             = "llm.cost.total"

	keyEmbeddingModelName            = "embedding.model_name"
	keyEmbeddingInvocationParameters = "embedding.invocation_parameters"
	keyEmbeddings                    = "embedding.embeddings"

	keyExceptionMessage = "exception.message"

	keyRunID               = "gentrace.run_id"
	keyPipelineSlug        = "gentrace.pipeline_slug"
	keyPreviousRunID       = "gentrace.previous_run_id"
	keyProviderName        = "gentrace.provider_name"
	keyInvocation          = "gentrace.invocation"
	keyTokensEstimated     = "gentrace.token_count.estimated"
	keyTokensEstimateOmits = "gentrace.token_count.estimate_omits"
	keyClosedEarly         = "gentrace.stream.closed_early"
	keyTimeToFirstToken    = "gentrace.time_to_first_token_ms"
	keyFlagged             = "gentrace.moderation.flagged"

	eventFirstToken = "first_token"
	eventException  = "exception"
)

// indexed returns the flattened key of element i of a list attribute.
func indexed(list string, i int, suffix string) string {
	return list + "." + strconv.Itoa(i) + "." + suffix
}

// encodeJSON encodes v compactly without HTML escaping, so that message
// text reads as it was written.
func encodeJSON(v any) (string, bool) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", false
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), true
}

// decode converts a recorded value (often json.RawMessage, or plain Go
// values after gentrace.WithTransform) into dst through JSON. It reports
// false when v is absent or does not fit dst.
func decode(v any, dst any) bool {
	if v == nil {
		return false
	}
	data, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if data, err = json.Marshal(v); err != nil {
			return false
		}
	}
	return json.Unmarshal(data, dst) == nil
}

// stringOf returns v as a string when it is one (plain or JSON-encoded).
func stringOf(v any) (string, bool) {
	var s string
	return s, decode(v, &s)
}

// attrs accumulates span attributes.
type attrs []attribute.KeyValue

func (a *attrs) str(key, v string) {
	if v != "" {
		*a = append(*a, attribute.String(key, v))
	}
}

func (a *attrs) json(key string, v any) {
	if s, ok := encodeJSON(v); ok {
		*a = append(*a, attribute.String(key, s))
	}
}

// object records a step's inputs or outputs as a JSON value with its MIME
// type; an empty object records nothing.
func (a *attrs) object(valueKey, mimeKey string, m map[string]any) {
	if len(m) == 0 {
		return
	}
	if s, ok := encodeJSON(m); ok {
		*a = append(*a, attribute.String(valueKey, s), attribute.String(mimeKey, mimeJSON))
	}
}

// contextAttributes are the OpenInference context attributes of a span:
// those of the step's context where it set them, else the run's. The run's
// user ID wins, because a user ID belongs to a whole run. meta is the
// metadata of the span, nil for none.
func (o *Observer) contextAttributes(a *attrs, run *gentrace.RunRecord, step *gentrace.Attributes, meta gentrace.Metadata) {
	ctx := run.Attributes
	if step != nil {
		ctx = overlay(ctx, *step)
	}
	session := run.SessionID
	if session == "" {
		session, _ = run.Metadata["sessionId"].StringValue()
	}
	a.str(keySessionID, session)
	a.str(keyUserID, run.UserID)
	if len(meta) > 0 {
		a.json(keyMetadata, plainMetadata(meta))
	}
	if len(ctx.Tags) > 0 {
		*a = append(*a, attribute.StringSlice(keyTags, ctx.Tags))
	}
	a.str(keyPromptTemplate, ctx.PromptTemplate)
	a.str(keyPromptTemplateVersion, ctx.PromptTemplateVersion)
	if len(ctx.PromptTemplateVariables) > 0 && !o.cfg.hideInputs {
		a.json(keyPromptTemplateVariable, ctx.PromptTemplateVariables)
	}
}

// overlay returns base with every field top sets replaced.
func overlay(base, top gentrace.Attributes) gentrace.Attributes {
	if top.Metadata != nil {
		base.Metadata = top.Metadata
	}
	if top.Tags != nil {
		base.Tags = top.Tags
	}
	if top.PromptTemplate != "" {
		base.PromptTemplate = top.PromptTemplate
	}
	if top.PromptTemplateVersion != "" {
		base.PromptTemplateVersion = top.PromptTemplateVersion
	}
	if top.PromptTemplateVariables != nil {
		base.PromptTemplateVariables = top.PromptTemplateVariables
	}
	return base
}

// plainMetadata turns typed metadata into plain values for the metadata
// attribute: strings, booleans, and the URL of a url value.
func plainMetadata(m gentrace.Metadata) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch v.Kind() {
		case gentrace.KindString:
			out[k], _ = v.StringValue()
		case gentrace.KindBoolean:
			out[k], _ = v.BoolValue()
		case gentrace.KindURL:
			out[k], _, _ = v.URLValue()
		}
	}
	return out
}
