package openaihttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/internal/jsonscan"
	"github.com/gentrace/gentrace-go/pricing"
)

// complete fills the step from the bytes the call left: inputs and model
// params from the request, outputs from the response, usage, cost and the
// estimate of a stream that carried no usage. It runs once, on a delivery
// goroutine (or when the step is first read), never on the caller's path.
func (c *capture) complete(s *gentrace.Step) {
	// The step's maps are non-nil and empty: gentrace makes them before
	// calling Complete (see Step.Complete).
	model := c.splitRequest(s)
	if c.call != nil {
		for k, v := range c.call.Inputs {
			s.Inputs[k] = v
		}
		for k, v := range c.call.ModelParams {
			s.ModelParams[k] = v
		}
	}
	if c.attempt > 1 {
		s.Outputs["attempt"] = c.attempt
	}
	if len(c.attemptErrors) > 0 {
		s.Outputs["attemptErrors"] = c.attemptErrors
	}
	switch {
	case c.status == 0:
		return // the transport failed; the step has its error
	case c.status < 200 || c.status > 299:
		s.Error = c.errorText()
		return
	}
	var u *usage
	if c.isStream() {
		u, model = c.completeStream(s, model)
	} else {
		u, model = c.completeBody(s, model)
	}
	if s.TimeToFirstToken > 0 {
		s.Outputs["timeToFirstTokenMs"] = s.TimeToFirstToken.Milliseconds()
	}
	if u != nil {
		s.Usage = u.gentrace()
		if u.estimated {
			s.Outputs["usage"] = json.RawMessage(u.chatJSON())
			s.Outputs["usageEstimated"] = true
			if len(u.omits) > 0 {
				s.Outputs["usageEstimateOmits"] = u.omits
			}
		}
	}
	c.rec.price(c.run, s, model, u)
}

// splitRequest divides the request's fields into inputs and model params
// and returns the model it names.
func (c *capture) splitRequest(s *gentrace.Step) string {
	if c.multipart != "" {
		return c.splitForm(s)
	}
	if len(c.request) == 0 {
		return ""
	}
	if c.requestTruncated > 0 || !jsonscan.Valid(c.request) {
		s.Inputs["unparsedBody"] = string(bytes.ToValidUTF8(c.request, []byte("\uFFFD")))
		if c.requestTruncated > 0 {
			s.Inputs["truncatedBytes"] = c.requestTruncated
		}
		return ""
	}
	model := ""
	jsonscan.Members(c.request, func(k, v []byte) bool {
		key := keyString(k)
		if slices.Contains(c.route.inputs, key) {
			s.Inputs[key] = c.checked.New(v)
		} else {
			s.ModelParams[key] = c.checked.New(v)
		}
		if key == "model" {
			model, _ = jsonscan.String(v)
		}
		return true
	})
	return model
}

// splitForm reads a multipart request (audio): the file is recorded by its
// name, type and size, the other fields as strings.
func (c *capture) splitForm(s *gentrace.Step) string {
	_, params, err := mime.ParseMediaType(c.multipart)
	if err != nil || params["boundary"] == "" {
		s.Inputs["unparsedBody"] = "multipart body without a boundary"
		return ""
	}
	var src io.Reader = bytes.NewReader(c.request)
	if c.getBody != nil {
		rc, err := c.getBody()
		if err != nil {
			s.Inputs["unparsedBody"] = "request body could not be read again: " + err.Error()
			return ""
		}
		defer rc.Close()
		src = rc
	}
	model := ""
	mr := multipart.NewReader(src, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			if !errors.Is(err, io.EOF) && c.requestTruncated == 0 {
				s.Inputs["formError"] = err.Error()
			}
			break
		}
		name := part.FormName()
		if part.FileName() != "" {
			n, _ := io.Copy(io.Discard, part)
			file := map[string]any{"filename": part.FileName(), "bytes": n}
			if ct := part.Header.Get("Content-Type"); ct != "" {
				file["contentType"] = ct
			}
			s.Inputs[name] = file
			continue
		}
		value, _ := io.ReadAll(io.LimitReader(part, 1<<20))
		v := string(value)
		if name == "model" {
			model = v
		}
		key := strings.TrimSuffix(name, "[]")
		target := s.ModelParams
		if slices.Contains(c.route.inputs, key) {
			target = s.Inputs
		}
		if key != name { // an array field such as timestamp_granularities[]
			list, _ := target[key].([]string)
			target[key] = append(list, v)
			continue
		}
		target[key] = v
	}
	if c.requestTruncated > 0 {
		s.Inputs["truncatedBytes"] = c.requestTruncated
	}
	return model
}

