package openaitest_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// benchRequest is a realistic prompt: a system message and a few turns.
func benchRequest() goopenai.ChatCompletionRequest {
	para := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 6)
	return chatRequest("gpt-4o-mini",
		"You are a helpful assistant that answers briefly. "+para,
		"Summarise the following text: "+para,
		"Here is a summary: a fox jumps over a dog.",
		"Now in more detail, please. "+para)
}

// benchReply is about 1 KB of assistant text.
var benchReply = strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 18)

func BenchmarkChatCompletion(b *testing.B) {
	srv, c := newServer(b, openaitest.WithoutRecording())
	srv.SetDefault(openaitest.RouteChatCompletions, openaitest.JSON(openaitest.ChatResponse(openaitest.Choice{Content: benchReply})))
	req := benchRequest()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.CreateChatCompletion(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChatStream200(b *testing.B) {
	for _, usage := range []bool{false, true} {
		name := "plain"
		if usage {
			name = "include_usage"
		}
		b.Run(name, func(b *testing.B) {
			srv, c := newServer(b, openaitest.WithoutRecording())
			srv.SetDefault(openaitest.RouteChatCompletions, openaitest.ChatStream(
				openaitest.ChatChunks(200, openaitest.Choice{Content: benchReply})...))
			req := benchRequest()
			if usage {
				req = withUsage(req)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				stream, err := c.CreateChatCompletionStream(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					_, err := stream.Recv()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				stream.Close()
				if n < 200 {
					b.Fatalf("%d chunks", n)
				}
			}
		})
	}
}

func BenchmarkChatCompletionParallel(b *testing.B) {
	srv, c := newServer(b, openaitest.WithoutRecording())
	srv.SetDefault(openaitest.RouteChatCompletions, openaitest.JSON(openaitest.ChatResponse(openaitest.Choice{Content: benchReply})))
	req := benchRequest()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.CreateChatCompletion(context.Background(), req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
