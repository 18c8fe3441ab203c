package openaihttp

import (
	"encoding/json"
	"strconv"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/internal/jsonscan"
	"github.com/gentrace/gentrace-go/internal/sse"
)

// responseStatus makes a Responses API answer whose status is "failed" or
// "incomplete" the step's error, with the reason OpenAI gave.
func (c *capture) responseStatus(s *gentrace.Step, resp []byte) {
	status, _ := jsonscan.String(jsonscan.Get(resp, "status"))
	switch status {
	case "failed":
		msg := "response failed"
		if e := jsonscan.Get(resp, "error"); !jsonscan.IsNull(e) {
			msg += ": " + errorMessage(e)
			if code, ok := jsonscan.String(jsonscan.Get(e, "code")); ok && code != "" {
				msg += " (code " + code + ")"
			}
		}
		s.Error = msg
	case "incomplete":
		msg := "response incomplete"
		if reason, ok := jsonscan.String(jsonscan.Get(jsonscan.Get(resp, "incomplete_details"), "reason")); ok && reason != "" {
			msg += ": " + reason
		}
		s.Error = msg
	}
}

// completeResponseStream records a streamed Responses API call: the
// response of its last response.completed (or .incomplete, .failed) event,
// or, for a stream that ended before it, the response assembled from the
// events received.
func (c *capture) completeResponseStream(s *gentrace.Step, model string) (*usage, string) {
	var final, base []byte
	var streamErr []byte
	items := &outputItems{}
	unparsed := 0
	sse.Each(c.resp, func(ev sse.Event) bool {
		data := jsonscan.Trim(ev.Data)
		if !jsonscan.Valid(data) {
			if string(data) != "[DONE]" {
				unparsed++
			}
			return true
		}
		typ, _ := jsonscan.String(jsonscan.Get(data, "type"))
		if typ == "" {
			typ = string(ev.Type)
		}
		switch typ {
		case "response.completed", "response.incomplete", "response.failed":
			final = jsonscan.Get(data, "response")
		case "response.created", "response.in_progress", "response.queued":
			base = jsonscan.Get(data, "response")
		case "error":
			streamErr = data
		default:
			items.add(typ, data)
		}
		return true
	})
	if unparsed > 0 {
		s.Outputs["unparsedEvents"] = unparsed
	}
	if final != nil && jsonscan.Members(final, func(k, v []byte) bool {
		s.Outputs[keyString(k)] = c.checked.New(v)
		return true
	}) {
		if m, ok := jsonscan.String(jsonscan.Get(final, "model")); ok && m != "" {
			model = m
		}
		c.responseStatus(s, final)
		if streamErr != nil && s.Error == "" {
			s.Error = "stream error: " + errorMessage(streamErr)
		}
		return parseUsage(jsonscan.Get(final, "usage")), model
	}
	// The stream ended early: assemble what arrived.
	jsonscan.Members(base, func(k, v []byte) bool {
		s.Outputs[keyString(k)] = c.checked.New(v)
		return true
	})
	if m, ok := jsonscan.String(jsonscan.Get(base, "model")); ok && m != "" {
		model = m
	}
	s.Outputs["output"] = json.RawMessage(items.appendJSON(nil))
	switch {
	case streamErr != nil:
		s.Error = "stream error: " + errorMessage(streamErr)
	case c.how == errClosed:
		s.Outputs["closedEarly"] = true
	case c.how == errAbandoned:
		s.Outputs["closedEarly"] = true
		s.Error = errAbandoned.Error()
	case c.how == errBodyEnd:
		s.Error = "stream ended before response.completed"
	default:
		s.Error = "stream failed: " + c.how.Error()
	}
	var u *usage
	if len(items.list) > 0 || len(c.request) > 0 {
		u = c.estimateResponse(model, items)
	}
	return u, model
}

