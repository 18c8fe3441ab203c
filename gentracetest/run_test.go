package gentracetest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// metadataCases are value objects, each valid (want "") or rejected with a
// message that ends in want after the value's path.
var metadataCases = []struct {
	name  string
	value any
	want  string
}{
	{"url", map[string]any{"type": "url", "url": "https://example.com/a?b=c", "text": "A"}, ""},
	{"url mailto", map[string]any{"type": "url", "url": "mailto:a@example.com", "text": "mail"}, ""},
	{"string", map[string]any{"type": "string", "value": "v"}, ""},
	{"empty string", map[string]any{"type": "string", "value": ""}, ""},
	{"boolean false", map[string]any{"type": "boolean", "value": false}, ""},
	{"null", nil, " must be an object, got null"},
	{"bare string", "v", " must be an object, got string"},
	{"array", []any{}, " must be an object, got array"},
	{"missing type", map[string]any{"value": "v"}, ".type is required"},
	{"type not a string", map[string]any{"type": 1, "value": "v"}, ".type must be a string, got number"},
	{"unknown type", map[string]any{"type": "number", "value": 1}, `.type must be one of "url", "string", "boolean"; got "number"`},
	{"string value number", map[string]any{"type": "string", "value": 1}, ".value must be a string, got number"},
	{"string value null", map[string]any{"type": "string", "value": nil}, ".value must be a string, got null"},
	{"string value missing", map[string]any{"type": "string"}, ".value is required"},
	{"string extra field", map[string]any{"type": "string", "value": "v", "text": "t"}, ` has unexpected field "text"`},
	{"boolean value string", map[string]any{"type": "boolean", "value": "true"}, ".value must be a boolean, got string"},
	{"boolean value missing", map[string]any{"type": "boolean"}, ".value is required"},
	{"url missing text", map[string]any{"type": "url", "url": "https://example.com"}, ".text is required"},
	{"url empty text", map[string]any{"type": "url", "url": "https://example.com", "text": ""}, ".text must not be empty"},
	{"url text number", map[string]any{"type": "url", "url": "https://example.com", "text": 1}, ".text must be a string, got number"},
	{"url missing url", map[string]any{"type": "url", "text": "t"}, ".url is required"},
	{"url relative", map[string]any{"type": "url", "url": "/docs", "text": "t"}, `.url must be an absolute URL, got "/docs"`},
	{"url no host", map[string]any{"type": "url", "url": "https://", "text": "t"}, ".url must be an absolute URL"},
	{"url with value", map[string]any{"type": "url", "url": "https://example.com", "text": "t", "value": "v"}, ` has unexpected field "value"`},
}

// costCases are outputs.cost values, valid (want "") or rejected with a
// message that ends in want after the cost's path.
var costCases = []struct {
	name string
	cost string // raw JSON
	want string
}{
	{"dollars", `{"type":"dollars","value":0.000123}`, ""},
	{"cents zero", `{"type":"cents","value":0}`, ""},
	{"integer", `{"type":"cents","value":12}`, ""},
	{"null", `null`, ".cost must be an object, got null"},
	{"bare number", `0.5`, ".cost must be an object, got number"},
	{"unknown unit", `{"type":"euros","value":1}`, `.cost.type must be "dollars" or "cents", got "euros"`},
	{"missing type", `{"value":1}`, ".cost.type is required"},
	{"missing value", `{"type":"dollars"}`, ".cost.value is required"},
	{"value string", `{"type":"dollars","value":"1"}`, ".cost.value must be a number, got string"},
	{"value null", `{"type":"dollars","value":null}`, ".cost.value must be a number, got null"},
	{"negative", `{"type":"dollars","value":-0.01}`, ".cost.value must not be negative"},
	{"not finite", `{"type":"dollars","value":1e400}`, ".cost.value must be a finite number"},
	{"extra field", `{"type":"dollars","value":1,"estimated":true}`, `.cost has unexpected field "estimated"`},
}

