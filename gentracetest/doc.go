// Package gentracetest provides a fake Gentrace backend for tests, in the
// spirit of [net/http/httptest].
//
// A [Server] is a real HTTP server on the loopback interface that speaks the
// Gentrace v1 API used by gentrace-go. It validates request bodies the way the
// API contract describes, answers the way the API answers, records what it
// received for assertions, and can inject faults so that retry, shutdown and
// soak tests can run without a network.
//
// # Starting a server
//
// [Start] starts a server and closes it when the test ends:
//
//	srv := gentracetest.Start(t)
//	// Point the client under test at srv.URL with the key srv.APIKey.
//
// [NewServer] does the same outside of a test; call [Server.Close] when done.
// [Server.URL] ends in "/api", the path the SDK requires of a base URL, and
// every request must carry "Authorization: Bearer " followed by
// [Server.APIKey] (see [WithRequiredKey]).
//
// # Routes
//
//   - POST /api/v1/run stores a pipeline run and answers
//     {"pipelineRunId": id}. Runs are deduplicated by id, so a client that
//     retries with the same body stores the run once; a previousRunId already
//     used by another run is rejected, because threads are singly-linked.
//   - GET /api/v1/test-case?pipelineSlug=S lists the test cases seeded with
//     [Server.AddTestCases].
//   - POST /api/v1/test-result-simple stores a test result and answers
//     {"resultId": id}.
//
// A malformed body gets 400 with a JSON body {"message": ...} that names the
// offending field by its path, for example
// `stepRuns[0].context.metadata["env"].type must be one of "url", "string",
// "boolean"; got "number"`. Unknown fields outside metadata values and costs
// are allowed, as in the API.
//
// # Assertions
//
// [Server.Runs], [Server.Run] and [Server.TestResults] return what was
// stored, both decoded ([Run], [TestResult]) and as the exact request body.
// [Server.Stats] counts requests, stored runs, duplicates, rejections and
// injected faults. [Server.WaitForRuns] blocks until runs delivered in the
// background have arrived, and [Server.WaitFor] until any condition on the
// counters holds, so that tests never sleep.
//
// # Faults
//
// One-shot faults are queued and consumed in order by the next requests:
// [Server.FailNext], [Server.FailNextWithRetryAfter], [Server.RedirectNext],
// [Server.DropNext], [Server.LoseResponseNext], [Server.SlowBodyNext] and
// [Server.HangNext]. Persistent states apply to every request until
// changed: [Server.SetDown], [Server.SetHang] and [Server.SetDelay].
// [Server.SetFaults] injects random faults (errors, rate limits, drops, lost
// answers, redirects, 413s, slow bodies) driven by a seeded generator, so a
// soak test that fails can be replayed. Faults apply to every route and
// take effect before authentication and validation, as a network or an
// overloaded server would; answers they make or change carry
// [FaultHeader].
//
// Two options make the server stricter than its default: [WithMaxBodyBytes]
// lowers the body limit (a larger body is answered 413), and
// [WithStrictThreads] refuses a run whose previousRunId names a run not
// stored, to test that a client delivers a thread's runs in order.
//
// All methods of [Server] are safe for concurrent use.
package gentracetest
