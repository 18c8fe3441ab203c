package openai

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/cbroglie/mustache"
	openai "github.com/sashabaranov/go-openai"
)

// ErrTemplate reports a template that does not parse or render, or template
// inputs that do not match the messages.
var ErrTemplate = errors.New("gentrace: invalid template")

// noPartials resolves every partial ({{> name}}) to nothing, as
// mustache.js does when it is given no partials. mustache.Render alone would
// read a file of that name from the working directory (or any absolute
// path), which would let a template send a local file to OpenAI.
var noPartials = &mustache.StaticProvider{}

// render renders a Mustache template: {{x}} is HTML-escaped, {{{x}}} is
// not, as in every Gentrace SDK. Partials render as nothing.
func render(template string, inputs map[string]any) (string, error) {
	out, err := mustache.RenderPartials(template, noPartials, inputs)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrTemplate, abbreviate(template), err)
	}
	return out, nil
}

// chatTemplates is what a templated chat call records: one entry per
// message, nil where a message had no template.
type chatTemplates struct {
	templates []*string
	inputs    []json.RawMessage
}

// renderMessages renders the messages that have inputs and returns the
// messages to send with what to record. The caller's slice is not changed.
func renderMessages(msgs []openai.ChatCompletionMessage, inputs []map[string]any) ([]openai.ChatCompletionMessage, *chatTemplates, error) {
	if inputs == nil {
		return msgs, nil, nil
	}
	if len(inputs) > len(msgs) {
		return nil, nil, fmt.Errorf("%w: %d content inputs for %d messages", ErrTemplate, len(inputs), len(msgs))
	}
	out := make([]openai.ChatCompletionMessage, len(msgs))
	copy(out, msgs)
	rec := &chatTemplates{templates: make([]*string, len(msgs)), inputs: make([]json.RawMessage, len(msgs))}
	for i, in := range inputs {
		if in == nil {
			continue
		}
		if len(msgs[i].MultiContent) > 0 {
			return nil, nil, fmt.Errorf("%w: message %d: a template must be the message's Content, not MultiContent", ErrTemplate, i)
		}
		tmpl := msgs[i].Content
		text, err := render(tmpl, in)
		if err != nil {
			return nil, nil, fmt.Errorf("%w (message %d)", err, i)
		}
		data, err := json.Marshal(in)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: message %d inputs: %v", ErrTemplate, i, err)
		}
		out[i].Content = text
		rec.templates[i] = &tmpl
		rec.inputs[i] = data
	}
	return out, rec, nil
}

func (t *chatTemplates) record(inputs, params map[string]any) {
	if t == nil {
		return
	}
	params["contentTemplates"] = t.templates
	in := make([]any, len(t.inputs))
	for i, raw := range t.inputs {
		if raw != nil {
			in[i] = raw
		}
	}
	inputs["contentInputs"] = in
}

// abbreviate shortens a template for an error message, on a rune boundary.
func abbreviate(s string) string {
	if len(s) <= 40 {
		return s
	}
	cut := 40
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