func TestRunValidation(t *testing.T) {
	t.Parallel()
	type testCase struct {
		name string
		edit func(m map[string]any) // applied to validRun
		body string                 // sent instead, when set
		want string                 // "" for 200; else part of the 400 message
	}
	cases := []testCase{
		{name: "valid run", edit: func(map[string]any) {}},
		{name: "minimal run", body: `{"id":"` + uuid.NewString() + `","stepRuns":[]}`},
		{name: "manual collection", edit: func(m map[string]any) { m["collectionMethod"] = "manual" }},
		{name: "uppercase id", edit: func(m map[string]any) { m["id"] = strings.ToUpper(uuid.NewString()) }},
		{name: "nulls where nullable", edit: func(m map[string]any) {
			m["previousRunId"], m["metadata"], m["error"] = nil, nil, nil
			step(m, 0)["error"] = nil
			stepContext(m)["metadata"] = nil
		}},
		{name: "unknown fields allowed", edit: func(m map[string]any) { m["extra"] = 1; step(m, 0)["extra"] = 2 }},
		{name: "step error", edit: func(m map[string]any) { step(m, 0)["error"] = "boom"; step(m, 0)["outputs"] = map[string]any{} }},
		{name: "time with offset", edit: func(m map[string]any) { step(m, 0)["startTime"] = "2023-03-23T22:16:37+01:00" }},

		{name: "invalid JSON", body: `{"id": `, want: "request body is not valid JSON"},
		{name: "trailing garbage", body: `{"id":"x","stepRuns":[]} x`, want: "request body is not valid JSON"},
		{name: "body not an object", body: `[]`, want: "request body must be a JSON object, got array"},
		{name: "empty body", body: ``, want: "request body is not valid JSON"},

		{name: "missing id", edit: func(m map[string]any) { delete(m, "id") }, want: "id is required"},
		{name: "id null", edit: func(m map[string]any) { m["id"] = nil }, want: "id must be a string, got null"},
		{name: "id number", edit: func(m map[string]any) { m["id"] = 7 }, want: "id must be a string, got number"},
		{name: "id not a UUID", edit: func(m map[string]any) { m["id"] = "run-1" }, want: `id must be a UUID, got "run-1"`},
		{name: "id without hyphens", edit: func(m map[string]any) { m["id"] = strings.ReplaceAll(uuid.NewString(), "-", "") }, want: "id must be a UUID"},
		{name: "id in braces", edit: func(m map[string]any) { m["id"] = "{" + uuid.NewString() + "}" }, want: "id must be a UUID"},
		{name: "id version 1", edit: func(m map[string]any) { m["id"] = "6ba7b810-9dad-11d1-80b4-00c04fd430c8" }, want: "id must be a version 4 UUID"},
		{name: "id nil UUID", edit: func(m map[string]any) { m["id"] = uuid.Nil.String() }, want: "id must be a version 4 UUID"},
		{name: "missing stepRuns", edit: func(m map[string]any) { delete(m, "stepRuns") }, want: "stepRuns is required"},
		{name: "stepRuns object", edit: func(m map[string]any) { m["stepRuns"] = map[string]any{} }, want: "stepRuns must be an array, got object"},
		{name: "stepRuns null", edit: func(m map[string]any) { m["stepRuns"] = nil }, want: "stepRuns must be an array, got null"},
		{name: "slug number", edit: func(m map[string]any) { m["slug"] = 1 }, want: "slug must be a string, got number"},
		{name: "collectionMethod unknown", edit: func(m map[string]any) { m["collectionMethod"] = "auto" }, want: `collectionMethod must be "manual" or "runner", got "auto"`},
		{name: "collectionMethod null", edit: func(m map[string]any) { m["collectionMethod"] = nil }, want: "collectionMethod must be a string, got null"},
		{name: "previousRunId not a UUID", edit: func(m map[string]any) { m["previousRunId"] = "prev" }, want: `previousRunId must be a UUID, got "prev"`},
		{name: "previousRunId number", edit: func(m map[string]any) { m["previousRunId"] = 3 }, want: "previousRunId must be a string, got number"},
		{name: "previousRunId is id", edit: func(m map[string]any) { m["previousRunId"] = m["id"] }, want: "previousRunId must not be the run's own id"},
		{name: "metadata array", edit: func(m map[string]any) { m["metadata"] = []any{} }, want: "metadata must be an object, got array"},
		{name: "error number", edit: func(m map[string]any) { m["error"] = 1 }, want: "error must be a string, got number"},

		{name: "step not an object", edit: func(m map[string]any) { m["stepRuns"] = []any{"step"} }, want: "stepRuns[0] must be an object, got string"},
		{name: "second step bad", edit: func(m map[string]any) { step(m, 1)["inputs"] = []any{} }, want: "stepRuns[1].inputs must be an object, got array"},
		{name: "providerName number", edit: func(m map[string]any) { step(m, 0)["providerName"] = 1 }, want: "stepRuns[0].providerName must be a string, got number"},
		{name: "invocation null", edit: func(m map[string]any) { step(m, 0)["invocation"] = nil }, want: "stepRuns[0].invocation must be a string, got null"},
		{name: "modelParams array", edit: func(m map[string]any) { step(m, 0)["modelParams"] = []any{} }, want: "stepRuns[0].modelParams must be an object, got array"},
		{name: "inputs string", edit: func(m map[string]any) { step(m, 0)["inputs"] = "hi" }, want: "stepRuns[0].inputs must be an object, got string"},
		{name: "outputs null", edit: func(m map[string]any) { step(m, 0)["outputs"] = nil }, want: "stepRuns[0].outputs must be an object, got null"},
		{name: "outputs number", edit: func(m map[string]any) { step(m, 0)["outputs"] = 2009 }, want: "stepRuns[0].outputs must be an object, got number"},
		{name: "elapsedTime string", edit: func(m map[string]any) { step(m, 0)["elapsedTime"] = "187" }, want: "stepRuns[0].elapsedTime must be an integer, got string"},
		{name: "elapsedTime fraction", edit: func(m map[string]any) { step(m, 0)["elapsedTime"] = 18.5 }, want: "stepRuns[0].elapsedTime must be an integer, got 18.5"},
		{name: "elapsedTime exponent", body: strings.Replace(string(readTestdata(t, "run.json")), `"elapsedTime": 187`, `"elapsedTime": 1.87e2`, 1), want: "stepRuns[0].elapsedTime must be an integer, got 1.87e2"},
		{name: "elapsedTime negative", edit: func(m map[string]any) { step(m, 0)["elapsedTime"] = -1 }, want: "stepRuns[0].elapsedTime must not be negative"},
		{name: "startTime not RFC 3339", edit: func(m map[string]any) { step(m, 0)["startTime"] = "2023-03-23 21:16:37" }, want: `stepRuns[0].startTime must be an RFC 3339 date-time, got "2023-03-23 21:16:37"`},
		{name: "startTime without zone", edit: func(m map[string]any) { step(m, 0)["startTime"] = "2023-03-23T21:16:37.188" }, want: "stepRuns[0].startTime must be an RFC 3339 date-time"},
		{name: "endTime number", edit: func(m map[string]any) { step(m, 0)["endTime"] = 1679606197 }, want: "stepRuns[0].endTime must be a string, got number"},
		{name: "step error bool", edit: func(m map[string]any) { step(m, 0)["error"] = true }, want: "stepRuns[0].error must be a string, got boolean"},
		{name: "context string", edit: func(m map[string]any) { step(m, 0)["context"] = "ctx" }, want: "stepRuns[0].context must be an object, got string"},
		{name: "context null", edit: func(m map[string]any) { step(m, 0)["context"] = nil }, want: "stepRuns[0].context must be an object, got null"},
		{name: "userId number", edit: func(m map[string]any) { stepContext(m)["userId"] = 42 }, want: "stepRuns[0].context.userId must be a string, got number"},
		{name: "render array", edit: func(m map[string]any) { stepContext(m)["render"] = []any{} }, want: "stepRuns[0].context.render must be an object, got array"},
		{name: "render without type", edit: func(m map[string]any) { stepContext(m)["render"] = map[string]any{"key": "page"} }, want: "stepRuns[0].context.render.type is required"},
		{name: "render type number", edit: func(m map[string]any) { stepContext(m)["render"] = map[string]any{"type": 1} }, want: "stepRuns[0].context.render.type must be a string, got number"},
		{name: "render key number", edit: func(m map[string]any) { stepContext(m)["render"] = map[string]any{"type": "html", "key": 1} }, want: "stepRuns[0].context.render.key must be a string, got number"},
		{name: "context metadata string", edit: func(m map[string]any) { stepContext(m)["metadata"] = "x" }, want: "stepRuns[0].context.metadata must be an object, got string"},
	}
	for _, field := range []string{"providerName", "invocation", "modelParams", "inputs", "outputs", "elapsedTime", "startTime", "endTime"} {
		cases = append(cases, testCase{
			name: "missing " + field,
			edit: func(m map[string]any) { delete(step(m, 1), field) },
			want: "stepRuns[1]." + field + " is required",
		})
	}
	for _, mc := range metadataCases {
		want := func(path string) string {
			if mc.want == "" {
				return ""
			}
			return path + mc.want
		}
		cases = append(cases,
			testCase{
				name: "run metadata " + mc.name,
				edit: func(m map[string]any) { m["metadata"].(map[string]any)["k"] = mc.value },
				want: want(`metadata["k"]`),
			},
			testCase{
				name: "step metadata " + mc.name,
				edit: func(m map[string]any) { stepContext(m)["metadata"].(map[string]any)["k"] = mc.value },
				want: want(`stepRuns[0].context.metadata["k"]`),
			})
	}
	for _, cc := range costCases {
		want := ""
		if cc.want != "" {
			want = "stepRuns[0].outputs" + cc.want
		}
		cases = append(cases, testCase{
			name: "cost " + cc.name,
			edit: func(m map[string]any) { step(m, 0)["outputs"].(map[string]any)["cost"] = json.RawMessage(cc.cost) },
			want: want,
		})
	}

	srv := Start(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var body any = tc.body
			if tc.edit != nil {
				m := validRun(t)
				tc.edit(m)
				body = m
			}
			r := postRun(t, srv, body)
			if tc.want == "" {
				wantStatus(t, r, http.StatusOK)
				if r.json["pipelineRunId"] == nil {
					t.Errorf("answer %s has no pipelineRunId", r.raw)
				}
				return
			}
			wantStatus(t, r, http.StatusBadRequest, tc.want)
		})
	}
}