// outputItems assembles the output items of a Responses stream from its
// events: each item as added (or done), with the text, arguments,
// refusals and reasoning summaries of its deltas joined.
type outputItems struct {
	list []*outputItem
}

type outputItem struct {
	index   int64
	item    []byte // as added, or as done
	done    bool
	args    []byte // function_call arguments (string body)
	parts   []*textPart
	summary []*textPart
}

type textPart struct {
	index int64
	typ   string // output_text, refusal, summary_text
	text  []byte // string body
}

func (o *outputItems) get(index int64) *outputItem {
	for _, it := range o.list {
		if it.index == index {
			return it
		}
	}
	it := &outputItem{index: index}
	o.list = append(o.list, it)
	return it
}

func (o *outputItems) add(typ string, data []byte) {
	index, ok := jsonscan.Int(jsonscan.Get(data, "output_index"))
	if !ok {
		return
	}
	it := o.get(index)
	delta, _ := jsonscan.StringBody(jsonscan.Get(data, "delta"))
	switch typ {
	case "response.output_item.added":
		if !it.done {
			it.item = jsonscan.Get(data, "item")
		}
	case "response.output_item.done":
		it.item, it.done = jsonscan.Get(data, "item"), true
	case "response.output_text.delta":
		p := it.part(&it.parts, data, "content_index", "output_text")
		p.text = append(p.text, delta...)
	case "response.refusal.delta":
		p := it.part(&it.parts, data, "content_index", "refusal")
		p.text = append(p.text, delta...)
	case "response.function_call_arguments.delta":
		it.args = append(it.args, delta...)
	case "response.reasoning_summary_text.delta":
		p := it.part(&it.summary, data, "summary_index", "summary_text")
		p.text = append(p.text, delta...)
	}
}

func (it *outputItem) part(list *[]*textPart, data []byte, indexKey, typ string) *textPart {
	index, _ := jsonscan.Int(jsonscan.Get(data, indexKey))
	for _, p := range *list {
		if p.index == index {
			return p
		}
	}
	p := &textPart{index: index, typ: typ}
	*list = append(*list, p)
	return p
}

// appendJSON writes the items: a done item as OpenAI sent it, an
// unfinished one as added with what its deltas carried.
func (o *outputItems) appendJSON(b []byte) []byte {
	b = append(b, '[')
	for i, it := range o.list {
		if i > 0 {
			b = append(b, ',')
		}
		if it.done || (len(it.args) == 0 && len(it.parts) == 0 && len(it.summary) == 0) {
			if it.item == nil {
				b = append(b, "null"...)
			} else {
				b = append(b, it.item...)
			}
			continue
		}
		b = append(b, '{')
		n := 0
		jsonscan.Members(it.item, func(k, v []byte) bool {
			switch string(k) {
			case "arguments", "content", "summary":
				return true
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = append(b, '"')
			b = append(b, k...)
			b = append(b, `":`...)
			b = append(b, v...)
			return true
		})
		sep := func() {
			if n > 0 {
				b = append(b, ',')
			}
			n++
		}
		if len(it.args) > 0 {
			sep()
			b = append(b, `"arguments":"`...)
			b = append(b, it.args...)
			b = append(b, '"')
		}
		if len(it.parts) > 0 {
			sep()
			b = append(b, `"content":`...)
			b = appendParts(b, it.parts)
		}
		if len(it.summary) > 0 {
			sep()
			b = append(b, `"summary":`...)
			b = appendParts(b, it.summary)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendParts(b []byte, parts []*textPart) []byte {
	b = append(b, '[')
	for i, p := range parts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":`...)
		b = strconv.AppendQuote(b, p.typ)
		key := "text"
		if p.typ == "refusal" {
			key = "refusal"
		}
		b = append(b, `,"`...)
		b = append(b, key...)
		b = append(b, `":"`...)
		b = append(b, p.text...)
		b = append(b, '"')
		if p.typ == "output_text" {
			b = append(b, `,"annotations":[]`...)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}
