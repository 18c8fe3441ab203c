package openaitest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// chatMessage is what a consumer assembles from a chat answer, plain or
// streamed.
type chatMessage struct {
	content, refusal string
	calls            []goopenai.ToolCall
	finish           goopenai.FinishReason
}

// assemble folds streamed chunks into one message per choice.
func assemble(chunks []goopenai.ChatCompletionStreamResponse) map[int]*chatMessage {
	out := make(map[int]*chatMessage)
	for _, ch := range chunks {
		for _, c := range ch.Choices {
			m := out[c.Index]
			if m == nil {
				m = &chatMessage{}
				out[c.Index] = m
			}
			m.content += c.Delta.Content
			m.refusal += c.Delta.Refusal
			for _, d := range c.Delta.ToolCalls {
				if d.ID != "" {
					m.calls = append(m.calls, goopenai.ToolCall{ID: d.ID, Type: d.Type, Function: d.Function})
					continue
				}
				m.calls[*d.Index].Function.Arguments += d.Function.Arguments
			}
			if c.FinishReason != "" {
				m.finish = c.FinishReason
			}
		}
	}
	return out
}

func TestReplyOnChat(t *testing.T) {
	t.Parallel()
	calls := []openaitest.ToolCall{
		{Name: "get_weather", Arguments: `{"city":"Paris","unit":"celsius"}`},
		{ID: "call_time", Name: "get_time", Arguments: `{"timezone":"Europe/Paris"}`},
	}
	wantCalls := []goopenai.ToolCall{
		{ID: "call_0_0", Type: "function", Function: goopenai.FunctionCall{Name: "get_weather", Arguments: calls[0].Arguments}},
		{ID: "call_time", Type: "function", Function: goopenai.FunctionCall{Name: "get_time", Arguments: calls[1].Arguments}},
	}
	tests := []struct {
		name  string
		reply openaitest.Response
		n     int
		want  chatMessage
	}{
		{"text", openaitest.TextReply("Paris is the capital of France."), 1,
			chatMessage{content: "Paris is the capital of France.", finish: "stop"}},
		{"one tool call", openaitest.ToolCallReply(calls[0]), 1,
			chatMessage{calls: wantCalls[:1], finish: "tool_calls"}},
		{"parallel tool calls", openaitest.ToolCallReply(calls...), 1,
			chatMessage{calls: wantCalls, finish: "tool_calls"}},
		{"text and a tool call", openaitest.Reply(openaitest.Answer{Text: "Let me check.", ToolCalls: calls[:1]}), 1,
			chatMessage{content: "Let me check.", calls: wantCalls[:1], finish: "tool_calls"}},
		{"refusal", openaitest.Reply(openaitest.Answer{Refusal: "I can't help with that."}), 1,
			chatMessage{refusal: "I can't help with that.", finish: "stop"}},
		{"incomplete", openaitest.Reply(openaitest.Answer{Text: "Once upon", Incomplete: "max_output_tokens"}), 1,
			chatMessage{content: "Once upon", finish: "length"}},
		{"content filter", openaitest.Reply(openaitest.Answer{Text: "Well", Incomplete: "content_filter"}), 1,
			chatMessage{content: "Well", finish: "content_filter"}},
		{"three choices", openaitest.TextReply("Same for all."), 3,
			chatMessage{content: "Same for all.", finish: "stop"}},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			name := tt.name + "/plain"
			if stream {
				name = tt.name + "/stream"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				srv, c := newServer(t)
				srv.Enqueue(openaitest.RouteChatCompletions, tt.reply)
				req := chatRequest("gpt-4o", "Hi")
				req.N = tt.n
				got := map[int]*chatMessage{}
				if stream {
					chunks, err := collectChat(t, c, req)
					if err != nil {
						t.Fatal(err)
					}
					got = assemble(chunks)
				} else {
					resp, err := c.CreateChatCompletion(context.Background(), req)
					if err != nil {
						t.Fatal(err)
					}
					checkUsage(t, resp.Usage)
					for _, ch := range resp.Choices {
						got[ch.Index] = &chatMessage{content: ch.Message.Content, refusal: ch.Message.Refusal,
							calls: ch.Message.ToolCalls, finish: ch.FinishReason}
					}
				}
				if len(got) != tt.n {
					t.Fatalf("%d choices, want %d", len(got), tt.n)
				}
				for i, m := range got {
					if !equalMessage(*m, tt.want) {
						t.Errorf("choice %d = %+v, want %+v", i, *m, tt.want)
					}
				}
			})
		}
	}
}

