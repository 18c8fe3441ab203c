package tokens

import (
	"encoding/json"
	"strings"
	"testing"
)

// decodeChat decodes a chat request body, as a wire recorder would.
func decodeChat(tb testing.TB, body string) *ChatRequest {
	tb.Helper()
	var req ChatRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		tb.Fatalf("decode %s: %v", body, err)
	}
	return &req
}

// cookbookSix is the cookbook's six-message chat ("How to count tokens with
// tiktoken"): 129 prompt tokens on gpt-3.5-turbo-0613 and gpt-4, 124 on
// gpt-4o and gpt-4o-mini, as reported by the API.
const cookbookSix = `{"messages":[
{"role":"system","content":"You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
{"role":"system","name":"example_user","content":"New synergies will help drive top-line growth."},
{"role":"system","name":"example_assistant","content":"Things working well together will increase revenue."},
{"role":"system","name":"example_user","content":"Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
{"role":"system","name":"example_assistant","content":"Let's talk later when we're less busy about how to do better."},
{"role":"user","content":"This late pivot means we don't have time to boil the ocean for the client deliverable."}]}`

// cookbookWeather is the cookbook's function-calling example: 105 prompt
// tokens on gpt-3.5-turbo and gpt-4, 101 on gpt-4o and gpt-4o-mini.
const cookbookWeather = `{"messages":[
{"role":"system","content":"You are a helpful assistant that can answer to questions about the weather."},
{"role":"user","content":"What's the weather like in San Francisco?"}],
"tools":[{"type":"function","function":{"name":"get_current_weather","description":"Get the current weather in a given location",
"parameters":{"type":"object","properties":{
"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"},
"unit":{"type":"string","description":"The unit of temperature to return","enum":["celsius","fahrenheit"]}},
"required":["location"]}}}]}`

