/*
Package gentrace records the generative-AI work of a Go program (model calls
and its own steps) with cost, latency, users, sessions and metadata, and
delivers it to Gentrace in the background.

# Clients

A [Client] holds the API key, the base URL and the delivery queue. Make one
at program start and shut it down before exit, so that pending runs are
delivered:

	client, err := gentrace.New() // GENTRACE_API_KEY, GENTRACE_BASE_URL
	if err != nil {
		log.Fatal(err)
	}
	defer client.Shutdown(context.Background())

[Init] makes a package-level default client, returned by [Default], for
programs that prefer one; it is the client the OpenAI wrapper's simple mode
uses when it is given none.

# Runs travel in the context

A [Pipeline] names a Gentrace pipeline by its slug. [Pipeline.Start] begins
a run and returns a context carrying it, as an OpenTelemetry tracer's
Start returns a context carrying its span. Every step recorded with that
context (or one derived from it) joins the run, however deep in the call
chain: [Measure] times a function, [Runner.Checkpoint] records values
already computed, and OpenAI calls made through a recording client (package
github.com/gentrace/gentrace-go/openai, or the wire recorder of package
github.com/gentrace/gentrace-go/openaihttp) become steps. End the run on
every path with [Runner.End]:

	ctx, run, err := pipeline.Start(ctx, gentrace.RunContext{UserID: user})
	if err != nil {
		return err
	}
	defer run.End(&err) // records err, if any, and submits the run, once

[RunnerFromContext] finds the run again; for a context without one it
returns a runner that records nothing, never nil. [ContextWithRunner] hands
a run to code that starts from another context. A run whose [Runner] is
garbage collected before it ends is delivered with an error saying so,
counted in [Stats].Unended and reported: no run is lost silently.

Simple mode: [WithPipeline] returns a context under which every recorded
model call becomes a one-step run of its own.

# Metadata

Metadata values are typed: [String], [Bool] and [URL]. Run metadata is
merged with every step's metadata by the rule of [MergeMetadata]: a key
ends with the last step's value if that step set it, else with the run's
value, else with the latest earlier step's value.

# Users, sessions and precedence

A user ID and a session ID belong to a whole run. They come from
[RunContext], else from the context ([WithUser], [WithSession]); the
session is sent as the run metadata "sessionId" (type string). A user ID
on a single call made under a run must equal the run's
([ErrStepUserID]). [WithAttributes] adds metadata, tags and prompt-template
fields to the context, for the runs started under it and for tracing. Run
metadata is built in this order, later sources winning for the same key:
context metadata, the session ID, pipeline metadata
([WithPipelineMetadata]), then [RunContext].Metadata.

# Cost

A step's outputs may carry a manual [Cost] under "cost" ([Dollars] or
[Cents]); OpenAI steps get one from the token usage and the price table.
[Runner.Cost] sums them in US dollars.

# Delivery

Ended runs wait in a bounded queue ([DefaultQueueSize]) drained by
background workers ([DefaultWorkers]). When the queue is full, a new run
is dropped, counted in [Stats].Dropped and reported with [ErrQueueFull].
Each POST is retried on 429, 5xx and network errors with capped, jittered
exponential backoff that honours Retry-After, sending the same body and
run ID every time; other 4xx answers are not retried and are counted as
failed. Errors of background work go to the logger ([WithLogger], default
slog.Default()) or to [WithErrorHandler]. [Client.Flush] waits for what
was queued before it; [Client.Shutdown] does the same, then stops the
workers. Both are bounded by their context.

Observers ([WithObserver]) see each run with its completed steps, off the
caller's path; package github.com/gentrace/gentrace-go/openinference (a
module of its own) uses this to export OpenTelemetry spans following the
OpenInference conventions.

# Concurrency

Clients, pipelines and runners are safe for concurrent use. Recording is
in memory and never fails because a context was cancelled; only Flush,
Shutdown and Submit with [WaitForServer] wait on a context.

# For wrapper authors

Code that records another provider's calls needs four names beyond the
user API. [StartCall] returns the run one call records into: the context's
run, or a new one-step run in simple mode (ended as soon as its step is
recorded). [Runner.Record] adds a [Step] built by the wrapper; its
Complete function, run once off the caller's path, fills what is costly to
compute. [Runner.Now] reads the client's clock. [Client.HandleError]
reports what cannot be returned to the caller. The OpenAI recorder in
package openaihttp is built on exactly these.
*/
package gentrace
