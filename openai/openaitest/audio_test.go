package openaitest_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// wav returns a silent 16 kHz, 16-bit mono WAV file of the given length.
func wav(seconds float64) []byte {
	const rate = 16000
	n := int(seconds * rate * 2)
	b := make([]byte, 44+n)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], rate)
	binary.LittleEndian.PutUint32(b[28:], rate*2)
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(n))
	return b
}

func TestTranscriptions(t *testing.T) {
	t.Parallel()
	const text = "Hello there. How are you today?"
	tests := []struct {
		name   string
		route  openaitest.Route
		req    goopenai.AudioRequest
		audio  []byte
		want   string // the text go-openai returns
		raw    []string
		verify func(t *testing.T, resp goopenai.AudioResponse)
	}{
		{"whisper json", openaitest.RouteTranscriptions, goopenai.AudioRequest{Model: goopenai.Whisper1}, wav(4.2), text,
			[]string{`{"text":"Hello there. How are you today?","usage":{"type":"duration","seconds":5}}`}, nil},
		{"gpt-4o-transcribe json", openaitest.RouteTranscriptions, goopenai.AudioRequest{Model: goopenai.GPT4oTranscribe, Prompt: "Greetings"}, wav(2), text,
			[]string{`"usage":{"type":"tokens","input_tokens":23,"input_token_details":{"text_tokens":3,"audio_tokens":20},"output_tokens":8,"total_tokens":31}}`}, nil},
		{"text", openaitest.RouteTranscriptions, goopenai.AudioRequest{Model: goopenai.GPT4oMiniTranscribe, Format: goopenai.AudioResponseFormatText},
			wav(1), text + "\n", []string{text + "\n"}, nil},
		{"srt", openaitest.RouteTranscriptions, goopenai.AudioRequest{Model: goopenai.Whisper1, Format: goopenai.AudioResponseFormatSRT}, wav(3.1),
			"1\n00:00:00,000 --> 00:00:01,200\nHello there.\n\n2\n00:00:01,200 --> 00:00:03,100\nHow are you today?\n\n", nil, nil},
		{"vtt", openaitest.RouteTranscriptions, goopenai.AudioRequest{Model: goopenai.Whisper1, Format: goopenai.AudioResponseFormatVTT}, wav(3.1),
			"WEBVTT\n\n00:00:00.000 --> 00:00:01.200\nHello there.\n\n00:00:01.200 --> 00:00:03.100\nHow are you today?\n\n", nil, nil},
		{"verbose_json segments", openaitest.RouteTranscriptions, goopenai.AudioRequest{Model: goopenai.Whisper1, Format: goopenai.AudioResponseFormatVerboseJSON},
			wav(3.1), text, []string{`{"task":"transcribe","language":"english","duration":3.1,"text":`, `"usage":{"type":"duration","seconds":4}}`},
			func(t *testing.T, resp goopenai.AudioResponse) {
				if len(resp.Segments) != 2 || resp.Segments[1].Text != " How are you today?" || resp.Segments[1].End != 3.1 || len(resp.Words) != 0 {
					t.Errorf("segments %+v, words %+v", resp.Segments, resp.Words)
				}
			}},
		{"verbose_json words", openaitest.RouteTranscriptions, goopenai.AudioRequest{Model: goopenai.Whisper1, Format: goopenai.AudioResponseFormatVerboseJSON,
			TimestampGranularities: []goopenai.TranscriptionTimestampGranularity{goopenai.TranscriptionTimestampGranularityWord}},
			wav(2), text, nil,
			func(t *testing.T, resp goopenai.AudioResponse) {
				if len(resp.Words) != 6 || resp.Words[0].Word != "Hello" || resp.Words[5].End != 2 || len(resp.Segments) != 0 {
					t.Errorf("words %+v, segments %d", resp.Words, len(resp.Segments))
				}
			}},
		{"translation", openaitest.RouteTranslations, goopenai.AudioRequest{Model: goopenai.Whisper1}, wav(1), text,
			[]string{`{"text":"Hello there. How are you today?"}`}, nil},
		{"translation verbose", openaitest.RouteTranslations, goopenai.AudioRequest{Model: goopenai.Whisper1, Format: goopenai.AudioResponseFormatVerboseJSON},
			bytes.Repeat([]byte{0xff}, 32000), text, []string{`{"task":"translate","language":"english","duration":2,`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c := newServer(t)
			srv.SetDefault(tt.route, openaitest.TextReply(text))
			req := tt.req
			req.FilePath, req.Reader = "speech.wav", bytes.NewReader(tt.audio)
			call := c.CreateTranscription
			if tt.route == openaitest.RouteTranslations {
				call = c.CreateTranslation
			}
			resp, err := call(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Text != tt.want {
				t.Errorf("text %q, want %q", resp.Text, tt.want)
			}
			if tt.verify != nil {
				tt.verify(t, resp)
			}
			got := srv.Requests()[0]
			form, err := got.MultipartForm()
			if err != nil {
				t.Fatal(err)
			}
			if got.Model != tt.req.Model || form.Value["model"][0] != tt.req.Model || len(form.File["file"]) != 1 ||
				form.File["file"][0].Size != int64(len(tt.audio)) {
				t.Errorf("recorded request %+v, form %+v", got, form)
			}
			if len(tt.raw) > 0 {
				req.Reader = bytes.NewReader(tt.audio)
				body := postMultipart(t, srv, tt.route, req)
				for _, s := range tt.raw {
					if !strings.Contains(body, s) {
						t.Errorf("body lacks %q: %s", s, body)
					}
				}
			}
		})
	}
}

// postMultipart sends req as go-openai would and returns the raw answer.
func postMultipart(t *testing.T, srv *openaitest.Server, route openaitest.Route, req goopenai.AudioRequest) string {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	f, _ := w.CreateFormFile("file", "speech.wav")
	io.Copy(f, req.Reader) //nolint:errcheck // writes to memory
	fields := map[string]string{"model": req.Model, "prompt": req.Prompt, "response_format": string(req.Format)}
	for k, v := range fields {
		if v != "" {
			w.WriteField(k, v) //nolint:errcheck // writes to memory
		}
	}
	w.Close()
	httpReq, _ := http.NewRequest(http.MethodPost, strings.TrimSuffix(srv.URL(), "/v1")+string(route), &buf)
	httpReq.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := srv.HTTPClient().Do(httpReq)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestTranscriptionErrors(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()
	_, err := c.CreateTranscription(ctx, goopenai.AudioRequest{Model: goopenai.GPT4oTranscribe, FilePath: "a.wav",
		Reader: bytes.NewReader(wav(1)), Format: goopenai.AudioResponseFormatVerboseJSON})
	if e := apiError(t, err); e.HTTPStatusCode != 400 || !strings.Contains(e.Message, "'verbose_json' is not compatible with model 'gpt-4o-transcribe'") {
		t.Errorf("verbose_json with gpt-4o-transcribe: %+v", e)
	}
	_, err = c.CreateTranscription(ctx, goopenai.AudioRequest{Model: goopenai.Whisper1, FilePath: "a.wav",
		Reader: bytes.NewReader(wav(1)), Format: "xml"})
	if e := apiError(t, err); e.HTTPStatusCode != 400 || !strings.Contains(e.Message, "Invalid value: 'xml'") {
		t.Errorf("unknown format: %+v", e)
	}

	tests := []struct {
		name, contentType, body, message string
	}{
		{"no file", "multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--X--\r\n", "field required"},
		{"stream", "multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\nxx\r\n--X\r\nContent-Disposition: form-data; name=\"stream\"\r\n\r\ntrue\r\n--X--\r\n", "streamed transcriptions are not supported"},
		{"not multipart", "application/json", `{"model":"whisper-1"}`, "Could not parse multipart form"},
		{"broken multipart", "multipart/form-data; boundary=X", "--X\r\nno headers", "Could not parse multipart form"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, strings.TrimSuffix(srv.URL(), "/v1")+string(openaitest.RouteTranscriptions), strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			resp, err := srv.HTTPClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 400 || !strings.Contains(string(b), tt.message) {
				t.Errorf("%d %s", resp.StatusCode, b)
			}
		})
	}
	if _, err := (openaitest.Request{Header: http.Header{}}).MultipartForm(); err == nil {
		t.Error("MultipartForm of a request without Content-Type succeeded")
	}
}

func TestSpeech(t *testing.T) {
	t.Parallel()
	input := strings.Repeat("Hello world. ", 5) // 65 characters: about 4.3 seconds
	tests := []struct {
		format      goopenai.SpeechResponseFormat
		contentType string
		check       func(t *testing.T, b []byte)
	}{
		{"", "audio/mpeg", checkMP3},
		{goopenai.SpeechResponseFormatMp3, "audio/mpeg", checkMP3},
		{goopenai.SpeechResponseFormatWav, "audio/wav", func(t *testing.T, b []byte) {
			if string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" || binary.LittleEndian.Uint32(b[24:]) != 24000 ||
				int(binary.LittleEndian.Uint32(b[40:])) != len(b)-44 || len(b)-44 != 2*int(24000*65/15.0) {
				t.Errorf("WAV header % x, %d bytes", b[:44], len(b))
			}
		}},
		{goopenai.SpeechResponseFormatPcm, "audio/pcm", func(t *testing.T, b []byte) {
			if len(b) != 2*int(24000*65/15.0) || bytes.Count(b, []byte{0}) != len(b) {
				t.Errorf("PCM of %d bytes", len(b))
			}
		}},
		{goopenai.SpeechResponseFormatFlac, "audio/flac", signature("fLaC")},
		{goopenai.SpeechResponseFormatOpus, "audio/opus", signature("OggS")},
		{goopenai.SpeechResponseFormatAac, "audio/aac", signature("\xFF\xF1")},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			t.Parallel()
			_, c := newServer(t)
			resp, err := c.CreateSpeech(context.Background(), goopenai.CreateSpeechRequest{
				Model: goopenai.TTSModel1, Input: input, Voice: goopenai.VoiceAlloy, ResponseFormat: tt.format})
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Close()
			if ct := resp.Header().Get("Content-Type"); ct != tt.contentType {
				t.Errorf("Content-Type %q", ct)
			}
			if resp.Header().Get("Content-Length") != "" || resp.Header().Get("X-Request-Id") == "" {
				t.Errorf("headers %v: want a chunked answer", resp.Header())
			}
			b, err := io.ReadAll(resp)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, b)
		})
	}
}

