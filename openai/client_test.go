package openai_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	gogpt "github.com/sashabaranov/go-openai"
)

// errorCall makes one kind of call through the wrapper and through a bare
// go-openai client and returns both errors, the route it used.
type errorCall struct {
	name  string
	route openaitest.Route
	call  func(c *openai.Client, opts ...openai.CallOption) error
	bare  func(c *gogpt.Client) error
}

var errorCalls = []errorCall{
	{
		name:  "chat",
		route: openaitest.RouteChatCompletions,
		call: func(c *openai.Client, opts ...openai.CallOption) error {
			_, err := c.CreateChatCompletion(context.Background(), chatRequest(), opts...)
			return err
		},
		bare: func(c *gogpt.Client) error {
			_, err := c.CreateChatCompletion(context.Background(), chatRequest())
			return err
		},
	},
	{
		name:  "chat_stream",
		route: openaitest.RouteChatCompletions,
		call: func(c *openai.Client, opts ...openai.CallOption) error {
			s, err := c.CreateChatCompletionStream(context.Background(), chatRequest(), opts...)
			if s != nil {
				s.Close()
			}
			return err
		},
		bare: func(c *gogpt.Client) error {
			s, err := c.CreateChatCompletionStream(context.Background(), chatRequest())
			if s != nil {
				s.Close()
			}
			return err
		},
	},
	{
		name:  "completion",
		route: openaitest.RouteCompletions,
		call: func(c *openai.Client, opts ...openai.CallOption) error {
			_, err := c.CreateCompletion(context.Background(), completionRequest(), opts...)
			return err
		},
		bare: func(c *gogpt.Client) error {
			_, err := c.CreateCompletion(context.Background(), completionRequest())
			return err
		},
	},
	{
		name:  "completion_stream",
		route: openaitest.RouteCompletions,
		call: func(c *openai.Client, opts ...openai.CallOption) error {
			s, err := c.CreateCompletionStream(context.Background(), completionRequest(), opts...)
			if s != nil {
				s.Close()
			}
			return err
		},
		bare: func(c *gogpt.Client) error {
			s, err := c.CreateCompletionStream(context.Background(), completionRequest())
			if s != nil {
				s.Close()
			}
			return err
		},
	},
	{
		name:  "embeddings",
		route: openaitest.RouteEmbeddings,
		call: func(c *openai.Client, opts ...openai.CallOption) error {
			_, err := c.CreateEmbeddings(context.Background(), embeddingRequest(), opts...)
			return err
		},
		bare: func(c *gogpt.Client) error {
			_, err := c.CreateEmbeddings(context.Background(), embeddingRequest())
			return err
		},
	},
	{
		name:  "moderation",
		route: openaitest.RouteModerations,
		call: func(c *openai.Client, opts ...openai.CallOption) error {
			_, err := c.Moderations(context.Background(), gogpt.ModerationRequest{Input: "hello"}, opts...)
			return err
		},
		bare: func(c *gogpt.Client) error {
			_, err := c.Moderations(context.Background(), gogpt.ModerationRequest{Input: "hello"})
			return err
		},
	},
}

func embeddingRequest() gogpt.EmbeddingRequest {
	return gogpt.EmbeddingRequest{Input: []string{"hello"}, Model: gogpt.SmallEmbedding3}
}

// TestOpenAIErrors checks that OpenAI's errors reach the caller exactly as
// go-openai returns them (the same *openai.APIError value) and are
// recorded on the step, in both modes.
func TestOpenAIErrors(t *testing.T) {
	t.Parallel()
	for _, ec := range errorCalls {
		for _, status := range []int{http.StatusBadRequest, http.StatusTooManyRequests, http.StatusInternalServerError} {
			t.Run(ec.name+"/"+http.StatusText(status), func(t *testing.T) {
				t.Parallel()
				h := newHarness(t)
				script := openaitest.Error(status, "scripted failure").WithHeader("X-Request-Id", "req_fixed")
				h.oai.Enqueue(ec.route, script, script, script, script)
				bareErr := ec.bare(h.oai.Client())

				r := h.start(gentrace.RunContext{})
				err := ec.call(h.client.ForRunner(r))
				checkSameError(t, err, bareErr, status)
				run := h.submit(r)
				if got := only(t, run).Error; got != err.Error() {
					t.Errorf("step error %q, want %q", got, err.Error())
				}
				if _, ok := only(t, run).Outputs["cost"]; ok {
					t.Error("a failed call has a cost")
				}

				simple := openai.Wrap(h.oai.Client(), openai.WithGentrace(h.gc))
				err = ec.call(simple.ForRunner(nil))
				checkSameError(t, err, bareErr, status)
				// The simple-mode run is submitted even though the call failed.
				err = ec.call(simple, openai.WithPipelineSlug("errors"))
				checkSameError(t, err, bareErr, status)
				if err := h.gc.Flush(context.Background()); err != nil {
					t.Fatal(err)
				}
				var found bool
				for _, run := range h.backend.Runs() {
					if run.Slug == "errors" {
						found = true
						if only(t, run).Error == "" {
							t.Error("simple-mode step has no error")
						}
					}
				}
				if !found {
					t.Error("simple-mode run of a failed call not delivered")
				}
			})
		}
	}
}

