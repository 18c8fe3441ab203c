package openaihttp

import (
	"encoding/json"
	"slices"
	"strconv"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/internal/jsonscan"
	"github.com/gentrace/gentrace-go/internal/sse"
)

// completeStream records a streamed answer from the events it carried.
func (c *capture) completeStream(s *gentrace.Step, model string) (*usage, string) {
	if c.respTotal > int64(len(c.resp)) {
		s.Outputs["truncatedBytes"] = c.respTotal - int64(len(c.resp))
	}
	if c.route == routeResponse {
		return c.completeResponseStream(s, model)
	}
	agg := newChoices(c.route == routeChat)
	var top topLevel
	var streamErr []byte
	done := false
	// Every chunk of a stream starts with the same fields (id, object,
	// created, model, ...) before "choices": once seen, that prefix is
	// skipped by comparing bytes, and only the rest of a chunk is walked,
	// in one pass.
	var head, data []byte
	member := func(k []byte, at int) int {
		switch string(k) {
		case "choices":
			return jsonscan.ArrayAt(data, at, func(el int) int { return agg.addAt(data, el) })
		case "obfuscation": // per-chunk padding, meaningless in an answer
			return jsonscan.SkipAt(data, at)
		}
		end := jsonscan.SkipAt(data, at)
		if end < 0 {
			return -1
		}
		if string(k) == "error" {
			if v := data[at:end]; !jsonscan.IsNull(v) {
				streamErr = v
			}
			return end
		}
		top.set(k, data[at:end])
		return end
	}
	sse.Each(c.resp, func(ev sse.Event) bool {
		data = jsonscan.Trim(ev.Data)
		if string(data) == "[DONE]" {
			done = true
			return false
		}
		var end int
		if head != nil && len(data) > len(head) && string(data[:len(head)]) == string(head) {
			end = jsonscan.ObjectRestAt(data, len(head), member)
		} else {
			choicesAt := -1
			end = jsonscan.ObjectAt(data, 0, func(k []byte, at int) int {
				if string(k) == "choices" {
					choicesAt = at
				}
				return member(k, at)
			})
			head = nil
			if end == len(data) && choicesAt > 0 {
				if start := jsonscan.KeyStart(data, choicesAt); start > 0 {
					head = data[:start:start]
				}
			}
		}
		if end != len(data) {
			top.unparsed++
		}
		return true
	})
	for _, m := range top.members {
		s.Outputs[m.key] = c.checked.New(m.value)
	}
	if c.route == routeChat {
		s.Outputs["object"] = "chat.completion"
	} else {
		s.Outputs["object"] = "text_completion"
	}
	s.Outputs["choices"] = json.RawMessage(agg.appendJSON(nil))
	if m, ok := jsonscan.String(top.get("model")); ok && m != "" {
		model = m
	}
	if top.unparsed > 0 {
		s.Outputs["unparsedEvents"] = top.unparsed
	}
	complete := done || agg.finished(requestedChoices(c.request))
	switch {
	case streamErr != nil:
		s.Error = "stream error: " + errorMessage(streamErr)
	case complete:
	case c.how == errClosed || c.how == errAbandoned:
		s.Outputs["closedEarly"] = true
		if c.how == errAbandoned {
			s.Error = errAbandoned.Error()
		}
	case c.how == errBodyEnd:
		s.Error = "stream ended before its last event"
	default:
		s.Error = "stream failed: " + c.how.Error()
	}
	u := parseUsage(top.get("usage"))
	if u == nil && len(agg.list) > 0 {
		u = c.estimateStream(model, agg)
	}
	return u, model
}

// errorMessage is the message of an error object, or its JSON.
func errorMessage(e []byte) string {
	if msg, _ := jsonscan.String(jsonscan.Get(e, "message")); msg != "" {
		return msg
	}
	return string(e)
}

// topLevel keeps the last non-null value of each top-level field of a
// stream's chunks, in the order the fields first appeared.
type topLevel struct {
	members  []member
	unparsed int
}

type member struct {
	key   string
	value []byte
}

func (t *topLevel) set(key []byte, v []byte) {
	for i := range t.members {
		if t.members[i].key == string(key) {
			if !jsonscan.IsNull(v) {
				t.members[i].value = v
			}
			return
		}
	}
	t.members = append(t.members, member{string(key), v})
}

func (t *topLevel) get(key string) []byte {
	for _, m := range t.members {
		if m.key == key {
			return m.value
		}
	}
	return nil
}