func TestRunRecorded(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	body := readTestdata(t, "run.json")
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/run", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+srv.APIKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "gentrace-go/test")
	r, err := do(srv.Client(), req)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, r, http.StatusOK)
	const id = "6f9619ff-8b86-4d11-b42d-00c04fc964ff"
	if got := r.json["pipelineRunId"]; got != id {
		t.Errorf("pipelineRunId = %v, want %s", got, id)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}

	run, ok := srv.Run(strings.ToUpper(id))
	if !ok {
		t.Fatalf("Run(%s) not found", id)
	}
	if runs := srv.Runs(); len(runs) != 1 || runs[0].ID != id {
		t.Fatalf("Runs() = %+v", runs)
	}
	if !bytes.Equal(run.Body, body) {
		t.Errorf("Body is not the exact request body:\n%s", run.Body)
	}
	if got := run.Header.Get("User-Agent"); got != "gentrace-go/test" {
		t.Errorf("Header User-Agent = %q", got)
	}
	if got := run.Header.Get("Authorization"); got != "" {
		t.Errorf("Header keeps Authorization %q", got)
	}
	if run.Slug != "guess-the-year" || run.CollectionMethod != "runner" ||
		run.PreviousRunID != "0e7d2a6b-3c1f-4b6e-9a59-1d2e3f4a5b6c" || run.Error != "" {
		t.Errorf("run fields = %+v", run)
	}
	wantMD := map[string]MetadataValue{
		"sessionId": {Type: "string", Value: "session-1"},
		"beta":      {Type: "boolean", Value: true},
		"docs":      {Type: "url", URL: "https://example.com/docs", Text: "Docs"},
	}
	if len(run.Metadata) != len(wantMD) {
		t.Errorf("Metadata = %+v, want %+v", run.Metadata, wantMD)
	}
	for k, v := range wantMD {
		if run.Metadata[k] != v {
			t.Errorf("Metadata[%q] = %+v, want %+v", k, run.Metadata[k], v)
		}
	}
	if len(run.StepRuns) != 2 {
		t.Fatalf("%d steps, want 2", len(run.StepRuns))
	}
	s0 := run.StepRuns[0]
	if s0.ProviderName != "openai" || s0.Invocation != "openai_createChatCompletion" || s0.ElapsedTime != 187 || s0.Error != "" {
		t.Errorf("step 0 = %+v", s0)
	}
	if s0.ModelParams["model"] != "gpt-4o-mini" || s0.ModelParams["temperature"] != 0.2 {
		t.Errorf("step 0 modelParams = %v", s0.ModelParams)
	}
	if cost := s0.Outputs["cost"].(map[string]any); cost["value"] != 0.000123 {
		t.Errorf("step 0 cost = %v", cost)
	}
	wantStart := time.Date(2023, 3, 23, 21, 16, 37, 1e6, time.UTC)
	if !s0.StartTime.Equal(wantStart) || s0.EndTime.Sub(s0.StartTime) != 187*time.Millisecond {
		t.Errorf("step 0 times = %v, %v", s0.StartTime, s0.EndTime)
	}
	c := s0.Context
	if c.UserID != "user-42" || c.Render == nil || *c.Render != (Render{Type: "html", Key: "page"}) ||
		c.Metadata["temperature"] != (MetadataValue{Type: "string", Value: "low"}) {
		t.Errorf("step 0 context = %+v", c)
	}
	s1 := run.StepRuns[1]
	if s1.Context.Render != nil || s1.Context.Metadata != nil || s1.Outputs["value"] != 2009.0 || len(s1.ModelParams) != 0 {
		t.Errorf("step 1 = %+v", s1)
	}
	if st := srv.Stats(); st != (Stats{Requests: 1, Stored: 1}) {
		t.Errorf("Stats() = %+v", st)
	}
}