// apiCounts are prompt_tokens the OpenAI API reported for gpt-3.5-turbo
// (cl100k_base), published with the open-source estimator
// openai-chat-tokens (facts, not code): functions with and without
// descriptions, nested objects, enums, arrays, anyOf unions and consts,
// several functions, function_call choices, function-role messages and
// assistant function calls.
var apiCounts = []struct {
	name string
	body string
	want int
}{
	{"user hello", `{"messages":[{"role":"user","content":"hello"}]}`, 8},
	{"user hello world", `{"messages":[{"role":"user","content":"hello world"}]}`, 9},
	{"system hello", `{"messages":[{"role":"system","content":"hello"}]}`, 8},
	{"system hello colon", `{"messages":[{"role":"system","content":"hello:"}]}`, 9},
	{"three messages", `{"messages":[{"role":"system","content":"# Important: you're the best robot"},{"role":"user","content":"hello robot"},{"role":"assistant","content":"hello world"}]}`, 27},
	{"function without parameters", `{"messages":[{"role":"user","content":"hello"}],"functions":[{"name":"foo","parameters":{"type":"object","properties":{}}}]}`, 31},
	{"function_call none", `{"messages":[{"role":"user","content":"hello"}],"functions":[{"name":"foo","parameters":{"type":"object","properties":{}}}],"function_call":"none"}`, 32},
	{"function_call auto", `{"messages":[{"role":"user","content":"hello"}],"functions":[{"name":"foo","parameters":{"type":"object","properties":{}}}],"function_call":"auto"}`, 31},
	{"function_call named", `{"messages":[{"role":"user","content":"hello"}],"functions":[{"name":"foo","parameters":{"type":"object","properties":{}}}],"function_call":{"name":"foo"}}`, 36},
	{"function with description", `{"messages":[{"role":"user","content":"hello"}],"functions":[{"name":"foo","description":"Do a foo","parameters":{"type":"object","properties":{}}}]}`, 36},
	{"one string parameter", `{"messages":[{"role":"user","content":"hello"}],"functions":[{"name":"bing_bong","description":"Do a bing bong","parameters":{"type":"object","properties":{"foo":{"type":"string"}}}}]}`, 49},
	{"parameter descriptions", `{"messages":[{"role":"user","content":"hello"}],"functions":[{"name":"bing_bong","description":"Do a bing bong","parameters":{"type":"object","properties":{"foo":{"type":"string"},"bar":{"type":"number","description":"A number"}}}}]}`, 57},
	{"nested object with enum", `{"messages":[{"role":"user","content":"hello"}],"functions":[{"name":"bing_bong","description":"Do a bing bong","parameters":{"type":"object","properties":{"foo":{"type":"object","properties":{"bar":{"type":"string","enum":["a","b","c"]},"baz":{"type":"boolean"}}}}}}]}`, 68},
	{"function message empty", `{"messages":[{"role":"user","content":"hello world"},{"role":"function","name":"do_stuff","content":"{}"}]}`, 15},
	{"function message", `{"messages":[{"role":"user","content":"hello world"},{"role":"function","name":"do_stuff","content":"{\"foo\": \"bar\", \"baz\": 1.5}"}]}`, 28},
	{"function message nested", `{"messages":[{"role":"function","name":"dance_the_tango","content":"{\"a\": { \"b\" : { \"c\": false}}}"}]}`, 24},
	{"assistant function_call", `{"messages":[{"role":"assistant","content":"","function_call":{"name":"do_stuff","arguments":"{\"foo\": \"bar\", \"baz\": 1.5}"}}]}`, 26},
	{"assistant function_call newlines", `{"messages":[{"role":"assistant","content":"","function_call":{"name":"do_stuff","arguments":"{\"foo\":\"bar\", \"baz\":\n\n 1.5}"}}]}`, 25},
	{"anyOf of objects with const and enum", `{"messages":[{"role":"system","content":"You are an AI assistant trained to foo or bar"},{"role":"user","content":"My name is suzie"},{"role":"function","name":"foo","content":"{\"res\":{\"kind\":\"user\",\"name\":\"suzie\"}}"},{"role":"user","content":"I want to post a message with the text \"hello world\""},{"role":"function","name":"foo","content":"{\"res\":{\"kind\":\"post\",\"text\":\"hello world\"}}"}],
	 "functions":[{"name":"foo","description":"Return the foo or the bar","parameters":{"type":"object","properties":{"res":{"anyOf":[{"type":"object","properties":{"kind":{"type":"string","const":"post"},"text":{"type":"string"}},"required":["kind","text"],"additionalProperties":false},{"type":"object","properties":{"kind":{"type":"string","const":"user"},"name":{"type":"string","enum":["jane","suzie","adam"]}},"required":["kind","name"],"additionalProperties":false}],"description":"The foo or the bar"}},"required":["res"],"additionalProperties":false}}],
	 "function_call":{"name":"foo"}}`, 158},
	{"anyOf one object", `{"messages":[{"role":"system","content":"Hello"},{"role":"user","content":"Hi there"}],"functions":[{"name":"do_stuff","parameters":{"type":"object","properties":{"foo":{"anyOf":[{"type":"object","properties":{"kind":{"type":"string","const":"a"},"baz":{"type":"boolean"}}}]}}}}]}`, 52},
	{"anyOf three objects", `{"messages":[{"role":"system","content":"Hello"},{"role":"user","content":"Hi there"}],"functions":[{"name":"do_stuff","parameters":{"type":"object","properties":{"foo":{"anyOf":[{"type":"object","properties":{"kind":{"type":"string","const":"a"},"baz":{"type":"boolean"}}},{"type":"object","properties":{"kind":{"type":"string","const":"b"},"qux":{"type":"number"}}},{"type":"object","properties":{"kind":{"type":"string","const":"c"},"idk":{"type":"string"}}}]}}}}]}`, 80},
	{"anyOf const and number", `{"messages":[{"role":"system","content":"Hello"},{"role":"user","content":"Hi there"}],"functions":[{"name":"do_stuff","parameters":{"type":"object","properties":{"foo":{"anyOf":[{"type":"string","const":"a"},{"type":"number"}]}}}}]}`, 44},
	{"system and function", `{"messages":[{"role":"system","content":"Hello"},{"role":"user","content":"Hi there"}],"functions":[{"name":"do_stuff","parameters":{"type":"object","properties":{}}}]}`, 35},
	{"system colon and function", `{"messages":[{"role":"system","content":"Hello:"},{"role":"user","content":"Hi there"}],"functions":[{"name":"do_stuff","parameters":{"type":"object","properties":{}}}]}`, 35},
	{"two systems and function", `{"messages":[{"role":"system","content":"Hello:"},{"role":"system","content":"Hello"},{"role":"user","content":"Hi there"}],"functions":[{"name":"do_stuff","parameters":{"type":"object","properties":{}}}]}`, 40},
	{"two functions", `{"messages":[{"role":"system","content":"Hello:"},{"role":"system","content":"Hello"},{"role":"user","content":"Hi there"}],"functions":[{"name":"do_stuff","parameters":{"type":"object","properties":{}}},{"name":"do_other_stuff","parameters":{"type":"object","properties":{}}}]}`, 49},
	{"two functions named choice", `{"messages":[{"role":"system","content":"Hello:"},{"role":"system","content":"Hello"},{"role":"user","content":"Hi there"}],"functions":[{"name":"do_stuff","parameters":{"type":"object","properties":{}}},{"name":"do_other_stuff","parameters":{"type":"object","properties":{}}}],"function_call":{"name":"do_stuff"}}`, 55},
	{"arrays of objects, required", `{"messages":[{"role":"user","content":"hello"}],"functions":[{"name":"get_recipe","parameters":{"type":"object","required":["ingredients","instructions","time_to_cook"],"properties":{"ingredients":{"type":"array","items":{"type":"object","required":["name","unit","amount"],"properties":{"name":{"type":"string"},"unit":{"enum":["grams","ml","cups","pieces","teaspoons"],"type":"string"},"amount":{"type":"number"}}}},"instructions":{"type":"array","items":{"type":"string"},"description":"Steps to prepare the recipe (no numbering)"},"time_to_cook":{"type":"number","description":"Total time to prepare the recipe in minutes"}}}}]}`, 106},
	{"nested array description", `{"messages":[{"role":"user","content":"hello"}],"functions":[{"name":"function","description":"description","parameters":{"type":"object","properties":{"quality":{"type":"object","properties":{"pros":{"type":"array","items":{"type":"string"},"description":"Write 3 points why this text is well written"}}}}}}]}`, 46},
	{"nested descriptions and enums", `{"messages":[{"role":"user","content":"hello"}],"functions":[{"name":"function","description":"desctiption1","parameters":{"type":"object","description":"desctiption2","properties":{"mainField":{"type":"string","description":"description3"},"field number one":{"type":"object","description":"description4","properties":{"yesNoField":{"type":"string","description":"description5","enum":["Yes","No"]},"howIsInteresting":{"type":"string","description":"description6"},"scoreInteresting":{"type":"number","description":"description7"},"isInteresting":{"type":"string","description":"description8","enum":["Yes","No"]}}}}}}]}`, 96},
}

