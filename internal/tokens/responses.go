package tokens

// ResponsesPrompt estimates the input tokens of a Responses API request
// whose stream ended before response.completed (which carries usage):
//
//   - instructions count as a leading system message;
//   - message items count as chat messages, their input_text,
//     output_text and refusal parts as text and input_image parts by the
//     vision rule (see [ChatPrompt]); a string input is one user message;
//   - function_call items count as an assistant's tool call,
//     function_call_output items as the result message of that call;
//   - reasoning items count their summary text; their encrypted content,
//     which the model reads back whole, cannot be measured and is
//     reported;
//   - function tools (the flat {type, name, description, parameters}
//     shape) are rendered into the namespace as chat tools are; tools of
//     other types (web search, file search, ...) are reported.
//
// model is the request's model when empty.
func ResponsesPrompt(model string, req *ResponsesRequest) Estimate {
	if model == "" {
		model = req.Model
	}
	chat := ChatRequest{Model: model, Tools: req.Tools, ToolChoice: req.ToolChoice}
	if req.Instructions != "" {
		chat.Messages = append(chat.Messages, ChatMessage{Role: "system", Content: Content{Text: req.Instructions}})
	}
	if req.Input.Items == nil && req.Input.Text != "" {
		chat.Messages = append(chat.Messages, ChatMessage{Role: "user", Content: Content{Text: req.Input.Text}})
	}
	var est Estimate
	var pending []ToolCall // consecutive function_call items: one assistant turn
	flush := func() {
		if len(pending) > 0 {
			chat.Messages = append(chat.Messages, ChatMessage{Role: "assistant", ToolCalls: pending})
			pending = nil
		}
	}
	for i := range req.Input.Items {
		it := &req.Input.Items[i]
		switch it.Type {
		case "function_call":
			pending = append(pending, ToolCall{ID: it.CallID, Type: "function",
				Function: FunctionCall{Name: it.Name, Arguments: it.Arguments}})
			continue
		}
		flush()
		switch it.Type {
		case "", "message":
			chat.Messages = append(chat.Messages, ChatMessage{Role: it.Role, Content: it.Content})
		case "function_call_output":
			chat.Messages = append(chat.Messages, ChatMessage{Role: "tool", ToolCallID: it.CallID, Content: it.Output})
		case "reasoning":
			for _, s := range it.Summary {
				est.Tokens += countText(EncodingForModel(model), s.Text)
			}
			if it.EncryptedContent != "" {
				est.note("encrypted reasoning item not counted")
			}
		default:
			est.note("input item of type %q not counted", it.Type)
		}
	}
	flush()
	est.merge(ChatPrompt(model, &chat))
	return est
}

// ResponsesOutput is what a Responses stream delivered before it ended:
// the deltas of each kind, concatenated.
type ResponsesOutput struct {
	// Text is the output text (response.output_text.delta).
	Text string
	// Refusal is refusal text (response.refusal.delta).
	Refusal string
	// ReasoningSummary is reasoning summary text
	// (response.reasoning_summary_text.delta).
	ReasoningSummary string
	// FunctionCalls are the function calls, each with the name from its
	// output item and the arguments its deltas carried
	// (response.function_call_arguments.delta).
	FunctionCalls []FunctionCall
}

// ResponsesCompletion estimates the output tokens of a Responses stream
// that ended before response.completed: its text, refusal and reasoning
// summary, and its function calls framed as [ChatCompletion] frames them.
// For a reasoning model the hidden reasoning tokens are reported as
// unmeasured.
func ResponsesCompletion(model string, out ResponsesOutput) Estimate {
	msg := ChatMessage{Role: "assistant", Content: Content{Text: out.Text}, Refusal: out.Refusal}
	for _, c := range out.FunctionCalls {
		msg.ToolCalls = append(msg.ToolCalls, ToolCall{Type: "function", Function: c})
	}
	est := ChatCompletion(model, []ChatMessage{msg})
	est.Tokens += countText(EncodingForModel(model), out.ReasoningSummary)
	return est
}
