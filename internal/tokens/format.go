package tokens

// format holds what the chat format adds around the text of a request or an
// answer, in tokens, for one encoding. OpenAI does not publish its chat
// format for these models; the values are facts from OpenAI's cookbook
// ("How to count tokens with tiktoken") and from open-source estimators
// whose counts match the prompt_tokens the API reports, as noted on each
// field. Every difference between encodings is a value in this table, not
// a branch in the code.
type format struct {
	// perMessage wraps every message (<|start|>role<|message|>...<|end|>,
	// role counted apart); perName is added when a message has a name;
	// replyPriming primes the reply (<|start|>assistant<|message|>).
	// Cookbook.
	perMessage, perName, replyPriming int

	// functionResult adjusts a function or tool result message, which is
	// headed by the function's name rather than by its role (open-source
	// estimators: -2).
	functionResult int

	// promptCall is added to an assistant message for the call it makes
	// (function_call, or one tool call), beyond the function's name and
	// arguments (open-source estimators: 3).
	promptCall int

	// definitions is added to the rendered function definitions (their
	// place in the system prompt); definitionsWithSystem is added when the
	// request has a system message, which the definitions then join, and
	// the first system message gains a newline. Open-source estimators
	// give 9 and -4 for cl100k_base; with the same values the rendered
	// text gives the cookbook's weather example its API counts under both
	// encodings (105 on gpt-3.5-turbo and gpt-4, 101 on gpt-4o and
	// gpt-4o-mini).
	definitions, definitionsWithSystem int

	// choiceNone is added for tool_choice/function_call "none";
	// choiceNamed, plus the function name's tokens, for a named choice.
	// Open-source estimators.
	choiceNone, choiceNamed int

	// completionCall is what the model emits around its calls beyond
	// their text (the recipient, the separator, the end of the message):
	// the text is one call's name and arguments, or for several calls the
	// multi_tool_use.parallel wrapper it writes them in (see
	// renderParallel). Captured streams count 17 completion tokens for one
	// call whose name and arguments are 10, and 48 for two parallel calls
	// (names and arguments 20, wrapper 41): 7 either way.
	completionCall int
}

var formats = map[string]*format{
	Cl100kBase: {
		perMessage: 3, perName: 1, replyPriming: 3,
		functionResult: -2, promptCall: 3,
		definitions: 9, definitionsWithSystem: -4,
		choiceNone: 1, choiceNamed: 4,
		completionCall: 7,
	},
	O200kBase: {
		perMessage: 3, perName: 1, replyPriming: 3,
		functionResult: -2, promptCall: 3,
		definitions: 9, definitionsWithSystem: -4,
		choiceNone: 1, choiceNamed: 4,
		completionCall: 7,
	},
}

// formatFor returns the format of encoding (o200k_base's for any other
// name, as for counting).
func formatFor(encoding string) *format {
	if f, ok := formats[encoding]; ok {
		return f
	}
	return formats[O200kBase]
}
