package openaitest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	goopenai "github.com/sashabaranov/go-openai"
)

// This file renders a [Reply] on the Responses API: the response object of a
// plain request, and OpenAI's sequence of typed server-sent events for a
// streamed one. Both are written by hand, member by member, in the order
// OpenAI sends them: response objects in their documented order, events
// with "type" first and the other members in alphabetical order.

// responsesRequest is the part of a Responses API request that the response
// object echoes, each member as the request sent it (compacted).
type responsesRequest struct {
	Input                json.RawMessage `json:"input"`
	Instructions         json.RawMessage `json:"instructions"`
	Tools                json.RawMessage `json:"tools"`
	Temperature          json.RawMessage `json:"temperature"`
	TopP                 json.RawMessage `json:"top_p"`
	TopLogprobs          json.RawMessage `json:"top_logprobs"`
	PreviousResponseID   json.RawMessage `json:"previous_response_id"`
	MaxOutputTokens      json.RawMessage `json:"max_output_tokens"`
	MaxToolCalls         json.RawMessage `json:"max_tool_calls"`
	Metadata             json.RawMessage `json:"metadata"`
	ParallelToolCalls    json.RawMessage `json:"parallel_tool_calls"`
	Reasoning            json.RawMessage `json:"reasoning"`
	ServiceTier          json.RawMessage `json:"service_tier"`
	Store                json.RawMessage `json:"store"`
	Text                 json.RawMessage `json:"text"`
	ToolChoice           json.RawMessage `json:"tool_choice"`
	Truncation           json.RawMessage `json:"truncation"`
	User                 json.RawMessage `json:"user"`
	SafetyIdentifier     json.RawMessage `json:"safety_identifier"`
	PromptCacheKey       json.RawMessage `json:"prompt_cache_key"`
	PromptCacheRetention json.RawMessage `json:"prompt_cache_retention"`
	Background           json.RawMessage `json:"background"`
	FrequencyPenalty     json.RawMessage `json:"frequency_penalty"`
	PresencePenalty      json.RawMessage `json:"presence_penalty"`
}

// Item kinds of a Responses API output.
const (
	itemReasoning = iota
	itemMessage
	itemCall
)

type outItem struct {
	kind int
	id   string
	call int // the ToolCalls index of an itemCall
}

// responsesRender renders one Reply for one request.
type responsesRender struct {
	plan   *replyPlan
	req    responsesRequest
	id     string // response id
	model  []byte // JSON string
	items  []outItem
	usage  []byte // the final usage object
	status string // final status
	obf    bool   // delta events carry "obfuscation"
	seq    int    // next sequence_number
}

func newResponsesRender(plan *replyPlan, info *requestInfo, resp *Response) (*responsesRender, error) {
	rr := &responsesRender{plan: plan, id: "resp_openaitest_" + strconv.FormatUint(info.seq, 10),
		model: info.fill.vals[holeModel], status: "completed", obf: info.obfuscation()}
	var compact bytes.Buffer
	if err := json.Compact(&compact, info.body); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(compact.Bytes(), &rr.req); err != nil {
		return nil, err
	}
	a := &plan.answer
	base := "openaitest_" + strconv.FormatUint(info.seq, 10) + "_"
	add := func(kind int, prefix string, call int) {
		rr.items = append(rr.items, outItem{kind: kind, id: prefix + base + strconv.Itoa(len(rr.items)), call: call})
	}
	if a.Reasoning != nil {
		add(itemReasoning, "rs_", 0)
	}
	if a.Text != "" || a.Refusal != "" || len(a.ToolCalls) == 0 {
		add(itemMessage, "msg_", 0)
	}
	for i := range a.ToolCalls {
		add(itemCall, "fc_", i)
	}
	switch {
	case a.Failure != nil:
		rr.status = "failed"
	case a.Incomplete != "":
		rr.status = "incomplete"
	}
	if resp.usage != nil {
		rr.usage = appendResponsesUsage(nil, resp.usage)
	} else {
		input := tokens(len(rr.req.Input)+len(rr.req.Instructions)+len(rr.req.Tools)) + 3
		rr.usage = appendResponsesUsage(nil, &goopenai.Usage{
			PromptTokens: input, CompletionTokens: plan.completionEst, TotalTokens: input + plan.completionEst,
			CompletionTokensDetails: &goopenai.CompletionTokensDetails{ReasoningTokens: plan.reasoningEst},
		})
	}
	return rr, nil
}

