package openaitest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	_ "image/jpeg" // decodes the jpeg output format
	_ "image/png"  // decodes the default output format
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// decodeImage decodes an image and returns its format and size.
func decodeImage(t *testing.T, b []byte) (string, image.Point) {
	t.Helper()
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("image does not decode: %v", err)
	}
	return format, image.Pt(cfg.Width, cfg.Height)
}

func TestImages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		req        goopenai.ImageRequest
		n          int
		b64        bool
		format     string
		size       image.Point
		revised    bool
		usage      *goopenai.ImageResponseUsage
		rawMembers []string
	}{
		{"dall-e-2 url by default", goopenai.ImageRequest{Prompt: "a cat"}, 1, false, "png", image.Pt(1024, 1024), false, nil,
			[]string{`{"created":1735689600,"data":[{"url":"http://`}},
		{"dall-e-2 two small", goopenai.ImageRequest{Prompt: "a cat", N: 2, Size: goopenai.CreateImageSize256x256}, 2, false, "png", image.Pt(256, 256), false, nil, nil},
		{"dall-e-3 revises the prompt", goopenai.ImageRequest{Prompt: "a cat", Model: goopenai.CreateImageModelDallE3,
			Size: goopenai.CreateImageSize1792x1024}, 1, false, "png", image.Pt(1792, 1024), true, nil, nil},
		{"b64_json", goopenai.ImageRequest{Prompt: "a cat", ResponseFormat: goopenai.CreateImageResponseFormatB64JSON, Size: "512x512"},
			1, true, "png", image.Pt(512, 512), false, nil, nil},
		{"gpt-image-1", goopenai.ImageRequest{Prompt: "a cat in a hat", Model: goopenai.CreateImageModelGptImage1}, 1, true, "png",
			image.Pt(1024, 1024), false,
			&goopenai.ImageResponseUsage{InputTokens: 4, OutputTokens: 4160, TotalTokens: 4164,
				InputTokensDetails: goopenai.ImageResponseInputTokensDetails{TextTokens: 4}},
			[]string{`"background":"opaque","data":[`, `"output_format":"png","quality":"high","size":"1024x1024","usage":{"input_tokens":4,"input_tokens_details":{"image_tokens":0,"text_tokens":4},"output_tokens":4160,"total_tokens":4164}}`}},
		{"gpt-image-1 low portrait jpeg", goopenai.ImageRequest{Prompt: "a cat", Model: goopenai.CreateImageModelGptImage1, N: 2,
			Quality: goopenai.CreateImageQualityLow, Size: goopenai.CreateImageSize1024x1536, OutputFormat: goopenai.CreateImageOutputFormatJPEG},
			2, true, "jpeg", image.Pt(1024, 1536), false,
			&goopenai.ImageResponseUsage{InputTokens: 2, OutputTokens: 816, TotalTokens: 818,
				InputTokensDetails: goopenai.ImageResponseInputTokensDetails{TextTokens: 2}},
			[]string{`"quality":"low","size":"1024x1536"`}},
		{"gpt-image-1 medium landscape", goopenai.ImageRequest{Prompt: "a cat", Model: goopenai.CreateImageModelGptImage1,
			Quality: goopenai.CreateImageQualityMedium, Size: goopenai.CreateImageSize1536x1024, Background: "transparent"},
			1, true, "png", image.Pt(1536, 1024), false,
			&goopenai.ImageResponseUsage{InputTokens: 2, OutputTokens: 1568, TotalTokens: 1570,
				InputTokensDetails: goopenai.ImageResponseInputTokensDetails{TextTokens: 2}},
			[]string{`"background":"transparent"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c := newServer(t)
			resp, err := c.CreateImage(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Data) != tt.n || resp.Created != 1735689600 {
				t.Fatalf("response %+v", resp)
			}
			for _, d := range resp.Data {
				var img []byte
				if tt.b64 {
					if d.URL != "" {
						t.Errorf("url %q with b64_json", d.URL)
					}
					if img, err = base64.StdEncoding.DecodeString(d.B64JSON); err != nil {
						t.Fatal(err)
					}
				} else {
					img = get(t, srv, d.URL)
				}
				if format, size := decodeImage(t, img); format != tt.format || size != tt.size {
					t.Errorf("image %s %v, want %s %v", format, size, tt.format, tt.size)
				}
				if (d.RevisedPrompt != "") != tt.revised {
					t.Errorf("revised prompt %q", d.RevisedPrompt)
				}
			}
			if tt.usage != nil && resp.Usage != *tt.usage || tt.usage == nil && resp.Usage != (goopenai.ImageResponseUsage{}) {
				t.Errorf("usage %+v, want %+v", resp.Usage, tt.usage)
			}
			if len(tt.rawMembers) > 0 {
				body, _ := json.Marshal(tt.req)
				_, raw := post(t, srv, http.MethodPost, openaitest.RouteImages, string(body))
				for _, m := range tt.rawMembers {
					if !strings.Contains(raw, m) {
						t.Errorf("body lacks %s: %.300s", m, raw)
					}
				}
			}
		})
	}
}

// get fetches url with the server's client and returns the body.
func get(t *testing.T, srv *openaitest.Server, url string) []byte {
	t.Helper()
	resp, err := srv.HTTPClient().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d, %v", url, resp.StatusCode, err)
	}
	return b
}

func TestImageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, message string
		status              int
	}{
		{"no prompt", `{"model":"dall-e-3"}`, "Missing required parameter: 'prompt'.", 400},
		{"response_format on gpt-image", `{"model":"gpt-image-1","prompt":"x","response_format":"url"}`, "Unknown parameter: 'response_format'.", 400},
		{"bad size", `{"prompt":"x","size":"big"}`, "Invalid value: 'big'.", 400},
		{"too many", `{"prompt":"x","n":11}`, "Invalid 'n': integer above maximum value", 400},
		{"not JSON", `{"prompt":`, "We could not parse the JSON body", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newServer(t)
			resp, body := post(t, srv, http.MethodPost, openaitest.RouteImages, tt.body)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.message) {
				t.Errorf("%d %s", resp.StatusCode, body)
			}
		})
	}
	srv, _ := newServer(t)
	resp, err := srv.HTTPClient().Get(strings.TrimSuffix(srv.URL(), "/v1") + "/openaitest/images/huge/x.png")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("unknown image: %d", resp.StatusCode)
	}
}
