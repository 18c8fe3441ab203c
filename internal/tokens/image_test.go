package tokens

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"runtime"
	"strings"
	"testing"
)

func TestImageTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, model, detail string
		w, h, want          int
	}{
		{"low detail is the base", "gpt-4o", "low", 4096, 4096, 85},
		{"one tile", "gpt-4o", "high", 512, 512, 85 + 170},
		{"1024 square: scaled to 768, 4 tiles", "gpt-4o", "high", 1024, 1024, 85 + 170*4},
		{"auto counts as high", "gpt-4o", "auto", 1024, 1024, 765},
		{"empty detail counts as high", "gpt-4o", "", 1024, 1024, 765},
		{"2048x4096: fit 2048, then 768x1536, 6 tiles", "gpt-4o", "high", 2048, 4096, 85 + 170*6},
		{"small image is not scaled up", "gpt-4o", "high", 100, 100, 85 + 170},
		{"gpt-4.1 like gpt-4o", "gpt-4.1-2025-04-14", "high", 1024, 1024, 765},
		{"gpt-5 like gpt-4o", "gpt-5", "high", 1024, 1024, 765},
		{"gpt-4o-mini's own base and tile", "gpt-4o-mini", "high", 1024, 1024, 2833 + 5667*4},
		{"gpt-4o-mini low", "gpt-4o-mini", "low", 1024, 1024, 2833},
		{"o1 base and tile", "o1", "high", 1024, 1024, 75 + 150*4},
		{"o3 base and tile", "o3-2025-04-16", "low", 1024, 1024, 75},
		{"computer use", "computer-use-preview", "high", 512, 512, 65 + 129},
		{"patch model: 1024 square", "gpt-4.1-mini", "high", 1024, 1024, 1659},     // 1024 patches × 1.62
		{"patch model ignores detail", "gpt-4.1-mini", "low", 1024, 1024, 1659},    // patches have no low mode
		{"patch model: scaled to 1056x1408", "gpt-4.1-mini", "", 1800, 2400, 2352}, // 33×44 = 1452 patches × 1.62
		{"nano multiplier", "gpt-4.1-nano", "", 1024, 1024, 2519},                  // 1024 × 2.46
		{"o4-mini multiplier", "o4-mini", "", 1024, 1024, 1761},                    // 1024 × 1.72
		{"gpt-5-mini patches", "gpt-5-mini-2025-08-07", "", 64, 64, 6},             // 4 × 1.62
		{"fine-tuned base", "ft:gpt-4o-2024-08-06:acme::x", "high", 1024, 1024, 765},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ImageTokens(tt.model, tt.detail, tt.w, tt.h); got != tt.want {
				t.Errorf("ImageTokens(%s, %q, %d, %d) = %d, want %d", tt.model, tt.detail, tt.w, tt.h, got, tt.want)
			}
		})
	}
}

func TestPatchesFitBudget(t *testing.T) {
	t.Parallel()
	for _, size := range [][2]int{{1800, 2400}, {4000, 3000}, {10000, 10}, {10, 10000}, {1280, 1232}, {33, 33}} {
		if n := patches(size[0], size[1]); n <= 0 || n > maxPatches {
			t.Errorf("patches(%d, %d) = %d", size[0], size[1], n)
		}
	}
	if n := patches(1800, 2400); n != 33*44 {
		t.Errorf("patches(1800, 2400) = %d, want 33×44 (OpenAI's worked example)", n)
	}
}

// dataURL encodes a w×h image in format as a data URL.
func dataURL(tb testing.TB, format string, w, h int) string {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return "data:image/" + format + ";base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}

// webpDataURL is a 16×8 lossless WebP made for this test: its header says
// the size (VP8L: 14 bits of width − 1 and of height − 1).
func webpDataURL() string {
	const bits = 15 | 7<<14 // width − 1, height − 1 << 14
	vp8l := []byte{0x2f, bits & 0xff, bits >> 8 & 0xff, bits >> 16 & 0xff, bits >> 24}
	var b bytes.Buffer
	b.WriteString("RIFF")
	size := 4 + 8 + len(vp8l)
	b.Write([]byte{byte(size), byte(size >> 8), 0, 0})
	b.WriteString("WEBPVP8L")
	b.Write([]byte{byte(len(vp8l)), 0, 0, 0})
	b.Write(vp8l)
	return "data:image/webp;base64," + base64.StdEncoding.EncodeToString(b.Bytes())
}

func TestImageEstimate(t *testing.T) {
	t.Parallel()
	big := dataURL(t, "png", 1024, 1024)
	tests := []struct {
		name, model, url, detail string
		want                     int
		measured                 bool
	}{
		{"PNG data URL", "gpt-4o", big, "high", 765, true},
		{"PNG data URL, low", "gpt-4o", big, "low", 85, true},
		{"JPEG data URL", "gpt-4o", dataURL(t, "jpeg", 2048, 4096), "auto", 85 + 170*6, true},
		{"GIF data URL", "gpt-4o", dataURL(t, "gif", 512, 512), "", 255, true},
		{"WebP data URL", "gpt-4o", webpDataURL(), "", 255, true},
		{"patch model data URL", "gpt-4.1-mini", big, "", 1659, true},
		{"remote URL: low-detail cost, reported", "gpt-4o", "https://example.com/cat.png", "high", 85, false},
		{"remote URL with detail low is measured", "gpt-4o", "https://example.com/cat.png", "low", 85, true},
		{"remote URL, gpt-4o-mini", "gpt-4o-mini", "https://example.com/cat.png", "", 2833, false},
		{"remote URL, patch model", "gpt-4.1-mini", "https://example.com/cat.png", "", 85, false},
		{"data URL not base64", "gpt-4o", "data:image/png,abc", "", 85, false},
		{"data URL of unknown format", "gpt-4o", "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte("<svg/>")), "", 85, false},
		{"truncated data URL", "gpt-4o", big[:40], "", 85, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := imageEstimate(tt.model, tt.url, tt.detail)
			if got.Tokens != tt.want || got.Complete() != tt.measured {
				t.Errorf("imageEstimate = %+v, want %d tokens, measured %v", got, tt.want, tt.measured)
			}
			for _, n := range got.Unmeasured {
				if strings.Contains(n, "example.com") || strings.Contains(n, "base64") {
					t.Errorf("note %q repeats the URL", n)
				}
			}
		})
	}
}

// TestDataURLSizeReadsOnlyTheHeader checks that a huge data URL is not
// decoded whole: a PNG header followed by megabytes of garbage still gives
// its size, at once.
func TestDataURLSizeReadsOnlyTheHeader(t *testing.T) {
	head := dataURL(t, "png", 300, 200)
	huge := head + strings.Repeat("A", 8<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	w, h, ok := dataURLSize(huge)
	runtime.ReadMemStats(&after)
	if !ok || w != 300 || h != 200 {
		t.Fatalf("dataURLSize = %d, %d, %v", w, h, ok)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 256<<10 {
		t.Errorf("dataURLSize allocated %d bytes for an 8 MB URL", n)
	}
}
