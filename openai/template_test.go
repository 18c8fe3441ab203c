package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/openai"
	gogpt "github.com/sashabaranov/go-openai"
)

// TestChatTemplates renders message templates with WithContentInputs:
// {{x}} is HTML-escaped, {{{x}}} is not; OpenAI receives the rendered text,
// the caller's request keeps its templates, and the step records the
// templates and inputs one entry per message, null where a message has
// none.
func TestChatTemplates(t *testing.T) {
	t.Parallel()
	for _, stream := range []bool{false, true} {
		name := map[bool]string{false: "chat", true: "stream"}[stream]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			req := gogpt.ChatCompletionRequest{
				Model: gogpt.GPT4oMini,
				Messages: []gogpt.ChatCompletionMessage{
					{Role: gogpt.ChatMessageRoleSystem, Content: "You are {{persona}}."},
					userMessage("Compare {{{a}}} with {{b}}."),
					userMessage("Plain {{not a template}}"),
				},
			}
			sysInputs := map[string]any{"persona": `a "careful" <critic>`}
			userInputs := map[string]any{"a": "<b>bold</b> & co", "b": "<i>x</i> & y"}
			r := h.start(gentrace.RunContext{})
			c := h.client.ForRunner(r)
			opts := []openai.CallOption{openai.WithContentInputs(sysInputs, userInputs)}
			if stream {
				s, err := c.CreateChatCompletionStream(context.Background(), req, opts...)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := readChat(s); err != nil {
					t.Fatal(err)
				}
				s.Close()
			} else if _, err := c.CreateChatCompletion(context.Background(), req, opts...); err != nil {
				t.Fatal(err)
			}

			sent, err := h.lastRequest().ChatCompletionRequest()
			if err != nil {
				t.Fatal(err)
			}
			want := []string{
				"You are a &#34;careful&#34; &lt;critic&gt;.",
				"Compare <b>bold</b> & co with &lt;i&gt;x&lt;/i&gt; &amp; y.",
				"Plain {{not a template}}",
			}
			for i, m := range sent.Messages {
				if m.Content != want[i] {
					t.Errorf("OpenAI received message %d %q, want %q", i, m.Content, want[i])
				}
			}
			if req.Messages[0].Content != "You are {{persona}}." {
				t.Errorf("caller's request changed: %q", req.Messages[0].Content)
			}

			run := h.submit(r)
			golden(t, "template_chat_"+name+".json", run)
			step := only(t, run)
			wantTemplates := []any{"You are {{persona}}.", "Compare {{{a}}} with {{b}}.", nil}
			if got := step.ModelParams["contentTemplates"]; !reflect.DeepEqual(got, wantTemplates) {
				t.Errorf("modelParams.contentTemplates = %#v, want %#v", got, wantTemplates)
			}
			wantInputs := jsonOf(t, []any{sysInputs, userInputs, nil})
			if got := step.Inputs["contentInputs"]; !reflect.DeepEqual(got, wantInputs) {
				t.Errorf("inputs.contentInputs = %#v, want %#v", got, wantInputs)
			}
			msgs := step.Inputs["messages"].([]any)
			for i, m := range msgs {
				if got := m.(map[string]any)["content"]; got != want[i] {
					t.Errorf("inputs.messages[%d].content = %q, want the rendered %q", i, got, want[i])
				}
			}
		})
	}
}

// TestCompletionTemplates renders a completion prompt with
// WithPromptInputs and records promptTemplate and promptInputs.
func TestCompletionTemplates(t *testing.T) {
	t.Parallel()
	for _, stream := range []bool{false, true} {
		name := map[bool]string{false: "completion", true: "stream"}[stream]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			req := gogpt.CompletionRequest{Model: gogpt.GPT3Dot5TurboInstruct, Prompt: "Say {{{raw}}} then {{escaped}}"}
			inputs := map[string]any{"raw": "<tag>", "escaped": "<tag>"}
			r := h.start(gentrace.RunContext{})
			c := h.client.ForRunner(r)
			if stream {
				s, err := c.CreateCompletionStream(context.Background(), req, openai.WithPromptInputs(inputs))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := readCompletion(s); err != nil {
					t.Fatal(err)
				}
				s.Close()
			} else if _, err := c.CreateCompletion(context.Background(), req, openai.WithPromptInputs(inputs)); err != nil {
				t.Fatal(err)
			}
			sent, err := h.lastRequest().CompletionRequest()
			if err != nil {
				t.Fatal(err)
			}
			const want = "Say <tag> then &lt;tag&gt;"
			if sent.Prompt != want {
				t.Errorf("OpenAI received prompt %q, want %q", sent.Prompt, want)
			}
			run := h.submit(r)
			golden(t, "template_completion_"+name+".json", run)
			step := only(t, run)
			if got := step.ModelParams["promptTemplate"]; got != "Say {{{raw}}} then {{escaped}}" {
				t.Errorf("modelParams.promptTemplate = %#v", got)
			}
			if got := step.Inputs["promptInputs"]; !reflect.DeepEqual(got, jsonOf(t, inputs)) {
				t.Errorf("inputs.promptInputs = %#v", got)
			}
			if got := step.Inputs["prompt"]; got != want {
				t.Errorf("inputs.prompt = %#v, want the rendered %q", got, want)
			}
		})
	}
}

