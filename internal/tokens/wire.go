package tokens

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The types below mirror the JSON bodies of OpenAI requests, as far as
// counting tokens needs them. They decode with encoding/json from the body
// any client sends (go-openai, openai-go, raw HTTP); fields they do not
// declare are ignored.

// ChatRequest is the body of a chat completion request
// (POST /v1/chat/completions).
type ChatRequest struct {
	Model    string        `json:"model"`
	Messages []ChatMessage `json:"messages"`
	// Tools holds function tools ({"type":"function","function":{...}});
	// tools of other types are not rendered into the prompt and are
	// reported as unmeasured.
	Tools []Tool `json:"tools,omitempty"`
	// ToolChoice is "none", "auto", "required" or
	// {"type":"function","function":{"name":...}}.
	ToolChoice json.RawMessage `json:"tool_choice,omitempty"`
	// Functions and FunctionCall are the legacy forms of Tools and
	// ToolChoice.
	Functions    []Function      `json:"functions,omitempty"`
	FunctionCall json.RawMessage `json:"function_call,omitempty"`
}

// ChatMessage is one message of a chat request, or one generated choice's
// message.
type ChatMessage struct {
	Role         string        `json:"role"`
	Content      Content       `json:"content"`
	Name         string        `json:"name,omitempty"`
	ToolCalls    []ToolCall    `json:"tool_calls,omitempty"`
	FunctionCall *FunctionCall `json:"function_call,omitempty"`
	ToolCallID   string        `json:"tool_call_id,omitempty"`
	Refusal      string        `json:"refusal,omitempty"`
}

// Content is a message's content, which the API takes either as a string
// (Text) or as an array of parts (Parts). The zero value is no content
// (JSON null or absent).
type Content struct {
	Text  string
	Parts []ContentPart
}

// UnmarshalJSON accepts a string, an array of parts or null.
func (c *Content) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	*c = Content{}
	switch {
	case len(data) == 0 || string(data) == "null":
		return nil
	case data[0] == '"':
		return json.Unmarshal(data, &c.Text)
	case data[0] == '[':
		return json.Unmarshal(data, &c.Parts)
	}
	return fmt.Errorf("gentrace: message content is neither a string nor an array: %.20s", data)
}

// MarshalJSON writes Text as a string, or Parts as an array when there are
// any.
func (c Content) MarshalJSON() ([]byte, error) {
	if c.Parts != nil {
		return json.Marshal(c.Parts)
	}
	return json.Marshal(c.Text)
}

// ContentPart is one part of a message's content: text, image_url,
// input_audio, file or refusal in Chat Completions; input_text,
// input_image, input_file, output_text or refusal in the Responses API.
type ContentPart struct {
	Type    string `json:"type"`
	Text    string `json:"text,omitempty"`
	Refusal string `json:"refusal,omitempty"`
	// ImageURL is a chat image part's image. The Responses API's
	// input_image puts the URL in ImageURL's place as a plain string; it
	// decodes into InputImageURL and Detail instead.
	ImageURL      *ImageURL   `json:"-"`
	InputImageURL string      `json:"-"`
	Detail        string      `json:"detail,omitempty"`
	InputAudio    *InputAudio `json:"input_audio,omitempty"`
	File          *File       `json:"file,omitempty"`
	// FileID, Filename and FileData are the Responses API's input_file
	// (and input_image by file_id) fields.
	FileID   string `json:"file_id,omitempty"`
	Filename string `json:"filename,omitempty"`
	FileData string `json:"file_data,omitempty"`
}