// choices assembles streamed choices by their index: for chat, each
// choice's message from its deltas (strings joined, tool calls by their
// index, arguments joined per call), for completions their text; each
// keeps its own last finish_reason and its logprobs.
type choices struct {
	chat bool
	list []*choice
}

type choice struct {
	index    int64
	fields   []field // chat: the message's fields; completions: the choice's
	tools    []*toolCall
	hasTools bool
	function *functionCall
	finish   []byte // raw finish_reason; nil until seen
	logprobs *logprobs
	extra    topLevel // other choice-level fields
}

// field is one message field: a string joined from deltas (kept as the
// body of a JSON string, escapes and all), or the last other value.
type field struct {
	key    string
	str    []byte
	isStr  bool
	value  []byte // last non-string value (null included)
	object *topLevel
}

type toolCall struct {
	index int64
	id    []byte
	typ   []byte
	name  []byte
	args  []byte
	extra topLevel
}

type functionCall struct{ name, args []byte }

type logprobs struct {
	content, refusal []byte // joined array elements
	seenContent      bool
	seenRefusal      bool
	nonNull          bool
}

func newChoices(chat bool) *choices { return &choices{chat: chat} }

func (a *choices) get(index int64) *choice {
	for _, c := range a.list {
		if c.index == index {
			return c
		}
	}
	c := &choice{index: index}
	a.list = append(a.list, c)
	return c
}

// addAt folds the element of a chunk's "choices" at data[el] into the
// aggregate, walking it once, and returns the offset just past it (-1 when
// it is not valid JSON). OpenAI sends "index" first; members before it are
// kept until it comes.
func (a *choices) addAt(data []byte, el int) int {
	var c *choice
	var pending [][2][]byte
	end := jsonscan.ObjectAt(data, el, func(k []byte, at int) int {
		if c != nil {
			return c.memberAt(data, k, at)
		}
		end := jsonscan.SkipAt(data, at)
		if end < 0 {
			return -1
		}
		if string(k) == "index" {
			index, _ := jsonscan.Int(data[at:end])
			c = a.get(index)
			for _, m := range pending {
				c.addMember(m[0], m[1])
			}
			pending = nil
			return end
		}
		pending = append(pending, [2][]byte{k, data[at:end]})
		return end
	})
	if end >= 0 && c == nil {
		c = a.get(0)
		for _, m := range pending {
			c.addMember(m[0], m[1])
		}
	}
	return end
}

// memberAt folds one member of a choice, walking into its delta.
func (c *choice) memberAt(data []byte, k []byte, at int) int {
	if string(k) == "delta" {
		return jsonscan.ObjectAt(data, at, func(k []byte, at int) int {
			end := jsonscan.SkipAt(data, at)
			if end >= 0 {
				c.addDelta(k, data[at:end])
			}
			return end
		})
	}
	end := jsonscan.SkipAt(data, at)
	if end >= 0 {
		c.addMember(k, data[at:end])
	}
	return end
}

func (c *choice) addMember(k, v []byte) {
	switch string(k) {
	case "delta":
		jsonscan.ValidMembers(v, func(k, v []byte) bool { c.addDelta(k, v); return true })
	case "text":
		c.addField(k, v)
	case "finish_reason":
		if !jsonscan.IsNull(v) || c.finish == nil {
			c.finish = v
		}
	case "logprobs":
		c.addLogprobs(v)
	default:
		c.extra.set(k, v)
	}
}

func (c *choice) addDelta(key []byte, v []byte) {
	switch string(key) {
	case "tool_calls":
		c.hasTools = true
		jsonscan.ValidElements(v, func(tc []byte) bool { c.addToolCall(tc); return true })
	case "function_call":
		if jsonscan.IsNull(v) {
			return
		}
		if c.function == nil {
			c.function = &functionCall{}
		}
		if body, ok := jsonscan.StringBody(jsonscan.Get(v, "name")); ok && len(c.function.name) == 0 {
			c.function.name = body
		}
		if body, ok := jsonscan.StringBody(jsonscan.Get(v, "arguments")); ok {
			c.function.args = append(c.function.args, body...)
		}
	default:
		c.addField(key, v)
	}
}

