package gentrace

import (
	"context"
	"time"
)

// Observer sees the runs a Client records, for example to export them as
// OpenTelemetry spans. StartRun is called by Pipeline.Start on the caller's
// goroutine and must be cheap; it may capture what it needs from the
// context (such as the current span). EndRun is called once for every
// submitted run, whatever becomes of its delivery (delivered, refused,
// dropped for a full queue, or still waiting for a stalled backend), with
// the completed steps after WithTransform. The client calls it on a
// goroutine and queue of its own, off the caller's path and off the
// delivery path: a slow observer never holds up delivery, and a backend
// that is down never holds up observers. When that queue is full (the
// observers cannot keep up) a run is not observed, and that is counted in
// Stats.ObserverDropped and reported. The RunRecord and its steps are the
// observer's own copies. Client.Flush and Client.Shutdown wait for
// observers too. Implementations must be safe for concurrent use.
type Observer interface {
	StartRun(ctx context.Context, runID string) (state any)
	EndRun(state any, run RunRecord)
}

// RunRecord is a submitted run as an Observer sees it.
type RunRecord struct {
	ID     string
	Slug   string
	UserID string
	// SessionID is the run's session (RunContext.SessionID or WithSession),
	// or "".
	SessionID     string
	PreviousRunID string
	// Metadata is the merged run metadata, as sent.
	Metadata Metadata
	// Attributes are those of the context given to Pipeline.Start.
	Attributes Attributes
	// Start is when the run started; End when it was submitted.
	Start, End time.Time
	Steps      []Step
	// Error is the run's error text (Runner.SetError), or "".
	Error string
}
