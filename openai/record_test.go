package openai_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/internal/tokens"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/gentrace/gentrace-go/pricing"
	gogpt "github.com/sashabaranov/go-openai"
)

// callKind is one wrapped method, called the same way in both modes.
type callKind struct {
	name       string
	invocation string
	// call makes the call with opts and returns the PipelineRunID, the
	// usage OpenAI reported (nil for none) and the model that answered.
	call        func(t *testing.T, c *openai.Client, opts ...openai.CallOption) (runID string, usage *gogpt.Usage, model string)
	inputKeys   []string
	paramKeys   []string
	outputKeys  []string
	estimated   bool // the usage is estimated (a stream without usage)
	noCostNoUse bool // no usage, a free model: cost 0
}

var completionPrompt = "Write a haiku about the sea."

func completionRequest() gogpt.CompletionRequest {
	return gogpt.CompletionRequest{
		Model:       gogpt.GPT3Dot5TurboInstruct,
		Prompt:      completionPrompt,
		MaxTokens:   32,
		Temperature: 0.7,
		User:        "end-user-7",
	}
}

var callKinds = []callKind{
	{
		name:       "chat",
		invocation: openai.InvocationChatCompletion,
		call: func(t *testing.T, c *openai.Client, opts ...openai.CallOption) (string, *gogpt.Usage, string) {
			resp, err := c.CreateChatCompletion(context.Background(), chatRequest(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			return resp.PipelineRunID, &resp.Usage, resp.Model
		},
		inputKeys:  []string{"messages", "tools", "user"},
		paramKeys:  []string{"max_completion_tokens", "model", "seed", "stop", "stream", "temperature", "tool_choice"},
		outputKeys: []string{"choices", "cost", "created", "id", "model", "object", "usage"},
	},
	{
		name:       "chat_stream",
		invocation: openai.InvocationChatCompletion,
		call: func(t *testing.T, c *openai.Client, opts ...openai.CallOption) (string, *gogpt.Usage, string) {
			stream, err := c.CreateChatCompletionStream(context.Background(), chatRequest(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer stream.Close()
			chunks, err := readChat(stream)
			if err != nil {
				t.Fatal(err)
			}
			return stream.PipelineRunID, nil, chunks[0].Model
		},
		inputKeys:  []string{"messages", "tools", "user"},
		paramKeys:  []string{"max_completion_tokens", "model", "seed", "stop", "stream", "temperature", "tool_choice"},
		outputKeys: []string{"choices", "cost", "created", "id", "model", "object", "usage", "usageEstimated"},
		estimated:  true,
	},
	{
		name:       "completion",
		invocation: openai.InvocationCompletion,
		call: func(t *testing.T, c *openai.Client, opts ...openai.CallOption) (string, *gogpt.Usage, string) {
			resp, err := c.CreateCompletion(context.Background(), completionRequest(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			return resp.PipelineRunID, resp.Usage, resp.Model
		},
		inputKeys:  []string{"prompt", "user"},
		paramKeys:  []string{"max_tokens", "model", "stream", "temperature"},
		outputKeys: []string{"choices", "cost", "created", "id", "model", "object", "usage"},
	},
	{
		name:       "completion_stream",
		invocation: openai.InvocationCompletion,
		call: func(t *testing.T, c *openai.Client, opts ...openai.CallOption) (string, *gogpt.Usage, string) {
			stream, err := c.CreateCompletionStream(context.Background(), completionRequest(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer stream.Close()
			chunks, err := readCompletion(stream)
			if err != nil {
				t.Fatal(err)
			}
			return stream.PipelineRunID, nil, chunks[0].Model
		},
		inputKeys:  []string{"prompt", "user"},
		paramKeys:  []string{"max_tokens", "model", "stream", "temperature"},
		outputKeys: []string{"choices", "cost", "created", "id", "model", "object", "usage", "usageEstimated"},
		estimated:  true,
	},
	{
		name:       "embeddings",
		invocation: openai.InvocationEmbedding,
		call: func(t *testing.T, c *openai.Client, opts ...openai.CallOption) (string, *gogpt.Usage, string) {
			resp, err := c.CreateEmbeddings(context.Background(), gogpt.EmbeddingRequestStrings{
				Input:      []string{"The food was delicious", "and the waiter was kind"},
				Model:      gogpt.SmallEmbedding3,
				Dimensions: 4,
				User:       "end-user-7",
			}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			return resp.PipelineRunID, &resp.Usage, string(resp.Model)
		},
		inputKeys:  []string{"dimensions", "input", "user"},
		paramKeys:  []string{"model"},
		outputKeys: []string{"cost", "data", "model", "object", "usage"},
	},
	{
		name:       "moderation",
		invocation: openai.InvocationModeration,
		call: func(t *testing.T, c *openai.Client, opts ...openai.CallOption) (string, *gogpt.Usage, string) {
			resp, err := c.Moderations(context.Background(), gogpt.ModerationRequest{
				Input: "I want to hug everyone.",
				Model: gogpt.ModerationOmniLatest,
			}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			return resp.PipelineRunID, nil, resp.Model
		},
		inputKeys:   []string{"input"},
		paramKeys:   []string{"model"},
		outputKeys:  []string{"cost", "id", "model", "results"},
		noCostNoUse: true,
	},
}

// TestGoldenPayloads makes every kind of call in simple mode and in
// advanced mode, compares the delivered run with testdata/<kind>_<mode>.json
// and checks the SPEC's rules on what a step records.
func TestGoldenPayloads(t *testing.T) {
	for _, kind := range callKinds {
		for _, mode := range []string{"simple", "advanced"} {
			t.Run(kind.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t)
				var run gentracetest.Run
				var usage *gogpt.Usage
				var model string
				switch mode {
				case "simple":
					var id string
					id, usage, model = kind.call(t, h.client,
						openai.WithPipelineSlug("openai-test"),
						openai.WithUserID("user-42"),
						openai.WithPreviousRunID(previousRunID),
						openai.WithMetadata(gentrace.Metadata{"env": gentrace.String("test")}),
						openai.WithStepMetadata(gentrace.Metadata{"feature": gentrace.String(kind.name)}),
					)
					if id == "" {
						t.Fatal("simple-mode call returned no PipelineRunID")
					}
					run = h.run(id)
					if run.PreviousRunID != previousRunID {
						t.Errorf("previousRunId = %q, want %q", run.PreviousRunID, previousRunID)
					}
				case "advanced":
					r := h.start(gentrace.RunContext{UserID: "user-42",
						Metadata: gentrace.Metadata{"env": gentrace.String("test")}})
					var id string
					id, usage, model = kind.call(t, h.client.ForRunner(r),
						openai.WithStepMetadata(gentrace.Metadata{"feature": gentrace.String(kind.name)}))
					if id != "" {
						t.Errorf("advanced-mode call returned PipelineRunID %q, want none", id)
					}
					run = h.submit(r)
				}
				golden(t, kind.name+"_"+mode+".json", run)

				if got := run.Metadata["env"].Value; got != "test" {
					t.Errorf("run metadata env = %v, want test", got)
				}
				if got := run.Metadata["feature"].Value; got != kind.name {
					t.Errorf("run metadata feature = %v, want %s (step metadata lifted to the run)", got, kind.name)
				}
				step := only(t, run)
				if step.ProviderName != "openai" || step.Invocation != kind.invocation {
					t.Errorf("step is %s/%s, want openai/%s", step.ProviderName, step.Invocation, kind.invocation)
				}
				if step.Context.UserID != "user-42" {
					t.Errorf("context.userId = %q, want user-42", step.Context.UserID)
				}
				for _, c := range []struct {
					what string
					got  map[string]any
					want []string
				}{
					{"inputs", step.Inputs, kind.inputKeys},
					{"modelParams", step.ModelParams, kind.paramKeys},
					{"outputs", step.Outputs, kind.outputKeys},
				} {
					if got := keys(c.got); !slices.Equal(got, c.want) {
						t.Errorf("%s keys = %v, want %v", c.what, got, c.want)
					}
				}
				checkCost(t, kind, step, usage, model)
			})
		}
	}
}

// checkCost checks outputs.cost against the price table and the usage
// OpenAI reported, or the usage recorded as estimated.
func checkCost(t *testing.T, kind callKind, step gentracetest.StepRun, usage *gogpt.Usage, model string) {
	t.Helper()
	got, ok := costOf(t, step.Outputs)
	if !ok {
		t.Fatalf("outputs has no cost: %v", keys(step.Outputs))
	}
	p := price(t, model)
	var want float64
	switch {
	case kind.noCostNoUse:
		want = 0
	case kind.estimated:
		u, ok := step.Outputs["usage"].(map[string]any)
		if !ok || step.Outputs["usageEstimated"] != true {
			t.Fatalf("outputs.usage = %v, usageEstimated = %v: want estimated usage", step.Outputs["usage"], step.Outputs["usageEstimated"])
		}
		want = p.Cost(pricing.Usage{InputTokens: int(u["prompt_tokens"].(float64)), OutputTokens: int(u["completion_tokens"].(float64))})
		if want == 0 {
			t.Fatal("estimated usage costs nothing")
		}
	default:
		cached := 0
		if usage.PromptTokensDetails != nil {
			cached = usage.PromptTokensDetails.CachedTokens
		}
		want = p.Cost(pricing.Usage{InputTokens: usage.PromptTokens, CachedInputTokens: cached, OutputTokens: usage.CompletionTokens})
	}
	if !near(got, want) {
		t.Errorf("cost = %v, want %v (%s at %+v)", got, want, model, p)
	}
}

// TestStreamEstimatedUsage checks that a stream without usage is recorded
// with tiktoken counts: the prompt as internal/tokens counts its wire form,
// the completion by its text; Estimated is set.
func TestStreamEstimatedUsage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	req := chatRequest()
	reply := "Paris is the capital of France, and its largest city."
	h.oai.Enqueue(openaitest.RouteChatCompletions,
		openaitest.ChatStream(openaitest.ChatChunks(5, openaitest.Choice{Content: reply})...))
	r := h.start(gentrace.RunContext{})
	stream, err := h.client.ForRunner(r).CreateChatCompletionStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readChat(stream); err != nil {
		t.Fatal(err)
	}
	stream.Close()

	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var wire tokens.ChatRequest
	if err := json.Unmarshal(body, &wire); err != nil {
		t.Fatal(err)
	}
	wantPrompt := tokens.ChatPrompt(req.Model, &wire).Tokens
	wantCompletion := tokens.Completion(req.Model, reply).Tokens
	steps := r.Steps()
	if len(steps) != 1 {
		t.Fatalf("%d steps", len(steps))
	}
	u := steps[0].Usage
	want := &gentrace.Usage{PromptTokens: wantPrompt, CompletionTokens: wantCompletion,
		TotalTokens: wantPrompt + wantCompletion, Estimated: true}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("usage = %+v, want %+v", u, want)
	}
	// A second call with the same prompt is counted from the text cache
	// and must agree.
	h.oai.Enqueue(openaitest.RouteChatCompletions,
		openaitest.ChatStream(openaitest.ChatChunks(5, openaitest.Choice{Content: reply})...))
	stream, err = h.client.ForRunner(r).CreateChatCompletionStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readChat(stream); err != nil {
		t.Fatal(err)
	}
	stream.Close()
	if u := r.Steps()[1].Usage; !reflect.DeepEqual(u, want) {
		t.Errorf("second call: usage = %+v, want %+v", u, want)
	}
	run := h.submit(r)
	for i, step := range run.StepRuns {
		got, _ := step.Outputs["usage"].(map[string]any)
		if got["prompt_tokens"] != float64(wantPrompt) || got["completion_tokens"] != float64(wantCompletion) ||
			step.Outputs["usageEstimated"] != true {
			t.Errorf("step %d: outputs.usage = %v, usageEstimated = %v", i, got, step.Outputs["usageEstimated"])
		}
	}
}

// TestSnapshots checks that changing the request or the response after the
// call (or, for a stream, after it opened) does not change the record.
func TestSnapshots(t *testing.T) {
	t.Parallel()
	t.Run("captured bodies", func(t *testing.T) { t.Parallel(); testSnapshots(t, false) })
	// A client made with Wrap cannot see the HTTP bodies: it records
	// copies of go-openai's structs instead.
	t.Run("wrapped client", func(t *testing.T) { t.Parallel(); testSnapshots(t, true) })
}

func testSnapshots(t *testing.T, wrap bool) {
	h := newHarness(t)
	if wrap {
		h.client = openai.Wrap(h.oai.Client(), openai.WithGentrace(h.gc))
	}
	r := h.start(gentrace.RunContext{})
	c := h.client.ForRunner(r)
	ctx := context.Background()
	answer := openaitest.Choice{Content: "Let me look.", ToolCalls: []openaitest.ToolCall{{Name: "lookup_city", Arguments: `{"name":"Paris"}`}}}

	newRequest := func() gogpt.ChatCompletionRequest {
		req := chatRequest()
		req.Messages = append(req.Messages, gogpt.ChatCompletionMessage{Role: gogpt.ChatMessageRoleAssistant,
			ToolCalls: []gogpt.ToolCall{{ID: "call_1", Type: "function", Function: gogpt.FunctionCall{Name: "lookup_city", Arguments: `{}`}}}},
			gogpt.ChatCompletionMessage{Role: gogpt.ChatMessageRoleTool, ToolCallID: "call_1", Content: "not found"},
			gogpt.ChatCompletionMessage{Role: gogpt.ChatMessageRoleUser, MultiContent: []gogpt.ChatMessagePart{
				{Type: gogpt.ChatMessagePartTypeImageURL, ImageURL: &gogpt.ChatMessageImageURL{URL: "https://example.com/a.png"}}}})
		req.LogitBias = map[string]int{"1639": 6}
		req.Metadata = map[string]string{"k": "v"}
		req.ResponseFormat = &gogpt.ChatCompletionResponseFormat{Type: gogpt.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &gogpt.ChatCompletionResponseFormatJSONSchema{Name: "s", Schema: json.RawMessage(`{"type":"object"}`)}}
		return req
	}
	mutateRequest := func(req *gogpt.ChatCompletionRequest) {
		req.Messages[1].Content = "changed"
		req.Messages[2].ToolCalls[0].Function.Arguments = "changed"
		req.Messages[4].MultiContent[0].ImageURL.URL = "changed"
		req.Messages = append(req.Messages[:1], req.Messages[2:]...)
		req.Tools[0].Function.Name = "changed"
		req.Tools[0].Function.Parameters.(map[string]any)["properties"].(map[string]any)["name"] = "changed"
		req.Stop[0] = "changed"
		*req.Seed = 99
		req.LogitBias["1639"] = 0
		req.Metadata["k"] = "changed"
		copy(req.ResponseFormat.JSONSchema.Schema.(json.RawMessage), `{"type":"change"}`)
		req.ResponseFormat.JSONSchema.Name = "changed"
	}

	// A chat completion.
	h.oai.Enqueue(openaitest.RouteChatCompletions, openaitest.JSON(openaitest.ChatResponse(answer)))
	req := newRequest()
	wantReq := jsonOf(t, req).(map[string]any)
	resp, err := c.CreateChatCompletion(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	wantCached := resp.Usage.PromptTokensDetails.CachedTokens
	mutateRequest(&req)
	resp.Choices[0].Message.Content = "changed"
	resp.Choices[0].Message.ToolCalls[0].Function.Arguments = "changed"
	resp.Usage.PromptTokensDetails.CachedTokens = 999
	resp.Choices = nil

	// A stream, changed once it opened and after it ended.
	h.oai.Enqueue(openaitest.RouteChatCompletions, openaitest.ChatStream(openaitest.ChatChunks(3, answer)...))
	sreq := newRequest()
	stream, err := c.CreateChatCompletionStream(ctx, sreq)
	if err != nil {
		t.Fatal(err)
	}
	mutateRequest(&sreq)
	chunks, err := readChat(stream)
	stream.Close()
	if err != nil {
		t.Fatal(err)
	}
	for i := range chunks {
		for j := range chunks[i].Choices {
			chunks[i].Choices[j].Delta.Content = "changed"
			for k := range chunks[i].Choices[j].Delta.ToolCalls {
				chunks[i].Choices[j].Delta.ToolCalls[k].Function.Arguments = "changed"
			}
		}
	}

	// Embeddings.
	input := []string{"one", "two"}
	eresp, err := c.CreateEmbeddings(ctx, gogpt.EmbeddingRequestStrings{Input: input, Model: gogpt.SmallEmbedding3})
	if err != nil {
		t.Fatal(err)
	}
	wantVectors := jsonOf(t, eresp.Data)
	input[0] = "changed"
	eresp.Data[0].Embedding[0] = 42

	// A completion.
	creq := completionRequest()
	creq.Prompt = []string{"first", "second"}
	cresp, err := c.CreateCompletion(ctx, creq)
	if err != nil {
		t.Fatal(err)
	}
	wantText := cresp.Choices[0].Text
	creq.Prompt.([]string)[0] = "changed"
	cresp.Choices[0].Text = "changed"

	run := h.submit(r)
	if len(run.StepRuns) != 4 {
		t.Fatalf("%d steps", len(run.StepRuns))
	}
	for i, step := range run.StepRuns[:2] {
		for _, k := range []string{"messages", "tools"} {
			if !reflect.DeepEqual(step.Inputs[k], wantReq[k]) {
				t.Errorf("step %d: inputs.%s changed:\n got %v\nwant %v", i, k, step.Inputs[k], wantReq[k])
			}
		}
		for _, k := range []string{"stop", "seed", "logit_bias", "metadata", "response_format"} {
			if !reflect.DeepEqual(step.ModelParams[k], wantReq[k]) {
				t.Errorf("step %d: modelParams.%s changed: got %v, want %v", i, k, step.ModelParams[k], wantReq[k])
			}
		}
	}
	// The answer is recorded as OpenAI sent it, whatever the caller does
	// to its response afterwards.
	got := run.StepRuns[0].Outputs
	if msg := got["choices"].([]any)[0].(map[string]any)["message"].(map[string]any); msg["content"] != "Let me look." ||
		!strings.Contains(fmt.Sprint(msg["tool_calls"]), `{"name":"Paris"}`) {
		t.Errorf("outputs.choices changed: %v", msg)
	}
	if cached := got["usage"].(map[string]any)["prompt_tokens_details"].(map[string]any)["cached_tokens"]; cached != float64(wantCached) {
		t.Errorf("outputs.usage cached_tokens = %v, want %d", cached, wantCached)
	}
	msg := run.StepRuns[1].Outputs["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)
	if msg["content"] != "Let me look." || !strings.Contains(fmt.Sprint(msg["tool_calls"]), `{"name":"Paris"}`) {
		t.Errorf("stream aggregate changed: %v", msg)
	}
	if got := run.StepRuns[2].Inputs["input"]; !reflect.DeepEqual(got, []any{"one", "two"}) {
		t.Errorf("embedding input changed: %v", got)
	}
	if got := run.StepRuns[2].Outputs["data"]; !reflect.DeepEqual(got, wantVectors) {
		t.Errorf("embedding vectors changed: %v", got)
	}
	if got := run.StepRuns[3].Inputs["prompt"]; !reflect.DeepEqual(got, []any{"first", "second"}) {
		t.Errorf("completion prompt changed: %v", got)
	}
	if got := run.StepRuns[3].Outputs["choices"].([]any)[0].(map[string]any)["text"]; got != wantText {
		t.Errorf("completion text changed: %v", got)
	}
}

// TestCost checks the price lookup: the exact model the response names,
// then its alias; cached tokens; an unknown model (no cost, one warning);
// and prices added or overridden by the user.
func TestCost(t *testing.T) {
	t.Parallel()
	usage := gogpt.Usage{PromptTokens: 1000, CompletionTokens: 100, TotalTokens: 1100}
	cached := usage
	cached.PromptTokensDetails = &gogpt.PromptTokensDetails{CachedTokens: 400}
	custom, err := pricing.Default().With(map[string]pricing.Price{
		"acme-llm-1": {Input: 1, Output: 2},
		"gpt-4o":     {Input: 100, CachedInput: 50, HasCachedInput: true, Output: 200},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		model  string // the response's
		usage  gogpt.Usage
		prices *pricing.Table
		want   float64 // < 0: no cost
	}{
		{"exact model", "gpt-4o-mini", usage, nil, (1000*0.15 + 100*0.60) / 1e6},
		{"alias", "gpt-4o", usage, nil, (1000*2.50 + 100*10.00) / 1e6},
		{"dated snapshot priced on its own", "gpt-4o-2024-05-13", usage, nil, (1000*5.00 + 100*15.00) / 1e6},
		{"dated snapshot priced as its alias", "gpt-4o-2024-08-06", usage, nil, (1000*2.50 + 100*10.00) / 1e6},
		{"cached tokens", "gpt-4o", cached, nil, (600*2.50 + 400*1.25 + 100*10.00) / 1e6},
		{"cached tokens without a cached price", "gpt-4o-2024-05-13", cached, nil, (1000*5.00 + 100*15.00) / 1e6},
		{"unknown model", "acme-llm-1", usage, nil, -1},
		{"user price", "acme-llm-1", usage, custom, (1000*1 + 100*2) / 1e6},
		{"user override", "gpt-4o", cached, custom, (600*100 + 400*50 + 100*200) / 1e6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var opts []openai.Option
			if tc.prices != nil {
				opts = append(opts, openai.WithPriceTable(tc.prices))
			}
			h := newHarness(t, opts...)
			resp := openaitest.ChatResponse(openaitest.Choice{Content: "ok"})
			resp.Model, resp.Usage = tc.model, tc.usage
			h.oai.SetDefault(openaitest.RouteChatCompletions, openaitest.JSON(resp))
			r := h.start(gentrace.RunContext{})
			c := h.client.ForRunner(r)
			for range 2 {
				if _, err := c.CreateChatCompletion(context.Background(), chatRequest()); err != nil {
					t.Fatal(err)
				}
			}
			steps := r.Steps()
			total, hasTotal := r.Cost()
			for i, s := range steps {
				cost, ok := s.Cost()
				if tc.want < 0 {
					if ok {
						t.Errorf("step %d: cost %+v for an unknown model", i, cost)
					}
					continue
				}
				if !ok || cost.Unit != gentrace.UnitDollars || !near(cost.Value, tc.want) {
					t.Errorf("step %d: cost %+v (%v), want %v dollars", i, cost, ok, tc.want)
				}
				wantUsage := &gentrace.Usage{PromptTokens: 1000, CompletionTokens: 100, TotalTokens: 1100}
				if tc.usage.PromptTokensDetails != nil {
					wantUsage.CachedPromptTokens = 400
				}
				if !reflect.DeepEqual(s.Usage, wantUsage) {
					t.Errorf("step %d: usage %+v, want %+v", i, s.Usage, wantUsage)
				}
				if s.Elapsed() != 7*time.Millisecond {
					t.Errorf("step %d: elapsed %v, want 7ms", i, s.Elapsed())
				}
			}
			switch {
			case tc.want < 0 && hasTotal:
				t.Errorf("run cost %v for an unknown model", total)
			case tc.want >= 0 && (!hasTotal || !near(total, 2*tc.want)):
				t.Errorf("run cost %v (%v), want %v", total, hasTotal, 2*tc.want)
			}
			run := h.submit(r)
			for _, step := range run.StepRuns {
				got, ok := costOf(t, step.Outputs)
				if tc.want < 0 && ok || tc.want >= 0 && !near(got, tc.want) {
					t.Errorf("outputs.cost = %v (%v), want %v", got, ok, tc.want)
				}
			}
			if n := strings.Count(h.logs.String(), "no price for model"); tc.want < 0 && n != 1 || tc.want >= 0 && n != 0 {
				t.Errorf("%d price warnings, logs:\n%s", n, h.logs.String())
			}
		})
	}
}

// TestCostFromGo reads per-step and per-run cost, usage and latency of a
// mixed run from Go.
func TestCostFromGo(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.start(gentrace.RunContext{})
	c := h.client.ForRunner(r)
	ctx := context.Background()
	resp, err := c.CreateChatCompletion(ctx, chatRequest())
	if err != nil {
		t.Fatal(err)
	}
	stream, err := c.CreateChatCompletionStream(ctx, chatRequest())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readChat(stream); err != nil {
		t.Fatal(err)
	}
	stream.Close()
	if err := r.Checkpoint(map[string]any{"q": 1}, map[string]any{"cost": gentrace.Cents(2)}); err != nil {
		t.Fatal(err)
	}
	steps := r.Steps()
	p := price(t, gogpt.GPT4o)
	if s := steps[0]; s.Usage.Estimated || s.Usage.PromptTokens != resp.Usage.PromptTokens {
		t.Errorf("chat usage %+v", s.Usage)
	}
	if s := steps[1]; !s.Usage.Estimated || s.Usage.TotalTokens != s.Usage.PromptTokens+s.Usage.CompletionTokens {
		t.Errorf("stream usage %+v, want estimated", s.Usage)
	}
	var want float64
	for i, s := range steps[:2] {
		cost, ok := s.Cost()
		if !ok || !near(cost.Value, p.Cost(pricing.Usage{InputTokens: s.Usage.PromptTokens, OutputTokens: s.Usage.CompletionTokens})) {
			t.Errorf("step %d cost %+v", i, cost)
		}
		if s.Elapsed() <= 0 {
			t.Errorf("step %d elapsed %v", i, s.Elapsed())
		}
		want += cost.Value
	}
	if total, ok := r.Cost(); !ok || !near(total, want+0.02) {
		t.Errorf("run cost %v, want %v", total, want+0.02)
	}
}