// UnmarshalJSON decodes a part, taking image_url as an object (chat) or a
// string (Responses input_image).
func (p *ContentPart) UnmarshalJSON(data []byte) error {
	type plain ContentPart
	var aux struct {
		plain
		ImageURL json.RawMessage `json:"image_url"`
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	*p = ContentPart(aux.plain)
	raw := bytes.TrimSpace(aux.ImageURL)
	switch {
	case len(raw) == 0 || string(raw) == "null":
	case raw[0] == '"':
		return json.Unmarshal(raw, &p.InputImageURL)
	default:
		p.ImageURL = new(ImageURL)
		return json.Unmarshal(raw, p.ImageURL)
	}
	return nil
}

// MarshalJSON writes the part back in the shape it was decoded from.
func (p ContentPart) MarshalJSON() ([]byte, error) {
	type plain ContentPart
	aux := struct {
		plain
		ImageURL any `json:"image_url,omitempty"`
	}{plain: plain(p)}
	switch {
	case p.ImageURL != nil:
		aux.ImageURL = p.ImageURL
	case p.InputImageURL != "":
		aux.ImageURL = p.InputImageURL
	}
	return json.Marshal(aux)
}

// ImageURL is a chat image part: an http(s) URL or a data URL, and the
// detail level ("low", "high" or "auto", the default).
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

// InputAudio is a chat audio part: base64 audio in wav or mp3.
type InputAudio struct {
	Data   string `json:"data"`
	Format string `json:"format"`
}

// File is a chat file part (a PDF, by ID or inline).
type File struct {
	FileID   string `json:"file_id,omitempty"`
	Filename string `json:"filename,omitempty"`
	FileData string `json:"file_data,omitempty"`
}

// ToolCall is a call an assistant message makes (or a generated choice
// makes) to a function tool.
type ToolCall struct {
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type,omitempty"`
	Function FunctionCall `json:"function"`
}

// FunctionCall is a function's name and its arguments as the JSON text the
// model wrote.
type FunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Tool is an entry of a tools array. Chat Completions nest the function
// ({"type":"function","function":{name, description, parameters,
// strict}}); the Responses API flattens it ({"type":"function", name,
// description, parameters, strict}). Both decode into Tool; [Tool.Func]
// gives the function either way.
type Tool struct {
	Type     string    `json:"type"`
	Function *Function `json:"function,omitempty"`

	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// Func returns the function a function tool defines, in either shape, and
// false for tools of other types (web_search, file_search, custom, ...).
func (t Tool) Func() (Function, bool) {
	if t.Type != "" && t.Type != "function" {
		return Function{}, false
	}
	if t.Function != nil {
		return *t.Function, true
	}
	if t.Name == "" {
		return Function{}, false
	}
	return Function{Name: t.Name, Description: t.Description, Parameters: t.Parameters, Strict: t.Strict}, true
}

// Function is a function definition: its name, description and parameters
// as a JSON schema (kept raw, so that the order of its properties, which
// the model sees, is preserved).
type Function struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// ResponsesRequest is the body of a Responses API request
// (POST /v1/responses).
type ResponsesRequest struct {
	Model        string          `json:"model"`
	Instructions string          `json:"instructions,omitempty"`
	Input        ResponsesInput  `json:"input"`
	Tools        []Tool          `json:"tools,omitempty"`
	ToolChoice   json.RawMessage `json:"tool_choice,omitempty"`
}

// ResponsesInput is a Responses request's input: a string (Text) or a list
// of items (Items).
type ResponsesInput struct {
	Text  string
	Items []ResponsesItem
}

// UnmarshalJSON accepts a string, an array of items or null.
func (in *ResponsesInput) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	*in = ResponsesInput{}
	switch {
	case len(data) == 0 || string(data) == "null":
		return nil
	case data[0] == '"':
		return json.Unmarshal(data, &in.Text)
	case data[0] == '[':
		return json.Unmarshal(data, &in.Items)
	}
	return fmt.Errorf("gentrace: responses input is neither a string nor an array: %.20s", data)
}

// MarshalJSON writes Text as a string, or Items as an array when there are
// any.
func (in ResponsesInput) MarshalJSON() ([]byte, error) {
	if in.Items != nil {
		return json.Marshal(in.Items)
	}
	return json.Marshal(in.Text)
}

// ResponsesItem is one input item of a Responses request: a message (Type
// "message" or empty, with Role and Content), a function_call (CallID,
// Name, Arguments), a function_call_output (CallID, Output), a reasoning
// item (Summary, EncryptedContent), or an item of another type (counted as
// unmeasured).
type ResponsesItem struct {
	Type    string  `json:"type,omitempty"`
	Role    string  `json:"role,omitempty"`
	Content Content `json:"content"`

	CallID    string  `json:"call_id,omitempty"`
	Name      string  `json:"name,omitempty"`
	Arguments string  `json:"arguments,omitempty"`
	Output    Content `json:"output"`

	Summary          []ContentPart `json:"summary,omitempty"`
	EncryptedContent string        `json:"encrypted_content,omitempty"`
}
