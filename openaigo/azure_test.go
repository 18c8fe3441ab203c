package openaigo_test

import (
	"math"
	"testing"

	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/gentrace/gentrace-go/openaigo"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/azure"
	"github.com/openai/openai-go/v3/option"
)

// azureChat is what Azure OpenAI answers for a deployment of gpt-4o-mini:
// the response names the model, not the deployment.
const azureChat = `{"id":"chatcmpl-Az1","object":"chat.completion","created":1741000000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Paris.","refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":10,"total_tokens":1010},"system_fingerprint":"fp_1"}`

// TestAzureThroughOpenAIGosAzureOptions sends a chat through openai-go's
// azure options, with the recorder installed before them (it sees the
// request before Azure's middleware moves it to the deployment's path) and
// after them.
func TestAzureThroughOpenAIGosAzureOptions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		first bool // the recorder comes before the azure options
	}{
		{"recorder first", true},
		{"recorder last", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.oai.Enqueue("/v1/openai/deployments/my-deployment/chat/completions", openaitest.Raw(200, []byte(azureChat)))
			opts := []option.RequestOption{
				azure.WithEndpoint(w.oai.URL(), "2024-10-21"),
				azure.WithAPIKey("azure-key"),
				azure.WithUnsafeAllowHTTP(), // the fake server is plain HTTP on loopback
				option.WithMaxRetries(0),
			}
			if tt.first {
				opts = append([]option.RequestOption{openaigo.Record()}, opts...)
			} else {
				opts = append(opts, openaigo.Record())
			}
			c := openai.NewClient(opts...)
			ctx, r := w.start()
			p := userMessage("Capital of France?")
			p.Model = "my-deployment"
			resp, err := c.Chat.Completions.New(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Choices[0].Message.Content != "Paris." {
				t.Errorf("caller got %s", resp.RawJSON())
			}
			got := w.oai.Requests()[0]
			if got.Header.Get("Api-Key") != "azure-key" || got.Header.Get("Authorization") != "" {
				t.Errorf("not an Azure request: %v", got.Header)
			}
			if steps := r.Steps(); len(steps) != 1 || steps[0].Platform != "azure" {
				t.Fatalf("steps = %+v", steps)
			}
			s := oneStep(t, w.end(r))
			if s.ProviderName != "openai" || s.Invocation != "openai_createChatCompletion" || s.ModelParams["model"] != "my-deployment" {
				t.Errorf("step %s %s, params %v", s.ProviderName, s.Invocation, s.ModelParams)
			}
			// Priced as gpt-4o-mini ($0.15 in, $0.60 out per 1M tokens), the
			// model the response names.
			if cost, ok := costOf(t, s.Outputs); !ok || math.Abs(cost-(1000*0.15/1e6+10*0.60/1e6)) > 1e-12 {
				t.Errorf("cost %v, %v", cost, ok)
			}
		})
	}
}
