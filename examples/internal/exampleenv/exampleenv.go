// Package exampleenv sets up the services the gentrace-go examples talk to,
// so that every example runs as it is, with or without credentials.
//
// When OPENAI_API_KEY is unset, OpenAI calls go to an in-process fake OpenAI
// server (package openaitest) that answers with replies scripted by the
// example. When GENTRACE_API_KEY is unset, runs go to an in-process fake
// Gentrace backend (package gentracetest), which records what it receives so
// the example can print the payloads. Nothing then leaves the machine. When a
// key is set, the real service is used: gentrace.New reads GENTRACE_API_KEY
// and GENTRACE_BASE_URL, and the OpenAI client uses OPENAI_API_KEY.
//
// Real programs do not need this package: they call gentrace.New and
// openai.NewClient directly. Their tests use the same public fakes this
// package starts, openaitest and gentracetest (see examples/testing).
package exampleenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	goopenai "github.com/sashabaranov/go-openai"
)

// Options say how an example wants its offline services prepared. They have
// no effect on real services.
type Options struct {
	// ScriptOpenAI scripts the fake OpenAI server's replies, in the order
	// the example makes its calls. Nil leaves the server's built-in answers.
	ScriptOpenAI func(*openaitest.Server)
	// SeedGentrace prepares the fake Gentrace backend, for example with
	// test cases (gentracetest.Server.AddTestCases).
	SeedGentrace func(*gentracetest.Server)
	// NoOpenAI is for examples that make no OpenAI call: no OpenAI set-up
	// is done or reported.
	NoOpenAI bool
	// GentraceOptions are added to the options of the Gentrace client, real
	// or offline (for example gentrace.WithObserver).
	GentraceOptions []gentrace.Option
	// Out receives what the helper prints; nil means standard output.
	Out io.Writer
}

// Env holds the clients of one example run. Close it before the program
// exits, so that pending runs are delivered.
type Env struct {
	// Gentrace is the client that delivers runs, to Gentrace or to the fake
	// backend.
	Gentrace *gentrace.Client
	// OpenAIConfig is the go-openai configuration for the real API or for
	// the fake server.
	OpenAIConfig goopenai.ClientConfig

	out          io.Writer
	fakeOpenAI   *openaitest.Server
	fakeGentrace *gentracetest.Server
	viewer       string // a gentrace-dev viewer receiving the runs, or ""
}

// Start prepares the services and prints which mode each one is in.
func Start(opts Options) (*Env, error) {
	e := &Env{out: opts.Out}
	if e.out == nil {
		e.out = os.Stdout
	}
	if !opts.NoOpenAI {
		if key := os.Getenv("OPENAI_API_KEY"); key != "" {
			e.OpenAIConfig = goopenai.DefaultConfig(key)
			fmt.Fprintf(e.out, "OpenAI:   online (%s, key from OPENAI_API_KEY)\n", e.OpenAIConfig.BaseURL)
		} else {
			e.fakeOpenAI = openaitest.NewServer()
			if opts.ScriptOpenAI != nil {
				opts.ScriptOpenAI(e.fakeOpenAI)
			}
			e.OpenAIConfig = e.fakeOpenAI.ClientConfig()
			fmt.Fprintf(e.out, "OpenAI:   offline (in-process fake server at %s; set OPENAI_API_KEY for the real API)\n", e.fakeOpenAI.URL())
		}
	}
	if os.Getenv("GENTRACE_API_KEY") != "" {
		c, err := gentrace.New(opts.GentraceOptions...) // GENTRACE_API_KEY, GENTRACE_BASE_URL
		if err != nil {
			e.closeFakes()
			return nil, err
		}
		e.Gentrace = c
		fmt.Fprintf(e.out, "Gentrace: online (%s, key from GENTRACE_API_KEY)\n", c.BaseURL())
		if e.viewer = DevViewer(c.BaseURL()); e.viewer != "" {
			fmt.Fprintf(e.out, "          a local gentrace-dev: see the runs at %s/\n", e.viewer)
		}
	} else {
		e.fakeGentrace = gentracetest.NewServer()
		if opts.SeedGentrace != nil {
			opts.SeedGentrace(e.fakeGentrace)
		}
		c, err := gentrace.New(append([]gentrace.Option{
			gentrace.WithBaseURL(e.fakeGentrace.URL),
			gentrace.WithAPIKey(e.fakeGentrace.APIKey),
		}, opts.GentraceOptions...)...)
		if err != nil {
			e.closeFakes()
			return nil, err
		}
		e.Gentrace = c
		fmt.Fprintf(e.out, "Gentrace: offline (in-process fake backend at %s; set GENTRACE_API_KEY for Gentrace)\n", e.fakeGentrace.URL)
	}
	if e.fakeGentrace != nil && (opts.NoOpenAI || e.fakeOpenAI != nil) {
		fmt.Fprintln(e.out, "-------- running offline: nothing leaves this machine --------")
	}
	fmt.Fprintln(e.out)
	return e, nil
}

// OpenAI returns the OpenAI wrapper for the configured API, which delivers
// simple-mode runs (openai.WithPipelineSlug) with e.Gentrace. In a program:
//
//	client := openai.NewClient(os.Getenv("OPENAI_API_KEY"), openai.WithGentrace(gc))
func (e *Env) OpenAI(opts ...openai.Option) *openai.Client {
	return openai.NewClientWithConfig(e.OpenAIConfig, append([]openai.Option{openai.WithGentrace(e.Gentrace)}, opts...)...)
}

// GentraceOffline reports whether runs go to the in-process fake backend.
func (e *Env) GentraceOffline() bool { return e.fakeGentrace != nil }

