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

[Init] makes a package-level default client for programs that prefer one.

# Runs and steps

A [Pipeline] names a Gentrace pipeline by its slug. [Pipeline.Start] begins
a run and returns its [Runner], which carries the run's user ID, metadata
and previous run ID. Each step adds to the run: [Measure] times a function,
[Runner.Checkpoint] records values already computed, and the OpenAI wrapper
in package github.com/gentrace/gentrace-go/openai records model calls.
[Runner.Submit] hands the run to the client and returns its ID at once.

# Metadata

Metadata values are typed: [String], [Bool] and [URL]. Run metadata is
merged with every step's metadata by the rule of [MergeMetadata]: a key
ends with the last step's value if that step set it, else with the run's
value, else with the latest earlier step's value.

# Users, sessions and precedence

A user ID belongs to a whole run. It comes from [RunContext].UserID, else
from the context ([WithUser] or [WithAttributes]); setting one on a single
step is [ErrStepUserID]. A session ID from the context becomes the run
metadata key "sessionId" (type string). Run metadata is built in this
order, later sources winning for the same key: context metadata, context
session ID, pipeline metadata ([WithPipelineMetadata]), then
[RunContext].Metadata. In simple mode the OpenAI wrapper's per-call
options play the part of RunContext.

Observers ([WithObserver]) see each run with its completed steps on a
delivery goroutine; package github.com/gentrace/gentrace-go/openinference
uses this to export OpenTelemetry spans following the OpenInference
conventions, off the caller's path.

# Cost

A step's outputs may carry a manual [Cost] under "cost" ([Dollars] or
[Cents]); OpenAI steps get one from the token usage and the price table.
[Runner.Cost] sums them in US dollars.

# Delivery

Submitted runs wait in a bounded queue ([DefaultQueueSize]) drained by
background workers ([DefaultWorkers]). When the queue is full, a new run
is dropped, counted in [Stats].Dropped and reported with [ErrQueueFull].
Each POST is retried on 429, 5xx and network errors with capped,
jittered exponential backoff that honours Retry-After, sending the same
body and run ID every time; other 4xx answers are not retried and are
counted as failed. Errors of background work go to the logger
([WithLogger], default slog.Default()) or to [WithErrorHandler].
[Client.Flush] waits for what was queued before it; [Client.Shutdown]
does the same, then stops the workers. Both are bounded by their context.

# Concurrency

Clients, pipelines and runners are safe for concurrent use. Recording is
in memory and never fails because a context was cancelled; only Flush,
Shutdown and Submit with [WaitForServer] wait on a context.
*/
package gentrace
