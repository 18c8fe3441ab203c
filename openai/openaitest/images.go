package openaitest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// This file serves image generation. Images are blank pictures of the
// requested size, encoded once per size and format.

// imagesPath is where the server serves the images whose URLs it hands out
// for response_format "url", as OpenAI serves them from its own storage.
const imagesPath = "/openaitest/images/"

// imageRequest is what the server reads of an image generation request.
type imageRequest struct {
	Prompt         *string `json:"prompt"`
	N              int     `json:"n"`
	Size           string  `json:"size"`
	Quality        string  `json:"quality"`
	ResponseFormat string  `json:"response_format"`
	OutputFormat   string  `json:"output_format"`
	Background     string  `json:"background"`
}

// gptImageModel reports whether model is one of the GPT Image models, which
// always answer base64 images and report token usage.
func gptImageModel(model string) bool {
	return strings.HasPrefix(model, "gpt-image") || strings.HasPrefix(model, "chatgpt-image")
}

// gptImageOutputTokens are the output tokens OpenAI bills per GPT Image
// image, by quality, for square, portrait and landscape sizes.
var gptImageOutputTokens = map[string][3]int{
	"low":    {272, 408, 400},
	"medium": {1056, 1584, 1568},
	"high":   {4160, 6240, 6208},
}

func (s *Server) respondImages(w http.ResponseWriter, r *http.Request, info *requestInfo, resp *Response) {
	var q imageRequest
	if err := json.Unmarshal(info.body, &q); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", nil,
			"We could not parse the JSON body of your request. "+err.Error())
		return
	}
	model := orDefault(info.Model, defaultImageModel)
	gpt := gptImageModel(model)
	n := max(q.N, 1)
	size := q.Size
	if size == "" || size == "auto" {
		size = "1024x1024"
	}
	width, height, sizeOK := parseSize(size)
	switch {
	case q.Prompt == nil:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "missing_required_parameter", "Missing required parameter: 'prompt'.")
		return
	case gpt && q.ResponseFormat != "":
		writeError(w, http.StatusBadRequest, "invalid_request_error", "unknown_parameter", "Unknown parameter: 'response_format'.")
		return
	case !sizeOK:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_value", fmt.Sprintf("Invalid value: '%s'.", q.Size))
		return
	case n > 10:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "integer_above_max_value",
			fmt.Sprintf("Invalid 'n': integer above maximum value. Expected a value <= 10, but got %d instead.", n))
		return
	}
	format := orDefault(q.OutputFormat, "png")
	b64 := gpt || q.ResponseFormat == "b64_json"

	out := appendIntMember(nil, `{"created":`, defaultCreated)
	if gpt {
		out = append(out, `,"background":`...)
		out = appendJSONString(out, orDefault(q.Background, "opaque"))
	}
	out = append(out, `,"data":[`...)
	for i := range n {
		if i > 0 {
			out = append(out, ',')
		}
		if b64 {
			out = append(out, `{"b64_json":"`...)
			out = base64.StdEncoding.AppendEncode(out, blankImage(width, height, format))
			out = append(out, '"')
		} else {
			out = append(out, `{"url":`...)
			out = appendJSONString(out, s.srv.URL+imagesPath+size+"/img-"+strconv.FormatUint(info.seq, 10)+"-"+strconv.Itoa(i)+".png")
		}
		if model == "dall-e-3" {
			out = append(out, `,"revised_prompt":`...)
			out = appendJSONString(out, *q.Prompt)
		}
		out = append(out, '}')
	}
	out = append(out, ']')
	if gpt {
		quality := q.Quality
		if quality == "" || quality == "auto" {
			quality = "high"
		}
		perImage, ok := gptImageOutputTokens[quality]
		if !ok {
			perImage = gptImageOutputTokens["high"]
		}
		shape := 0
		switch {
		case height > width:
			shape = 1
		case width > height:
			shape = 2
		}
		in, outTokens := tokens(len(*q.Prompt)), n*perImage[shape]
		out = append(out, `,"output_format":`...)
		out = appendJSONString(out, format)
		out = append(out, `,"quality":`...)
		out = appendJSONString(out, quality)
		out = append(out, `,"size":`...)
		out = appendJSONString(out, size)
		out = appendIntMember(out, `,"usage":{"input_tokens":`, in)
		out = appendIntMember(out, `,"input_tokens_details":{"image_tokens":0,"text_tokens":`, in)
		out = appendIntMember(out, `},"output_tokens":`, outTokens)
		out = appendIntMember(out, `,"total_tokens":`, in+outTokens)
		out = append(out, '}')
	}
	out = append(out, '}')
	s.writeBody(w, resp, ctJSON, out)
}

// parseSize reads a size such as "1024x1536".
func parseSize(size string) (width, height int, ok bool) {
	ws, hs, found := strings.Cut(size, "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !found || err1 != nil || err2 != nil || w <= 0 || h <= 0 || w > 4096 || h > 4096 {
		return 0, 0, false
	}
	return w, h, true
}

// serveImageFile answers a GET of an image URL handed out by respondImages.
func (s *Server) serveImageFile(w http.ResponseWriter, r *http.Request) {
	size, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, imagesPath), "/")
	width, height, ok := parseSize(size)
	if !ok {
		http.NotFound(w, r)
		return
	}
	img := blankImage(width, height, "png")
	h := w.Header()
	h["Content-Type"] = []string{"image/png"}
	h["Content-Length"] = []string{strconv.Itoa(len(img))}
	w.Write(img) //nolint:errcheck // nothing to do when the client went away
}

var blankImages sync.Map // "WxH/format" -> []byte

// blankImage returns an image of one light grey, encoded as format ("jpeg",
// else PNG: the standard library has no WebP encoder, so "webp" images are
// PNG too).
func blankImage(width, height int, format string) []byte {
	key := strconv.Itoa(width) + "x" + strconv.Itoa(height) + "/" + format
	if b, ok := blankImages.Load(key); ok {
		return b.([]byte)
	}
	img := image.NewPaletted(image.Rect(0, 0, width, height), color.Palette{color.Gray{Y: 0xe0}})
	var buf bytes.Buffer
	if format == "jpeg" {
		jpeg.Encode(&buf, img, nil) //nolint:errcheck // writing to memory cannot fail
	} else {
		png.Encode(&buf, img) //nolint:errcheck // writing to memory cannot fail
	}
	b, _ := blankImages.LoadOrStore(key, buf.Bytes())
	return b.([]byte)
}