func TestRunDeduplicated(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	m := validRun(t)
	first := postRun(t, srv, m)
	wantStatus(t, first, http.StatusOK)
	// A retry carries the same body, previousRunId included: it must not
	// count as a second run in the thread.
	for range 2 {
		r := postRun(t, srv, m)
		wantStatus(t, r, http.StatusOK)
		if r.json["pipelineRunId"] != m["id"] {
			t.Errorf("retry answered %s, want pipelineRunId %s", r.raw, m["id"])
		}
	}
	m["id"] = strings.ToUpper(m["id"].(string)) // ids are UUIDs: case does not matter
	wantStatus(t, postRun(t, srv, m), http.StatusOK)
	if st := srv.Stats(); st.Stored != 1 || st.Duplicates != 3 || st.Requests != 4 || st.Rejected != 0 {
		t.Errorf("Stats() = %+v, want 1 stored and 3 duplicates of 4 requests", st)
	}
	if runs := srv.Runs(); len(runs) != 1 {
		t.Errorf("%d runs stored, want 1", len(runs))
	}
}

func TestPreviousRunIDReuse(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	first := minimalRun()
	wantStatus(t, postRun(t, srv, first), http.StatusOK)

	second := minimalRun()
	second["previousRunId"] = first["id"]
	wantStatus(t, postRun(t, srv, second), http.StatusOK)
	wantStatus(t, postRun(t, srv, second), http.StatusOK) // a retry, not a reuse

	third := minimalRun()
	third["previousRunId"] = first["id"]
	wantStatus(t, postRun(t, srv, third), http.StatusBadRequest,
		`previousRunId "`+first["id"].(string)+`" is already the previous run of run "`+second["id"].(string)+`"`,
		"singly-linked")
	if _, ok := srv.Run(third["id"].(string)); ok {
		t.Error("rejected run was stored")
	}

	// The thread continues from its last run.
	third["previousRunId"] = second["id"]
	wantStatus(t, postRun(t, srv, third), http.StatusOK)
	if st := srv.Stats(); st.Stored != 3 || st.Rejected != 1 || st.Duplicates != 1 {
		t.Errorf("Stats() = %+v", st)
	}
}