func (c *choice) addField(key []byte, v []byte) {
	var f *field
	for i := range c.fields {
		if c.fields[i].key == string(key) {
			f = &c.fields[i]
			break
		}
	}
	if f == nil {
		c.fields = append(c.fields, field{key: string(key)})
		f = &c.fields[len(c.fields)-1]
	}
	switch {
	case f.key == "role":
		// The role is sent once, whole: never joined.
		if !jsonscan.IsNull(v) || f.value == nil {
			f.value = v
		}
	case len(v) > 0 && v[0] == '"':
		body, _ := jsonscan.StringBody(v)
		f.str = append(f.str, body...)
		f.isStr = true
	case len(v) > 0 && v[0] == '{' && f.key == "audio":
		// Audio deltas carry pieces of data and transcript to join.
		if f.object == nil {
			f.object = &topLevel{}
		}
		jsonscan.Members(v, func(k, v []byte) bool {
			if (string(k) == "data" || string(k) == "transcript") && len(v) > 0 && v[0] == '"' {
				body, _ := jsonscan.StringBody(v)
				prev, _ := jsonscan.StringBody(f.object.get(string(k)))
				joined := make([]byte, 0, len(prev)+len(body)+2)
				joined = append(append(append(append(joined, '"'), prev...), body...), '"')
				f.object.setAlways(k, joined)
				return true
			}
			f.object.set(k, v)
			return true
		})
	default:
		if !jsonscan.IsNull(v) || (!f.isStr && f.value == nil) {
			f.value = v
		}
	}
}

func (t *topLevel) setAlways(key []byte, v []byte) {
	for i := range t.members {
		if t.members[i].key == string(key) {
			t.members[i].value = v
			return
		}
	}
	t.members = append(t.members, member{string(key), v})
}

// addToolCall merges a tool-call delta: by its index when it has one; else
// a delta with a new ID starts a call and one without continues the last.
func (c *choice) addToolCall(raw []byte) {
	var tc *toolCall
	id, _ := jsonscan.StringBody(jsonscan.Get(raw, "id"))
	if index, ok := jsonscan.Int(jsonscan.Get(raw, "index")); ok {
		for _, t := range c.tools {
			if t.index == index {
				tc = t
				break
			}
		}
		if tc == nil {
			tc = &toolCall{index: index}
			c.tools = append(c.tools, tc)
		}
	} else {
		for _, t := range c.tools {
			if len(id) > 0 && string(t.id) == string(id) {
				tc = t
				break
			}
		}
		if tc == nil && (len(id) > 0 || len(c.tools) == 0) {
			tc = &toolCall{index: int64(len(c.tools))}
			c.tools = append(c.tools, tc)
		}
		if tc == nil {
			tc = c.tools[len(c.tools)-1]
		}
	}
	jsonscan.ValidMembers(raw, func(k, v []byte) bool {
		switch string(k) {
		case "index":
		case "id":
			if len(tc.id) == 0 {
				tc.id, _ = jsonscan.StringBody(v)
			}
		case "type":
			if len(tc.typ) == 0 {
				tc.typ, _ = jsonscan.StringBody(v)
			}
		case "function":
			jsonscan.ValidMembers(v, func(k, v []byte) bool {
				body, ok := jsonscan.StringBody(v)
				if !ok {
					return true
				}
				switch string(k) {
				case "name":
					if len(tc.name) == 0 {
						tc.name = body
					}
				case "arguments":
					tc.args = append(tc.args, body...)
				}
				return true
			})
		default:
			tc.extra.set(k, v)
		}
		return true
	})
}

func (c *choice) addLogprobs(v []byte) {
	if c.logprobs == nil {
		c.logprobs = &logprobs{}
	}
	lp := c.logprobs
	if jsonscan.IsNull(v) {
		return
	}
	lp.nonNull = true
	jsonscan.Members(v, func(k, v []byte) bool {
		var dst *[]byte
		switch string(k) {
		case "content":
			lp.seenContent = true
			dst = &lp.content
		case "refusal":
			lp.seenRefusal = true
			dst = &lp.refusal
		default:
			return true
		}
		jsonscan.Elements(v, func(e []byte) bool {
			if len(*dst) > 0 {
				*dst = append(*dst, ',')
			}
			*dst = append(*dst, e...)
			return true
		})
		return true
	})
}

// finished reports whether n choices (at least) all have a finish reason.
func (a *choices) finished(n int) bool {
	if len(a.list) < n {
		return false
	}
	for _, c := range a.list {
		if jsonscan.IsNull(c.finish) {
			return false
		}
	}
	return true
}