func checkSameError(t *testing.T, got, want error, status int) {
	t.Helper()
	var apiErr *gogpt.APIError
	if !errors.As(got, &apiErr) {
		t.Fatalf("error %v (%T) is not an *openai.APIError", got, got)
	}
	if apiErr.HTTPStatusCode != status || apiErr.Message != "scripted failure" {
		t.Errorf("APIError = %+v", apiErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("error differs from go-openai's:\n got %#v\nwant %#v", got, want)
	}
}

// TestBoundClientMisuse checks that run-level options on a runner-bound
// client fail with ErrRunOption and a different user ID with
// gentrace.ErrStepUserID, before anything is sent or recorded.
func TestBoundClientMisuse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opt  openai.CallOption
		want error
	}{
		{"slug", openai.WithPipelineSlug("other"), openai.ErrRunOption},
		{"previous run", openai.WithPreviousRunID(previousRunID), openai.ErrRunOption},
		{"run metadata", openai.WithMetadata(gentrace.Metadata{"a": gentrace.String("b")}), openai.ErrRunOption},
		{"other user", openai.WithUserID("someone-else"), gentrace.ErrStepUserID},
		{"bad step metadata", openai.WithStepMetadata(gentrace.Metadata{"bad": {}}), gentrace.ErrInvalidMetadata},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, ec := range errorCalls {
				h := newHarness(t)
				r := h.start(gentrace.RunContext{UserID: "user-42"})
				err := ec.call(h.client.ForRunner(r), tc.opt)
				if !errors.Is(err, tc.want) {
					t.Fatalf("%s: error %v, want %v", ec.name, err, tc.want)
				}
				h.noOpenAIRequest()
				if n := len(r.Steps()); n != 0 {
					t.Errorf("%s: %d steps recorded", ec.name, n)
				}
			}
		})
	}
}

// TestBoundClientSameUser checks that WithUserID equal to the run's user is
// accepted on a bound client.
func TestBoundClientSameUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.start(gentrace.RunContext{UserID: "user-42"})
	if _, err := h.client.ForRunner(r).CreateChatCompletion(context.Background(), chatRequest(),
		openai.WithUserID("user-42")); err != nil {
		t.Fatal(err)
	}
	if got := only(t, h.submit(r)).Context.UserID; got != "user-42" {
		t.Errorf("userId = %q", got)
	}
}

// TestDefaultRunOptionsIgnoredWhenBound checks that a client configured for
// simple mode (a default slug, user and metadata) can be bound to a runner:
// the run-level defaults give way to the run's.
func TestDefaultRunOptionsIgnoredWhenBound(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := openai.Wrap(h.oai.Client(), openai.WithGentrace(h.gc), openai.WithDefaultCallOptions(
		openai.WithPipelineSlug("simple"), openai.WithUserID("default-user"),
		openai.WithMetadata(gentrace.Metadata{"k": gentrace.String("v")})))
	r := h.start(gentrace.RunContext{UserID: "user-42"})
	resp, err := c.ForRunner(r).CreateChatCompletion(context.Background(), chatRequest())
	if err != nil {
		t.Fatal(err)
	}
	if resp.PipelineRunID != "" {
		t.Errorf("bound call returned PipelineRunID %q", resp.PipelineRunID)
	}
	run := h.submit(r)
	if got := only(t, run).Context.UserID; got != "user-42" {
		t.Errorf("userId = %q, want the run's", got)
	}
	// Per-call run options still fail.
	if _, err := c.ForRunner(h.start(gentrace.RunContext{})).CreateChatCompletion(context.Background(), chatRequest(),
		openai.WithPipelineSlug("x")); !errors.Is(err, openai.ErrRunOption) {
		t.Errorf("per-call slug on a bound client: %v, want ErrRunOption", err)
	}
}

