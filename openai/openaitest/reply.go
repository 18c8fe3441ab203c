package openaitest

import (
	"fmt"
	"net/http"

	goopenai "github.com/sashabaranov/go-openai"
)

// Answer describes what the model answers, independently of the route it is
// asked on and of whether the request streams. [Reply] turns it into a
// [Response]. The zero Answer is an empty text answer.
//
// On the chat completions route an Answer is one assistant message (one per
// "n"); on the Responses API route, a response whose output holds a
// reasoning item (when Reasoning is set), a message (when Text or Refusal
// is set, or nothing else is) and one function_call item per tool call; on
// the legacy completions route and the audio transcription and translation
// routes, its Text.
type Answer struct {
	// Text is the assistant's message.
	Text string
	// Refusal, when set, is a refusal message, which OpenAI sends in place
	// of text when the model declines.
	Refusal string
	// ToolCalls are the function calls the model asks for, after the text.
	// On the Responses API a ToolCall's ID is the item's call_id.
	ToolCalls []ToolCall
	// Reasoning is the summary of the model's reasoning, one string per
	// summary part. On the Responses API a non-nil Reasoning (even empty)
	// puts a reasoning item first in the output, as reasoning models do.
	// Chat completions show no reasoning; there, as everywhere, its length
	// counts as reasoning tokens in the estimated usage.
	Reasoning []string
	// Incomplete, when set, is why the answer stopped early, as OpenAI
	// names it: "max_output_tokens" or "content_filter". The Responses API
	// then reports status "incomplete" with incomplete_details.reason; chat
	// completions report finish_reason "length" or "content_filter".
	Incomplete string
	// Failure, when set, makes the generation fail after the output above.
	// The Responses API then reports status "failed" with an error of
	// Failure's Code (default "server_error") and Message; a streamed chat
	// completion ends with an error event after its content, and a plain
	// one answers 500 with Failure as its error body.
	Failure *goopenai.APIError
}

// Reply returns a response that answers a as the route and the request ask:
// as JSON or as a stream, for chat completions, the Responses API, legacy
// completions and audio transcriptions and translations (see [Answer]).
// Ids, model, created and usage are filled per request as for [JSON]; usage
// is estimated unless set with [Response.WithUsage]. The faults and delays
// of [Response] apply as for other responses; on the Responses API stream,
// [Response.CutAfter] and [Response.ErrorAfter] count events.
//
// Streams send text about one word per chunk, tool call arguments about
// four bytes per delta, and on the chat route each choice opens with a
// role-only chunk, as [ChatChunks] describes.
//
// Served on any other route, it answers 500 with a message that names the
// mismatch.
func Reply(a Answer) Response {
	plan := &replyPlan{answer: a}
	plan.text = splitWords(a.Text)
	plan.refusal = splitWords(a.Refusal)
	plan.args = make([][]string, len(a.ToolCalls))
	n := len(a.Text) + len(a.Refusal)
	for i, tc := range a.ToolCalls {
		plan.args[i] = splitTokens(tc.Arguments)
		n += len(tc.Name) + len(tc.Arguments)
	}
	plan.summary = make([][]string, len(a.Reasoning))
	reasoning := 0
	for i, s := range a.Reasoning {
		plan.summary[i] = splitWords(s)
		reasoning += len(s)
	}
	plan.reasoningEst = tokens(reasoning)
	plan.completionEst = tokens(n) + plan.reasoningEst
	plan.chat = [2]Response{plan.chatResponse(1, false), plan.chatResponse(1, true)}
	plan.completion = [2]Response{plan.completionResponse(1, false), plan.completionResponse(1, true)}

	r := newResponse(kindReply, http.StatusOK)
	r.reply = plan
	return r
}

// TextReply returns a [Reply] whose answer is text: a chat completion with
// that assistant message, a Responses API output_text message, a legacy
// completion or a transcript, streamed one word per chunk when the request
// streams.
func TextReply(text string) Response {
	return Reply(Answer{Text: text})
}

// ToolCallReply returns a [Reply] in which the model asks for the given
// function calls, in parallel when there are several: on the chat route a
// message with tool_calls and finish_reason "tool_calls", on the Responses
// API one function_call item per call. Calls without an ID get
// "call_0_<index>".
func ToolCallReply(calls ...ToolCall) Response {
	return Reply(Answer{ToolCalls: calls})
}

