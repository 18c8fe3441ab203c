package openaitest_test

import (
	"context"
	"fmt"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// A test scripts the next chat answer, calls the real go-openai client and
// checks what the server received.
func ExampleNewServer() {
	srv := openaitest.NewServer()
	defer srv.Close()

	srv.Enqueue(openaitest.RouteChatCompletions,
		openaitest.JSON(openaitest.ChatResponse(openaitest.Choice{Content: "Paris."})))

	client := goopenai.NewClientWithConfig(srv.ClientConfig())
	resp, err := client.CreateChatCompletion(context.Background(), goopenai.ChatCompletionRequest{
		Model: goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{
			{Role: goopenai.ChatMessageRoleUser, Content: "Capital of France?"},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.ID, resp.Model)
	fmt.Println(resp.Choices[0].Message.Content, resp.Choices[0].FinishReason)
	fmt.Printf("tokens: %d+%d\n", resp.Usage.PromptTokens, resp.Usage.CompletionTokens)

	req, _ := srv.Requests()[0].ChatCompletionRequest()
	fmt.Println("asked:", req.Messages[0].Content)
	// Output:
	// chatcmpl-openaitest-1 gpt-4o-mini
	// Paris. stop
	// tokens: 11+2
	// asked: Capital of France?
}