// appendResponsesUsage appends u in the Responses API's usage shape.
func appendResponsesUsage(dst []byte, u *goopenai.Usage) []byte {
	cached, reasoning := 0, 0
	if u.PromptTokensDetails != nil {
		cached = u.PromptTokensDetails.CachedTokens
	}
	if u.CompletionTokensDetails != nil {
		reasoning = u.CompletionTokensDetails.ReasoningTokens
	}
	dst = appendIntMember(dst, `{"input_tokens":`, u.PromptTokens)
	dst = appendIntMember(dst, `,"input_tokens_details":{"cached_tokens":`, cached)
	dst = appendIntMember(dst, `},"output_tokens":`, u.CompletionTokens)
	dst = appendIntMember(dst, `,"output_tokens_details":{"reasoning_tokens":`, reasoning)
	dst = appendIntMember(dst, `},"total_tokens":`, u.TotalTokens)
	return append(dst, '}')
}

// echo returns the request's value of a member, or def when the request left
// it out or sent null.
func echo(v json.RawMessage, def string) []byte {
	if len(v) == 0 || string(v) == "null" {
		return []byte(def)
	}
	return v
}

// finalTier is the service tier OpenAI reports once a response is done:
// the tier requested, with "default" for "auto" or none.
func finalTier(requested json.RawMessage) []byte {
	switch string(requested) {
	case "", "null", `"auto"`:
		return []byte(`"default"`)
	}
	return requested
}

