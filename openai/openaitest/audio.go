package openaitest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
)

// This file serves the audio routes: transcriptions and translations, which
// take multipart/form-data and answer in the requested response_format, and
// speech, which answers with audio bytes.

// formInfo is what the server reads of a multipart audio request.
type formInfo struct {
	responseFormat string
	prompt         string
	granularities  []string
	file           []byte
	hasFile        bool
}

// parseForm reads a multipart/form-data body into info.
func (info *requestInfo) parseForm(contentType string, body []byte) error {
	mt, params := parseMediaType(contentType)
	if mt != "multipart/form-data" || params["boundary"] == "" {
		return fmt.Errorf("Content-Type %q is not multipart/form-data", contentType)
	}
	f := &formInfo{}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return err
		}
		switch part.FormName() {
		case "file":
			f.file, f.hasFile = data, true
		case "model":
			info.Model = string(data)
		case "response_format":
			f.responseFormat = string(data)
		case "prompt":
			f.prompt = string(data)
		case "stream":
			info.Stream = string(data) == "true"
		case "timestamp_granularities[]":
			f.granularities = append(f.granularities, string(data))
		}
	}
	info.form = f
	return nil
}

// whisperModel reports whether model is one of the Whisper models, which
// alone offer verbose_json, srt and vtt, and report usage as a duration.
func whisperModel(model string) bool {
	return strings.HasPrefix(model, "whisper")
}

// audioDuration returns the length of an audio file in seconds: exact for
// WAV, else estimated from its size at 128 kbit/s, the bitrate of a typical
// MP3.
func audioDuration(file []byte) float64 {
	if d, ok := wavDuration(file); ok {
		return d
	}
	return float64(len(file)) / 16000
}

// wavDuration reads the duration of a RIFF/WAVE file from its fmt and data
// chunks.
func wavDuration(b []byte) (float64, bool) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return 0, false
	}
	var byteRate, dataSize uint32
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), binary.LittleEndian.Uint32(b[p+4:p+8])
		switch {
		case id == "fmt " && p+20 <= len(b):
			byteRate = binary.LittleEndian.Uint32(b[p+16 : p+20])
		case id == "data":
			dataSize = size
		}
		p += 8 + int(size) + int(size&1)
		if dataSize > 0 && byteRate > 0 {
			break
		}
	}
	if byteRate == 0 {
		return 0, false
	}
	return float64(dataSize) / float64(byteRate), true
}

// respondTranscript answers a Reply (scripted or built-in) on the
// transcription and translation routes, in the request's response_format.
func (s *Server) respondTranscript(w http.ResponseWriter, r *http.Request, route Route, info *requestInfo, resp *Response) {
	f := info.form
	model := orDefault(info.Model, defaultTranscriptionModel)
	format := orDefault(f.responseFormat, "json")
	text := resp.reply.answer.Text
	switch {
	case !f.hasFile:
		writeError(w, http.StatusBadRequest, "invalid_request_error", nil, "1 validation error for Request\nbody -> file\n  field required")
		return
	case info.Stream:
		writeError(w, http.StatusBadRequest, "invalid_request_error", nil,
			"openaitest: streamed transcriptions are not supported; send \"stream\": false")
		return
	case !whisperModel(model) && format != "json" && format != "text":
		writeError(w, http.StatusBadRequest, "invalid_request_error", "unsupported_value", fmt.Sprintf(
			"response_format '%s' is not compatible with model '%s'. Use 'json' or 'text' instead.", format, model))
		return
	}
	duration := audioDuration(f.file)
	var out []byte
	contentType := ctJSON
	switch format {
	case "json":
		out = appendJSONString([]byte(`{"text":`), text)
		if route == RouteTranscriptions {
			out = append(out, `,"usage":`...)
			out = s.appendTranscriptUsage(out, model, duration, f.prompt, text, resp)
		}
		out = append(out, '}')
	case "text":
		out, contentType = []byte(text+"\n"), ctText
	case "verbose_json":
		out = appendVerboseTranscript(nil, route, duration, text, f.granularities)
	case "srt", "vtt":
		out, contentType = appendSubtitles(nil, format, duration, text), ctText
	default:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_value", fmt.Sprintf(
			"Invalid value: '%s'. Supported values are: 'json', 'text', 'srt', 'verbose_json', and 'vtt'.", format))
		return
	}
	s.writeBody(w, resp, contentType, out)
}

var ctText = []string{"text/plain; charset=utf-8"}