// TestConcurrentRuns stores thousands of runs from 50 goroutines, each
// posted twice as a client retrying would, in threads.
func TestConcurrentRuns(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	const workers, perWorker = 50, 40
	errs := make(chan error, workers)
	waited := make(chan error, 1)
	go func() { waited <- srv.WaitForRuns(t.Context(), workers*perWorker) }()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prev := ""
			for range perWorker {
				run := minimalRun()
				if prev != "" {
					run["previousRunId"] = prev
				}
				body, _ := json.Marshal(run)
				for range 2 {
					r, err := send(t, srv, http.MethodPost, "/v1/run", body)
					if err == nil && r.status != http.StatusOK {
						err = &statusError{r}
					}
					if err != nil {
						errs <- err
						return
					}
				}
				prev = run["id"].(string)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		// Fatal, not Error: the wait below would block until the test's
		// context ends, which is only after the test returns.
		t.Fatal(err)
	}
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	const n = workers * perWorker
	st := srv.Stats()
	if st.Stored != n || st.Duplicates != n || st.Requests != 2*n || st.Rejected != 0 {
		t.Errorf("Stats() = %+v, want %d stored and %d duplicates", st, n, n)
	}
	seen := make(map[string]bool)
	for _, r := range srv.Runs() {
		if seen[r.ID] {
			t.Fatalf("run %s listed twice", r.ID)
		}
		seen[r.ID] = true
	}
}
