package gentrace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/gentrace/gentrace-go/gentracetest"
)

// appendString writes exactly what encoding/json writes with HTML escaping
// off.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " backslash \ `, "<b>&</b>", "tab\tnew\nline\rcr\b\f\x00\x1f",
		"héllo wörld 日本", "\u2028\u2029", "bad \xff utf8 \xc3", "emoji 🎉"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		got := appendString(nil, s)
		if !bytes.Equal(got, bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Fatalf("appendString(%q) = %s, encoding/json writes %s", s, got, want.Bytes())
		}
	})
}

func TestAppendObjectRejectsInvalidRawJSON(t *testing.T) {
	t.Parallel()
	if _, err := appendObject(nil, map[string]any{"bad": json.RawMessage(`{"a":`)}); err == nil {
		t.Fatal("invalid json.RawMessage accepted")
	}
	got, err := appendObject(nil, map[string]any{"b": json.RawMessage(`[1,2]`), "a": "<x>", "c": json.RawMessage(nil)})
	if err != nil || string(got) != `{"a":"<x>","b":[1,2],"c":null}` {
		t.Fatalf("appendObject = %s, %v", got, err)
	}
}

// A transform works on copies: whatever it changes in place (maps, nested
// maps, slices, raw JSON bytes, metadata) never reaches the runner's own
// steps, and the masked values never leak back into Runner.Steps. It runs
// once per step even with an observer.
func TestTransformNeverTouchesTheRunnersSteps(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	var calls atomic.Int32
	obs := &recordingObserver{}
	c := backendClient(t, srv, WithObserver(obs), WithTransform(func(s *Step) {
		calls.Add(1)
		if raw, ok := s.Inputs["email"].(json.RawMessage); ok {
			copy(raw, `"xxx@xxxxxxx.xxx"`) // in place: same length
		}
		s.Inputs["added"] = "by transform"
		s.Outputs["nested"].(map[string]any)["secret"] = "[masked]"
		s.Outputs["list"].([]any)[0] = "[masked]"
		s.Metadata["tier"] = String("masked")
	}))
	r := startRunner(t, c, RunContext{})
	err := r.Record(Step{
		Inputs:   map[string]any{"email": json.RawMessage(`"ada@example.com"`)},
		Outputs:  map[string]any{"nested": map[string]any{"secret": "s3cret"}, "list": []any{"s3cret"}},
		Metadata: Metadata{"tier": String("gold")},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Read the runner while delivery transforms: with shared maps this is
	// a concurrent map read and write, which -race (or the runtime) sees.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				_, _ = r.Cost()
				_ = r.Steps()
			}
		}
	}()
	id, err := r.Submit(context.Background(), WaitForServer())
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	run, _ := srv.Run(id)
	body := string(run.Body)
	for _, want := range []string{"xxx@xxxxxxx.xxx", "by transform", `"secret":"[masked]"`, `"list":["[masked]"]`, `"masked"`} {
		if !strings.Contains(body, want) {
			t.Errorf("delivered body lacks %s: %s", want, body)
		}
	}
	s := r.Steps()[0]
	if got := string(s.Inputs["email"].(json.RawMessage)); got != `"ada@example.com"` {
		t.Errorf("runner's input changed to %s", got)
	}
	if _, ok := s.Inputs["added"]; ok {
		t.Error("a key added by the transform reached the runner")
	}
	if got := s.Outputs["nested"].(map[string]any)["secret"]; got != "s3cret" {
		t.Errorf("runner's nested output changed to %v", got)
	}
	if got := s.Outputs["list"].([]any)[0]; got != "s3cret" {
		t.Errorf("runner's list output changed to %v", got)
	}
	if v, _ := s.Metadata["tier"].StringValue(); v != "gold" {
		t.Errorf("runner's metadata changed to %q", v)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("transform ran %d times for one step, want 1", n)
	}
	// The observer saw the transformed step.
	recs := obs.all()
	if len(recs) != 1 || string(recs[0].Steps[0].Inputs["email"].(json.RawMessage)) != `"xxx@xxxxxxx.xxx"` {
		t.Errorf("observer saw %+v", recs)
	}
}

