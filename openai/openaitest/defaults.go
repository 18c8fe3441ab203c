package openaitest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"

	goopenai "github.com/sashabaranov/go-openai"
)

// DefaultChatReply is the assistant text of the built-in chat completion
// answer. The built-in stream sends it one word per chunk.
const DefaultChatReply = "Hello! I am a fake assistant served by openaitest. How can I help you today?"

// DefaultCompletionText is the text of the built-in legacy completion answer.
const DefaultCompletionText = " This is a test completion from openaitest."

// DefaultEmbeddingDimensions is the length of the built-in embedding vectors
// when the request does not set "dimensions".
const DefaultEmbeddingDimensions = 8

// maxEmbeddingDimensions bounds "dimensions" as OpenAI's largest model does.
const maxEmbeddingDimensions = 3072

// DefaultTranscript is the text of the built-in audio transcription and
// translation answers.
const DefaultTranscript = "Hello from openaitest. This is a fake transcript of your audio."

// Models answered when a request names none.
const (
	defaultChatModel          = "gpt-4o-mini"
	defaultCompletionModel    = "gpt-3.5-turbo-instruct"
	defaultEmbeddingModel     = "text-embedding-3-small"
	defaultModerationModel    = "omni-moderation-latest"
	defaultImageModel         = "dall-e-2"
	defaultTranscriptionModel = "whisper-1"
	defaultSpeechModel        = "tts-1"
)

// Built-in answers, prepared once.
var (
	defaultReply            = Reply(Answer{Text: DefaultChatReply})
	defaultReasoningReply   = Reply(Answer{Text: DefaultChatReply, Reasoning: []string{}})
	defaultCompletionReply  = Reply(Answer{Text: DefaultCompletionText})
	defaultTranscriptReply  = Reply(Answer{Text: DefaultTranscript})
	defaultModerationResult = mustMarshal(goopenai.Result{
		CategoryScores: goopenai.ResultCategoryScores{
			Hate: 1e-5, HateThreatening: 1e-6, Harassment: 2e-5, HarassmentThreatening: 1e-6,
			SelfHarm: 1e-6, SelfHarmIntent: 1e-6, SelfHarmInstructions: 1e-6,
			Sexual: 3e-5, SexualMinors: 1e-6, Violence: 2e-5, ViolenceGraphic: 1e-6,
		},
	})
)

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// builtin returns the built-in answer of route for the request.
func builtin(route Route, info *requestInfo) (Response, bool) {
	switch route {
	case RouteChatCompletions:
		return defaultReply, true
	case RouteResponses:
		if reasoningModel(info.Model) {
			return defaultReasoningReply, true
		}
		return defaultReply, true
	case RouteCompletions:
		return defaultCompletionReply, true
	case RouteEmbeddings:
		inputs := info.inputs(info.Input)
		if len(inputs) == 0 {
			return Error(400, "'input' is a required property"), true
		}
		return Raw(200, defaultEmbeddings(info, inputs)), true
	case RouteModerations:
		return Raw(200, defaultModerations(info)), true
	case RouteTranscriptions, RouteTranslations:
		return defaultTranscriptReply, true
	case RouteImages, RouteSpeech:
		return newResponse(kindBuiltin, http.StatusOK), true
	}
	return Response{}, false
}

// defaultEmbeddings encodes one deterministic unit vector per input, seeded by
// the input's text, so equal inputs get equal vectors.
func defaultEmbeddings(info *requestInfo, inputs []json.RawMessage) []byte {
	dims := DefaultEmbeddingDimensions
	if info.Dimensions > 0 {
		dims = min(info.Dimensions, maxEmbeddingDimensions)
	}
	b64 := info.EncodingFormat == string(goopenai.EmbeddingEncodingFormatBase64)
	vec := make([]float32, dims)
	dst := make([]byte, 0, 128+len(inputs)*(48+dims*12))
	dst = append(dst, `{"object":"list","data":[`...)
	for i, in := range inputs {
		if i > 0 {
			dst = append(dst, ',')
		}
		unitVector(vec, in)
		dst = append(dst, `{"object":"embedding","index":`...)
		dst = strconv.AppendInt(dst, int64(i), 10)
		dst = append(dst, `,"embedding":`...)
		if b64 {
			dst = append(dst, '"')
			dst = appendBase64Vector(dst, vec)
			dst = append(dst, '"')
		} else {
			dst = append(dst, '[')
			for j, v := range vec {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = strconv.AppendFloat(dst, float64(v), 'g', -1, 32)
			}
			dst = append(dst, ']')
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `],"model":`...)
	dst = appendJSONString(dst, orDefault(info.Model, defaultEmbeddingModel))
	dst = append(dst, `,"usage":`...)
	dst = appendEmbeddingUsage(dst, tokens(len(info.Input)))
	return append(dst, '}')
}

// unitVector fills v with a pseudo-random unit vector seeded by seed.
func unitVector(v []float32, seed []byte) {
	h := fnv.New64a()
	h.Write(seed)
	x := h.Sum64()
	var norm float64
	for i := range v {
		// splitmix64
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		f := float64(z>>11)/float64(1<<53)*2 - 1
		v[i] = float32(f)
		norm += f * f
	}
	if norm = math.Sqrt(norm); norm > 0 {
		for i := range v {
			v[i] = float32(float64(v[i]) / norm)
		}
	}
}

// appendBase64Vector appends v as OpenAI's base64 encoding: little-endian
// float32s, standard alphabet.
func appendBase64Vector(dst []byte, v []float32) []byte {
	raw := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
	}
	return base64.StdEncoding.AppendEncode(dst, raw)
}

// defaultModerations answers one unflagged result per input.
func defaultModerations(info *requestInfo) []byte {
	n := max(len(info.inputs(info.Input)), 1)
	dst := make([]byte, 0, 96+n*(len(defaultModerationResult)+1))
	dst = append(dst, `{"id":`...)
	dst = append(dst, info.fill.vals[holeID]...)
	dst = append(dst, `,"model":`...)
	dst = append(dst, info.fill.vals[holeModel]...)
	dst = append(dst, `,"results":[`...)
	for i := range n {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, defaultModerationResult...)
	}
	return append(dst, "]}"...)
}

// tokens estimates the tokens of n bytes of text: about four bytes a token,
// the rule of thumb OpenAI gives for English. It is not a tokenizer.
func tokens(n int) int {
	if n <= 0 {
		return 0
	}
	return (n + 3) / 4
}

// messageBytes returns the length of the generated text of a message.
func messageBytes(m goopenai.ChatCompletionMessage) int {
	n := len(m.Content) + len(m.Refusal)
	for _, tc := range m.ToolCalls {
		n += len(tc.Function.Name) + len(tc.Function.Arguments)
	}
	return n
}

// deltaBytes returns the length of the generated text of a stream delta.
func deltaBytes(d goopenai.ChatCompletionStreamChoiceDelta) int {
	n := len(d.Content) + len(d.Refusal)
	for _, tc := range d.ToolCalls {
		n += len(tc.Function.Name) + len(tc.Function.Arguments)
	}
	return n
}

// inputs splits an "input" or "prompt" value into its items: a string is one
// item, an array of strings (or of token arrays) one per element, an array of
// numbers (one token array) a single item.
func (*requestInfo) inputs(raw json.RawMessage) []json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	if raw[0] != '[' {
		return []json.RawMessage{raw}
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil || len(items) == 0 {
		return nil
	}
	if c := items[0][0]; c == '-' || (c >= '0' && c <= '9') {
		return []json.RawMessage{raw}
	}
	return items
}
