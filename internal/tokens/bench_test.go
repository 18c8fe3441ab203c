package tokens

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// benchTexts are the texts of bench/tiktoken-compare.sh.
func benchTexts(b *testing.B) map[string]string {
	b.Helper()
	texts := map[string]string{}
	for _, name := range []string{"english.txt", "code.txt", "multilingual.txt", "long.txt"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "bench", "texts", name))
		if err != nil {
			b.Fatal(err)
		}
		texts[name] = string(data)
	}
	return texts
}

// BenchmarkCount measures counting, warm (piece cache kept, as when a
// conversation resends its history) and first pass (cache emptied first).
//
//	go test -run '^$' -bench BenchmarkCount -count 6 ./internal/tokens/
func BenchmarkCount(b *testing.B) {
	texts := benchTexts(b)
	for _, name := range []string{"english.txt", "code.txt", "multilingual.txt", "long.txt"} {
		text := texts[name]
		for _, enc := range encodings {
			b.Run(enc+"/"+name+"/warm", func(b *testing.B) {
				Count(enc, text)
				b.SetBytes(int64(len(text)))
				b.ReportAllocs()
				for b.Loop() {
					Count(enc, text)
				}
			})
			b.Run(enc+"/"+name+"/first", func(b *testing.B) {
				Count(enc, text)
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					ResetCaches()
					Count(enc, text)
				}
			})
		}
	}
}

// BenchmarkChatPrompt measures a six-message chat with the cookbook's tool,
// as a wire recorder estimates it: decoded body in, estimate out.
func BenchmarkChatPrompt(b *testing.B) {
	req := decodeChat(b, cookbookWeather)
	six := decodeChat(b, cookbookSix)
	req.Messages = append(six.Messages, req.Messages...)
	b.ReportAllocs()
	for b.Loop() {
		ChatPrompt("gpt-4o", req)
	}
}

// BenchmarkColdStart measures building an encoder from the embedded
// vocabulary, the one-time cost of the first count.
func BenchmarkColdStart(b *testing.B) {
	for _, enc := range encodings {
		b.Run(enc, func(b *testing.B) {
			for b.Loop() {
				if _, err := build(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkChatPromptHistory measures a conversation of 40 long messages
// (about 40 KB), as every call of a chat resends it: with the text cache
// (the history was counted on an earlier call) and with every cache
// emptied first.
func BenchmarkChatPromptHistory(b *testing.B) {
	long := benchTexts(b)["english.txt"]
	req := &ChatRequest{Model: "gpt-4o"}
	for i := range 40 {
		role := "user"
		if i%2 == 1 {
			role = "assistant"
		}
		req.Messages = append(req.Messages, ChatMessage{Role: role, Content: Content{Text: fmt.Sprint(i, " ", long)}})
	}
	size := int64(40 * len(long))
	b.Run("cached", func(b *testing.B) {
		ChatPrompt("", req)
		b.SetBytes(size)
		for b.Loop() {
			ChatPrompt("", req)
		}
	})
	b.Run("uncached", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			ResetCaches()
			ChatPrompt("", req)
		}
	})
}