// TestBadTemplates checks that template errors are ErrTemplate, returned
// before anything is sent or recorded.
func TestBadTemplates(t *testing.T) {
	t.Parallel()
	chat := func(content string, inputs ...map[string]any) func(c *openai.Client) error {
		return func(c *openai.Client) error {
			req := gogpt.ChatCompletionRequest{Model: gogpt.GPT4o, Messages: []gogpt.ChatCompletionMessage{userMessage(content)}}
			_, err := c.CreateChatCompletion(context.Background(), req, openai.WithContentInputs(inputs...))
			return err
		}
	}
	chatStream := func(content string, inputs ...map[string]any) func(c *openai.Client) error {
		return func(c *openai.Client) error {
			req := gogpt.ChatCompletionRequest{Model: gogpt.GPT4o, Messages: []gogpt.ChatCompletionMessage{userMessage(content)}}
			s, err := c.CreateChatCompletionStream(context.Background(), req, openai.WithContentInputs(inputs...))
			if s != nil {
				t.Error("stream returned with an error")
				s.Close()
			}
			return err
		}
	}
	completion := func(prompt any, inputs map[string]any) func(c *openai.Client) error {
		return func(c *openai.Client) error {
			req := gogpt.CompletionRequest{Model: gogpt.GPT3Dot5TurboInstruct, Prompt: prompt}
			_, err := c.CreateCompletion(context.Background(), req, openai.WithPromptInputs(inputs))
			return err
		}
	}
	completionStream := func(prompt any, inputs map[string]any) func(c *openai.Client) error {
		return func(c *openai.Client) error {
			req := gogpt.CompletionRequest{Model: gogpt.GPT3Dot5TurboInstruct, Prompt: prompt}
			s, err := c.CreateCompletionStream(context.Background(), req, openai.WithPromptInputs(inputs))
			if s != nil {
				t.Error("stream returned with an error")
				s.Close()
			}
			return err
		}
	}
	in := map[string]any{"x": 1}
	multi := func(c *openai.Client) error {
		req := gogpt.ChatCompletionRequest{Model: gogpt.GPT4o, Messages: []gogpt.ChatCompletionMessage{{
			Role: gogpt.ChatMessageRoleUser, MultiContent: []gogpt.ChatMessagePart{{Type: gogpt.ChatMessagePartTypeText, Text: "{{x}}"}},
		}}}
		_, err := c.CreateChatCompletion(context.Background(), req, openai.WithContentInputs(in))
		return err
	}
	for _, tc := range []struct {
		name string
		call func(c *openai.Client) error
	}{
		{"chat unclosed section", chat("{{#items}}open", in)},
		{"chat unclosed tag", chat("Hello {{name", in)},
		{"chat mismatched section", chat("{{#a}}{{/b}}", in)},
		{"chat more inputs than messages", chat("hi", in, in)},
		{"chat unencodable inputs", chat("{{x}}", map[string]any{"x": make(chan int)})},
		{"chat multi-part content", multi},
		{"stream unclosed section", chatStream("{{#items}}open", in)},
		{"completion unclosed section", completion("{{#items}}", in)},
		{"completion non-string prompt", completion([]string{"{{x}}"}, in)},
		{"completion stream bad", completionStream("{{/close}}", in)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, mode := range []string{"simple", "advanced"} {
				h := newHarness(t)
				r := h.start(gentrace.RunContext{})
				c := h.client.ForRunner(r)
				if mode == "simple" {
					c = openai.Wrap(h.oai.Client(), openai.WithGentrace(h.gc),
						openai.WithDefaultCallOptions(openai.WithPipelineSlug("openai-test")))
				}
				err := tc.call(c)
				if !errors.Is(err, openai.ErrTemplate) {
					t.Fatalf("%s: error %v, want ErrTemplate", mode, err)
				}
				if !strings.HasPrefix(err.Error(), "gentrace: ") {
					t.Errorf("%s: error %q lacks the gentrace: prefix", mode, err)
				}
				h.noOpenAIRequest()
				if n := len(r.Steps()); n != 0 {
					t.Errorf("%s: %d steps recorded", mode, n)
				}
				h.noRuns()
			}
		})
	}
}

// TestTemplatePartialsReadNoFiles checks that a partial tag cannot make the
// wrapper read a local file and send it to OpenAI: partials render as
// nothing, as mustache.js does without partials.
func TestTemplatePartialsReadNoFiles(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	secret := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(secret, []byte("TOP-SECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	req := gogpt.ChatCompletionRequest{Model: gogpt.GPT4o,
		Messages: []gogpt.ChatCompletionMessage{userMessage("before[{{> " + secret + "}}]after")}}
	if _, err := h.client.CreateChatCompletion(context.Background(), req,
		openai.WithContentInputs(map[string]any{})); err != nil {
		t.Fatal(err)
	}
	sent, err := h.lastRequest().ChatCompletionRequest()
	if err != nil {
		t.Fatal(err)
	}
	if got := sent.Messages[0].Content; got != "before[]after" {
		t.Errorf("OpenAI received %q, want the partial rendered as nothing", got)
	}
}

// TestTemplateInputsSnapshotted checks that template inputs changed by the
// caller after the call do not change the record.
func TestTemplateInputsSnapshotted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.start(gentrace.RunContext{})
	inputs := map[string]any{"city": "Paris", "tags": []any{"a"}}
	req := gogpt.ChatCompletionRequest{Model: gogpt.GPT4o, Messages: []gogpt.ChatCompletionMessage{userMessage("{{city}}")}}
	if _, err := h.client.ForRunner(r).CreateChatCompletion(context.Background(), req, openai.WithContentInputs(inputs)); err != nil {
		t.Fatal(err)
	}
	inputs["city"] = "Rome"
	inputs["tags"].([]any)[0] = "changed"
	step := only(t, h.submit(r))
	got, _ := json.Marshal(step.Inputs["contentInputs"])
	if string(got) != `[{"city":"Paris","tags":["a"]}]` {
		t.Errorf("inputs.contentInputs = %s", got)
	}
}