// TestChatPromptReference checks the estimate against every count the API
// reported for these requests (see the constants above).
func TestChatPromptReference(t *testing.T) {
	t.Parallel()
	type vector struct {
		name, model, body string
		want              int
	}
	vectors := []vector{
		{"cookbook six messages", "gpt-3.5-turbo-0613", cookbookSix, 129},
		{"cookbook six messages", "gpt-4", cookbookSix, 129},
		{"cookbook six messages", "gpt-4o", cookbookSix, 124},
		{"cookbook six messages", "gpt-4o-mini", cookbookSix, 124},
		{"cookbook weather tool", "gpt-3.5-turbo", cookbookWeather, 105},
		{"cookbook weather tool", "gpt-4", cookbookWeather, 105},
		{"cookbook weather tool", "gpt-4o", cookbookWeather, 101},
		{"cookbook weather tool", "gpt-4o-mini", cookbookWeather, 101},
	}
	for _, c := range apiCounts {
		vectors = append(vectors, vector{c.name, "gpt-3.5-turbo", c.body, c.want})
	}
	for _, v := range vectors {
		t.Run(v.model+"/"+v.name, func(t *testing.T) {
			t.Parallel()
			got := ChatPrompt(v.model, decodeChat(t, v.body))
			if got.Tokens != v.want || !got.Complete() {
				t.Errorf("ChatPrompt = %+v, want %d (the API's count)", got, v.want)
			}
		})
	}
}