// OpenAIOffline reports whether OpenAI calls go to the in-process fake
// server.
func (e *Env) OpenAIOffline() bool { return e.fakeOpenAI != nil }

// FakeGentrace returns the fake Gentrace backend, or nil when Gentrace is
// online.
func (e *Env) FakeGentrace() *gentracetest.Server { return e.fakeGentrace }

// PrintPayloads prints, as indented JSON, the body of every run the fake
// backend received, or of the runs with the given IDs. Call it after
// Client.Flush. With the real Gentrace it says where to look instead.
func (e *Env) PrintPayloads(runIDs ...string) {
	if e.viewer != "" {
		fmt.Fprintln(e.out, "Payloads: sent to gentrace-dev; open them in its viewer:")
		for _, id := range runIDs {
			fmt.Fprintf(e.out, "  %s/runs/%s\n", e.viewer, id)
		}
		if len(runIDs) == 0 {
			fmt.Fprintf(e.out, "  %s/\n", e.viewer)
		}
		return
	}
	if e.fakeGentrace == nil {
		fmt.Fprintln(e.out, "Payloads: sent to Gentrace; open the pipeline's runs in the Gentrace app to see them.")
		return
	}
	for _, run := range e.fakeGentrace.Runs() {
		if len(runIDs) > 0 && !slices.Contains(runIDs, run.ID) {
			continue
		}
		fmt.Fprintf(e.out, "Payload received by the fake backend: POST /api/v1/run (run %s, %d step(s)):\n", run.ID, len(run.StepRuns))
		e.printJSON(run.Body)
	}
}

// PrintTestResults prints, as indented JSON, the body of every test result
// the fake backend received. With the real Gentrace it does nothing.
func (e *Env) PrintTestResults() {
	if e.fakeGentrace == nil {
		return
	}
	for _, res := range e.fakeGentrace.TestResults() {
		fmt.Fprintf(e.out, "Payload received by the fake backend: POST /api/v1/test-result-simple (result %s):\n", res.ID)
		e.printJSON(res.Body)
	}
}

func (e *Env) printJSON(body []byte) {
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "  ", "  "); err != nil {
		buf.Reset()
		buf.Write(body)
	}
	fmt.Fprintf(e.out, "  %s\n\n", buf.Bytes())
}

// Close shuts the Gentrace client down, delivering pending runs within ten
// seconds, prints its delivery counters and stops the fake servers.
func (e *Env) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := e.Gentrace.Shutdown(ctx)
	if st := e.Gentrace.Stats(); st.Submitted > 0 {
		fmt.Fprintf(e.out, "Delivery: %d run(s) submitted, %d delivered, %d retried, %d failed, %d dropped\n",
			st.Submitted, st.Delivered, st.Retried, st.Failed, st.Dropped)
	}
	e.closeFakes()
	return err
}

func (e *Env) closeFakes() {
	if e.fakeGentrace != nil {
		e.fakeGentrace.Close()
	}
	if e.fakeOpenAI != nil {
		e.fakeOpenAI.Close()
	}
}

// DevViewer returns the viewer's address ("http://127.0.0.1:8787") when the
// API base URL is served by a gentrace-dev on this machine, and "" otherwise.
// gentrace-dev marks its answers with the header X-Gentrace-Dev; only a
// loopback host is asked, with a short timeout.
func DevViewer(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" {
		return ""
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return ""
	}
	origin := u.Scheme + "://" + u.Host
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, origin+"/", nil)
	if err != nil {
		return ""
	}
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		return ""
	}
	resp.Body.Close()
	if resp.Header.Get("X-Gentrace-Dev") == "" {
		return ""
	}
	return origin
}

// USD formats a cost in US dollars with enough digits for the fractions of
// a cent a model call costs, such as "$0.0000405"; a cost in cents is
// converted.
func USD(c gentrace.Cost) string {
	s := strconv.FormatFloat(c.USD(), 'f', 8, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return "$" + s
}

// DescribeStep summarizes a recorded step on one line: what ran, its
// latency, its cost and its token usage.
func DescribeStep(s gentrace.Step) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s: %v", s.ProviderName, s.Invocation, s.Elapsed().Round(time.Millisecond))
	if c, ok := s.Cost(); ok {
		fmt.Fprintf(&b, ", cost %s", USD(c))
	} else {
		b.WriteString(", no cost")
	}
	if u := s.Usage; u != nil {
		fmt.Fprintf(&b, ", %d+%d tokens", u.PromptTokens, u.CompletionTokens)
		if u.CachedPromptTokens > 0 {
			fmt.Fprintf(&b, " (%d cached)", u.CachedPromptTokens)
		}
		if u.ReasoningTokens > 0 {
			fmt.Fprintf(&b, " (%d reasoning)", u.ReasoningTokens)
		}
		if u.Estimated {
			b.WriteString(" (estimated)")
		}
	}
	if s.TimeToFirstToken > 0 {
		fmt.Fprintf(&b, ", first token after %v", s.TimeToFirstToken.Round(time.Millisecond))
	}
	if s.Error != "" {
		fmt.Fprintf(&b, ", error %q", s.Error)
	}
	return b.String()
}

// OutputCost formats the manual or computed cost in a step's or test run's
// outputs, as the fake backend decoded them, or says there is none.
func OutputCost(outputs map[string]any) string {
	v, ok := outputs["cost"]
	if !ok {
		return "none"
	}
	data, err := json.Marshal(v)
	if err != nil {
		return "invalid"
	}
	c, err := gentrace.ParseCost(data)
	if err != nil {
		return "invalid"
	}
	return USD(c)
}
