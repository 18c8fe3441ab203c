package openaitest_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"testing"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

func TestDefaultEmbeddings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		req    goopenai.EmbeddingRequestConverter
		inputs int
		dims   int
	}{
		{"one string", goopenai.EmbeddingRequest{Input: "hello", Model: goopenai.SmallEmbedding3}, 1, openaitest.DefaultEmbeddingDimensions},
		{"strings", goopenai.EmbeddingRequestStrings{Input: []string{"a", "b", "c"}, Model: goopenai.SmallEmbedding3}, 3, openaitest.DefaultEmbeddingDimensions},
		{"tokens", goopenai.EmbeddingRequestTokens{Input: [][]int{{1, 2}, {3}}, Model: goopenai.SmallEmbedding3}, 2, openaitest.DefaultEmbeddingDimensions},
		{"one token array", goopenai.EmbeddingRequest{Input: []int{1, 2, 3}, Model: goopenai.SmallEmbedding3}, 1, openaitest.DefaultEmbeddingDimensions},
		{"dimensions", goopenai.EmbeddingRequestStrings{Input: []string{"a"}, Model: goopenai.LargeEmbedding3, Dimensions: 256}, 1, 256},
		{"base64", goopenai.EmbeddingRequestStrings{Input: []string{"a", "b"}, Model: goopenai.SmallEmbedding3,
			EncodingFormat: goopenai.EmbeddingEncodingFormatBase64}, 2, openaitest.DefaultEmbeddingDimensions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, c := newServer(t)
			resp, err := c.CreateEmbeddings(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Data) != tt.inputs || resp.Usage.PromptTokens == 0 || resp.Usage.TotalTokens != resp.Usage.PromptTokens {
				t.Fatalf("response %+v", resp)
			}
			for _, e := range resp.Data {
				var norm float64
				for _, v := range e.Embedding {
					norm += float64(v) * float64(v)
				}
				if len(e.Embedding) != tt.dims || math.Abs(norm-1) > 1e-4 {
					t.Errorf("embedding %d: %d dimensions, norm² %v", e.Index, len(e.Embedding), norm)
				}
			}
		})
	}
}

func TestDefaultEmbeddingsAgreeAcrossEncodings(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	var got [2][]float32
	for i, f := range []goopenai.EmbeddingEncodingFormat{"", goopenai.EmbeddingEncodingFormatBase64} {
		resp, err := c.CreateEmbeddings(context.Background(), goopenai.EmbeddingRequest{Input: "same", Model: goopenai.SmallEmbedding3, EncodingFormat: f})
		if err != nil {
			t.Fatal(err)
		}
		got[i] = resp.Data[0].Embedding
	}
	if !equal(got[0], got[1]) {
		t.Errorf("float %v, base64 %v", got[0], got[1])
	}
}

func TestDefaultModerations(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t)
	_, body := post(t, srv, http.MethodPost, openaitest.RouteModerations, `{"input":["a","b","c"]}`)
	var resp goopenai.ModerationResponse
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != 3 || resp.Model != "omni-moderation-latest" || resp.Results[1].Flagged {
		t.Errorf("response %+v", resp)
	}
}

func TestDefaultCompletionChoices(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	resp, err := c.CreateCompletion(context.Background(), goopenai.CompletionRequest{
		Model: "gpt-3.5-turbo-instruct", Prompt: []string{"a", "b"}, N: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices) != 4 || resp.Choices[3].Index != 3 {
		t.Errorf("choices %+v", resp.Choices)
	}
	req := chatRequest("gpt-4o", "Hi")
	req.N = 2
	chunks, err := collectChat(t, c, req)
	if err != nil {
		t.Fatal(err)
	}
	var finished int
	for _, ch := range chunks {
		if ch.Choices[0].FinishReason == "stop" {
			finished++
		}
	}
	if finished != 2 {
		t.Errorf("%d choices finished, want 2", finished)
	}
}