// prompt counts a chat request body for model.
func prompt(tb testing.TB, model, body string) Estimate {
	tb.Helper()
	return ChatPrompt(model, decodeChat(tb, body))
}

// TestChatPromptEquivalences checks the rules on cases without a published
// count, by the relations they must keep under both encodings.
func TestChatPromptEquivalences(t *testing.T) {
	t.Parallel()
	const weatherFn = `{"name":"get_weather","description":"Weather in a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}`
	tests := []struct {
		name   string
		a, b   string
		aMinus int // a − b, in tokens
	}{
		{"tools and legacy functions render alike",
			`{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":` + weatherFn + `}]}`,
			`{"messages":[{"role":"user","content":"hi"}],"functions":[` + weatherFn + `]}`, 0},
		{"tool result is a function result under the call's name",
			`{"messages":[{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"c1","content":"18C"}]}`,
			`{"messages":[{"role":"assistant","function_call":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"role":"function","name":"get_weather","content":"18C"}]}`, 0},
		{"a name costs its tokens and one more",
			`{"messages":[{"role":"user","name":"alice","content":"hi"}]}`,
			`{"messages":[{"role":"user","content":"hi"}]}`, -1},
		{"tool_choice none costs 1",
			`{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":` + weatherFn + `}],"tool_choice":"none"}`,
			`{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":` + weatherFn + `}]}`, 1},
		{"tool_choice auto costs nothing",
			`{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":` + weatherFn + `}],"tool_choice":"auto"}`,
			`{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":` + weatherFn + `}]}`, 0},
		{"named tool_choice costs 4 and the name, like function_call",
			`{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":` + weatherFn + `}],"tool_choice":{"type":"function","function":{"name":"get_weather"}}}`,
			`{"messages":[{"role":"user","content":"hi"}],"functions":[` + weatherFn + `],"function_call":{"name":"get_weather"}}`, 0},
		{"developer message is the system message",
			`{"messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":"hi"}],"tools":[{"type":"function","function":` + weatherFn + `}]}`,
			`{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}],"tools":[{"type":"function","function":` + weatherFn + `}]}`, 0},
		{"text parts count as text",
			`{"messages":[{"role":"user","content":[{"type":"text","text":"hello "},{"type":"text","text":"world"}]}]}`,
			`{"messages":[{"role":"user","content":"hello world"}]}`, 0},
		{"null content counts nothing",
			`{"messages":[{"role":"assistant","content":null}]}`,
			`{"messages":[{"role":"assistant"}]}`, 0},
	}
	for _, model := range []string{"gpt-4o", "gpt-4"} {
		for _, tt := range tests {
			t.Run(model+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				a, b := prompt(t, model, tt.a), prompt(t, model, tt.b)
				name := Count(EncodingForModel(model), "alice")
				want := tt.aMinus
				if want < 0 {
					want = name + 1 // the name case
				}
				if a.Tokens-b.Tokens != want || !a.Complete() || !b.Complete() {
					t.Errorf("%d − %d = %d tokens, want %d (%v, %v)", a.Tokens, b.Tokens, a.Tokens-b.Tokens, want, a.Unmeasured, b.Unmeasured)
				}
			})
		}
	}
}