// TestSimpleModeRunContext checks that WithUserID, WithMetadata and
// WithPreviousRunID reach the simple-mode run, and that the user ID from
// the context is used when the call sets none.
func TestSimpleModeRunContext(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	resp, err := h.client.CreateChatCompletion(context.Background(), chatRequest(),
		openai.WithPipelineSlug("simple"),
		openai.WithUserID("user-9"),
		openai.WithPreviousRunID(previousRunID),
		openai.WithMetadata(gentrace.Metadata{"ticket": gentrace.URL("https://example.com/T-1", "T-1")}))
	if err != nil {
		t.Fatal(err)
	}
	run := h.run(resp.PipelineRunID)
	if run.Slug != "simple" || run.PreviousRunID != previousRunID {
		t.Errorf("run slug %q previousRunId %q", run.Slug, run.PreviousRunID)
	}
	if got := run.Metadata["ticket"]; got.Type != "url" || got.URL != "https://example.com/T-1" {
		t.Errorf("metadata ticket = %+v", got)
	}
	for _, s := range run.StepRuns {
		if s.Context.UserID != "user-9" {
			t.Errorf("step userId = %q", s.Context.UserID)
		}
	}

	ctx, err := gentrace.WithUser(context.Background(), "ctx-user")
	if err != nil {
		t.Fatal(err)
	}
	resp, err = h.client.CreateChatCompletion(ctx, chatRequest(), openai.WithPipelineSlug("simple"))
	if err != nil {
		t.Fatal(err)
	}
	if got := only(t, h.run(resp.PipelineRunID)).Context.UserID; got != "ctx-user" {
		t.Errorf("userId from context = %q, want ctx-user", got)
	}
}

// TestNotRecorded checks that without a slug and without a runner nothing
// is recorded and no PipelineRunID is returned, for every kind of call.
func TestNotRecorded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, kind := range callKinds {
		if id, _, _ := kind.call(t, h.client, openai.WithUserID("u"), openai.WithMetadata(gentrace.Metadata{"a": gentrace.String("b")})); id != "" {
			t.Errorf("%s: PipelineRunID %q without slug or runner", kind.name, id)
		}
	}
	if n := len(h.oai.Requests()); n != len(callKinds) {
		t.Errorf("%d OpenAI requests, want %d", n, len(callKinds))
	}
	h.noRuns()
}

// TestSimpleModeCallErrors checks that invalid simple-mode options fail
// the call before anything is sent.
func TestSimpleModeCallErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []openai.CallOption
		want error
	}{
		{"previous run ID not a UUID", []openai.CallOption{openai.WithPreviousRunID("not-a-uuid")}, gentrace.ErrInvalidRunID},
		{"malformed run metadata", []openai.CallOption{openai.WithMetadata(gentrace.Metadata{"u": gentrace.URL("relative", "x")})}, gentrace.ErrInvalidMetadata},
		{"malformed step metadata", []openai.CallOption{openai.WithStepMetadata(gentrace.Metadata{"x": {}})}, gentrace.ErrInvalidMetadata},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			_, err := h.client.CreateChatCompletion(context.Background(), chatRequest(),
				append(tc.opts, openai.WithPipelineSlug("simple"))...)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			h.noOpenAIRequest()
			h.noRuns()
		})
	}
}

// TestSimpleModeAfterShutdown checks that a shut-down Gentrace client does
// not fail OpenAI calls: they go through unrecorded, with a log entry.
func TestSimpleModeAfterShutdown(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.gc.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	resp, err := h.client.CreateChatCompletion(context.Background(), chatRequest(), openai.WithPipelineSlug("simple"))
	if err != nil {
		t.Fatalf("call failed after Gentrace shutdown: %v", err)
	}
	if resp.PipelineRunID != "" || len(resp.Choices) != 1 {
		t.Errorf("response %+v", resp)
	}
	if !strings.Contains(h.logs.String(), "shut down") {
		t.Errorf("no log entry; logs:\n%s", h.logs.String())
	}
}

// TestSimpleModeNoClient checks that a simple-mode call without any
// Gentrace client (no WithGentrace, no gentrace.Init) goes through
// unrecorded.
func TestSimpleModeNoClient(t *testing.T) {
	t.Parallel()
	srv := openaitest.NewServer()
	defer srv.Close()
	if gentrace.Default() != nil {
		t.Skip("a default client exists")
	}
	resp, err := openai.Wrap(srv.Client()).CreateChatCompletion(context.Background(), chatRequest(),
		openai.WithPipelineSlug("simple"))
	if err != nil || resp.PipelineRunID != "" {
		t.Fatalf("resp %q, err %v", resp.PipelineRunID, err)
	}
}

// TestRecordAfterSubmit checks that a call on a client bound to a runner
// already submitted still returns OpenAI's answer; the step is dropped and
// logged.
func TestRecordAfterSubmit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.start(gentrace.RunContext{})
	c := h.client.ForRunner(r)
	h.submit(r)
	resp, err := c.CreateChatCompletion(context.Background(), chatRequest())
	if err != nil || len(resp.Choices) != 1 {
		t.Fatalf("resp %+v, err %v", resp, err)
	}
	if !strings.Contains(h.logs.String(), "not recorded") {
		t.Errorf("no log entry; logs:\n%s", h.logs.String())
	}
}
