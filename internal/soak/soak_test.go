package soak_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
	"github.com/gentrace/gentrace-go/internal/leakcheck"
	"github.com/gentrace/gentrace-go/openai"
	"github.com/gentrace/gentrace-go/openai/openaitest"
	"github.com/gentrace/gentrace-go/openaihttp"
	goopenai "github.com/sashabaranov/go-openai"
)

var (
	runsFlag   = flag.Int("soak.runs", 1000, "number of runs the soak test records and delivers")
	outageFlag = flag.Duration("soak.outage", 0, "how long the backend is down mid-test; 0 means 1s up to 1,000 runs, else 5s")
	seedFlag   = flag.Int64("soak.seed", 1, "seed of the backend's random faults")
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

const (
	// submitters is how many goroutines record and submit runs.
	submitters = 50
	// workers delivers concurrently. Each 429 holds its worker for the
	// whole Retry-After second, so the default 4 would make the test wait
	// on rate limits rather than exercise the queue.
	workers = 32
	// maxRetries outlasts the longest outage: with equal jitter every wait
	// is at least half of retryWaitMax once the backoff is capped, so a 5 s
	// outage costs a run at most 5s/125ms = 40 attempts, leaving 60 for the
	// random faults around it, each of which a run meets with probability
	// 0.39 (0.39^60 ≈ 1e-25).
	maxRetries   = 100
	retryWaitMin = 10 * time.Millisecond
	retryWaitMax = 250 * time.Millisecond

	// Peak heap bound: a fixed part for the tokenizer vocabulary that
	// stream estimates load (o200k_base, about 25 MiB), the two fake
	// servers, the HTTP machinery and the runtime, plus a share per run
	// for what grows with N. Measured live, a run costs about 7 KiB while
	// it waits in the client's queue (sized for all N) and about 14 KiB
	// once the fake backend stores it (raw body of about 2 KiB and decoded
	// form); HeapInuse, which is sampled, also holds garbage not yet
	// collected, up to as much again as the live heap (GOGC=100).
	heapFixed  = 96 << 20
	heapPerRun = 32 << 10
	// heapPerLargeRun is what a run with a large input adds: the input,
	// its snapshot in the run, the body truncated to the cap, the backend's
	// copy and decoded form, and garbage of the same order.
	heapPerLargeRun = 6 * largeBytes
)

// faults are what the backend does to requests at random: 30% answered 500,
// 5% dropped without an answer, 2% answered 429 with "Retry-After: 1", 2%
// stored but the answer lost, so that the client's retry is a duplicate the
// backend must not store twice, 2% answered slowly (the body 50ms after the
// header), 0.5% redirected to https on the same host and 0.5% answered 413.
// A redirect or a 413 is a refusal: the run fails for good, without a
// retry, and must be reported.
func faults(seed int64) gentracetest.Faults {
	return gentracetest.Faults{
		Seed:          seed,
		ServerError:   0.30,
		Drop:          0.05,
		RateLimit:     0.02,
		RetryAfter:    "1",
		LoseResponse:  0.02,
		SlowBody:      0.02,
		SlowBodyDelay: 50 * time.Millisecond,
		Redirect:      0.005,
		TooLarge:      0.005,
	}
}

// Every largeEvery-th run carries an input of largeBytes, far above the
// run cap (and the backend's body limit, which equals the cap): the SDK
// must truncate it so that the backend takes it.
const (
	largeEvery = 100
	largeBytes = 1_500_000
)

func TestSoak(t *testing.T) {
	n := *runsFlag
	if n < 2 {
		t.Fatalf("-soak.runs=%d: need at least 2", n)
	}
	outage := *outageFlag
	if outage == 0 {
		outage = time.Second
		if n > 1000 {
			outage = 5 * time.Second
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()

	oa := openaitest.NewServer(openaitest.WithoutRecording())
	defer oa.Close()
	gt := gentracetest.Start(t, gentracetest.WithMaxBodyBytes(gentrace.DefaultMaxRunBytes))
	if err := gt.SetFaults(faults(*seedFlag)); err != nil {
		t.Fatal(err)
	}

	capture := newCaptor()
	logs := &countingHandler{}
	var bgErrors gentracetest.ErrorLog
	gc, err := gentrace.New(
		gentrace.WithAPIKey(gt.APIKey),
		gentrace.WithBaseURL(gt.URL),
		gentrace.WithHTTPClient(&http.Client{Transport: capture, Timeout: 10 * time.Second}),
		gentrace.WithQueueSize(n),
		gentrace.WithQueueBytes(int64(n)*gentrace.DefaultMaxRunBytes),
		gentrace.WithWorkers(workers),
		gentrace.WithRetry(maxRetries, retryWaitMin, retryWaitMax),
		gentrace.WithLogger(slog.New(logs)),
		gentrace.WithErrorHandler(bgErrors.Add),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := gc.Shutdown(sctx); err != nil {
			t.Errorf("Shutdown = %v", err)
		}
	}()
	pipeline, err := gc.NewPipeline("soak")
	if err != nil {
		t.Fatal(err)
	}
	oc := openai.NewClientWithConfig(oa.ClientConfig())
	exact := openai.NewClientWithConfig(oa.ClientConfig(), openai.WithRecorder(
		openaihttp.New(openaihttp.WithStreamUsage(openaihttp.StreamUsageAlways))))

	heap := startHeapSampler(20 * time.Millisecond)
	defer heap.stop()
	start := time.Now()

	// The outage begins once half the runs are stored, so that it falls in
	// the middle of delivery whatever the speed of the machine.
	outageReport := make(chan outageFigures, 1)
	go func() { outageReport <- runOutage(ctx, gt, n/2, outage) }()

	jobs := make(chan int)
	results := make(chan submitted, submitters)
	var wg sync.WaitGroup
	for range submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine submitted
			for i := range jobs {
				if ctx.Err() != nil {
					continue // a run failed: drain the jobs
				}
				if err := recordRun(ctx, pipeline, oc, exact, i, &mine); err != nil {
					t.Errorf("run %d: %v", i, err)
					cancel()
				}
			}
			results <- mine
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(results)
	submittedIn := time.Since(start)
	atSubmitEnd, liveAtSubmitEnd, storedAtSubmitEnd := gc.Stats(), liveHeap(), gt.Stats().Stored
	want := make(map[string]expectation, n)
	var latency []time.Duration
	for r := range results {
		for id, e := range r.runs {
			want[id] = e
		}
		latency = append(latency, r.latency...)
	}
	slices.Sort(latency)
	if t.Failed() {
		return
	}

	if err := gc.Flush(ctx); err != nil {
		t.Fatalf("Flush = %v after %v; stats %+v, backend %+v", err, time.Since(start), gc.Stats(), gt.Stats())
	}
	elapsed := time.Since(start)
	out := <-outageReport
	peak := heap.stop()
	if out.err != nil {
		t.Fatalf("outage: %v", out.err)
	}

	cs, ss := gc.Stats(), gt.Stats()
	attempts, mismatched, faultKinds := capture.totals()
	runs := gt.Runs()
	bodyBytes := 0
	for _, run := range runs {
		bodyBytes += len(run.Body)
	}
	pct := func(p float64) time.Duration { return latency[min(len(latency)-1, int(p*float64(len(latency))))] }
	t.Logf("runs: %d (%.1f KiB a body on average), submitted in %v, all delivered in %v",
		n, float64(bodyBytes)/float64(max(len(runs), 1))/1024, submittedIn.Round(time.Millisecond), elapsed.Round(time.Millisecond))
	t.Logf("Submit latency: median %v, p99 %v, max %v", pct(0.5), pct(0.99), latency[len(latency)-1])
	t.Logf("outage: %v from %d stored runs, %d requests refused meanwhile", out.lasted.Round(time.Millisecond), out.storedAtStart, out.faulted)
	t.Logf("backend: %d requests, %d faults injected (outage included), %d duplicates answered, %d rejected", ss.Requests, ss.Faults, ss.Duplicates, ss.Rejected)
	t.Logf("client: %+v; %d POST attempts", cs, attempts)
	large := uint64((n + largeEvery - 1 - largeEvery/2) / largeEvery)
	bound := heapFixed + uint64(n)*heapPerRun + large*heapPerLargeRun
	t.Logf("peak heap in use: %.1f MiB (bound %.1f MiB)", mib(peak), mib(bound))
	t.Logf("live heap: %.1f MiB when submission ended (%d runs pending in the client, %d stored by the backend), %.1f MiB once all were delivered",
		mib(liveAtSubmitEnd), atSubmitEnd.Pending, storedAtSubmitEnd, mib(liveHeap()))

	// A run refused for good (a redirect, a 413) is reported once, and
	// naming it; nothing else is reported.
	refused := map[string]int{}
	for _, err := range bgErrors.Errors() {
		var apiErr *gentrace.APIError
		ok := errors.As(err, &apiErr)
		id, _, _ := strings.Cut(strings.TrimPrefix(err.Error(), "gentrace: run "), " ")
		if !ok || (apiErr.StatusCode != http.StatusTemporaryRedirect && apiErr.StatusCode != http.StatusRequestEntityTooLarge) {
			t.Errorf("background error other than a refusal: %v", err)
			continue
		}
		if _, submitted := want[id]; !submitted {
			t.Errorf("refusal of a run never submitted: %v", err)
		}
		refused[id]++
	}
	for id, times := range refused {
		if times != 1 {
			t.Errorf("run %s reported %d times", id, times)
		}
	}
	// Lost: a run neither stored nor reported. A refused run is not stored,
	// unless an earlier attempt's answer was lost after storing it.
	stored := make(map[string]bool, len(runs))
	for _, run := range runs {
		stored[run.ID] = true
	}
	lost, refusedStored := 0, 0
	for id := range want {
		switch {
		case stored[id] && refused[id] > 0:
			refusedStored++
		case !stored[id] && refused[id] == 0:
			lost++
			if lost <= 5 {
				t.Errorf("run %s lost: neither stored nor reported", id)
			}
		}
	}
	t.Logf("faults by kind in answers: %v; %d runs refused for good (redirect or 413) and reported, %d of them stored by an earlier attempt; %d lost, %d duplicates stored",
		faultKinds, len(refused), refusedStored, lost, len(runs)-len(stored))
	if lost != 0 {
		t.Errorf("%d runs lost", lost)
	}
	// Every run not refused was stored exactly once, and nothing else was.
	if len(runs) != len(stored) {
		t.Errorf("backend holds %d runs for %d distinct IDs", len(runs), len(stored))
	}
	if len(runs) != ss.Stored || len(stored) != n-len(refused)+refusedStored {
		t.Errorf("backend stored %d runs (Runs() has %d); want %d submitted - %d refused + %d stored before their refusal",
			ss.Stored, len(runs), n, len(refused), refusedStored)
	}
	seen := make(map[string]bool, n)
	for _, run := range runs {
		e, ok := want[run.ID]
		switch {
		case !ok:
			t.Errorf("backend stored run %s, which was never submitted", run.ID)
			continue
		case seen[run.ID]:
			t.Errorf("backend stored run %s twice", run.ID)
			continue
		}
		seen[run.ID] = true
		checkRun(t, run, e)
		// The stored body is the one the client sent, on every attempt.
		c, ok := capture.get(run.ID)
		switch {
		case !ok:
			t.Errorf("run %s: stored but never seen leaving the client", run.ID)
		case c.differs:
			t.Errorf("run %s: the client sent different bodies on different attempts", run.ID)
		case c.sum != sha256.Sum256(run.Body) || c.size != len(run.Body):
			t.Errorf("run %s: stored body (%d bytes) differs from the %d bytes the client sent", run.ID, len(run.Body), c.size)
		}
	}
	if len(seen)+len(refused)-refusedStored != n {
		t.Errorf("%d of %d submitted runs were stored and %d refused", len(seen), n, len(refused))
	}
	if mismatched > 0 {
		t.Errorf("%d runs were sent with different bodies on different attempts", mismatched)
	}

	// The client's counters agree with what happened.
	if cs.Submitted != uint64(n) || cs.Delivered != uint64(n-len(refused)) || cs.Failed != uint64(len(refused)) || cs.Dropped != 0 || cs.Pending != 0 {
		t.Errorf("client stats %+v; want Submitted = %d, Delivered = %d, Failed = %d (refused), Dropped = Pending = 0",
			cs, n, n-len(refused), len(refused))
	}
	// Every attempt goes through the captor once (net/http's own retries
	// happen below it, only for requests that never reached the server),
	// and every run's last attempt succeeded, so the attempts other than
	// the last are exactly the retries.
	if attempts != uint64(n)+cs.Retried {
		t.Errorf("%d POST attempts for %d runs and %d retries; want runs + retries", attempts, n, cs.Retried)
	}
	// Every request the backend faulted (status, drop, lost answer, outage)
	// reached it as an attempt the client saw fail and retried, except the
	// refusals (a redirect or a 413: not retried, the run failed) and the
	// slow bodies (which succeed, late). So Retried + refusals + slow
	// bodies >= Faults; Retried can exceed that only by failures the
	// backend did not see, such as a connection that broke before the
	// request arrived.
	if cs.Retried == 0 || cs.Retried+uint64(len(refused))+uint64(faultKinds["slow-body"]) < uint64(ss.Faults) {
		t.Errorf("client retried %d times, %d runs refused, %d slow bodies; backend injected %d faults",
			cs.Retried, len(refused), faultKinds["slow-body"], ss.Faults)
	}
	if faultKinds["redirect"] == 0 || faultKinds["slow-body"] == 0 {
		t.Errorf("faults by kind %v: want redirects and slow bodies among them", faultKinds)
	}
	if ss.Rejected != 0 {
		t.Errorf("backend rejected %d requests as malformed or too large", ss.Rejected)
	}
	if count, first := logs.errors(); count > 0 {
		t.Errorf("%d errors logged, first: %s", count, first)
	}
	if peak > bound {
		t.Errorf("peak heap in use %.1f MiB, above the bound of %.1f MiB for %d runs", mib(peak), mib(bound), n)
	}
}

// expectation is what the backend must hold for one submitted run.
type expectation struct {
	index int
	user  string
	steps int
	large bool // one step's input was above the run cap: it must arrive truncated
}

// submitted is what one submitting goroutine did.
type submitted struct {
	runs    map[string]expectation
	latency []time.Duration // of each Submit
}

// recordRun records run i: a chat completion; for every fourth run a stream
// read to the end (every eighth asking for exact usage, the others
// estimated); for every tenth a stream closed after two chunks; and a
// checkpoint. Then it submits the run and times Submit.
func recordRun(ctx context.Context, p *gentrace.Pipeline, oc, exact *openai.Client, i int, out *submitted) error {
	user := "user-" + strconv.Itoa(i%50)
	ctx, r, err := p.Start(ctx, gentrace.RunContext{
		UserID:   user,
		Metadata: gentrace.Metadata{"i": gentrace.String(strconv.Itoa(i))},
	})
	if err != nil {
		return fmt.Errorf("Start: %w", err)
	}
	bound := oc
	req := goopenai.ChatCompletionRequest{
		Model: "gpt-4o-mini",
		Messages: []goopenai.ChatCompletionMessage{
			{Role: goopenai.ChatMessageRoleSystem, Content: "You answer soak tests."},
			{Role: goopenai.ChatMessageRoleUser, Content: "Question number " + strconv.Itoa(i) + "?"},
		},
	}
	resp, err := bound.CreateChatCompletion(ctx, req)
	if err != nil {
		return fmt.Errorf("CreateChatCompletion: %w", err)
	}
	steps := 1
	if i%4 == 0 {
		streamer := bound
		if i%8 == 0 {
			streamer = exact
		}
		if err := readStream(ctx, streamer, req, -1); err != nil {
			return err
		}
		steps++
	}
	if i%10 == 5 {
		if err := readStream(ctx, bound, req, 2); err != nil {
			return err
		}
		steps++
	}
	answer := ""
	if len(resp.Choices) > 0 {
		answer = resp.Choices[0].Message.Content
	}
	if err := r.Checkpoint(map[string]any{"i": i}, map[string]any{"answer": answer}); err != nil {
		return fmt.Errorf("Checkpoint: %w", err)
	}
	steps++
	large := i%largeEvery == largeEvery/2
	if large {
		doc := strings.Repeat("A long document. ", largeBytes/17+1)
		if err := r.Checkpoint(map[string]any{"document": doc}, map[string]any{"summary": "long"}); err != nil {
			return fmt.Errorf("Checkpoint: %w", err)
		}
		steps++
	}

	begin := time.Now()
	id, err := r.Submit(ctx)
	took := time.Since(begin)
	if err != nil {
		return fmt.Errorf("Submit: %w", err)
	}
	if out.runs == nil {
		out.runs = make(map[string]expectation)
	}
	out.runs[id] = expectation{index: i, user: user, steps: steps, large: large}
	out.latency = append(out.latency, took)
	return nil
}

// readStream streams req and reads it to the end (chunks < 0) or closes it
// after that many chunks.
func readStream(ctx context.Context, c *openai.Client, req goopenai.ChatCompletionRequest, chunks int) error {
	req.Stream = true
	s, err := c.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return fmt.Errorf("CreateChatCompletionStream: %w", err)
	}
	defer s.Close()
	for got := 0; chunks < 0 || got < chunks; got++ {
		if _, err := s.Recv(); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("stream Recv: %w", err)
		}
	}
	return nil
}

// checkRun checks that a stored run is the one submitted as e.
func checkRun(t *testing.T, run gentracetest.Run, e expectation) {
	t.Helper()
	if run.Slug != "soak" || run.Error != "" {
		t.Errorf("run %s: slug %q, error %q", run.ID, run.Slug, run.Error)
	}
	if got := run.Metadata["i"]; got.Type != "string" || got.Value != strconv.Itoa(e.index) {
		t.Errorf("run %s: metadata i = %+v; want run %d", run.ID, got, e.index)
	}
	if len(run.StepRuns) != e.steps {
		t.Errorf("run %s (run %d): %d steps; want %d", run.ID, e.index, len(run.StepRuns), e.steps)
	}
	for j, s := range run.StepRuns {
		if s.Context.UserID != e.user {
			t.Errorf("run %s step %d: user %q; want %q", run.ID, j, s.Context.UserID, e.user)
		}
	}
	if e.large {
		doc, _ := run.StepRuns[len(run.StepRuns)-1].Inputs["document"].(string)
		if !strings.Contains(doc, "…[gentrace: truncated, ") || len(run.Body) > gentrace.DefaultMaxRunBytes {
			t.Errorf("run %s: large input not truncated to the cap (body %d bytes): %.60q", run.ID, len(run.Body), doc)
		}
	}
}

// outageFigures describe the outage runOutage caused.
type outageFigures struct {
	storedAtStart int
	faulted       int // requests the backend refused while down
	lasted        time.Duration
	err           error
}

// runOutage waits until the backend has stored `after` runs, then takes it
// down for d.
func runOutage(ctx context.Context, gt *gentracetest.Server, after int, d time.Duration) outageFigures {
	if err := gt.WaitForRuns(ctx, after); err != nil {
		return outageFigures{err: err}
	}
	gt.SetDown(true)
	began, before := time.Now(), gt.Stats()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
	gt.SetDown(false)
	after2 := gt.Stats()
	return outageFigures{
		storedAtStart: before.Stored,
		faulted:       after2.Faults - before.Faults,
		lasted:        time.Since(began),
		err:           ctx.Err(),
	}
}

// captor is an http.RoundTripper that notes what the client sends for each
// run (by the body's "id") before passing the request on. It keeps a
// SHA-256 of the first attempt's body and whether any later attempt
// differed, rather than the bodies, so that it adds little to the heap
// being measured.
type captor struct {
	base *http.Transport

	mu       sync.Mutex
	runs     map[string]*capture
	attempts uint64
	faults   map[string]int // answers by gentracetest.FaultHeader
}

type capture struct {
	sum      [sha256.Size]byte
	size     int
	attempts int
	differs  bool
}

func newCaptor() *captor {
	return &captor{
		base: &http.Transport{
			MaxIdleConns:        2 * workers,
			MaxIdleConnsPerHost: 2 * workers,
			IdleConnTimeout:     30 * time.Second,
		},
		runs:   make(map[string]*capture),
		faults: make(map[string]int),
	}
}

func (c *captor) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	var head struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &head) // a body without an id is noted under ""
	c.note(head.ID, body)

	// A RoundTripper must not change the caller's request: send a copy.
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	out.ContentLength = int64(len(body))
	resp, err := c.base.RoundTrip(out)
	if err == nil {
		if kind := resp.Header.Get(gentracetest.FaultHeader); kind != "" {
			c.mu.Lock()
			c.faults[kind]++
			c.mu.Unlock()
		}
	}
	return resp, err
}

