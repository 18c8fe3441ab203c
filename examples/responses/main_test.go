package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The example runs offline: four Responses API calls, plain and streamed,
// and three tool calls are recorded in one run; the plain follow-up names
// the first response, the streams carry their time to first token, and
// every model call is priced.
func TestRunOffline(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("GENTRACE_API_KEY", "")
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"running offline",
		`tool call call_lisbon: get_weather({"city":"Lisbon"})`,
		"assistant: It is sunny and 23 °C in Lisbon.",
		`tool call call_faro: get_weather({"city":"Faro"})`,
		"assistant: Porto has light rain at 17 °C, while Faro is clear and warmer at 26 °C.",
		"  2. weather-service/get_weather: ",
		"  6. weather-service/get_weather: ",
		"1 run(s) submitted, 1 delivered",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, re := range []string{
		`1\. openai_createResponse: input text, status completed, previous_response_id none, usage \d+ in \+ \d+ out, timeToFirstTokenMs none, cost \$0\.\d+`,
		`3\. openai_createResponse: input 1 item\(s\), status completed, previous_response_id resp_\w+, usage \d+ in \+ \d+ out, timeToFirstTokenMs none, cost \$0\.\d+`,
		`4\. openai_createResponse: input 1 item\(s\), status completed, previous_response_id none, usage \d+ in \+ \d+ out, timeToFirstTokenMs [1-9]\d*, cost \$0\.\d+`,
		`7\. openai_createResponse: input 5 item\(s\), status completed, previous_response_id none, usage \d+ in \+ \d+ out, timeToFirstTokenMs [1-9]\d*, cost \$0\.\d+`,
		`  7\. openai/openai_createResponse: \d+ms, cost \$0\.\d+, \d+\+\d+ tokens, first token after \d+ms`,
	} {
		if !regexp.MustCompile(re).MatchString(got) {
			t.Errorf("output lacks a line matching %s", re)
		}
	}
	if t.Failed() {
		t.Log(got)
	}
}