func checkMP3(t *testing.T, b []byte) {
	t.Helper()
	const frame = 417
	if len(b)%frame != 0 || len(b) < 100*frame {
		t.Fatalf("%d bytes: not whole frames of about 4 seconds", len(b))
	}
	for i := 0; i < len(b); i += frame {
		if !bytes.Equal(b[i:i+4], []byte{0xFF, 0xFB, 0x90, 0xC4}) {
			t.Fatalf("frame at %d starts % x", i, b[i:i+4])
		}
	}
}

func signature(s string) func(t *testing.T, b []byte) {
	return func(t *testing.T, b []byte) {
		if !bytes.HasPrefix(b, []byte(s)) || len(b) < 1000 {
			t.Errorf("%d bytes starting % x", len(b), b[:min(8, len(b))])
		}
	}
}

func TestSpeechFaultsAndErrors(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	srv.Enqueue(openaitest.RouteSpeech, openaitest.Response{}.CutAfter(2))
	resp, err := c.CreateSpeech(context.Background(), goopenai.CreateSpeechRequest{Model: goopenai.TTSModel1, Input: "Hi there", Voice: goopenai.VoiceAlloy})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp)
	resp.Close()
	if err == nil || len(b) != 2*4096 {
		t.Errorf("cut speech: %d bytes, %v", len(b), err)
	}
	tests := []struct{ name, body, message string }{
		{"no input", `{"model":"tts-1","voice":"alloy"}`, "'input' is a required property"},
		{"bad format", `{"model":"tts-1","input":"x","response_format":"ogg"}`, "Invalid value: 'ogg'"},
		{"sse", `{"model":"gpt-4o-mini-tts","input":"x","stream_format":"sse"}`, "not supported"},
		{"not JSON", `{"input":`, "We could not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, srv, http.MethodPost, openaitest.RouteSpeech, tt.body)
			if resp.StatusCode != 400 || !strings.Contains(body, tt.message) {
				t.Errorf("%d %s", resp.StatusCode, body)
			}
		})
	}
	var e struct{ Error struct{ Message string } }
	_, body := post(t, srv, http.MethodPost, openaitest.RouteSpeech, `{"input":"x"}`)
	if json.Unmarshal([]byte(body), &e) == nil && e.Error.Message != "" {
		t.Errorf("built-in speech answered an error: %s", body)
	}
}