// CloseIdleConnections lets Client.Shutdown close the pooled connections.
func (c *captor) CloseIdleConnections() { c.base.CloseIdleConnections() }

func (c *captor) note(id string, body []byte) {
	sum := sha256.Sum256(body)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attempts++
	r := c.runs[id]
	if r == nil {
		c.runs[id] = &capture{sum: sum, size: len(body), attempts: 1}
		return
	}
	r.attempts++
	if r.sum != sum || r.size != len(body) {
		r.differs = true
	}
}

func (c *captor) get(id string) (capture, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.runs[id]
	if !ok {
		return capture{}, false
	}
	return *r, true
}

// totals returns the number of attempts, of runs whose attempts carried
// different bodies, and of answers by fault kind.
func (c *captor) totals() (attempts uint64, mismatched int, faults map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.runs {
		if r.differs {
			mismatched++
		}
	}
	return c.attempts, mismatched, maps.Clone(c.faults)
}

// heapSampler records the peak of runtime.MemStats.HeapInuse.
type heapSampler struct {
	peak atomic.Uint64
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

func startHeapSampler(every time.Duration) *heapSampler {
	h := &heapSampler{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			h.sample()
			select {
			case <-tick.C:
			case <-h.quit:
				h.sample()
				return
			}
		}
	}()
	return h
}

func (h *heapSampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapInuse > h.peak.Load() {
		h.peak.Store(ms.HeapInuse) // only the sampler goroutine writes
	}
}

// stop ends the sampling and returns the peak. It may be called again.
func (h *heapSampler) stop() uint64 {
	h.once.Do(func() { close(h.quit) })
	<-h.done
	return h.peak.Load()
}

// countingHandler is a slog.Handler that counts error records and keeps
// the first one's message.
type countingHandler struct {
	mu    sync.Mutex
	n     int
	first string
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelError {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == 0 {
		var b bytes.Buffer
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool {
			fmt.Fprintf(&b, " %s", a)
			return true
		})
		h.first = b.String()
	}
	h.n++
	return nil
}

func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

func (h *countingHandler) errors() (int, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n, h.first
}

// liveHeap returns the bytes of live heap objects after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