// appendTranscriptUsage appends the usage of a transcription: its duration
// in whole seconds for Whisper, tokens for the gpt-4o transcribe models
// (about ten audio tokens a second and the prompt's text tokens in, the
// transcript's tokens out), or [Response.WithUsage]'s tokens.
func (s *Server) appendTranscriptUsage(dst []byte, model string, duration float64, prompt, text string, resp *Response) []byte {
	if whisperModel(model) && resp.usage == nil {
		return append(appendIntMember(dst, `{"type":"duration","seconds":`, int(math.Ceil(duration))), '}')
	}
	audioIn, textIn, out := int(math.Ceil(duration*10)), tokens(len(prompt)), tokens(len(text))
	if u := resp.usage; u != nil {
		// Input tokens are audio tokens unless u's details say how many.
		audioIn, textIn, out = u.PromptTokens, 0, u.CompletionTokens
		if u.PromptTokensDetails != nil {
			audioIn, textIn = u.PromptTokensDetails.AudioTokens, u.PromptTokens-u.PromptTokensDetails.AudioTokens
		}
	}
	dst = appendIntMember(dst, `{"type":"tokens","input_tokens":`, audioIn+textIn)
	dst = appendIntMember(dst, `,"input_token_details":{"text_tokens":`, textIn)
	dst = appendIntMember(dst, `,"audio_tokens":`, audioIn)
	dst = appendIntMember(dst, `},"output_tokens":`, out)
	dst = appendIntMember(dst, `,"total_tokens":`, audioIn+textIn+out)
	return append(dst, '}')
}

// timedText is a stretch of the transcript with its place in the audio.
type timedText struct {
	text       string
	start, end float64
}

// timeline spreads pieces over the duration in proportion to their length.
func timeline(pieces []string, duration float64) []timedText {
	total := 0
	for _, p := range pieces {
		total += len(p)
	}
	out := make([]timedText, len(pieces))
	at := 0.0
	for i, p := range pieces {
		d := duration / float64(len(pieces))
		if total > 0 {
			d = duration * float64(len(p)) / float64(total)
		}
		out[i] = timedText{text: p, start: at, end: at + d}
		at += d
	}
	return out
}

// sentences cuts text after each '.', '!' or '?' that a space follows.
func sentences(text string) []string {
	var out []string
	start := 0
	for i := 0; i+1 < len(text); i++ {
		if strings.IndexByte(".!?", text[i]) >= 0 && text[i+1] == ' ' {
			out = append(out, text[start:i+1])
			start = i + 1
		}
	}
	return append(out, text[start:])
}