func TestTranscriptionExactUsage(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t)
	usage := goopenai.Usage{PromptTokens: 120, CompletionTokens: 30, TotalTokens: 150,
		PromptTokensDetails: &goopenai.PromptTokensDetails{AudioTokens: 100}}
	srv.Enqueue(openaitest.RouteTranscriptions,
		openaitest.TextReply("Exact.").WithUsage(usage),
		openaitest.TextReply("Exact.").WithUsage(goopenai.Usage{PromptTokens: 50, CompletionTokens: 5, TotalTokens: 55}))
	for i, want := range []string{
		`{"text":"Exact.","usage":{"type":"tokens","input_tokens":120,"input_token_details":{"text_tokens":20,"audio_tokens":100},"output_tokens":30,"total_tokens":150}}`,
		`{"text":"Exact.","usage":{"type":"tokens","input_tokens":50,"input_token_details":{"text_tokens":0,"audio_tokens":50},"output_tokens":5,"total_tokens":55}}`,
	} {
		body := postMultipart(t, srv, openaitest.RouteTranscriptions,
			goopenai.AudioRequest{Model: goopenai.Whisper1, Reader: bytes.NewReader(wav(1))})
		if body != want {
			t.Errorf("%d: %s\nwant %s", i, body, want)
		}
	}
}
