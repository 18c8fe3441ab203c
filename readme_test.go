package gentrace_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// Order and lookupOrder stand for the program's own code in the README's
// example.
type Order struct{ Status string }

var errOrderService = errors.New("order service unavailable")

// lookupOrder fails for the order "down", as a service would.
func lookupOrder(_ context.Context, orderID string) (Order, error) {
	if orderID == "down" {
		return Order{}, errOrderService
	}
	return Order{Status: "shipped on Monday"}, nil
}

// readme:begin
// answer serves one customer question as a run of two steps.
// gc, err := gentrace.New() reads GENTRACE_API_KEY; defer gc.Shutdown(ctx) delivers what is pending.
// client := openai.NewClient(os.Getenv("OPENAI_API_KEY"), openai.WithGentrace(gc))
func answer(ctx context.Context, pipeline *gentrace.Pipeline, client *openai.Client, orderID string) (_ string, err error) {
	ctx, run, err := pipeline.Start(ctx, gentrace.RunContext{
		UserID:   "customer-1017",
		Metadata: gentrace.Metadata{"channel": gentrace.String("chat")},
	})
	if err != nil {
		return "", err
	}
	defer run.End(&err) // on every path: records err, if any, and delivers the run in the background

	// A step of your own: timed, with its inputs and typed result recorded.
	order, err := gentrace.Measure(ctx, map[string]any{"orderId": orderID}, func(ctx context.Context) (Order, error) {
		return lookupOrder(ctx, orderID)
	})
	if err != nil {
		return "", err
	}
	// An OpenAI step: the run travels in ctx; the request, the answer, cost,
	// latency and token usage are recorded.
	resp, err := client.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "Where is my order? " + order.Status}},
	})
	if err != nil {
		return "", err
	}
	return resp.Choices[0].Message.Content, nil
}

// readme:end

// The README's example delivers its run on every path: the failing lookup
// reaches Gentrace with its error and its step, the good path with both
// steps and the answer.
func TestREADMEExampleDeliversFailingRuns(t *testing.T) {
	t.Parallel()
	backend := gentracetest.Start(t)
	gc, err := gentrace.New(gentrace.WithAPIKey(backend.APIKey), gentrace.WithBaseURL(backend.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Shutdown(context.Background())
	ai := openaitest.NewServer()
	defer ai.Close()
	client := openai.NewClientWithConfig(ai.ClientConfig(), openai.WithGentrace(gc))
	pipeline, _ := gc.NewPipeline("support")

	if _, err := answer(context.Background(), pipeline, client, "down"); !errors.Is(err, errOrderService) {
		t.Fatalf("answer = %v, want the lookup's error", err)
	}
	reply, err := answer(context.Background(), pipeline, client, "A-17")
	if err != nil || reply == "" {
		t.Fatalf("answer = %q, %v", reply, err)
	}
	if err := gc.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	runs := backend.Runs()
	if len(runs) != 2 {
		t.Fatalf("stored %d runs, want 2", len(runs))
	}
	failed, ok := runs[0], runs[1]
	if failed.Error != errOrderService.Error() || len(failed.StepRuns) != 1 || failed.StepRuns[0].Error != errOrderService.Error() {
		t.Errorf("failing run = error %q, steps %+v", failed.Error, failed.StepRuns)
	}
	if ok.Error != "" || len(ok.StepRuns) != 2 || ok.StepRuns[1].Invocation != "openai_createChatCompletion" {
		t.Errorf("good run = error %q, %d steps", ok.Error, len(ok.StepRuns))
	}
	if got := ok.StepRuns[1].Context.UserID; got != "customer-1017" {
		t.Errorf("user on the OpenAI step = %q", got)
	}
}

// The README shows the example above as it is tested, line for line.
func TestREADMEShowsTheTestedExample(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, code, _ := strings.Cut(string(src), "// readme:begin\n")
	code, _, _ = strings.Cut(code, "\n// readme:end")
	if !strings.Contains(string(readme), "```go\n"+code+"```") {
		t.Errorf("README.md does not show the example of readme_test.go as it is; paste it between ```go and ```:\n%s", code)
	}
}