// replyPlan is an Answer prepared for serving: its texts cut into stream
// pieces, its chat renderings for n = 1 encoded, and its token estimates.
type replyPlan struct {
	answer        Answer
	text, refusal []string    // stream pieces
	args          [][]string  // per tool call
	summary       [][]string  // per reasoning summary part
	completionEst int         // estimated output tokens, reasoning included
	reasoningEst  int         // estimated reasoning tokens
	chat          [2]Response // for n = 1: JSON, stream
	completion    [2]Response // for one choice: JSON, stream
}

// choice returns the answer as a chat choice.
func (p *replyPlan) choice() Choice {
	a := &p.answer
	c := Choice{Content: a.Text, Refusal: a.Refusal, ToolCalls: a.ToolCalls}
	switch a.Incomplete {
	case "":
	case "content_filter":
		c.FinishReason = goopenai.FinishReasonContentFilter
	default:
		c.FinishReason = goopenai.FinishReasonLength
	}
	return c
}

// failure returns the answer's Failure with OpenAI's defaults filled in.
func (p *replyPlan) failure() goopenai.APIError {
	e := *p.answer.Failure
	e.Type = orDefault(e.Type, "server_error")
	if e.Code == nil || e.Code == "" {
		e.Code = "server_error"
	}
	return e
}

// chatResponse renders the answer for the chat route with n choices.
func (p *replyPlan) chatResponse(n int, stream bool) Response {
	choices := make([]Choice, n)
	for i := range choices {
		choices[i] = p.choice()
	}
	var r Response
	switch {
	case !stream && p.answer.Failure != nil:
		return ErrorBody(http.StatusInternalServerError, p.failure())
	case !stream:
		r = JSON(ChatResponse(choices...))
	case p.answer.Failure != nil:
		chunks := chatChunks(splitWords, splitTokens, choices)
		kept := chunks[:0:0]
		for _, c := range chunks {
			if c.Choices[0].FinishReason == "" {
				kept = append(kept, c)
			}
		}
		r = ChatStream(kept...).ErrorAfter(len(kept), p.failure())
	default:
		r = ChatStream(chatChunks(splitWords, splitTokens, choices)...)
	}
	r.completionEst = p.completionEst * n
	r.reasoningEst = p.reasoningEst * n
	return r
}

// completionResponse renders the answer's text for the legacy completions
// route with n choices.
func (p *replyPlan) completionResponse(n int, stream bool) Response {
	texts := make([]string, n)
	for i := range texts {
		texts[i] = p.answer.Text
	}
	var r Response
	switch {
	case !stream && p.answer.Failure != nil:
		return ErrorBody(http.StatusInternalServerError, p.failure())
	case stream:
		chunks := completionChunks(splitWords, texts)
		finish := string(p.choice().finishReason())
		kept := chunks[:0:0]
		for _, c := range chunks {
			switch {
			case c.Choices[0].FinishReason == "":
				kept = append(kept, c)
			case p.answer.Failure == nil:
				c.Choices = []goopenai.CompletionChoice{c.Choices[0]}
				c.Choices[0].FinishReason = finish
				kept = append(kept, c)
			}
		}
		r = CompletionStream(kept...)
		if p.answer.Failure != nil {
			r = r.ErrorAfter(len(kept), p.failure())
		}
	default:
		resp := goopenai.CompletionResponse{Choices: make([]goopenai.CompletionChoice, n)}
		for i := range resp.Choices {
			resp.Choices[i] = goopenai.CompletionChoice{Index: i, Text: p.answer.Text, FinishReason: string(p.choice().finishReason())}
		}
		r = JSON(resp)
	}
	r.completionEst = tokens(len(p.answer.Text)) * n
	return r
}

// resolve returns what the reply r sends on route for the request: a
// concrete response carrying r's modifiers, or ok false when route is one
// that the caller renders itself from r.reply.
func (r *Response) resolve(route Route, info *requestInfo) (Response, bool) {
	p := r.reply
	n := max(info.N, 1)
	var base Response
	switch route {
	case RouteChatCompletions:
		if n == 1 {
			base = p.chat[b2i(info.Stream)]
		} else {
			base = p.chatResponse(n, info.Stream)
		}
	case RouteCompletions:
		if k := n * max(len(info.inputs(info.Prompt)), 1); k == 1 {
			base = p.completion[b2i(info.Stream)]
		} else {
			base = p.completionResponse(k, info.Stream)
		}
	case RouteResponses, RouteTranscriptions, RouteTranslations:
		return Response{}, false
	default:
		return scriptError(fmt.Errorf("openaitest: a Reply is scripted for %s, which does not answer with a model's text", route)), true
	}
	mods := *r
	mods.reply = nil
	return mods.over(base), true
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
