package gentrace

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestContextNestingOverridesOnlyWhatIsSet(t *testing.T) {
	t.Parallel()
	ctx, _ := WithUser(context.Background(), "u-outer")
	ctx, _ = WithSession(ctx, "s-outer")
	outer, err := WithAttributes(ctx, Attributes{
		Metadata:                Metadata{"a": String("outer"), "b": String("outer")},
		Tags:                    []string{"x", "y"},
		PromptTemplate:          "Hi {{name}}",
		PromptTemplateVersion:   "v1",
		PromptTemplateVariables: map[string]any{"name": "Ada"},
	})
	if err != nil {
		t.Fatal(err)
	}
	inner, err := WithAttributes(outer, Attributes{Metadata: Metadata{"b": String("inner"), "c": Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	inner, _ = WithSession(inner, "s-inner")
	innermost, err := WithUser(inner, "u-inner")
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := UserFromContext(innermost); id != "u-inner" {
		t.Errorf("user = %q", id)
	}
	if id, _ := SessionFromContext(innermost); id != "s-inner" {
		t.Errorf("session = %q", id)
	}
	a := AttributesFromContext(innermost)
	assertMetadata(t, a.Metadata, Metadata{"a": String("outer"), "b": String("inner"), "c": Bool(true)})
	if strings.Join(a.Tags, ",") != "x,y" || a.PromptTemplate != "Hi {{name}}" || a.PromptTemplateVersion != "v1" || a.PromptTemplateVariables["name"] != "Ada" {
		t.Errorf("unset fields not inherited: %+v", a)
	}
	// The outer contexts are unchanged.
	if id, _ := UserFromContext(outer); id != "u-outer" {
		t.Errorf("outer user changed to %q", id)
	}
	if id, _ := SessionFromContext(outer); id != "s-outer" {
		t.Errorf("outer session changed to %q", id)
	}
	assertMetadata(t, AttributesFromContext(outer).Metadata, Metadata{"a": String("outer"), "b": String("outer")})
	// Readers return copies.
	a.Metadata["a"] = String("mutated")
	if v, _ := AttributesFromContext(innermost).Metadata["a"].StringValue(); v != "outer" {
		t.Errorf("reader returned shared metadata")
	}
}

func TestAttributesAreSnapshotted(t *testing.T) {
	t.Parallel()
	meta := Metadata{"k": String("before")}
	tags := []string{"before"}
	vars := map[string]any{"v": "before"}
	ctx, err := WithAttributes(context.Background(), Attributes{Metadata: meta, Tags: tags, PromptTemplateVariables: vars})
	if err != nil {
		t.Fatal(err)
	}
	meta["k"], tags[0], vars["v"] = String("after"), "after", "after"
	a := AttributesFromContext(ctx)
	if v, _ := a.Metadata["k"].StringValue(); v != "before" || a.Tags[0] != "before" || a.PromptTemplateVariables["v"] != "before" {
		t.Errorf("the caller's later changes reached the context: %+v", a)
	}
}

func TestContextReadersOnEmptyContext(t *testing.T) {
	t.Parallel()
	if id, ok := UserFromContext(context.Background()); ok || id != "" {
		t.Errorf("UserFromContext = %q, %v", id, ok)
	}
	//lint:ignore SA1012 a nil context must be safe to read
	if id, ok := SessionFromContext(nil); ok || id != "" {
		t.Errorf("SessionFromContext(nil) = %q, %v", id, ok)
	}
	if a := AttributesFromContext(context.Background()); a.Metadata != nil || a.Tags != nil {
		t.Errorf("AttributesFromContext = %+v", a)
	}
	//lint:ignore SA1012 a nil context must be safe to read
	r := RunnerFromContext(nil)
	if r == nil || r.IsRecording() || r.ID() != "" || r.String() != "gentrace.Runner(not recording)" {
		t.Fatalf("RunnerFromContext(nil) = %v", r)
	}
	// Every method of the runner that records nothing is safe.
	if err := r.Checkpoint(map[string]any{"a": 1}, 2); err != nil {
		t.Error(err)
	}
	if err := r.Record(Step{}); err != nil {
		t.Error(err)
	}
	r.SetError(errors.New("x"))
	if id := r.End(nil); id != "" {
		t.Errorf("End = %q", id)
	}
	if id, err := r.Submit(context.Background()); id != "" || err != nil {
		t.Errorf("Submit = %q, %v", id, err)
	}
	if r.Steps() != nil || r.Metadata() != nil || r.Elapsed() != 0 || r.Client() != nil || r.Slug() != "" || r.UserID() != "" {
		t.Error("a runner that records nothing reports something")
	}
	if _, ok := r.Cost(); ok {
		t.Error("Cost reports a cost")
	}
	if StartCall(context.Background()).IsRecording() {
		t.Error("StartCall records without a run or a pipeline")
	}
}

func TestContextBadInput(t *testing.T) {
	t.Parallel()
	base, _ := WithUser(context.Background(), "kept")
	c := offlineClient(t)
	p, _ := c.NewPipeline("p")
	tests := []struct {
		name    string
		do      func() (context.Context, error)
		wantErr error
		problem string
	}{
		{"empty user", func() (context.Context, error) { return WithUser(base, "") }, ErrInvalidAttribute, "empty user ID"},
		{"blank session", func() (context.Context, error) { return WithSession(base, "  ") }, ErrInvalidAttribute, "empty session ID"},
		{"empty tag", func() (context.Context, error) {
			return WithAttributes(base, Attributes{Tags: []string{"ok", ""}})
		}, ErrInvalidAttribute, "tag 1"},
		{"bad metadata", func() (context.Context, error) {
			return WithAttributes(base, Attributes{Metadata: Metadata{"doc": URL("not a url", "x")}})
		}, ErrInvalidMetadata, `"doc"`},
		{"unencodable variables", func() (context.Context, error) {
			return WithAttributes(base, Attributes{PromptTemplateVariables: map[string]any{"x": math.Inf(1)}})
		}, ErrInvalidAttribute, "variables"},
		{"blank template version", func() (context.Context, error) {
			return WithAttributes(base, Attributes{PromptTemplateVersion: " "})
		}, ErrInvalidAttribute, "version"},
		{"pipeline with a bad previous run", func() (context.Context, error) {
			return WithPipeline(base, p, RunContext{PreviousRunID: "run-1"})
		}, ErrInvalidRunID, `"run-1"`},
		{"nil pipeline", func() (context.Context, error) { return WithPipeline(base, nil, RunContext{}) }, ErrInvalidOption, "nil pipeline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, err := tt.do()
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.problem) {
				t.Fatalf("error = %v; want %v saying %q", err, tt.wantErr, tt.problem)
			}
			// Nothing of the bad call is recorded: the context is the outer one.
			if id, _ := UserFromContext(ctx); id != "kept" || ctx != base {
				t.Errorf("context after error carries user %q", id)
			}
		})
	}
}

func TestRunsTakeContextValuesWithExplicitValuesWinning(t *testing.T) {
	t.Parallel()
	c := offlineClient(t)
	p, _ := c.NewPipeline("p", WithPipelineMetadata(Metadata{"env": String("pipeline"), "tier": String("pipeline")}))
	ctx, _ := WithUser(context.Background(), "ctx-user")
	ctx, _ = WithSession(ctx, "sess-1")
	ctx, err := WithAttributes(ctx, Attributes{Metadata: Metadata{"env": String("ctx"), "region": String("ctx"), "sessionId": String("from-metadata")}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		rc          RunContext
		wantUser    string
		wantSession string
		want        Metadata
	}{
		{"context only", RunContext{}, "ctx-user", "sess-1", Metadata{
			"env": String("pipeline"), "tier": String("pipeline"), "region": String("ctx"), "sessionId": String("sess-1")}},
		{"RunContext wins", RunContext{UserID: "start-user", SessionID: "run-session", Metadata: Metadata{"env": String("start")}},
			"start-user", "run-session", Metadata{
				"env": String("start"), "tier": String("pipeline"), "region": String("ctx"), "sessionId": String("run-session")}},
		{"run metadata wins over the session", RunContext{Metadata: Metadata{"sessionId": String("explicit")}}, "ctx-user", "sess-1", Metadata{
			"env": String("pipeline"), "tier": String("pipeline"), "region": String("ctx"), "sessionId": String("explicit")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runCtx, r, err := p.Start(ctx, tt.rc)
			if err != nil {
				t.Fatal(err)
			}
			if RunnerFromContext(runCtx) != r {
				t.Error("Start's context does not carry its run")
			}
			if r.UserID() != tt.wantUser || r.SessionID() != tt.wantSession {
				t.Errorf("user %q session %q, want %q %q", r.UserID(), r.SessionID(), tt.wantUser, tt.wantSession)
			}
			assertMetadata(t, r.Metadata(), tt.want)
			if err := r.Checkpoint(nil, 1); err != nil {
				t.Fatal(err)
			}
			if data := string(encodeRun(t, r)); !strings.Contains(data, `"userId":"`+tt.wantUser+`"`) {
				t.Errorf("step context lacks the run's user: %s", data)
			}
		})
	}
}

func TestContextWithRunner(t *testing.T) {
	t.Parallel()
	c := offlineClient(t)
	p, _ := c.NewPipeline("p")
	_, r, err := p.Start(context.Background(), RunContext{})
	if err != nil {
		t.Fatal(err)
	}
	worker := ContextWithRunner(context.Background(), r)
	if RunnerFromContext(worker) != r || StartCall(worker) != r {
		t.Error("ContextWithRunner does not carry the run")
	}
	if got := ContextWithRunner(worker, nil); got != worker {
		t.Error("ContextWithRunner(nil) changed the context")
	}
	defer r.End(nil)
	// A pipeline set inside a run wins for calls made under it, and the
	// reverse: the innermost setting counts.
	simple, err := WithPipeline(worker, p, RunContext{UserID: "one-shot"})
	if err != nil {
		t.Fatal(err)
	}
	if RunnerFromContext(simple).IsRecording() {
		t.Error("a simple-mode context still carries the outer run")
	}
	if ContextWithRunner(simple, r) == simple || RunnerFromContext(ContextWithRunner(simple, r)) != r {
		t.Error("a run set inside simple mode does not win")
	}
}

func TestStartCallInSimpleMode(t *testing.T) {
	t.Parallel()
	c, srv := onlineClient(t)
	p, _ := c.NewPipeline("simple")
	ctx, _ := WithSession(context.Background(), "s-9")
	ctx, err := WithPipeline(ctx, p, RunContext{UserID: "u-1", Metadata: Metadata{"m": String("v")}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 2 {
		r := StartCall(ctx)
		if !r.IsRecording() || r.UserID() != "u-1" || r.SessionID() != "s-9" {
			t.Fatalf("StartCall = %v, user %q", r, r.UserID())
		}
		ids = append(ids, r.ID())
		if err := r.Record(Step{ProviderName: "x", Invocation: "y"}); err != nil {
			t.Fatal(err)
		}
		// Recording the one step ended the run.
		if err := r.Checkpoint(nil, 1); !errors.Is(err, ErrRunSubmitted) {
			t.Errorf("second step of a one-step run: %v", err)
		}
	}
	if ids[0] == ids[1] {
		t.Error("two calls share a run")
	}
	waitRuns(t, srv, 2)
	for _, id := range ids {
		run, ok := srv.Run(id)
		if !ok || len(run.StepRuns) != 1 || run.Metadata["sessionId"].Value != "s-9" || run.Metadata["m"].Value != "v" {
			t.Errorf("run %s = %+v", id, run)
		}
	}
	// After Shutdown a simple-mode call records nothing and says so to the
	// error handler, never failing the call.
	shutdown(t, c)
	if StartCall(ctx).IsRecording() {
		t.Error("StartCall records after Shutdown")
	}
}