// completeBody records a response that is not a stream.
func (c *capture) completeBody(s *gentrace.Step, model string) (*usage, string) {
	body := c.resp
	if c.respTotal > int64(len(c.resp)) {
		return c.completeTruncated(s, model)
	}
	ct, _, _ := mime.ParseMediaType(c.contentType)
	switch {
	case c.route == routeSpeech || strings.HasPrefix(ct, "audio/") || ct == "application/octet-stream":
		s.Outputs["contentType"] = c.contentType
		s.Outputs["bytes"] = c.respTotal
		// Speech is billed by the characters of its input.
		var u *usage
		if text, ok := jsonscan.String(jsonscan.Get(c.request, "input")); ok && c.route == routeSpeech {
			u = &usage{characters: utf8.RuneCountInString(text)}
		}
		return u, model
	case ct == "text/plain" || ct == "text/vtt" || ct == "application/x-subrip" ||
		(!jsonscan.Valid(body) && (c.route == routeTranscription || c.route == routeTranslation)):
		s.Outputs["text"] = string(bytes.ToValidUTF8(body, []byte("\uFFFD")))
		return nil, model
	}
	var usageRaw []byte
	if !jsonscan.Members(body, func(k, v []byte) bool {
		key := keyString(k)
		s.Outputs[key] = c.checked.New(v)
		switch key {
		case "model":
			if m, ok := jsonscan.String(v); ok && m != "" {
				model = m
			}
		case "usage":
			usageRaw = v
		}
		return true
	}) {
		clear(s.Outputs)
		s.Outputs["unparsedBody"] = string(bytes.ToValidUTF8(body, []byte("\uFFFD")))
		s.Outputs["recordingError"] = "the response is not a JSON object"
		report(c.run, "run %s: %s answer is not a JSON object; recorded as text", c.run.ID(), c.route.invocation)
		return nil, model
	}
	if c.route == routeResponse {
		c.responseStatus(s, body)
	}
	u := parseUsage(usageRaw)
	if u != nil && c.route == routeImage && u.imageOut == 0 {
		u.imageOut = u.completion // an image model's output tokens are the image
	}
	return u, model
}

// completeTruncated records a body over the cap: its start as text, and
// the model and usage found in its last bytes.
func (c *capture) completeTruncated(s *gentrace.Step, model string) (*usage, string) {
	s.Outputs["truncatedBody"] = string(bytes.ToValidUTF8(c.resp[:min(len(c.resp), 4096)], []byte("\uFFFD")))
	s.Outputs["truncatedBytes"] = c.respTotal - int64(min(len(c.resp), 4096))
	var u *usage
	if v := lastMember(c.tail, "usage"); v != nil {
		s.Outputs["usage"] = json.RawMessage(v)
		u = parseUsage(v)
	}
	if v := lastMember(c.tail, "model"); v != nil {
		if m, ok := jsonscan.String(v); ok && m != "" {
			model = m
			s.Outputs["model"] = json.RawMessage(v)
		}
	}
	return u, model
}

