// Responses shows OpenAI's Responses API through the recording wrapper:
// plain and streamed calls with a function tool, each recorded as an
// openai_createResponse step with its cost, token usage and, for streams,
// time to first token.
//
//	go run ./examples/responses
//
// One run holds two rounds of a weather assistant:
//
//  1. Plain: the model asks for get_weather; the program runs it (a Measure
//     step) and sends its output back as a function_call_output item with
//     previous_response_id, so OpenAI supplies the rest of the conversation.
//  2. Streamed: the model asks for two calls in one stream; the program
//     runs them and sends the whole conversation back as input items
//     (the question, the function_call items and their outputs), without
//     previous_response_id, and streams the answer.
//
// Without OPENAI_API_KEY and GENTRACE_API_KEY it talks to in-process fake
// services; with them it uses the real OpenAI API and Gentrace.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/examples/internal/exampleenv"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

const (
	model        = "gpt-4.1-mini"
	instructions = "You are a weather assistant. Use get_weather for current conditions; answer in one sentence."
)

var weatherTool = goopenai.NewResponseFunctionTool(goopenai.FunctionDefinition{
	Name:        "get_weather",
	Description: "Current weather in a city.",
	Strict:      true,
	Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},` +
		`"required":["city"],"additionalProperties":false}`),
})

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(out io.Writer) (err error) {
	env, err := exampleenv.Start(exampleenv.Options{ScriptOpenAI: script, Out: out})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.Close()) }()
	ctx := context.Background()

	pipeline, err := env.Gentrace.NewPipeline("weather-assistant")
	if err != nil {
		return err
	}
	a := &assistant{out: out, client: env.OpenAI()}
	conversation, err := a.converse(ctx, pipeline)
	if err != nil {
		return err
	}

	fmt.Fprintf(out, "\nRecorded in %v:\n", conversation)
	for i, s := range conversation.Steps() {
		fmt.Fprintf(out, "  %d. %s\n", i+1, exampleenv.DescribeStep(s))
	}
	if total, ok := conversation.Cost(); ok {
		fmt.Fprintf(out, "  run: cost %s, %v\n", exampleenv.USD(total), conversation.Elapsed().Round(time.Millisecond))
	}

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := env.Gentrace.Flush(ctx); err != nil {
		return err
	}
	if srv := env.FakeGentrace(); srv != nil {
		if r, ok := srv.Run(conversation.ID()); ok {
			fmt.Fprintln(out, "\nWhat the fake backend received, per OpenAI step:")
			for i, s := range r.StepRuns {
				if s.ProviderName != "openai" {
					continue
				}
				usage, _ := s.Outputs["usage"].(map[string]any)
				fmt.Fprintf(out, "  %d. %s: input %s, status %v, previous_response_id %v, usage %v in + %v out, timeToFirstTokenMs %v, cost %s\n",
					i+1, s.Invocation, describeInput(s.Inputs["input"]), orNone(s.Outputs["status"]), orNone(s.Inputs["previous_response_id"]),
					usage["input_tokens"], usage["output_tokens"], orNone(s.Outputs["timeToFirstTokenMs"]), exampleenv.OutputCost(s.Outputs))
			}
		}
	}
	fmt.Fprintln(out)
	return nil
}

// describeInput says what a recorded Responses API input was: text, or
// a list of items.
func describeInput(v any) string {
	switch v := v.(type) {
	case string:
		return "text"
	case []any:
		return fmt.Sprintf("%d item(s)", len(v))
	}
	return orNone(v)
}

// orNone formats a decoded JSON value, "none" for a missing one.
func orNone(v any) string {
	if v == nil {
		return "none"
	}
	return fmt.Sprint(v)
}

// assistant answers weather questions with a model and a function tool.
type assistant struct {
	out    io.Writer
	client *openai.Client
}

// converse runs both rounds in one run, which travels in ctx: every call
// of the client and every Measure records into it, and the deferred End
// submits it.
func (a *assistant) converse(ctx context.Context, pipeline *gentrace.Pipeline) (run *gentrace.Runner, err error) {
	ctx, run, err = pipeline.Start(ctx, gentrace.RunContext{UserID: "traveller-9"})
	if err != nil {
		return nil, err
	}
	defer run.End(&err)

	// Round 1, plain.
	question := "What is the weather in Lisbon?"
	fmt.Fprintln(a.out, "user:", question)
	first, err := a.client.CreateResponse(ctx, goopenai.CreateResponseRequest{
		Model:        model,
		Instructions: instructions,
		Input:        question,
		Tools:        []goopenai.ResponseTool{weatherTool},
		ToolChoice:   "required",
	})
	if err != nil {
		return run, err
	}
	calls, err := functionCalls(first.Output)
	if err != nil {
		return run, err
	}
	results, err := a.callTools(ctx, calls)
	if err != nil {
		return run, err
	}
	answer, err := a.client.CreateResponse(ctx, goopenai.CreateResponseRequest{
		Model:              model,
		Instructions:       instructions,
		PreviousResponseID: first.ID,
		Input:              results,
		Tools:              []goopenai.ResponseTool{weatherTool},
	})
	if err != nil {
		return run, err
	}
	fmt.Fprintln(a.out, "assistant:", answer.GetOutputText())

	// Round 2, streamed, with the conversation sent as input items.
	question = "Compare the weather in Porto and Faro."
	fmt.Fprintln(a.out, "\nuser:", question)
	input := []any{goopenai.ResponseInputMessage{Role: "user", Content: question}}
	stream, err := a.client.CreateResponseStream(ctx, goopenai.CreateResponseRequest{
		Model:        model,
		Instructions: instructions,
		Input:        input,
		Tools:        []goopenai.ResponseTool{weatherTool},
		ToolChoice:   "required",
	})
	if err != nil {
		return run, err
	}
	calls, err = a.read(stream)
	if err != nil {
		return run, err
	}
	results, err = a.callTools(ctx, calls)
	if err != nil {
		return run, err
	}
	for _, c := range calls {
		input = append(input, goopenai.ResponseOutputItem{
			Type: "function_call", CallID: c.CallID, Name: c.Name, Arguments: c.Arguments,
		})
	}
	stream, err = a.client.CreateResponseStream(ctx, goopenai.CreateResponseRequest{
		Model:        model,
		Instructions: instructions,
		Input:        append(input, results...),
		Tools:        []goopenai.ResponseTool{weatherTool},
	})
	if err != nil {
		return run, err
	}
	fmt.Fprint(a.out, "assistant: ")
	if _, err := a.read(stream); err != nil {
		return run, err
	}
	return run, nil
}

// callTools runs the function calls the model asked for, each as a Measure
// step of the run ctx carries, and returns their outputs as
// function_call_output items.
func (a *assistant) callTools(ctx context.Context, calls []goopenai.ResponseOutputItem) ([]any, error) {
	outputs := make([]any, 0, len(calls))
	for _, c := range calls {
		fmt.Fprintf(a.out, "  tool call %s: %s(%s)\n", c.CallID, c.Name, c.Arguments)
		if c.Name != "get_weather" {
			return nil, fmt.Errorf("the model called an unknown function %q", c.Name)
		}
		var args struct {
			City string `json:"city"`
		}
		if err := json.Unmarshal([]byte(c.Arguments), &args); err != nil {
			return nil, fmt.Errorf("get_weather arguments %s: %w", c.Arguments, err)
		}
		weather, err := gentrace.Measure(ctx, map[string]any{"city": args.City},
			func(ctx context.Context) (Weather, error) { return getWeather(ctx, args.City) },
			gentrace.WithProvider("weather-service", "get_weather"))
		if err != nil {
			return nil, err
		}
		data, err := json.Marshal(weather)
		if err != nil {
			return nil, err
		}
		outputs = append(outputs, goopenai.ResponseFunctionCallOutput{
			Type: "function_call_output", CallID: c.CallID, Output: string(data),
		})
	}
	return outputs, nil
}

// read prints a stream's text as it arrives and returns the function calls
// the model asked for. Closing the stream ends its step.
func (a *assistant) read(stream *openai.ResponseStream) ([]goopenai.ResponseOutputItem, error) {
	defer stream.Close()
	var calls []goopenai.ResponseOutputItem
	for {
		event, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return calls, nil
		}
		if err != nil {
			return calls, err
		}
		switch event.Type {
		case goopenai.ResponseStreamEventOutputTextDelta:
			fmt.Fprint(a.out, event.Delta)
		case goopenai.ResponseStreamEventOutputTextDone:
			fmt.Fprintln(a.out)
		case goopenai.ResponseStreamEventOutputItemDone:
			if event.Item != nil && event.Item.Type == "function_call" {
				calls = append(calls, *event.Item)
			}
		case goopenai.ResponseStreamEventFailed, goopenai.ResponseStreamEventIncomplete:
			return calls, fmt.Errorf("response %s", event.Type)
		case goopenai.ResponseStreamEventError:
			return calls, fmt.Errorf("stream error %s: %s", event.Code, event.Message)
		}
	}
}

// functionCalls returns the function_call items of a response's output.
func functionCalls(output []any) ([]goopenai.ResponseOutputItem, error) {
	data, err := json.Marshal(output)
	if err != nil {
		return nil, err
	}
	var items []goopenai.ResponseOutputItem
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, fmt.Errorf("response output: %w", err)
	}
	var calls []goopenai.ResponseOutputItem
	for _, it := range items {
		if it.Type == "function_call" {
			calls = append(calls, it)
		}
	}
	return calls, nil
}

// Weather is what the weather service reports.
type Weather struct {
	City        string  `json:"city"`
	Conditions  string  `json:"conditions"`
	Temperature float64 `json:"temperatureC"`
}

// getWeather stands for a call to a weather service.
func getWeather(ctx context.Context, city string) (Weather, error) {
	t := time.NewTimer(25 * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return Weather{}, ctx.Err()
	}
	switch city {
	case "Lisbon":
		return Weather{City: city, Conditions: "sunny", Temperature: 23}, nil
	case "Porto":
		return Weather{City: city, Conditions: "light rain", Temperature: 17}, nil
	default:
		return Weather{City: city, Conditions: "clear", Temperature: 26}, nil
	}
}

// script gives the fake OpenAI server the model's answers, in order. A
// reply streams as OpenAI's typed events when the request streams.
func script(srv *openaitest.Server) {
	srv.Enqueue(openaitest.RouteResponses,
		exampleenv.ToolCallReply(openaitest.ToolCall{ID: "call_lisbon", Name: "get_weather", Arguments: `{"city":"Lisbon"}`}),
		exampleenv.Reply("It is sunny and 23 °C in Lisbon."),
		exampleenv.ToolCallReply(
			openaitest.ToolCall{ID: "call_porto", Name: "get_weather", Arguments: `{"city":"Porto"}`},
			openaitest.ToolCall{ID: "call_faro", Name: "get_weather", Arguments: `{"city":"Faro"}`}),
		exampleenv.Reply("Porto has light rain at 17 °C, while Faro is clear and warmer at 26 °C."),
	)
}