// appendResponse appends the response object: in progress (no output, no
// usage), as sent by response.created and response.in_progress, or final.
func (rr *responsesRender) appendResponse(dst []byte, final bool) []byte {
	q := &rr.req
	a := &rr.plan.answer
	status := "in_progress"
	if final {
		status = rr.status
	}
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, rr.id)
	dst = appendIntMember(dst, `,"object":"response","created_at":`, defaultCreated)
	dst = append(dst, `,"status":"`...)
	dst = append(dst, status...)
	dst = append(dst, `","background":`...)
	dst = append(dst, echo(q.Background, "false")...)
	if final && rr.status == "completed" {
		dst = appendIntMember(dst, `,"completed_at":`, defaultCreated+1)
	} else {
		dst = append(dst, `,"completed_at":null`...)
	}
	dst = append(dst, `,"error":`...)
	if final && a.Failure != nil {
		e := rr.plan.failure()
		dst = append(dst, `{"code":`...)
		dst = appendJSONString(dst, codeString(e.Code))
		dst = append(dst, `,"message":`...)
		dst = appendJSONString(dst, e.Message)
		dst = append(dst, '}')
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"frequency_penalty":`...)
	dst = append(dst, echo(q.FrequencyPenalty, "0.0")...)
	dst = append(dst, `,"incomplete_details":`...)
	if final && rr.status == "incomplete" {
		dst = append(dst, `{"reason":`...)
		dst = appendJSONString(dst, a.Incomplete)
		dst = append(dst, '}')
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"instructions":`...)
	dst = append(dst, echo(q.Instructions, "null")...)
	dst = append(dst, `,"max_output_tokens":`...)
	dst = append(dst, echo(q.MaxOutputTokens, "null")...)
	dst = append(dst, `,"max_tool_calls":`...)
	dst = append(dst, echo(q.MaxToolCalls, "null")...)
	dst = append(dst, `,"model":`...)
	dst = append(dst, rr.model...)
	dst = append(dst, `,"output":[`...)
	if final {
		for i := range rr.items {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = rr.appendItem(dst, i, true)
		}
	}
	dst = append(dst, `],"parallel_tool_calls":`...)
	dst = append(dst, echo(q.ParallelToolCalls, "true")...)
	dst = append(dst, `,"presence_penalty":`...)
	dst = append(dst, echo(q.PresencePenalty, "0.0")...)
	dst = append(dst, `,"previous_response_id":`...)
	dst = append(dst, echo(q.PreviousResponseID, "null")...)
	dst = append(dst, `,"prompt_cache_key":`...)
	dst = append(dst, echo(q.PromptCacheKey, "null")...)
	dst = append(dst, `,"prompt_cache_retention":`...)
	dst = append(dst, echo(q.PromptCacheRetention, "null")...)
	dst = append(dst, `,"reasoning":`...)
	dst = append(dst, echo(q.Reasoning, `{"effort":null,"summary":null}`)...)
	dst = append(dst, `,"safety_identifier":`...)
	dst = append(dst, echo(q.SafetyIdentifier, "null")...)
	dst = append(dst, `,"service_tier":`...)
	if final {
		dst = append(dst, finalTier(q.ServiceTier)...)
	} else {
		dst = append(dst, echo(q.ServiceTier, `"auto"`)...)
	}
	dst = append(dst, `,"store":`...)
	dst = append(dst, echo(q.Store, "true")...)
	dst = append(dst, `,"temperature":`...)
	dst = append(dst, echo(q.Temperature, "1.0")...)
	dst = append(dst, `,"text":`...)
	dst = append(dst, echo(q.Text, `{"format":{"type":"text"},"verbosity":"medium"}`)...)
	dst = append(dst, `,"tool_choice":`...)
	dst = append(dst, echo(q.ToolChoice, `"auto"`)...)
	dst = append(dst, `,"tools":`...)
	dst = append(dst, echo(q.Tools, "[]")...)
	dst = append(dst, `,"top_logprobs":`...)
	dst = append(dst, echo(q.TopLogprobs, "0")...)
	dst = append(dst, `,"top_p":`...)
	dst = append(dst, echo(q.TopP, "1.0")...)
	dst = append(dst, `,"truncation":`...)
	dst = append(dst, echo(q.Truncation, `"disabled"`)...)
	dst = append(dst, `,"usage":`...)
	if final {
		dst = append(dst, rr.usage...)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"user":`...)
	dst = append(dst, echo(q.User, "null")...)
	dst = append(dst, `,"metadata":`...)
	dst = append(dst, echo(q.Metadata, "{}")...)
	return append(dst, '}')
}

// codeString returns an error code as the string OpenAI sends.
func codeString(code any) string {
	switch c := code.(type) {
	case string:
		return c
	case nil:
		return ""
	}
	b, _ := json.Marshal(code)
	return string(b)
}

// itemStatus is the status of a finished message or function call item.
func (rr *responsesRender) itemStatus() string {
	if rr.status == "completed" {
		return "completed"
	}
	return "incomplete"
}

// appendItem appends output item i, finished (done) or as first announced.
func (rr *responsesRender) appendItem(dst []byte, i int, done bool) []byte {
	it := &rr.items[i]
	a := &rr.plan.answer
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, it.id)
	switch it.kind {
	case itemReasoning:
		dst = append(dst, `,"type":"reasoning","summary":[`...)
		if done {
			for j, s := range a.Reasoning {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = appendSummaryPart(dst, s)
			}
		}
		return append(dst, "]}"...)
	case itemMessage:
		dst = append(dst, `,"type":"message","status":`...)
		if !done {
			dst = append(dst, `"in_progress","content":[`...)
		} else {
			dst = appendJSONString(dst, rr.itemStatus())
			dst = append(dst, `,"content":[`...)
			dst = rr.appendPart(dst, true)
		}
		return append(dst, `],"role":"assistant"}`...)
	default:
		tc := a.ToolCalls[it.call]
		dst = append(dst, `,"type":"function_call","status":`...)
		args := tc.Arguments
		if done {
			dst = appendJSONString(dst, rr.itemStatus())
		} else {
			dst = append(dst, `"in_progress"`...)
			args = ""
		}
		dst = append(dst, `,"arguments":`...)
		dst = appendJSONString(dst, args)
		dst = append(dst, `,"call_id":`...)
		dst = appendJSONString(dst, tc.id(0, it.call))
		dst = append(dst, `,"name":`...)
		dst = appendJSONString(dst, tc.Name)
		return append(dst, '}')
	}
}

// appendPart appends the content part of the message: output_text, or a
// refusal, empty as announced or full when done.
func (rr *responsesRender) appendPart(dst []byte, done bool) []byte {
	a := &rr.plan.answer
	if a.Refusal != "" {
		dst = append(dst, `{"type":"refusal","refusal":`...)
		if done {
			dst = appendJSONString(dst, a.Refusal)
		} else {
			dst = append(dst, `""`...)
		}
		return append(dst, '}')
	}
	dst = append(dst, `{"type":"output_text","annotations":[],"logprobs":[],"text":`...)
	if done {
		dst = appendJSONString(dst, a.Text)
	} else {
		dst = append(dst, `""`...)
	}
	return append(dst, '}')
}

func appendSummaryPart(dst []byte, text string) []byte {
	dst = append(dst, `{"type":"summary_text","text":`...)
	dst = appendJSONString(dst, text)
	return append(dst, '}')
}

// eventWriter assembles server-sent events, each complete in its own slice.
type eventWriter struct {
	rr  *responsesRender
	out [][]byte
	b   []byte
}

// start opens an event of type typ: its event line and its "type" member.
func (w *eventWriter) start(typ string) {
	w.b = make([]byte, 0, 256)
	w.b = append(w.b, "event: "...)
	w.b = append(w.b, typ...)
	w.b = append(w.b, "\ndata: {\"type\":\""...)
	w.b = append(w.b, typ...)
	w.b = append(w.b, '"')
}

// end closes the event and keeps it.
func (w *eventWriter) end() {
	w.out = append(w.out, append(w.b, "}\n\n"...))
	w.b = nil
}

func (w *eventWriter) str(key, v string) {
	w.b = append(append(append(w.b, `,"`...), key...), `":`...)
	w.b = appendJSONString(w.b, v)
}

func (w *eventWriter) num(key string, n int) {
	w.b = append(append(append(w.b, `,"`...), key...), `":`...)
	w.b = strconv.AppendInt(w.b, int64(n), 10)
}

func (w *eventWriter) raw(s string) { w.b = append(w.b, s...) }

// seq appends the event's sequence_number and counts it.
func (w *eventWriter) seq() {
	w.num("sequence_number", w.rr.seq)
	w.rr.seq++
}

// obf appends the obfuscation padding of a delta event, unless the request
// turned it off.
func (w *eventWriter) obf() {
	if w.rr.obf {
		w.b = appendObfuscation(w.b, w.rr.seq)
	}
}

// snapshot writes an event that carries the whole response.
func (w *eventWriter) snapshot(typ string, final bool) {
	w.start(typ)
	w.raw(`,"response":`)
	w.b = w.rr.appendResponse(w.b, final)
	w.seq()
	w.end()
}

// item writes an output_item event for item i.
func (w *eventWriter) item(typ string, i int, done bool) {
	w.start(typ)
	w.raw(`,"item":`)
	w.b = w.rr.appendItem(w.b, i, done)
	w.num("output_index", i)
	w.seq()
	w.end()
}

// events renders the stream, each element one complete server-sent event:
// response.created and response.in_progress, then for each output item its
// added event, its content events and its done event, then
// response.completed, response.incomplete or response.failed.
func (rr *responsesRender) events() [][]byte {
	w := &eventWriter{rr: rr}
	a := &rr.plan.answer
	w.snapshot("response.created", false)
	w.snapshot("response.in_progress", false)
	for i, it := range rr.items {
		w.item("response.output_item.added", i, false)
		switch it.kind {
		case itemReasoning:
			for j, pieces := range rr.plan.summary {
				w.summaryPart("response.reasoning_summary_part.added", i, j, "")
				for _, p := range pieces {
					w.start("response.reasoning_summary_text.delta")
					w.str("delta", p)
					w.str("item_id", it.id)
					w.obf()
					w.num("output_index", i)
					w.seq()
					w.num("summary_index", j)
					w.end()
				}
				w.start("response.reasoning_summary_text.done")
				w.str("item_id", it.id)
				w.num("output_index", i)
				w.seq()
				w.num("summary_index", j)
				w.str("text", a.Reasoning[j])
				w.end()
				w.summaryPart("response.reasoning_summary_part.done", i, j, a.Reasoning[j])
			}
		case itemMessage:
			w.contentPart("response.content_part.added", i, false)
			if a.Refusal != "" {
				for _, p := range rr.plan.refusal {
					w.start("response.refusal.delta")
					w.raw(`,"content_index":0`)
					w.str("delta", p)
					w.str("item_id", it.id)
					w.obf()
					w.num("output_index", i)
					w.seq()
					w.end()
				}
				w.start("response.refusal.done")
				w.raw(`,"content_index":0`)
				w.str("item_id", it.id)
				w.num("output_index", i)
				w.str("refusal", a.Refusal)
				w.seq()
				w.end()
			} else {
				for _, p := range rr.plan.text {
					if p == "" {
						continue
					}
					w.start("response.output_text.delta")
					w.raw(`,"content_index":0`)
					w.str("delta", p)
					w.str("item_id", it.id)
					w.raw(`,"logprobs":[]`)
					w.obf()
					w.num("output_index", i)
					w.seq()
					w.end()
				}
				w.start("response.output_text.done")
				w.raw(`,"content_index":0`)
				w.str("item_id", it.id)
				w.raw(`,"logprobs":[]`)
				w.num("output_index", i)
				w.seq()
				w.str("text", a.Text)
				w.end()
			}
			w.contentPart("response.content_part.done", i, true)
		case itemCall:
			for _, p := range rr.plan.args[it.call] {
				if p == "" {
					continue
				}
				w.start("response.function_call_arguments.delta")
				w.str("delta", p)
				w.str("item_id", it.id)
				w.obf()
				w.num("output_index", i)
				w.seq()
				w.end()
			}
			w.start("response.function_call_arguments.done")
			w.str("arguments", a.ToolCalls[it.call].Arguments)
			w.str("item_id", it.id)
			w.num("output_index", i)
			w.seq()
			w.end()
		}
		w.item("response.output_item.done", i, true)
	}
	w.snapshot("response."+rr.status, true)
	return w.out
}

func (w *eventWriter) summaryPart(typ string, i, j int, text string) {
	w.start(typ)
	w.str("item_id", w.rr.items[i].id)
	w.num("output_index", i)
	w.raw(`,"part":`)
	w.b = appendSummaryPart(w.b, text)
	w.seq()
	w.num("summary_index", j)
	w.end()
}

func (w *eventWriter) contentPart(typ string, i int, done bool) {
	w.start(typ)
	w.raw(`,"content_index":0`)
	w.str("item_id", w.rr.items[i].id)
	w.num("output_index", i)
	w.raw(`,"part":`)
	w.b = w.rr.appendPart(w.b, done)
	w.seq()
	w.end()
}

// errorEvent renders OpenAI's "error" event for e.
func (rr *responsesRender) errorEvent(e *goopenai.APIError) []byte {
	w := &eventWriter{rr: rr}
	w.start("error")
	code := codeString(e.Code)
	if code == "" {
		code = e.Type
	}
	w.str("code", code)
	w.str("message", e.Message)
	if e.Param != nil {
		w.str("param", *e.Param)
	} else {
		w.raw(`,"param":null`)
	}
	w.seq()
	w.end()
	return w.out[0]
}

// respondResponses answers a Reply on the Responses API route.
func (s *Server) respondResponses(w http.ResponseWriter, r *http.Request, info *requestInfo, resp *Response) {
	rr, err := newResponsesRender(resp.reply, info, resp)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", nil,
			"We could not parse the JSON body of your request. "+err.Error())
		return
	}
	rr.obf = rr.obf && s.wire.obfuscate
	if !info.Stream {
		s.writeBody(w, resp, ctJSON, rr.appendResponse(nil, true))
		return
	}
	st, ok := s.beginStream(w, r, resp)
	if !ok {
		return
	}
	events := rr.events()
	errAt, cutAt := st.faults(len(events))
	for i, ev := range events {
		switch i {
		case errAt:
			rr.seq = i
			st.last(rr.errorEvent(resp.errAPI))
			return
		case cutAt:
			abort()
		}
		if !st.send(ev) {
			st.ended()
			return
		}
	}
	switch len(events) {
	case errAt:
		rr.seq = len(events)
		st.last(rr.errorEvent(resp.errAPI))
	case cutAt:
		abort()
	}
}

// reasoningModel reports whether model is one of OpenAI's reasoning models,
// whose Responses API answers lead with a reasoning item.
func reasoningModel(model string) bool {
	for _, p := range []string{"gpt-5", "o1", "o3", "o4"} {
		if strings.HasPrefix(model, p) {
			return true
		}
	}
	return false
}
