package viewer

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/cmd/gentrace-dev/internal/store"
	"github.com/gentrace/gentrace-go/internal/contract"
	"github.com/google/uuid"
)

var t0 = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

// hostile is put in every string a run can carry. None of it may reach a
// page unescaped.
const hostile = `<script>document.title="pwned"</script><img src=x onerror="alert(1)">'"&`

type fixture struct {
	url string
	st  *store.Store
}

func start(t *testing.T) fixture {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "dev.db"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(Config{Store: st, Now: func() time.Time { return t0.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(v)
	t.Cleanup(func() { srv.Close(); st.Close() })
	return fixture{url: srv.URL, st: st}
}

// addRun stores a run made from m through the contract parser.
func (f fixture) addRun(t *testing.T, m map[string]any) string {
	t.Helper()
	if m["id"] == nil {
		m["id"] = uuid.NewString()
	}
	if m["stepRuns"] == nil {
		m["stepRuns"] = []any{}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	r, err := contract.ParseRun(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AddRun(t.Context(), r, t0); err != nil {
		t.Fatal(err)
	}
	return r.ID
}

func stepJSON(i int, start time.Time, d time.Duration, inputs, outputs map[string]any, ctx map[string]any) map[string]any {
	s := map[string]any{
		"providerName": "openai", "invocation": "openai_createChatCompletion",
		"modelParams": map[string]any{"model": "gpt-4o-mini"},
		"inputs":      inputs, "outputs": outputs,
		"elapsedTime": d.Milliseconds(),
		"startTime":   start.Format(time.RFC3339Nano), "endTime": start.Add(d).Format(time.RFC3339Nano),
	}
	if ctx != nil {
		s["context"] = ctx
	}
	return s
}

type fetched struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, url string) fetched {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fetched{resp.StatusCode, resp.Header, string(b)}
}

// hostileRun stores a run whose every string is hostile.
func hostileRun(t *testing.T, f fixture) string {
	return f.addRun(t, map[string]any{
		"slug":  hostile,
		"error": hostile,
		"metadata": map[string]any{
			hostile:     map[string]any{"type": "string", "value": hostile},
			"sessionId": map[string]any{"type": "string", "value": hostile},
			"link":      map[string]any{"type": "url", "url": "javascript:alert(1)", "text": hostile},
		},
		"stepRuns": []any{
			stepJSON(0, t0, 200*time.Millisecond,
				map[string]any{hostile: hostile, "messages": []any{map[string]any{"role": "user", "content": hostile}}},
				map[string]any{hostile: []any{hostile}, "choices": []any{map[string]any{"message": map[string]any{"content": hostile}}}, "page": hostile},
				map[string]any{"userId": hostile, "render": map[string]any{"type": "html", "key": "page"},
					"metadata": map[string]any{hostile: map[string]any{"type": "url", "url": "https://example.com/?q=" + hostile, "text": hostile}}}),
		},
	})
}

func TestHostileContentIsEscaped(t *testing.T) {
	t.Parallel()
	f := start(t)
	id := hostileRun(t, f)
	prev := f.addRun(t, map[string]any{"slug": hostile})
	f.addRun(t, map[string]any{"slug": hostile, "previousRunId": prev, "stepRuns": []any{
		stepJSON(0, t0, time.Second, map[string]any{"input": hostile}, map[string]any{"output_text": hostile}, map[string]any{"userId": hostile}),
	}})
	cases, err := f.st.AddTestCases(t.Context(), "p", []store.NewTestCase{{Name: hostile, Inputs: json.RawMessage(`{"q":` + mustJSON(hostile) + `}`),
		ExpectedOutputs: json.RawMessage(`{"a":` + mustJSON(hostile) + `}`)}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := contract.ParseTestResult([]byte(`{"pipelineSlug":"p","name":` + mustJSON(hostile) + `,"branch":` + mustJSON(hostile) +
		`,"testRuns":[{"caseId":"` + cases[0] + `","inputs":{"q":` + mustJSON(hostile) + `},"outputs":{"a":` + mustJSON(hostile) + `},"error":` + mustJSON(hostile) + `}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resultID, err := f.st.AddTestResult(t.Context(), res, t0)
	if err != nil {
		t.Fatal(err)
	}

	for _, path := range []string{
		"/", "/?pipeline=" + url.QueryEscape(hostile), "/runs/" + id, "/threads", "/threads/" + prev,
		"/pipelines", "/test-results", "/test-results/" + resultID, "/runs/" + url.PathEscape(hostile),
	} {
		t.Run(path, func(t *testing.T) {
			p := get(t, f.url+path)
			if p.status != http.StatusOK && p.status != http.StatusNotFound {
				t.Fatalf("status %d", p.status)
			}
			for _, bad := range []string{"<script", "<img", "onerror=\"", `href="javascript:`, `"pwned"`} {
				if strings.Contains(p.body, bad) {
					i := strings.Index(p.body, bad)
					t.Errorf("page contains %q unescaped: …%s…", bad, p.body[max(0, i-80):min(len(p.body), i+80)])
				}
			}
			if p.header.Get("Content-Security-Policy") != PageCSP {
				t.Errorf("CSP = %q", p.header.Get("Content-Security-Policy"))
			}
		})
	}
	// The escaped text is there, as text, and the javascript: URL is not a
	// link.
	p := get(t, f.url+"/runs/"+id)
	if !strings.Contains(p.body, "&lt;script&gt;document.title=") {
		t.Error("the run page does not show the hostile text escaped")
	}
	if !strings.Contains(p.body, `href="#ZgotmplZ"`) {
		t.Error("the javascript: metadata URL was not neutralised")
	}
}

func TestPageCSPAllowsNoScript(t *testing.T) {
	t.Parallel()
	for _, directive := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(PageCSP, directive) {
			t.Errorf("PageCSP lacks %q", directive)
		}
	}
	if strings.Contains(PageCSP, "script-src") || strings.Contains(PageCSP, "unsafe") {
		t.Errorf("PageCSP allows scripts or unsafe sources: %s", PageCSP)
	}
	if !strings.HasPrefix(RenderCSP, "sandbox;") || strings.Contains(RenderCSP, "allow-") || strings.Contains(RenderCSP, "script-src") {
		t.Errorf("RenderCSP = %s", RenderCSP)
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	f := start(t)
	id := hostileRun(t, f)
	p := get(t, f.url+"/runs/"+id)
	iframe := regexp.MustCompile(`<iframe [^>]*>`).FindString(p.body)
	if iframe == "" {
		t.Fatal("no iframe on the run page")
	}
	if !strings.Contains(iframe, `sandbox=""`) || strings.Contains(iframe, "allow-") {
		t.Errorf("iframe %s is not fully sandboxed", iframe)
	}
	src := regexp.MustCompile(`src="([^"]+)"`).FindStringSubmatch(iframe)[1]
	r := get(t, f.url+src)
	if r.status != http.StatusOK || r.header.Get("Content-Security-Policy") != RenderCSP || r.body != hostile {
		t.Errorf("render: %d, CSP %q, body %q", r.status, r.header.Get("Content-Security-Policy"), r.body)
	}
	if r.header.Get("X-Frame-Options") != "SAMEORIGIN" {
		t.Errorf("render X-Frame-Options = %q", r.header.Get("X-Frame-Options"))
	}

	// A render whose key is missing or not a string shows a safe note.
	other := f.addRun(t, map[string]any{"stepRuns": []any{
		stepJSON(0, t0, time.Millisecond, map[string]any{}, map[string]any{"page": map[string]any{"x": "<b>"}},
			map[string]any{"render": map[string]any{"type": "html", "key": "page"}}),
		stepJSON(1, t0, time.Millisecond, map[string]any{}, map[string]any{}, map[string]any{"render": map[string]any{"type": "html", "key": "<i>"}}),
		stepJSON(2, t0, time.Millisecond, map[string]any{}, map[string]any{}, nil),
	}})
	if r := get(t, f.url+"/runs/"+other+"/steps/0/render"); !strings.HasPrefix(r.body, `<pre>{&#34;x&#34;:`) || strings.Contains(r.body, "<b>") {
		t.Errorf("non-string render = %q", r.body)
	}
	if r := get(t, f.url+"/runs/"+other+"/steps/1/render"); !strings.Contains(r.body, `no key &#34;&lt;i&gt;&#34;`) {
		t.Errorf("missing key render = %q", r.body)
	}
	for _, path := range []string{"/steps/2/render", "/steps/3/render", "/steps/-1/render", "/steps/x/render"} {
		if r := get(t, f.url+"/runs/"+other+path); r.status != http.StatusNotFound {
			t.Errorf("%s: status %d", path, r.status)
		}
	}
}

func TestRunPage(t *testing.T) {
	t.Parallel()
	f := start(t)
	var steps []any
	for i := range 5 {
		out := map[string]any{"choices": []any{map[string]any{"message": map[string]any{"content": fmt.Sprintf("answer %d", i)}}},
			"cost": map[string]any{"type": "dollars", "value": 0.25}, "usage": map[string]any{"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}
		if i == 1 {
			out["usageEstimated"], out["usageEstimateOmits"], out["timeToFirstTokenMs"], out["closedEarly"] = true, []any{"reasoning_tokens"}, 40, true
		}
		s := stepJSON(i, t0.Add(time.Duration(i)*100*time.Millisecond), 100*time.Millisecond,
			map[string]any{"messages": []any{map[string]any{"role": "user", "content": fmt.Sprintf("question %d", i)}}}, out, map[string]any{"userId": "u-1"})
		if i == 4 {
			s["error"] = "rate limited"
		}
		steps = append(steps, s)
	}
	id := f.addRun(t, map[string]any{"slug": "chat", "stepRuns": steps, "metadata": map[string]any{
		"docs": map[string]any{"type": "url", "url": "https://example.com/docs", "text": "Docs"},
		"beta": map[string]any{"type": "boolean", "value": true},
		"env":  map[string]any{"type": "string", "value": "staging"},
	}})
	p := get(t, f.url+"/runs/"+strings.ToUpper(id))
	if p.status != http.StatusOK {
		t.Fatalf("status %d", p.status)
	}
	if n := strings.Count(p.body, `<rect class="bar`); n != 5 {
		t.Errorf("%d waterfall bars, want 5", n)
	}
	if n := strings.Count(p.body, `<line class="ttft"`); n != 1 {
		t.Errorf("%d first-token marks, want 1", n)
	}
	for _, want := range []string{
		`$1.25`, `$0.25`, // run and step costs
		`≈120 tokens, estimated`, `the estimate omits reasoning_tokens`, `first token after 40 ms`, `closed early`,
		`<a href="https://example.com/docs" rel="noopener noreferrer nofollow" target="_blank">Docs</a>`,
		`<span class="bool bool-true">true</span>`, `staging`,
		`rate limited`, `class="bar bar-error"`, `question 3`, `answer 3`,
		`<a href="/?user=u-1">u-1</a>`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("run page lacks %q", want)
		}
	}
	if p := get(t, f.url+"/runs/"+uuid.NewString()); p.status != http.StatusNotFound {
		t.Errorf("unknown run: %d", p.status)
	}
}

func TestRunsListPaging(t *testing.T) {
	t.Parallel()
	f := start(t)
	for i := range 120 {
		f.addRun(t, map[string]any{"slug": fmt.Sprintf("p%d", i%2), "stepRuns": []any{
			stepJSON(0, t0.Add(time.Duration(i)*time.Second), time.Millisecond, map[string]any{}, map[string]any{}, nil)}})
	}
	seen := 0
	next := "/?pipeline=p1"
	for pages := 0; next != ""; pages++ {
		p := get(t, f.url+next)
		seen += strings.Count(p.body, `<tr class="run`)
		m := regexp.MustCompile(`<a href="([^"]+)">Older →</a>`).FindStringSubmatch(p.body)
		next = ""
		if m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
			if !strings.Contains(next, "pipeline=p1") {
				t.Fatalf("the pager drops the filter: %s", next)
			}
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if seen != 60 {
		t.Errorf("paged through %d runs of p1, want 60", seen)
	}
	if p := get(t, f.url+"/?before=nonsense"); p.status != http.StatusOK || !strings.Contains(p.body, "bad page cursor") {
		t.Errorf("bad cursor: %d", p.status)
	}
	if p := get(t, f.url+"/?pipeline=none"); !strings.Contains(p.body, "No runs match these filters") {
		t.Error("an empty filter result says nothing")
	}
}

func TestEmptyViewerExplainsSetUp(t *testing.T) {
	t.Parallel()
	f := start(t)
	p := get(t, f.url+"/")
	if !strings.Contains(p.body, "GENTRACE_BASE_URL="+f.url+"/api") {
		t.Errorf("the empty runs list does not say where to point the SDK:\n%s", p.body)
	}
	for _, path := range []string{"/threads", "/pipelines", "/test-results"} {
		if p := get(t, f.url+path); p.status != http.StatusOK || !strings.Contains(p.body, `class="empty"`) {
			t.Errorf("%s: %d without an empty state", path, p.status)
		}
	}
	if p := get(t, f.url+"/nope"); p.status != http.StatusNotFound {
		t.Errorf("/nope: %d", p.status)
	}
	if p := get(t, f.url+"/static/style.css"); p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %s", p.status, p.header.Get("Content-Type"))
	}
}

func TestThreadPage(t *testing.T) {
	t.Parallel()
	f := start(t)
	prev := ""
	var first string
	for i := range 3 {
		m := map[string]any{"slug": "chat", "stepRuns": []any{stepJSON(0, t0.Add(time.Duration(i)*time.Minute), time.Second,
			map[string]any{"messages": []any{map[string]any{"role": "user", "content": fmt.Sprintf("turn %d question", i+1)}}},
			map[string]any{"choices": []any{map[string]any{"message": map[string]any{"content": fmt.Sprintf("turn %d answer", i+1)}}}},
			map[string]any{"userId": "u"})}}
		if prev != "" {
			m["previousRunId"] = prev
		}
		prev = f.addRun(t, m)
		if i == 0 {
			first = prev
		}
	}
	p := get(t, f.url+"/threads/"+first)
	if n := strings.Count(p.body, `<li class="turn"`); n != 3 {
		t.Errorf("%d turns, want 3", n)
	}
	for i := 1; i <= 3; i++ {
		q, a := strings.Index(p.body, fmt.Sprintf("turn %d question", i)), strings.Index(p.body, fmt.Sprintf("turn %d answer", i))
		if q < 0 || a < q {
			t.Errorf("turn %d: question at %d, answer at %d", i, q, a)
		}
	}
	list := get(t, f.url+"/threads")
	if n := strings.Count(list.body, `<tr class="thread"`); n != 1 || !strings.Contains(list.body, `<td class="num">3</td>`) {
		t.Errorf("threads list: %d rows", n)
	}
	runs := get(t, f.url+"/")
	if n := strings.Count(runs.body, "thread · 3"); n != 3 {
		t.Errorf("%d runs marked as a thread of 3, want 3", n)
	}
}

func TestPipelinesPage(t *testing.T) {
	t.Parallel()
	f := start(t)
	for i := range 6 {
		f.addRun(t, map[string]any{"slug": "chat", "stepRuns": []any{stepJSON(0, t0.Add(-time.Duration(i)*24*time.Hour), time.Duration(i+1)*100*time.Millisecond,
			map[string]any{}, map[string]any{"cost": map[string]any{"type": "cents", "value": 10}, "usage": map[string]any{"prompt_tokens": 10, "completion_tokens": 5}}, nil)}})
	}
	p := get(t, f.url+"/pipelines?days=7")
	if n := strings.Count(p.body, `<rect class="cbar"`); n != 6 {
		t.Errorf("%d cost bars, want 6", n)
	}
	if n := strings.Count(p.body, `<circle class="dot p95"`); n != 6 {
		t.Errorf("%d p95 points, want 6", n)
	}
	for _, want := range []string{"$0.6", "90 <span", "6 runs)", "p50 300 ms · p95 600 ms"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("pipelines page lacks %q", want)
		}
	}
}

func TestTestResultPage(t *testing.T) {
	t.Parallel()
	f := start(t)
	ids, err := f.st.AddTestCases(t.Context(), "p", []store.NewTestCase{
		{Name: "year of go", Inputs: json.RawMessage(`{"q":"go?"}`), ExpectedOutputs: json.RawMessage(`{"year":"2009"}`)}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := contract.ParseTestResult([]byte(`{"pipelineSlug":"p","name":"nightly","testRuns":[{"caseId":"` + ids[0] + `","inputs":{"q":"go?"},"outputs":{"year":"2012"}}]}`))
	id, err := f.st.AddTestResult(t.Context(), res, t0)
	if err != nil {
		t.Fatal(err)
	}
	p := get(t, f.url+"/test-results/"+id)
	row := regexp.MustCompile(`(?s)<tr class="test-run">.*?</tr>`).FindString(p.body)
	i, o, e := strings.Index(row, "go?"), strings.Index(row, "2012"), strings.Index(row, "2009")
	if !strings.Contains(row, "year of go") || i < 0 || o < i || e < o {
		t.Errorf("test run row does not show inputs, outputs and expected outputs side by side:\n%s", row)
	}
	if !strings.Contains(p.body, "<dt>Test runs</dt><dd>1</dd>") {
		t.Error("the test result's header does not count its test runs")
	}
	if list := get(t, f.url+"/test-results"); !strings.Contains(list.body, "nightly") {
		t.Error("the test results list lacks the result")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