// An observer that changes what it is given changes neither the runner's
// steps nor the delivered run nor what another observer sees.
func TestObserversGetCopiesOfTheirOwn(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	vandal := observerFunc(func(rec RunRecord) {
		for i := range rec.Steps {
			rec.Steps[i].Inputs["q"] = "vandalised"
			rec.Steps[i].Outputs["value"] = json.RawMessage(`"vandalised"`)
			if raw, ok := rec.Steps[i].Inputs["raw"].(json.RawMessage); ok {
				copy(raw, `"VVVVV"`)
			}
		}
		rec.Metadata["extra"] = String("vandalised")
	})
	witness := &recordingObserver{}
	c := backendClient(t, srv, WithObserver(vandal), WithObserver(witness))
	r := startRunner(t, c, RunContext{Metadata: Metadata{"env": String("test")}})
	if err := r.Record(Step{Inputs: map[string]any{"q": "question", "raw": json.RawMessage(`"abcde"`)}, Outputs: map[string]any{"value": json.RawMessage(`"answer"`)}}); err != nil {
		t.Fatal(err)
	}
	id, err := r.Submit(context.Background(), WaitForServer())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	run, _ := srv.Run(id)
	s := r.Steps()[0]
	seen := witness.all()
	if len(seen) != 1 {
		t.Fatalf("witness saw %d runs", len(seen))
	}
	for where, text := range map[string]string{
		"delivered body":     string(run.Body),
		"runner's steps":     fmt.Sprint(s.Inputs, s.Outputs, string(s.Inputs["raw"].(json.RawMessage))),
		"the other observer": fmt.Sprint(seen[0].Steps[0].Inputs, seen[0].Steps[0].Outputs, seen[0].Metadata, string(seen[0].Steps[0].Inputs["raw"].(json.RawMessage))),
	} {
		if strings.Contains(text, "vandalised") || strings.Contains(text, "VVVVV") {
			t.Errorf("an observer's change reached the %s: %s", where, text)
		}
	}
}

// recordingObserver keeps the runs it is shown.
type recordingObserver struct {
	mu   sync.Mutex
	runs []RunRecord
	seen chan string // when non-nil, receives each run's ID
}

func (o *recordingObserver) StartRun(context.Context, string) any { return nil }

func (o *recordingObserver) EndRun(_ any, rec RunRecord) {
	o.mu.Lock()
	o.runs = append(o.runs, rec)
	o.mu.Unlock()
	if o.seen != nil {
		o.seen <- rec.ID
	}
}

func (o *recordingObserver) all() []RunRecord {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]RunRecord(nil), o.runs...)
}

type observerFunc func(RunRecord)

func (f observerFunc) StartRun(context.Context, string) any { return nil }
func (f observerFunc) EndRun(_ any, rec RunRecord)          { f(rec) }

