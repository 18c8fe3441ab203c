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
	ctx := context.Background()
	outer, err := WithAttributes(ctx,
		AttrUser("u-outer"), AttrSession("s-outer"),
		AttrMetadata(Metadata{"a": String("outer"), "b": String("outer")}),
		AttrTags("x", "y"),
		AttrPromptTemplate("Hi {{name}}"), AttrPromptTemplateVersion("v1"),
		AttrPromptTemplateVariables(map[string]any{"name": "Ada"}))
	if err != nil {
		t.Fatal(err)
	}
	inner, err := WithAttributes(outer, AttrSession("s-inner"), AttrMetadata(Metadata{"b": String("inner"), "c": Bool(true)}))
	if err != nil {
		t.Fatal(err)
	}
	innermost, err := WithUser(inner, "u-inner")
	if err != nil {
		t.Fatal(err)
	}
	a := AttributesFromContext(innermost)
	if a.UserID != "u-inner" || a.SessionID != "s-inner" {
		t.Errorf("user %q session %q", a.UserID, a.SessionID)
	}
	assertMetadata(t, a.Metadata, Metadata{"a": String("outer"), "b": String("inner"), "c": Bool(true)})
	if strings.Join(a.Tags, ",") != "x,y" || a.PromptTemplate != "Hi {{name}}" || a.PromptTemplateVersion != "v1" || a.PromptTemplateVariables["name"] != "Ada" {
		t.Errorf("unset keys not inherited: %+v", a)
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

func TestContextReadersOnEmptyContext(t *testing.T) {
	t.Parallel()
	if id, ok := UserFromContext(context.Background()); ok || id != "" {
		t.Errorf("UserFromContext = %q, %v", id, ok)
	}
	//lint:ignore SA1012 a nil context must be safe to read
	if id, ok := SessionFromContext(nil); ok || id != "" {
		t.Errorf("SessionFromContext(nil) = %q, %v", id, ok)
	}
	if a := AttributesFromContext(context.Background()); a.UserID != "" || a.Metadata != nil {
		t.Errorf("AttributesFromContext = %+v", a)
	}
}

func TestContextBadInput(t *testing.T) {
	t.Parallel()
	base, _ := WithUser(context.Background(), "kept")
	tests := []struct {
		name    string
		do      func() (context.Context, error)
		wantErr error
		problem string
	}{
		{"empty user", func() (context.Context, error) { return WithUser(base, "") }, ErrInvalidAttribute, "empty user ID"},
		{"blank session", func() (context.Context, error) { return WithSession(base, "  ") }, ErrInvalidAttribute, "empty session ID"},
		{"empty tag", func() (context.Context, error) { return WithAttributes(base, AttrTags("ok", "")) }, ErrInvalidAttribute, "tag 1"},
		{"bad metadata", func() (context.Context, error) {
			return WithAttributes(base, AttrMetadata(Metadata{"doc": URL("not a url", "x")}))
		}, ErrInvalidMetadata, `"doc"`},
		{"unencodable variables", func() (context.Context, error) {
			return WithAttributes(base, AttrPromptTemplateVariables(map[string]any{"x": math.Inf(1)}))
		}, ErrInvalidAttribute, "variables"},
		{"empty template", func() (context.Context, error) { return WithAttributes(base, AttrPromptTemplate("")) }, ErrInvalidAttribute, "template"},
		{"good then bad", func() (context.Context, error) {
			return WithAttributes(base, AttrSession("s"), AttrUser(""))
		}, ErrInvalidAttribute, "user ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, err := tt.do()
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.problem) {
				t.Fatalf("error = %v; want %v saying %q", err, tt.wantErr, tt.problem)
			}
			// Nothing of the bad call is recorded: the context is the outer one.
			if a := AttributesFromContext(ctx); a.UserID != "kept" || a.SessionID != "" {
				t.Errorf("context after error = %+v", a)
			}
		})
	}
}

func TestRunWithAttributes(t *testing.T) {
	t.Parallel()
	ran := false
	err := RunWithAttributes(context.Background(), func(ctx context.Context) error {
		ran = true
		if id, _ := SessionFromContext(ctx); id != "s1" {
			t.Errorf("session %q", id)
		}
		return errors.New("fn failed")
	}, AttrSession("s1"))
	if !ran || err == nil || err.Error() != "fn failed" {
		t.Errorf("ran=%v err=%v", ran, err)
	}
	err = RunWithAttributes(context.Background(), func(context.Context) error {
		t.Error("fn ran with an invalid attribute")
		return nil
	}, AttrSession(""))
	if !errors.Is(err, ErrInvalidAttribute) {
		t.Errorf("err = %v", err)
	}
}

func TestRunsTakeContextValuesWithExplicitValuesWinning(t *testing.T) {
	t.Parallel()
	c := offlineClient(t)
	p, _ := c.NewPipeline("p", WithPipelineMetadata(Metadata{"env": String("pipeline"), "tier": String("pipeline")}))
	ctx, err := WithAttributes(context.Background(), AttrUser("ctx-user"), AttrSession("sess-1"),
		AttrMetadata(Metadata{"env": String("ctx"), "region": String("ctx"), "sessionId": String("from-metadata")}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		rc       RunContext
		wantUser string
		want     Metadata
	}{
		{"context only", RunContext{}, "ctx-user", Metadata{
			"env": String("pipeline"), "tier": String("pipeline"), "region": String("ctx"), "sessionId": String("sess-1")}},
		{"Start wins", RunContext{UserID: "start-user", Metadata: Metadata{"env": String("start"), "sessionId": String("run-session")}}, "start-user", Metadata{
			"env": String("start"), "tier": String("pipeline"), "region": String("ctx"), "sessionId": String("run-session")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := p.Start(ctx, tt.rc)
			if err != nil {
				t.Fatal(err)
			}
			if r.UserID() != tt.wantUser {
				t.Errorf("user = %q, want %q", r.UserID(), tt.wantUser)
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