// appendJSON writes the choices, in index order, as a non-streamed answer
// has them.
func (a *choices) appendJSON(b []byte) []byte {
	list := slices.Clone(a.list)
	slices.SortStableFunc(list, func(x, y *choice) int {
		switch {
		case x.index < y.index:
			return -1
		case x.index > y.index:
			return 1
		}
		return 0
	})
	b = append(b, '[')
	for i, c := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"index":`...)
		b = strconv.AppendInt(b, c.index, 10)
		if a.chat {
			b = append(b, `,"message":`...)
			b = c.appendMessage(b)
		} else {
			for _, f := range c.fields {
				b = appendKey(b, f.key)
				b = f.appendValue(b)
			}
		}
		if c.logprobs != nil {
			b = append(b, `,"logprobs":`...)
			b = c.logprobs.appendJSON(b)
		}
		for _, m := range c.extra.members {
			b = appendKey(b, m.key)
			b = append(b, m.value...)
		}
		b = append(b, `,"finish_reason":`...)
		if c.finish == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, c.finish...)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendMessage writes a chat choice's message: the fields its deltas
// carried, in the order they first came, and no other.
func (c *choice) appendMessage(b []byte) []byte {
	b = append(b, '{')
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	hasRole := false
	for _, f := range c.fields {
		if f.key == "role" {
			hasRole = true
		}
	}
	if !hasRole {
		sep()
		b = append(b, `"role":"assistant"`...)
	}
	for _, f := range c.fields {
		sep()
		b = append(b, '"')
		b = append(b, f.key...)
		b = append(b, `":`...)
		b = f.appendValue(b)
	}
	if c.function != nil {
		sep()
		b = append(b, `"function_call":{"name":"`...)
		b = append(b, c.function.name...)
		b = append(b, `","arguments":"`...)
		b = append(b, c.function.args...)
		b = append(b, `"}`...)
	}
	if c.hasTools {
		sep()
		b = append(b, `"tool_calls":[`...)
		tools := slices.Clone(c.tools)
		slices.SortStableFunc(tools, func(x, y *toolCall) int {
			switch {
			case x.index < y.index:
				return -1
			case x.index > y.index:
				return 1
			}
			return 0
		})
		for i, t := range tools {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":"`...)
			b = append(b, t.id...)
			b = append(b, `","type":"`...)
			if len(t.typ) == 0 {
				b = append(b, "function"...)
			} else {
				b = append(b, t.typ...)
			}
			b = append(b, `","function":{"name":"`...)
			b = append(b, t.name...)
			b = append(b, `","arguments":"`...)
			b = append(b, t.args...)
			b = append(b, `"}`...)
			for _, m := range t.extra.members {
				b = appendKey(b, m.key)
				b = append(b, m.value...)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func (f *field) appendValue(b []byte) []byte {
	switch {
	case f.isStr:
		b = append(b, '"')
		b = append(b, f.str...)
		return append(b, '"')
	case f.object != nil:
		b = append(b, '{')
		for i, m := range f.object.members {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, m.key...)
			b = append(b, `":`...)
			b = append(b, m.value...)
		}
		return append(b, '}')
	case f.value != nil:
		return append(b, f.value...)
	}
	return append(b, "null"...)
}

// text returns the decoded string of a field, or "".
func (f *field) text() string {
	if !f.isStr {
		return ""
	}
	quoted := make([]byte, 0, len(f.str)+2)
	quoted = append(append(append(quoted, '"'), f.str...), '"')
	s, _ := jsonscan.String(quoted)
	return s
}

func (lp *logprobs) appendJSON(b []byte) []byte {
	if !lp.nonNull {
		return append(b, "null"...)
	}
	b = append(b, '{')
	if lp.seenContent {
		b = append(b, `"content":[`...)
		b = append(b, lp.content...)
		b = append(b, ']')
	}
	if lp.seenRefusal {
		if lp.seenContent {
			b = append(b, ',')
		}
		b = append(b, `"refusal":[`...)
		b = append(b, lp.refusal...)
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendKey writes `,"key":` (keys here are JSON keys as received, so they
// need no escaping beyond what they carry).
func appendKey(b []byte, key string) []byte {
	b = append(b, `,"`...)
	b = append(b, key...)
	return append(b, `":`...)
}

// requestedChoices is the request's "n", at least 1.
func requestedChoices(request []byte) int {
	if n, ok := jsonscan.Int(jsonscan.Get(request, "n")); ok && n > 1 {
		return int(n)
	}
	return 1
}
