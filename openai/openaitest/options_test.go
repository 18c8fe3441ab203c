package openaitest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// TestWire checks each variant of the wire format on a plain and a streamed
// chat answer.
func TestWire(t *testing.T) {
	t.Parallel()
	const (
		plainReq  = `{"model":"gpt-4o","messages":[]}`
		streamReq = `{"model":"gpt-4o","stream":true,"messages":[]}`
	)
	tests := []struct {
		name        string
		wire        openaitest.Wire
		body        string
		contentType string
		contains    []string
		lacks       []string
	}{
		{"default plain", openaitest.Wire{}, plainReq, "application/json",
			[]string{`"finish_reason":"stop"}],"usage":{`, `},"service_tier":"default","system_fingerprint":null}`},
			[]string{`"logprobs"`}},
		{"default stream", openaitest.Wire{}, streamReq, "text/event-stream; charset=utf-8",
			[]string{`"model":"gpt-4o","service_tier":"default","system_fingerprint":null,"choices":[`, `,"obfuscation":"`},
			[]string{`"logprobs"`}},
		{"logprobs null", openaitest.Wire{LogprobsNull: true}, plainReq, "application/json",
			[]string{`"annotations":[]},"logprobs":null,"finish_reason":"stop"`}, nil},
		{"logprobs null in chunks", openaitest.Wire{LogprobsNull: true}, streamReq, "text/event-stream; charset=utf-8",
			[]string{`"refusal":null},"logprobs":null,"finish_reason":null}`}, nil},
		{"fingerprint", openaitest.Wire{SystemFingerprint: "fp_50cad350e4"}, streamReq, "text/event-stream; charset=utf-8",
			[]string{`"service_tier":"default","system_fingerprint":"fp_50cad350e4","choices"`}, []string{`"system_fingerprint":null`}},
		{"fingerprint plain", openaitest.Wire{SystemFingerprint: "fp_50cad350e4"}, plainReq, "application/json",
			[]string{`"service_tier":"default","system_fingerprint":"fp_50cad350e4"}`}, nil},
		{"no service tier", openaitest.Wire{NoServiceTier: true}, plainReq, "application/json",
			nil, []string{`service_tier`, `system_fingerprint`}},
		{"no service tier in chunks", openaitest.Wire{NoServiceTier: true}, streamReq, "text/event-stream; charset=utf-8",
			[]string{`"model":"gpt-4o","choices":[`}, []string{`service_tier`, `system_fingerprint`}},
		{"no obfuscation", openaitest.Wire{NoObfuscation: true}, streamReq, "text/event-stream; charset=utf-8",
			nil, []string{`obfuscation`}},
		{"plain event stream", openaitest.Wire{PlainEventStream: true}, streamReq, "text/event-stream", nil, nil},
		{"request opts out of obfuscation", openaitest.Wire{},
			`{"model":"gpt-4o","stream":true,"stream_options":{"include_obfuscation":false},"messages":[]}`,
			"text/event-stream; charset=utf-8", nil, []string{`obfuscation`}},
		{"request asks for flex", openaitest.Wire{}, `{"model":"gpt-4o","service_tier":"flex","messages":[]}`, "application/json",
			[]string{`"service_tier":"flex","system_fingerprint":null}`}, nil},
		{"request asks for auto", openaitest.Wire{}, `{"model":"gpt-4o","service_tier":"auto","stream":true,"messages":[]}`,
			"text/event-stream; charset=utf-8", []string{`"service_tier":"default"`}, nil},
		{"everything old", openaitest.Wire{LogprobsNull: true, NoServiceTier: true, NoObfuscation: true, PlainEventStream: true},
			streamReq, "text/event-stream",
			[]string{`"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}`},
			[]string{`obfuscation`, `service_tier`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newServer(t, openaitest.WithWire(tt.wire))
			resp, body := post(t, srv, http.MethodPost, openaitest.RouteChatCompletions, tt.body)
			if ct := resp.Header.Get("Content-Type"); ct != tt.contentType {
				t.Errorf("Content-Type %q, want %q", ct, tt.contentType)
			}
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
		})
	}
}

// TestScriptedWireFields checks that values a script sets are sent as given,
// whatever the Wire.
func TestScriptedWireFields(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, openaitest.WithWire(openaitest.Wire{NoServiceTier: true}))
	resp := openaitest.ChatResponse(openaitest.Choice{Content: "x"})
	resp.SystemFingerprint = "fp_mine"
	resp.Choices[0].LogProbs = &goopenai.LogProbs{Content: []goopenai.LogProb{{Token: "x", LogProb: -0.5}}}
	chunks := openaitest.ChatChunks(1, openaitest.Choice{Content: "x"})
	chunks[1].SystemFingerprint = "fp_chunk"
	chunks[1].Choices[0].Logprobs = &goopenai.ChatCompletionStreamChoiceLogprobs{}
	srv.Enqueue(openaitest.RouteChatCompletions, openaitest.JSON(resp), openaitest.ChatStream(chunks...))

	_, plain := post(t, srv, http.MethodPost, openaitest.RouteChatCompletions, `{"messages":[]}`)
	if !strings.Contains(plain, `"service_tier":"default","system_fingerprint":"fp_mine"`) ||
		!strings.Contains(plain, `"logprobs":{"content":[{"token":"x","logprob":-0.5`) {
		t.Errorf("plain %s", plain)
	}
	_, stream := post(t, srv, http.MethodPost, openaitest.RouteChatCompletions, `{"stream":true,"messages":[]}`)
	events := strings.Split(stream, "\n\n")
	if strings.Contains(events[0], "service_tier") || !strings.Contains(events[1], `"service_tier":"default","system_fingerprint":"fp_chunk"`) ||
		!strings.Contains(events[1], `"logprobs":{}`) {
		t.Errorf("stream %s", stream)
	}
}
