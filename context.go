package gentrace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ErrInvalidAttribute reports a context attribute that cannot be recorded:
// an empty or blank session or user ID, an empty tag, or template
// variables that cannot be encoded as JSON.
var ErrInvalidAttribute = errors.New("gentrace: invalid context attribute")

// Attributes are the request-scoped values a context carries to every run
// and step recorded under it, in the OpenInference model (session.id,
// user.id, metadata, tag.tags, llm.prompt_template.*). The zero value
// carries nothing.
type Attributes struct {
	// UserID becomes the run's user ID unless RunContext sets one.
	UserID string
	// SessionID becomes the run metadata "sessionId" (type string) unless
	// the run sets that key.
	SessionID string
	// Metadata is merged into the run's metadata; explicit run metadata
	// wins for the same key.
	Metadata Metadata
	// Tags label the work, for tracing (tag.tags).
	Tags []string
	// PromptTemplate, PromptTemplateVersion and PromptTemplateVariables
	// describe the prompt in use, for tracing.
	PromptTemplate          string
	PromptTemplateVersion   string
	PromptTemplateVariables map[string]any
}

// Attribute sets one field of the Attributes a context carries; see
// WithAttributes.
type Attribute func(*Attributes) error

type attributesKey struct{}

// AttributesFromContext returns a copy of the attributes ctx carries; the
// zero Attributes when it carries none (or ctx is nil).
func AttributesFromContext(ctx context.Context) Attributes {
	a := attributesFromContext(ctx)
	a.Metadata = maps.Clone(a.Metadata)
	a.Tags = slices.Clone(a.Tags)
	a.PromptTemplateVariables = maps.Clone(a.PromptTemplateVariables)
	return a
}

// attributesFromContext returns the attributes without copying them, for
// reads that do not let them escape to callers.
func attributesFromContext(ctx context.Context) Attributes {
	if ctx == nil {
		return Attributes{}
	}
	a, _ := ctx.Value(attributesKey{}).(Attributes)
	return a
}

// WithAttributes returns a copy of ctx carrying the given attributes on top
// of those ctx already carries: each attribute overrides only what it sets
// (metadata key by key). It returns ctx unchanged and an error wrapping
// ErrInvalidAttribute or ErrInvalidMetadata for the first invalid
// attribute, so that a bad value is never silently recorded: a caller that
// ignores the error keeps the outer context.
func WithAttributes(ctx context.Context, attrs ...Attribute) (context.Context, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	var set Attributes
	for _, attr := range attrs {
		if err := attr(&set); err != nil {
			return ctx, err
		}
	}
	a := attributesFromContext(ctx)
	if set.UserID != "" {
		a.UserID = set.UserID
	}
	if set.SessionID != "" {
		a.SessionID = set.SessionID
	}
	if set.Metadata != nil {
		merged := maps.Clone(a.Metadata)
		if merged == nil {
			merged = Metadata{}
		}
		maps.Copy(merged, set.Metadata)
		a.Metadata = merged
	}
	if set.Tags != nil {
		a.Tags = set.Tags
	}
	if set.PromptTemplate != "" {
		a.PromptTemplate = set.PromptTemplate
	}
	if set.PromptTemplateVersion != "" {
		a.PromptTemplateVersion = set.PromptTemplateVersion
	}
	if set.PromptTemplateVariables != nil {
		a.PromptTemplateVariables = set.PromptTemplateVariables
	}
	return context.WithValue(ctx, attributesKey{}, a), nil
}

// WithUser returns a copy of ctx carrying a user ID, which becomes the
// user ID of every run started under it (unless RunContext sets one). An
// empty or blank ID returns ctx unchanged and ErrInvalidAttribute.
func WithUser(ctx context.Context, id string) (context.Context, error) {
	return WithAttributes(ctx, AttrUser(id))
}

