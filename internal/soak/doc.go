// Package soak holds the soak test of the SDK's delivery path and nothing
// else: its only code is in soak_test.go.
//
// The test records runs of OpenAI steps from 50 goroutines through the
// wrapped go-openai client, against the fake OpenAI server
// (openai/openaitest), and delivers them to the fake Gentrace backend
// (gentracetest) while the backend fails, drops, rate-limits, redirects,
// refuses as too large and slowly answers requests at random, and goes down
// completely for a while; one run in a hundred carries an input above the
// run cap, which the backend's body limit would refuse unless the SDK
// truncates it. It then checks that no run was lost (every run was stored,
// or refused for good by a redirect or a 413 and reported once), none was
// stored twice, each arrived byte for byte as the client sent it on every
// attempt, and that the client's counters agree with the server's.
//
// By default it records 1,000 runs with a 1-second outage, short enough for
// every `go test ./...`. The long version:
//
//	go test ./internal/soak -run Soak -v -soak.runs=10000
//
// which also lengthens the outage to 5 seconds (see -soak.outage), and
// -soak.seed changes which requests meet which faults.
package soak
