package exampleenv

import (
	"bytes"
	"strings"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
)

func TestUSD(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cost gentrace.Cost
		want string
	}{
		{"zero", gentrace.Dollars(0), "$0"},
		{"fraction of a cent", gentrace.Dollars(0.0000405), "$0.0000405"},
		{"cents converted", gentrace.Cents(2.5), "$0.025"},
		{"whole dollars", gentrace.Dollars(3), "$3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := USD(tc.cost); got != tc.want {
				t.Errorf("USD(%v) = %q, want %q", tc.cost, got, tc.want)
			}
		})
	}
}

func TestDescribeStep(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		step gentrace.Step
		want string
	}{
		{"own step", gentrace.Step{ProviderName: "app", Invocation: "render", StartTime: start, EndTime: start.Add(12 * time.Millisecond)},
			"app/render: 12ms, no cost"},
		{"priced stream with estimated usage", gentrace.Step{
			ProviderName: "openai", Invocation: "openai_createChatCompletion",
			StartTime: start, EndTime: start.Add(400 * time.Millisecond),
			Outputs:          map[string]any{"cost": map[string]any{"type": "dollars", "value": 0.00002}},
			Usage:            &gentrace.Usage{PromptTokens: 20, CompletionTokens: 5, ReasoningTokens: 3, Estimated: true},
			TimeToFirstToken: 150 * time.Millisecond,
		}, "openai/openai_createChatCompletion: 400ms, cost $0.00002, 20+5 tokens (3 reasoning) (estimated), first token after 150ms"},
		{"failed", gentrace.Step{ProviderName: "shop", Invocation: "cancel", StartTime: start, EndTime: start, Error: "shipped"},
			`shop/cancel: 0s, no cost, error "shipped"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := DescribeStep(tc.step); got != tc.want {
				t.Errorf("DescribeStep = %q\nwant           %q", got, tc.want)
			}
		})
	}
}

// Without keys, both services are the in-process fakes, and the output
// says so.
func TestStartOffline(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("GENTRACE_API_KEY", "")
	var out bytes.Buffer
	env, err := Start(Options{Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if !env.OpenAIOffline() || !env.GentraceOffline() || env.FakeGentrace() == nil {
		t.Error("not offline without keys")
	}
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "running offline: nothing leaves this machine") {
		t.Errorf("output does not say it runs offline:\n%s", out.String())
	}
}