// lastMember finds the last `"name":` in data followed by a valid JSON
// value and returns that value. It reads the end of a body cut by the size
// cap, so it cannot know the nesting; OpenAI puts "model" and "usage" at
// the top level, last.
func lastMember(data []byte, name string) []byte {
	key := []byte(`"` + name + `"`)
	for end := len(data); end > 0; {
		i := bytes.LastIndex(data[:end], key)
		if i < 0 {
			return nil
		}
		end = i
		rest := bytes.TrimLeft(data[i+len(key):], " \t\r\n")
		if len(rest) == 0 || rest[0] != ':' {
			continue
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		if n := jsonscan.Prefix(rest); n > 0 {
			return rest[:n]
		}
	}
	return nil
}

// errorText describes an error answer: its status and OpenAI's message.
func (c *capture) errorText() string {
	text := fmt.Sprintf("%d %s", c.status, http.StatusText(c.status))
	e := jsonscan.Get(c.resp, "error")
	if jsonscan.IsNull(e) {
		if body := strings.TrimSpace(string(bytes.ToValidUTF8(c.resp, nil))); body != "" {
			text += ": " + abbreviate(body, 500)
		}
		return text
	}
	if msg, ok := jsonscan.String(e); ok { // {"error": "text"}
		return text + ": " + msg
	}
	if msg, _ := jsonscan.String(jsonscan.Get(e, "message")); msg != "" {
		text += ": " + msg
	}
	var details []string
	for _, k := range []string{"type", "code", "param"} {
		if v, ok := jsonscan.String(jsonscan.Get(e, k)); ok && v != "" {
			details = append(details, k+" "+v)
		}
	}
	if len(details) > 0 {
		text += " (" + strings.Join(details, ", ") + ")"
	}
	return text
}

func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// usage is a call's token usage, read from any of OpenAI's usage shapes:
// the counts of every modality, and the parts that are cached, audio or
// image, as pricing.Usage takes them.
type usage struct {
	prompt, completion, total int
	cached, reasoning         int
	audioIn, cachedAudio      int
	imageIn                   int
	audioOut, imageOut        int
	seconds                   float64 // audio billed by duration
	characters                int     // speech billed by character
	estimated                 bool
	omits                     []string
}

// parseUsage reads chat, completions and embeddings usage
// (prompt_tokens, ..._details), Responses and images usage
// (input_tokens, ..._details) and audio usage (tokens, or a duration in
// seconds). It returns nil for null or an empty usage.
func parseUsage(raw []byte) *usage {
	if jsonscan.IsNull(raw) {
		return nil
	}
	var u usage
	found := false
	num := func(v []byte) int {
		found = true
		n, _ := jsonscan.Int(v)
		return int(n)
	}
	detail := func(v []byte, key string) int {
		n, _ := jsonscan.Int(jsonscan.Get(v, key))
		return int(n)
	}
	jsonscan.Members(raw, func(k, v []byte) bool {
		switch string(k) {
		case "prompt_tokens", "input_tokens":
			u.prompt = num(v)
		case "completion_tokens", "output_tokens":
			u.completion = num(v)
		case "total_tokens":
			u.total = num(v)
		case "prompt_tokens_details", "input_tokens_details", "input_token_details":
			u.cached = detail(v, "cached_tokens")
			u.audioIn = detail(v, "audio_tokens")
			u.imageIn = detail(v, "image_tokens")
			if d := jsonscan.Get(v, "cached_tokens_details"); d != nil {
				u.cachedAudio = detail(d, "audio_tokens")
			}
		case "completion_tokens_details", "output_tokens_details":
			u.reasoning = detail(v, "reasoning_tokens")
			u.audioOut = detail(v, "audio_tokens")
			u.imageOut = detail(v, "image_tokens")
		case "seconds":
			if f, err := strconv.ParseFloat(string(v), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				u.seconds, found = f, true
			}
		}
		return true
	})
	if !found {
		return nil
	}
	if u.total == 0 {
		u.total = u.prompt + u.completion
	}
	return &u
}

func (u *usage) gentrace() *gentrace.Usage {
	if u.prompt == 0 && u.completion == 0 && u.total == 0 {
		return nil
	}
	return &gentrace.Usage{
		PromptTokens:       u.prompt,
		CompletionTokens:   u.completion,
		TotalTokens:        u.total,
		CachedPromptTokens: u.cached,
		ReasoningTokens:    u.reasoning,
		Estimated:          u.estimated,
		EstimateOmits:      slices.Clone(u.omits),
	}
}

// chatJSON is an estimated usage in chat-completion form.
func (u *usage) chatJSON() []byte {
	return fmt.Appendf(nil, `{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}`, u.prompt, u.completion, u.total)
}

// price puts the cost of the step's usage in its outputs, or warns once per
// model that has no price: an unknown model has no cost, never 0. A step
// without usage has a cost only when its model is free (moderations); a
// failed call is not priced.
func (r *Recorder) price(run *gentrace.Runner, s *gentrace.Step, model string, u *usage) {
	if model == "" || s.Error != "" && u == nil {
		return
	}
	p, _, ok := r.cfg.prices.Lookup(model)
	if !ok {
		if _, seen := r.warned.LoadOrStore(model, true); !seen {
			if gc := run.Client(); gc != nil {
				gc.Logger().Warn("gentrace: no price for model; its steps have no cost (add one with openaihttp.WithPrices)",
					"model", model, "prices_as_of", r.cfg.prices.AsOf())
			}
		}
		return
	}
	switch {
	case u != nil && (u.prompt > 0 || u.completion > 0 || u.seconds > 0 || u.characters > 0):
		s.Outputs["cost"] = gentrace.Dollars(roundCost(p.Cost(pricing.Usage{
			InputTokens:            u.prompt,
			CachedInputTokens:      u.cached,
			OutputTokens:           u.completion,
			AudioInputTokens:       u.audioIn,
			CachedAudioInputTokens: u.cachedAudio,
			ImageInputTokens:       u.imageIn,
			AudioOutputTokens:      u.audioOut,
			ImageOutputTokens:      u.imageOut,
			AudioSeconds:           u.seconds,
			Characters:             u.characters,
		})))
	case p == (pricing.Price{}):
		s.Outputs["cost"] = gentrace.Dollars(0)
	}
}

// roundCost keeps 12 significant digits, far below a cent, so that float
// noise (0.000007049999999999999) does not reach the payload.
func roundCost(usd float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(usd, 'g', 12, 64), 64)
	if err != nil {
		return usd
	}
	return r
}

// keyString returns the key as a string, without allocating for the keys
// OpenAI's requests and answers use most.
func keyString(k []byte) string {
	switch string(k) {
	case "model":
		return "model"
	case "messages":
		return "messages"
	case "input":
		return "input"
	case "stream":
		return "stream"
	case "temperature":
		return "temperature"
	case "user":
		return "user"
	case "tools":
		return "tools"
	case "tool_choice":
		return "tool_choice"
	case "id":
		return "id"
	case "object":
		return "object"
	case "created":
		return "created"
	case "choices":
		return "choices"
	case "usage":
		return "usage"
	case "data":
		return "data"
	case "output":
		return "output"
	case "status":
		return "status"
	case "service_tier":
		return "service_tier"
	case "system_fingerprint":
		return "system_fingerprint"
	case "max_tokens":
		return "max_tokens"
	case "max_completion_tokens":
		return "max_completion_tokens"
	case "stream_options":
		return "stream_options"
	case "response_format":
		return "response_format"
	}
	return string(k)
}
