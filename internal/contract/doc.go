// Package contract validates the request bodies of the Gentrace v1 API
// routes that gentrace-go uses, and decodes them.
//
// Both local backends of this repository, the gentracetest fake for tests
// and the gentrace-dev command, call it, so that they accept and refuse the
// same bodies with the same messages. Each parser checks a body against the
// wire contract (SPEC.md §3) and returns either the decoded value or an
// error whose text is the 400 message, naming the offending field by its
// path, for example
//
//	stepRuns[0].context.metadata["env"].type must be one of "url", "string", "boolean"; got "number"
//
// Rules that need a server's state (deduplication by run ID, the
// singly-linked thread rule, known pipelines and test cases) are the
// servers' to apply; the functions ending in Message word their answers
// alike.
//
// Unknown fields outside metadata values and costs are allowed, as in the
// API. All functions are safe for concurrent use.
package contract