func equalMessage(a, b chatMessage) bool {
	if a.content != b.content || a.refusal != b.refusal || a.finish != b.finish || len(a.calls) != len(b.calls) {
		return false
	}
	for i := range a.calls {
		x, y := a.calls[i], b.calls[i]
		if x.ID != y.ID || x.Type != y.Type || x.Function != y.Function {
			return false
		}
	}
	return true
}

// TestReplyChatWire checks what go-openai hides: how a refusal or tool calls
// open the stream and are sent in plain answers.
func TestReplyChatWire(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		reply     openaitest.Response
		stream    bool
		contains  []string
		lacks     []string
		firstOpen string
	}{
		{"refusal plain", openaitest.Reply(openaitest.Answer{Refusal: "No."}), false,
			[]string{`"message":{"role":"assistant","content":null,"refusal":"No.","annotations":[]}`}, nil, ""},
		{"tool call plain", openaitest.ToolCallReply(openaitest.ToolCall{Name: "f", Arguments: "{}"}), false,
			[]string{`"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_0_0","type":"function","function":{"name":"f","arguments":"{}"}}],"refusal":null,"annotations":[]}`},
			nil, ""},
		{"refusal stream", openaitest.Reply(openaitest.Answer{Refusal: "No."}), true,
			[]string{`"delta":{"refusal":"No."}`}, nil, `"delta":{"role":"assistant","content":null,"refusal":""}`},
		{"tool call stream", openaitest.ToolCallReply(openaitest.ToolCall{Name: "f", Arguments: `{"a":1}`}), true,
			[]string{`"delta":{"tool_calls":[{"index":0,"id":"call_0_0","type":"function","function":{"name":"f","arguments":""}}]}`,
				`"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\""}}]}`},
			[]string{`"name":"","`}, `"delta":{"role":"assistant","content":null,"refusal":null}`},
		{"text stream", openaitest.TextReply("Hi there"), true,
			[]string{`"delta":{"content":"Hi"}`, `"delta":{"content":" there"}`, `"delta":{},"finish_reason":"stop"`}, nil,
			`"delta":{"role":"assistant","content":"","refusal":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newServer(t)
			srv.Enqueue(openaitest.RouteChatCompletions, tt.reply)
			_, body := post(t, srv, http.MethodPost, openaitest.RouteChatCompletions,
				`{"model":"gpt-4o","stream":`+map[bool]string{true: "true", false: "false"}[tt.stream]+`,"messages":[]}`)
			for _, s := range tt.contains {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %s:\n%s", s, body)
				}
			}
			for _, s := range tt.lacks {
				if strings.Contains(body, s) {
					t.Errorf("body has %s:\n%s", s, body)
				}
			}
			if tt.firstOpen != "" {
				first, _, _ := strings.Cut(body, "\n\n")
				if !strings.Contains(first, tt.firstOpen) {
					t.Errorf("first chunk %s, want it to open with %s", first, tt.firstOpen)
				}
			}
		})
	}
}

func TestReplyFailureOnChat(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	failing := openaitest.Reply(openaitest.Answer{Text: "Half an", Failure: &goopenai.APIError{Message: "The model crashed."}})
	srv.Enqueue(openaitest.RouteChatCompletions, failing, failing)

	_, err := c.CreateChatCompletion(context.Background(), chatRequest("gpt-4o", "Hi"))
	if e := apiError(t, err); e.HTTPStatusCode != 500 || e.Message != "The model crashed." || e.Type != "server_error" || e.Code != "server_error" {
		t.Errorf("plain: error %+v", e)
	}
	chunks, err := collectChat(t, c, chatRequest("gpt-4o", "Hi"))
	if e := apiError(t, err); e.Message != "The model crashed." {
		t.Errorf("stream: error %+v", e)
	}
	if m := assemble(chunks)[0]; m == nil || m.content != "Half an" || m.finish != "" {
		t.Errorf("stream before the error: %+v", m)
	}
}

func TestReplyOnCompletions(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()
	srv.SetDefault(openaitest.RouteCompletions, openaitest.TextReply("Once upon a time"))
	req := goopenai.CompletionRequest{Model: "gpt-3.5-turbo-instruct", Prompt: "Tell me"}

	resp, err := c.CreateCompletion(ctx, req)
	if err != nil || len(resp.Choices) != 1 || resp.Choices[0].Text != "Once upon a time" || resp.Choices[0].FinishReason != "stop" {
		t.Fatalf("plain: %+v, %v", resp, err)
	}
	req.N = 2
	chunks, err := collectCompletion(t, c, req)
	if err != nil {
		t.Fatal(err)
	}
	var texts [2]string
	for _, ch := range chunks {
		texts[ch.Choices[0].Index] += ch.Choices[0].Text
	}
	if texts != [2]string{"Once upon a time", "Once upon a time"} {
		t.Errorf("stream texts %q", texts)
	}

	srv.SetDefault(openaitest.RouteCompletions, openaitest.Reply(openaitest.Answer{Text: "Once", Failure: &goopenai.APIError{Message: "boom"}}))
	if _, err := c.CreateCompletion(ctx, goopenai.CompletionRequest{Model: "gpt-3.5-turbo-instruct", Prompt: "x"}); apiError(t, err).HTTPStatusCode != 500 {
		t.Errorf("plain failure: %v", err)
	}
	chunks, err = collectCompletion(t, c, goopenai.CompletionRequest{Model: "gpt-3.5-turbo-instruct", Prompt: "x"})
	if e := apiError(t, err); e.Message != "boom" || len(chunks) != 1 || chunks[0].Choices[0].Text != "Once" {
		t.Errorf("stream failure: %d chunks, %+v", len(chunks), e)
	}
}

func TestReplyOnOtherRoutes(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	srv.Enqueue(openaitest.RouteEmbeddings, openaitest.TextReply("x"))
	_, err := c.CreateEmbeddings(context.Background(), goopenai.EmbeddingRequest{Input: "x", Model: goopenai.SmallEmbedding3})
	if e := apiError(t, err); e.HTTPStatusCode != 500 || !strings.Contains(e.Message, "a Reply is scripted for /v1/embeddings") {
		t.Errorf("error %+v", e)
	}
}

func TestReplyModifiers(t *testing.T) {
	t.Parallel()
	exact := goopenai.Usage{PromptTokens: 100, CompletionTokens: 20, TotalTokens: 120,
		PromptTokensDetails:     &goopenai.PromptTokensDetails{CachedTokens: 64},
		CompletionTokensDetails: &goopenai.CompletionTokensDetails{ReasoningTokens: 12}}
	srv, c := newServer(t)
	ctx := context.Background()
	srv.Enqueue(openaitest.RouteChatCompletions,
		openaitest.TextReply("exact").WithUsage(exact).WithHeader("X-Ratelimit-Remaining-Requests", "7"),
		openaitest.TextReply("exact").WithUsage(exact),
		openaitest.TextReply("one two three four").CutAfter(3),
		openaitest.TextReply("slow").WithDelay(time.Hour),
	)

	resp, err := c.CreateChatCompletion(ctx, chatRequest("gpt-4o", "Hi"))
	if err != nil {
		t.Fatal(err)
	}
	if u := resp.Usage; u.TotalTokens != 120 || u.PromptTokensDetails.CachedTokens != 64 || u.CompletionTokensDetails.ReasoningTokens != 12 {
		t.Errorf("usage %+v", u)
	}
	if resp.GetRateLimitHeaders().RemainingRequests != 7 {
		t.Errorf("headers %v", resp.Header())
	}
	chunks, err := collectChat(t, c, withUsage(chatRequest("gpt-4o", "Hi")))
	if err != nil {
		t.Fatal(err)
	}
	if u := chunks[len(chunks)-1].Usage; u == nil || u.PromptTokensDetails.CachedTokens != 64 {
		t.Errorf("stream usage %+v", u)
	}
	chunks, err = collectChat(t, c, chatRequest("gpt-4o", "Hi"))
	if len(chunks) != 3 {
		t.Errorf("cut stream: %d chunks", len(chunks))
	}
	isUnexpectedEOF(t, err)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := c.CreateChatCompletion(short, chatRequest("gpt-4o", "Hi")); err == nil {
		t.Error("a delayed reply answered within the deadline")
	}
}

// TestReplyEstimatesReasoning checks that reasoning summaries count as
// reasoning tokens in the estimated chat usage.
func TestReplyEstimatesReasoning(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t)
	srv.Enqueue(openaitest.RouteChatCompletions, openaitest.Reply(openaitest.Answer{
		Text: "42", Reasoning: []string{strings.Repeat("think ", 20)}}))
	_, body := post(t, srv, http.MethodPost, openaitest.RouteChatCompletions, `{"model":"o3","messages":[]}`)
	var resp struct {
		Usage goopenai.Usage `json:"usage"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	if r := resp.Usage.CompletionTokensDetails.ReasoningTokens; r != 30 || resp.Usage.CompletionTokens != 31 {
		t.Errorf("usage %+v, reasoning %d: want 30 reasoning tokens of 31", resp.Usage, r)
	}
}
