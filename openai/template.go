package openai

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/cbroglie/mustache"
	goopenai "github.com/sashabaranov/go-openai"
)

// ErrTemplate reports a template that does not parse or render, or template
// inputs that do not match the messages.
var ErrTemplate = errors.New("gentrace: invalid template")

// noPartials resolves every partial ({{> name}}) to nothing, as
// mustache.js does when it is given no partials. mustache.Render alone would
// read a file of that name from the working directory (or any absolute
// path), which would let a template send a local file to OpenAI.
var noPartials = &mustache.StaticProvider{}

// render renders a Mustache template. Values are inserted as written
// unless escape is set (WithHTMLEscaping); {{{x}}} never escapes. Partials
// render as nothing.
func render(template string, inputs map[string]any, escape bool) (string, error) {
	out, err := mustache.RenderPartialsRaw(template, noPartials, !escape, inputs)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrTemplate, abbreviate(template), err)
	}
	return out, nil
}

// renderMessages renders the messages that have inputs and returns the
// messages to send, with the templates and inputs to record (one entry per
// message, null where a message had none). The caller's slice is not
// changed.
func renderMessages(msgs []goopenai.ChatCompletionMessage, inputs []map[string]any, escape bool) (_ []goopenai.ChatCompletionMessage, templates, values json.RawMessage, _ error) {
	if inputs == nil {
		return msgs, nil, nil, nil
	}
	if len(inputs) > len(msgs) {
		return nil, nil, nil, fmt.Errorf("%w: %d content inputs for %d messages", ErrTemplate, len(inputs), len(msgs))
	}
	out := make([]goopenai.ChatCompletionMessage, len(msgs))
	copy(out, msgs)
	tmpls := make([]*string, len(msgs))
	ins := make([]json.RawMessage, len(msgs))
	for i, in := range inputs {
		if in == nil {
			continue
		}
		if len(msgs[i].MultiContent) > 0 {
			return nil, nil, nil, fmt.Errorf("%w: message %d: a template must be the message's Content, not MultiContent", ErrTemplate, i)
		}
		tmpl := msgs[i].Content
		text, err := render(tmpl, in, escape)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%w (message %d)", err, i)
		}
		data, err := json.Marshal(in)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%w: message %d inputs: %v", ErrTemplate, i, err)
		}
		out[i].Content = text
		tmpls[i] = &tmpl
		ins[i] = data
	}
	for i := range ins {
		if ins[i] == nil {
			ins[i] = json.RawMessage("null")
		}
	}
	return out, rawJSON(tmpls), rawJSON(ins), nil
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
