package gentrace

import "context"

// Attributes are the request-scoped values a context carries to every run
// and step recorded under it.
type Attributes struct {
	UserID    string
	SessionID string
	Metadata  Metadata
}

type attributesKey struct{}

// attributesFromContext returns the attributes ctx carries; never nil-unsafe.
func attributesFromContext(ctx context.Context) Attributes {
	if ctx == nil {
		return Attributes{}
	}
	a, _ := ctx.Value(attributesKey{}).(Attributes)
	return a
}