// WithSession returns a copy of ctx carrying a session ID, recorded as the
// run metadata "sessionId" of every run started under it. An empty or
// blank ID returns ctx unchanged and ErrInvalidAttribute.
func WithSession(ctx context.Context, id string) (context.Context, error) {
	return WithAttributes(ctx, AttrSession(id))
}

// UserFromContext returns the user ID ctx carries, and false if none.
func UserFromContext(ctx context.Context) (string, bool) {
	id := AttributesFromContext(ctx).UserID
	return id, id != ""
}

// SessionFromContext returns the session ID ctx carries, and false if none.
func SessionFromContext(ctx context.Context) (string, bool) {
	id := AttributesFromContext(ctx).SessionID
	return id, id != ""
}

// RunWithAttributes runs fn with a context carrying the attributes, the Go
// counterpart of a decorator. When an attribute is invalid, fn does not
// run and the error is returned; otherwise fn's error is returned.
func RunWithAttributes(ctx context.Context, fn func(context.Context) error, attrs ...Attribute) error {
	ctx, err := WithAttributes(ctx, attrs...)
	if err != nil {
		return err
	}
	return fn(ctx)
}

func nonBlank(kind, id string) error {
	if strings.TrimSpace(id) == "" {
		return fmt.Errorf("%w: empty %s", ErrInvalidAttribute, kind)
	}
	return nil
}

// AttrUser sets the user ID; empty or blank is an error.
func AttrUser(id string) Attribute {
	return func(a *Attributes) error {
		if err := nonBlank("user ID", id); err != nil {
			return err
		}
		a.UserID = id
		return nil
	}
}

// AttrSession sets the session ID; empty or blank is an error.
func AttrSession(id string) Attribute {
	return func(a *Attributes) error {
		if err := nonBlank("session ID", id); err != nil {
			return err
		}
		a.SessionID = id
		return nil
	}
}

// AttrMetadata sets metadata, merged key by key over the outer context's;
// an invalid value is an error naming its key.
func AttrMetadata(m Metadata) Attribute {
	return func(a *Attributes) error {
		if err := m.Validate(); err != nil {
			return err
		}
		a.Metadata = maps.Clone(m)
		if a.Metadata == nil {
			a.Metadata = Metadata{}
		}
		return nil
	}
}

// AttrTags sets the tags, replacing the outer context's; an empty tag is
// an error.
func AttrTags(tags ...string) Attribute {
	return func(a *Attributes) error {
		for i, t := range tags {
			if strings.TrimSpace(t) == "" {
				return fmt.Errorf("%w: tag %d is empty", ErrInvalidAttribute, i)
			}
		}
		a.Tags = slices.Clone(tags)
		if a.Tags == nil {
			a.Tags = []string{}
		}
		return nil
	}
}

// AttrPromptTemplate sets the prompt template in use.
func AttrPromptTemplate(template string) Attribute {
	return func(a *Attributes) error {
		if template == "" {
			return fmt.Errorf("%w: empty prompt template", ErrInvalidAttribute)
		}
		a.PromptTemplate = template
		return nil
	}
}

// AttrPromptTemplateVersion sets the version of the prompt template.
func AttrPromptTemplateVersion(version string) Attribute {
	return func(a *Attributes) error {
		if err := nonBlank("prompt template version", version); err != nil {
			return err
		}
		a.PromptTemplateVersion = version
		return nil
	}
}

// AttrPromptTemplateVariables sets the variables the template is rendered
// with. They are encoded as JSON now (a snapshot); values that cannot be
// encoded are an error.
func AttrPromptTemplateVariables(vars map[string]any) Attribute {
	return func(a *Attributes) error {
		data, err := json.Marshal(vars)
		if err != nil {
			return fmt.Errorf("%w: prompt template variables: %v", ErrInvalidAttribute, err)
		}
		var snap map[string]any
		_ = json.Unmarshal(data, &snap)
		if snap == nil {
			snap = map[string]any{}
		}
		a.PromptTemplateVariables = snap
		return nil
	}
}