func TestChatPromptToolCallsInHistory(t *testing.T) {
	t.Parallel()
	enc := O200kBase
	one := `{"messages":[{"role":"assistant","content":"","tool_calls":[{"id":"a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}]}`
	two := `{"messages":[{"role":"assistant","content":"","tool_calls":[{"id":"a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"b","type":"function","function":{"name":"get_time","arguments":"{\"tz\":\"CET\"}"}}]}]}`
	// One call: 3 per message, the role, 3 for the call, its name and
	// arguments, 3 for priming.
	want := 3 + Count(enc, "assistant") + 3 + Count(enc, "get_weather") + Count(enc, `{"city":"Paris"}`) + 3
	if got := prompt(t, "gpt-4o", one).Tokens; got != want {
		t.Errorf("one call: %d tokens, want %d", got, want)
	}
	// Two calls: the multi_tool_use wrapper instead of names and arguments.
	calls := []ToolCall{{Function: FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris"}`}}, {Function: FunctionCall{Name: "get_time", Arguments: `{"tz":"CET"}`}}}
	want = 3 + Count(enc, "assistant") + 3 + Count(enc, renderParallel(calls)) + 3
	if got := prompt(t, "gpt-4o", two).Tokens; got != want {
		t.Errorf("two calls: %d tokens, want %d", got, want)
	}
}

func TestChatPromptUnmeasured(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		notes      int
	}{
		{"remote image", `{"messages":[{"role":"user","content":[{"type":"text","text":"what is this?"},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}]}`, 1},
		{"two remote images", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png","detail":"high"}},{"type":"image_url","image_url":{"url":"https://example.com/b.png"}}]}]}`, 2},
		{"remote image at low detail is measured", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png","detail":"low"}}]}]}`, 0},
		{"audio", `{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]}]}`, 1},
		{"file", `{"messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}]}`, 1},
		{"custom tool", `{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"custom","custom":{"name":"x"}}]}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := prompt(t, "gpt-4o", tt.body)
			if len(got.Unmeasured) != tt.notes || got.Tokens <= 0 {
				t.Errorf("ChatPrompt = %+v, want %d notes", got, tt.notes)
			}
		})
	}
}

func TestChatPromptImagesCounted(t *testing.T) {
	t.Parallel()
	url := dataURL(t, "png", 1024, 1024)
	with := prompt(t, "gpt-4o", `{"messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"`+url+`","detail":"high"}}]}]}`)
	without := prompt(t, "gpt-4o", `{"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`)
	if d := with.Tokens - without.Tokens; d != 765 || !with.Complete() {
		t.Errorf("a 1024×1024 PNG adds %d tokens (%v), want 765", d, with.Unmeasured)
	}
}

func TestChatCompletion(t *testing.T) {
	t.Parallel()
	enc := O200kBase
	weather := ToolCall{ID: "a", Type: "function", Function: FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris","unit":"celsius"}`}}
	tm := ToolCall{ID: "b", Type: "function", Function: FunctionCall{Name: "get_time", Arguments: `{"timezone":"Europe/Paris"}`}}
	tests := []struct {
		name   string
		model  string
		choice ChatMessage
		want   int
		notes  int
	}{
		{"text", "gpt-4o", ChatMessage{Content: Content{Text: "Paris is the capital of France."}}, Count(enc, "Paris is the capital of France."), 0},
		{"refusal", "gpt-4o", ChatMessage{Refusal: "I can't help with that."}, Count(enc, "I can't help with that."), 0},
		{"one call framed", "gpt-4o", ChatMessage{ToolCalls: []ToolCall{weather}},
			Count(enc, "get_weather") + Count(enc, weather.Function.Arguments) + 7, 0},
		{"legacy function call framed", "gpt-4o", ChatMessage{FunctionCall: &weather.Function},
			Count(enc, "get_weather") + Count(enc, weather.Function.Arguments) + 7, 0},
		// The captured stream this is modelled on counted 48.
		{"two parallel calls in the wrapper", "gpt-4o", ChatMessage{ToolCalls: []ToolCall{weather, tm}}, 48, 0},
		{"reasoning model reports hidden tokens", "o3-mini", ChatMessage{Content: Content{Text: "42"}}, 1, 1},
		{"gpt-5 reasons", "gpt-5-2025-08-07", ChatMessage{Content: Content{Text: "42"}}, 1, 1},
		{"gpt-5 chat does not", "gpt-5-chat-latest", ChatMessage{Content: Content{Text: "42"}}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ChatCompletion(tt.model, []ChatMessage{tt.choice})
			if got.Tokens != tt.want || len(got.Unmeasured) != tt.notes {
				t.Errorf("ChatCompletion = %+v, want %d tokens and %d notes", got, tt.want, tt.notes)
			}
		})
	}
	two := ChatCompletion("gpt-4o", []ChatMessage{{Content: Content{Text: "a b"}}, {Content: Content{Text: "c"}}})
	if two.Tokens != Count(enc, "a b")+Count(enc, "c") {
		t.Errorf("two choices: %d tokens", two.Tokens)
	}
}

func TestReasoningModel(t *testing.T) {
	t.Parallel()
	for model, want := range map[string]bool{
		"o1": true, "o1-mini": true, "o3-2025-04-16": true, "o4-mini": true, "gpt-5": true, "gpt-5-mini": true,
		"gpt-5.1-codex": true, "codex-mini-latest": true, "ft:o4-mini-2025-04-16:a::b": true,
		"gpt-5-chat-latest": false, "gpt-4o": false, "gpt-4.1": false, "omni-moderation-latest": false, "": false,
	} {
		if got := ReasoningModel(model); got != want {
			t.Errorf("ReasoningModel(%q) = %v, want %v", model, got, want)
		}
	}
}

func TestCompletionPromptShapes(t *testing.T) {
	t.Parallel()
	enc := Cl100kBase
	tests := []struct {
		raw  string
		want int
	}{
		{`"Say this is a test"`, Count(enc, "Say this is a test")},
		{`["a b", "c"]`, Count(enc, "a b") + Count(enc, "c")},
		{`[1, 2, 3]`, 3},
		{`[[1, 2], [3]]`, 3},
		{`null`, 0},
		{`{`, 0},
	}
	for _, tt := range tests {
		if got := CompletionPrompt("gpt-3.5-turbo-instruct", json.RawMessage(tt.raw)).Tokens; got != tt.want {
			t.Errorf("CompletionPrompt(%s) = %d, want %d", tt.raw, got, tt.want)
		}
		if got := EmbeddingInput("text-embedding-3-small", json.RawMessage(tt.raw)).Tokens; got != tt.want {
			t.Errorf("EmbeddingInput(%s) = %d, want %d", tt.raw, got, tt.want)
		}
	}
	if got := Completion("gpt-4o", "hello world").Tokens; got != 2 {
		t.Errorf("Completion = %d, want 2", got)
	}
}

// TestTextCache checks that long texts are counted once and then found,
// and that the cache keeps its bounds.
func TestTextCache(t *testing.T) {
	long := strings.Repeat("A long system prompt that every call resends. ", 20)
	want := Count(O200kBase, long)
	for range 2 {
		if got := countText(O200kBase, long); got != want {
			t.Fatalf("countText = %d, want %d", got, want)
		}
	}
	if n, ok := texts.get(textKey{O200kBase, long}); !ok || n != want {
		t.Errorf("long text not cached: %d, %v", n, ok)
	}
	if _, ok := texts.get(textKey{Cl100kBase, long}); ok && Count(Cl100kBase, long) != want {
		t.Error("cache mixes encodings")
	}
	var c textCache
	for i := range 3 * textCacheEntries {
		c.put(textKey{"e", strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)}, i)
	}
	if n := len(c.cur) + len(c.old); n > 2*textCacheEntries {
		t.Errorf("%d entries, want at most %d", n, 2*textCacheEntries)
	}
	c.put(textKey{"e", strings.Repeat("z", textCacheBytes/2+1)}, 1)
	c.put(textKey{"e", strings.Repeat("w", textCacheBytes/2+1)}, 2)
	if c.curBytes > textCacheBytes {
		t.Errorf("%d bytes in the current generation, want at most %d", c.curBytes, textCacheBytes)
	}
}