// appendVerboseTranscript appends Whisper's verbose_json answer: task,
// language, duration and text, then word timings when asked for, segments
// otherwise (or when asked for as well), then usage.
func appendVerboseTranscript(dst []byte, route Route, duration float64, text string, granularities []string) []byte {
	task := "transcribe"
	if route == RouteTranslations {
		task = "translate"
	}
	dst = append(dst, `{"task":`...)
	dst = appendJSONString(dst, task)
	dst = append(dst, `,"language":"english","duration":`...)
	dst = strconv.AppendFloat(dst, duration, 'f', -1, 64)
	dst = append(dst, `,"text":`...)
	dst = appendJSONString(dst, text)
	words, segments := false, len(granularities) == 0
	for _, g := range granularities {
		words = words || g == "word"
		segments = segments || g == "segment"
	}
	if words {
		dst = append(dst, `,"words":[`...)
		for i, t := range timeline(strings.Fields(text), duration) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"word":`...)
			dst = appendJSONString(dst, t.text)
			dst = appendTimes(dst, t)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if segments {
		dst = append(dst, `,"segments":[`...)
		for i, t := range timeline(sentences(text), duration) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendIntMember(dst, `{"id":`, i)
			dst = append(dst, `,"seek":0`...)
			dst = appendTimes(dst, t)
			dst = append(dst, `,"text":`...)
			dst = appendJSONString(dst, t.text)
			dst = append(dst, `,"tokens":[],"temperature":0.0,"avg_logprob":-0.25,"compression_ratio":1.2,"no_speech_prob":0.01}`...)
		}
		dst = append(dst, ']')
	}
	dst = appendIntMember(dst, `,"usage":{"type":"duration","seconds":`, int(math.Ceil(duration)))
	return append(dst, "}}"...)
}

func appendTimes(dst []byte, t timedText) []byte {
	dst = append(dst, `,"start":`...)
	dst = strconv.AppendFloat(dst, round3(t.start), 'f', -1, 64)
	dst = append(dst, `,"end":`...)
	return strconv.AppendFloat(dst, round3(t.end), 'f', -1, 64)
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// appendSubtitles appends the transcript as SRT or WebVTT, one cue per
// sentence.
func appendSubtitles(dst []byte, format string, duration float64, text string) []byte {
	sep := byte(',')
	if format == "vtt" {
		dst = append(dst, "WEBVTT\n\n"...)
		sep = '.'
	}
	for i, t := range timeline(sentences(text), duration) {
		if format == "srt" {
			dst = strconv.AppendInt(dst, int64(i+1), 10)
			dst = append(dst, '\n')
		}
		dst = appendCueTime(dst, t.start, sep)
		dst = append(dst, " --> "...)
		dst = appendCueTime(dst, t.end, sep)
		dst = append(dst, '\n')
		dst = append(dst, strings.TrimSpace(t.text)...)
		dst = append(dst, "\n\n"...)
	}
	return dst
}

// appendCueTime appends seconds as hh:mm:ss followed by sep and
// milliseconds.
func appendCueTime(dst []byte, seconds float64, sep byte) []byte {
	ms := int64(math.Round(seconds * 1000))
	return fmt.Appendf(dst, "%02d:%02d:%02d%c%03d", ms/3600000, ms/60000%60, ms/1000%60, sep, ms%1000)
}

// speechRequest is what the server reads of a text-to-speech request.
type speechRequest struct {
	Input          *string `json:"input"`
	ResponseFormat string  `json:"response_format"`
	StreamFormat   string  `json:"stream_format"`
}

// Speech formats OpenAI offers, with the Content-Type it answers each with.
var speechTypes = map[string][]string{
	"mp3":  {"audio/mpeg"},
	"opus": {"audio/opus"},
	"aac":  {"audio/aac"},
	"flac": {"audio/flac"},
	"wav":  {"audio/wav"},
	"pcm":  {"audio/pcm"},
}

// speechChunk is the size of the pieces speech audio is streamed in.
const speechChunk = 4096

// respondSpeech answers the built-in text-to-speech request: silence about
// as long as reading the input aloud takes (15 characters a second, at
// most ten seconds), streamed in chunks.
func (s *Server) respondSpeech(w http.ResponseWriter, r *http.Request, info *requestInfo, resp *Response) {
	var q speechRequest
	if err := json.Unmarshal(info.body, &q); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", nil,
			"We could not parse the JSON body of your request. "+err.Error())
		return
	}
	format := orDefault(q.ResponseFormat, "mp3")
	contentType, ok := speechTypes[format]
	switch {
	case q.Input == nil:
		writeError(w, http.StatusBadRequest, "invalid_request_error", nil, "'input' is a required property")
		return
	case !ok:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_value", fmt.Sprintf(
			"Invalid value: '%s'. Supported values are: 'mp3', 'opus', 'aac', 'flac', 'wav', and 'pcm'.", format))
		return
	case q.StreamFormat == "sse":
		writeError(w, http.StatusBadRequest, "invalid_request_error", nil,
			`openaitest: "stream_format": "sse" is not supported; use "audio"`)
		return
	}
	seconds := min(max(float64(len(*q.Input))/15, 1), 10)
	audio := silence(format, seconds)
	st, ok := s.beginBinary(w, r, resp, contentType)
	if !ok {
		return
	}
	for k := 0; len(audio) > 0; k++ {
		n := min(speechChunk, len(audio))
		if resp.cut > 0 && k == resp.cut-1 {
			abort()
		}
		if !st.send(audio[:n]) {
			st.ended()
			return
		}
		audio = audio[n:]
	}
}

// beginBinary starts a chunked binary answer.
func (s *Server) beginBinary(w http.ResponseWriter, r *http.Request, resp *Response, contentType []string) (*streamer, bool) {
	st := &streamer{s: s, w: w, rc: http.NewResponseController(w), ctx: r.Context(), resp: resp}
	h := w.Header()
	h["Content-Type"] = contentType
	for k, v := range resp.header {
		h[k] = v
	}
	w.WriteHeader(resp.status)
	return st, st.rc.Flush() == nil
}

// Speech audio parameters: OpenAI's PCM is 24 kHz, 16-bit, mono.
const (
	speechRate     = 24000
	mp3FrameBytes  = 417 // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding
	mp3FrameLength = 1152.0 / 44100
)

// silence returns seconds of silent audio in format. WAV, PCM and MP3 are
// valid audio; AAC, FLAC and Opus are their format's signature followed by
// zero bytes, enough for content sniffing but not for decoding.
func silence(format string, seconds float64) []byte {
	samples := int(seconds * speechRate)
	switch format {
	case "pcm":
		return make([]byte, 2*samples)
	case "wav":
		b := make([]byte, 44+2*samples)
		copy(b, "RIFF")
		binary.LittleEndian.PutUint32(b[4:], uint32(36+2*samples))
		copy(b[8:], "WAVEfmt ")
		binary.LittleEndian.PutUint32(b[16:], 16)
		binary.LittleEndian.PutUint16(b[20:], 1) // PCM
		binary.LittleEndian.PutUint16(b[22:], 1) // mono
		binary.LittleEndian.PutUint32(b[24:], speechRate)
		binary.LittleEndian.PutUint32(b[28:], 2*speechRate)
		binary.LittleEndian.PutUint16(b[32:], 2)
		binary.LittleEndian.PutUint16(b[34:], 16)
		copy(b[36:], "data")
		binary.LittleEndian.PutUint32(b[40:], uint32(2*samples))
		return b
	case "mp3":
		frames := int(math.Ceil(seconds / mp3FrameLength))
		b := make([]byte, frames*mp3FrameBytes)
		for i := 0; i < len(b); i += mp3FrameBytes {
			copy(b[i:], []byte{0xFF, 0xFB, 0x90, 0xC4})
		}
		return b
	}
	signature := map[string]string{"aac": "\xFF\xF1", "flac": "fLaC", "opus": "OggS"}[format]
	b := make([]byte, samples/4)
	copy(b, signature)
	return b
}