// A run above the cap is delivered with its largest values cut to one
// length and marked with how much was cut; small values, the manual cost
// and the run's structure stay whole, and the body fits the cap.
func TestLargeValuesAreTruncatedToTheCap(t *testing.T) {
	t.Parallel()
	const maxRun = 200_000
	srv := gentracetest.Start(t, gentracetest.WithMaxBodyBytes(maxRun))
	c := backendClient(t, srv, WithMaxRunBytes(maxRun))
	r := startRunner(t, c, RunContext{UserID: "u"})
	huge := strings.Repeat(`quote" and line\n `, 200_000) // 3.6 MB, with characters that need escaping
	vector := make([]float64, 100_000)
	for i := range vector {
		vector[i] = float64(i) / 7
	}
	if err := r.Checkpoint(map[string]any{"document": huge, "question": "What is it about?"},
		map[string]any{"embedding": vector, "cost": Dollars(0.25), "answer": "short"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Checkpoint(map[string]any{"q": "small"}, map[string]any{"a": "small too"}); err != nil {
		t.Fatal(err)
	}
	id, err := r.Submit(context.Background(), WaitForServer())
	if err != nil {
		t.Fatalf("Submit = %v", err)
	}
	run, _ := srv.Run(id)
	if len(run.Body) > maxRun {
		t.Errorf("body of %d bytes, above the cap of %d", len(run.Body), maxRun)
	}
	if len(run.Body) < maxRun*9/10 {
		t.Errorf("body of %d bytes: truncated far more than the cap of %d needs", len(run.Body), maxRun)
	}
	s0, s1 := run.StepRuns[0], run.StepRuns[1]
	doc, _ := s0.Inputs["document"].(string)
	emb, _ := s0.Outputs["embedding"].(string)
	for name, v := range map[string]string{"document": doc, "embedding": emb} {
		if !strings.Contains(v, "…[gentrace: truncated, ") || !strings.HasSuffix(v, " bytes cut]") {
			t.Errorf("%s = %.80q…, want a truncated value with a marker", name, v)
		}
	}
	if !strings.HasPrefix(doc, `"quote\" and line\\n`) || !strings.HasPrefix(emb, "[0,0.14285714285714285,") {
		t.Errorf("truncated values do not start as the values did: %.40q, %.40q", doc, emb)
	}
	if s0.Inputs["question"] != "What is it about?" || s0.Outputs["answer"] != "short" || s1.Outputs["a"] != "small too" {
		t.Errorf("small values changed: %v %v %v", s0.Inputs, s0.Outputs["answer"], s1.Outputs)
	}
	if cost, ok := s0.Outputs["cost"].(map[string]any); !ok || cost["value"] != 0.25 {
		t.Errorf("cost = %v, want it whole", s0.Outputs["cost"])
	}
}

// A run that cannot fit even with every value cut (here: many steps with
// long error texts, which are not truncated) fails with ErrRunTooLarge,
// reported, never sent.
func TestRunTooLargeIsReported(t *testing.T) {
	t.Parallel()
	srv := gentracetest.Start(t)
	var log gentracetest.ErrorLog
	c := backendClient(t, srv, WithMaxRunBytes(MinRunBytes), WithErrorHandler(log.Add))
	r := startRunner(t, c, RunContext{})
	for i := range 40 {
		if err := r.Record(Step{Error: strings.Repeat("e", 1000), Inputs: map[string]any{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Submit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	errs := log.Errors()
	if len(errs) != 1 || !errors.Is(errs[0], ErrRunTooLarge) {
		t.Fatalf("reported %v, want one ErrRunTooLarge", errs)
	}
	if st := srv.Stats(); st.Requests != 0 {
		t.Errorf("server saw %d requests", st.Requests)
	}
	if st := c.Stats(); st.Failed != 1 {
		t.Errorf("stats %+v, want 1 failed", st)
	}
}

// truncateValue keeps a prefix of the value's JSON text, cut between
// characters, escaped within the limit, and always yields a JSON string
// at most limit + markerRoom long that says how much was cut.
func FuzzTruncateValue(f *testing.F) {
	for _, s := range []string{`"plain"`, `{"a":[1,2,3]}`, "\"é\u2028\\n\x01\"", "bad \xff utf8", `[0.1,0.2]`} {
		f.Add([]byte(s), uint16(3))
	}
	f.Fuzz(func(t *testing.T, val []byte, limit uint16) {
		got := truncateValue(val, int(limit))
		if len(got) > int(limit)+markerRoom {
			t.Fatalf("%d bytes for limit %d", len(got), limit)
		}
		var s string
		if err := json.Unmarshal(got, &s); err != nil {
			t.Fatalf("not a JSON string: %s: %v", got, err)
		}
		kept, marker, ok := strings.Cut(s, "…[gentrace: truncated, ")
		if !ok {
			t.Fatalf("no marker in %q", s)
		}
		var cut, total int
		if _, err := fmt.Sscanf(marker, "%d of %d bytes cut]", &cut, &total); err != nil || total != len(val) {
			t.Fatalf("marker %q for a value of %d bytes: %v", marker, len(val), err)
		}
		prefix := val[:len(val)-cut]
		// appendString writes each invalid byte as U+FFFD.
		var want strings.Builder
		for i := 0; i < len(prefix); {
			r, n := utf8.DecodeRune(prefix[i:])
			want.WriteRune(r)
			i += n
		}
		if kept != want.String() {
			t.Fatalf("kept %q, want the value's first %d bytes %q", kept, len(prefix), want.String())
		}
	})
}

func TestEstimateIsCheapAndCapped(t *testing.T) {
	t.Parallel()
	s := &runSnapshot{id: "x", steps: make([]*stepEntry, 3), metadata: Metadata{"k": String("v")}}
	if got := s.estimate(0); got < 3*defaultStepBytes {
		t.Errorf("estimate %d for 3 steps of unknown size", got)
	}
	s.stepBytes = 10 << 20
	if got := s.estimate(DefaultMaxRunBytes); got != DefaultMaxRunBytes {
		t.Errorf("estimate %d, want the cap %d", got, DefaultMaxRunBytes)
	}
	step := Step{Inputs: map[string]any{"doc": json.RawMessage(strings.Repeat("x", 5000))}, Outputs: map[string]any{"list": []any{"abc", 1.5}}}
	if got := estimateStep(&step); got < 5000 || got > int64(5000+stepOverhead+200) {
		t.Errorf("estimateStep = %d, want about 5000 plus overhead", got)
	}
}

// size predicts exactly what appendJSON writes, so that the cap is kept to
// the byte; and encode never writes more than the cap.
func FuzzRunSizeMatchesEncoding(f *testing.F) {
	for _, s := range []string{"", "plain", "tab\t\"q\"\\", "é日本🎉", "bad \xff", "\u2028\u2029\x00\x1f", "<b>&</b>"} {
		f.Add(s, int64(len(s))*37-5, len(s)%3)
	}
	f.Fuzz(func(t *testing.T, s string, elapsed int64, steps int) {
		run := wireRun{ID: s, Slug: s, CollectionMethod: "runner", PreviousRunID: nullable(s), Error: nullable(s)}
		for i := range steps % 4 {
			run.StepRuns = append(run.StepRuns, wireStep{
				ProviderName: s, Invocation: s, StartTime: s, EndTime: s, Error: nullable(s), ElapsedTime: elapsed * int64(i+1),
				Inputs:  []wireEntry{{s, appendString(nil, s)}, {"k", []byte("1")}},
				Outputs: []wireEntry{{s, []byte("null")}},
				Context: wireStepContext{UserID: s, Render: &Render{Type: s, Key: s}},
			})
		}
		meta := []byte(`{"m":{"type":"string","value":"v"}}`)
		if got, want := len(run.appendJSON(nil, meta)), run.size(len(meta)); got != want {
			t.Fatalf("size() = %d, appendJSON wrote %d", want, got)
		}
	})
}

func TestEncodeKeepsTheCapForManyValues(t *testing.T) {
	t.Parallel()
	for _, maxBytes := range []int{MinRunBytes, 50_000, 300_000} {
		r := startRunner(t, offlineClient(t), RunContext{})
		for i := range 30 {
			if err := r.Checkpoint(map[string]any{"a": strings.Repeat("é\"", 1000*i), "b": i}, map[string]any{"c": strings.Repeat("x", 5000)}); err != nil {
				t.Fatal(err)
			}
		}
		r.st.mu.Lock()
		snap := &runSnapshot{id: r.st.id, slug: r.st.slug, steps: r.st.steps}
		r.st.mu.Unlock()
		body, err := snap.encode(nil, maxBytes)
		if err != nil {
			t.Fatalf("cap %d: %v", maxBytes, err)
		}
		if len(body) > maxBytes || !json.Valid(body) {
			t.Errorf("cap %d: body of %d bytes (valid JSON: %v)", maxBytes, len(body), json.Valid(body))
		}
	}
}
