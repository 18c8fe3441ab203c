// Package viewer serves gentrace-dev's web pages: server-rendered HTML
// (html/template) with inline SVG charts, a stylesheet, and no JavaScript.
//
//	GET /                               runs list, with filters and paging
//	GET /runs/{id}                      run page: waterfall, steps, metadata
//	GET /runs/{id}/steps/{n}/render     a step's html render, sandboxed
//	GET /threads, /threads/{id}         conversations of linked runs
//	GET /pipelines                      cost per day, latency p50/p95, tokens
//	GET /test-results, /test-results/{id}
//
// Everything a run carries is hostile input: it reaches the page only
// through html/template's contextual escaping or html.EscapeString, and
// every page is served with a Content-Security-Policy that allows no
// script at all. A step's html render is served from its own URL with a CSP
// sandbox (no scripts, an opaque origin) and shown in an iframe whose
// sandbox attribute allows neither scripts nor same-origin access.
package viewer

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gentrace/gentrace-go/cmd/gentrace-dev/internal/store"
)

var (
	//go:embed templates/*.html
	templateFiles embed.FS
	//go:embed static/style.css
	styleCSS []byte
)

// PageCSP is the Content-Security-Policy of every page: no script, no
// plugin, styles and images from the server itself, frames only from the
// server (the sandboxed renders), and no framing of the pages elsewhere.
const PageCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// RenderCSP is the Content-Security-Policy of a step's html render. Its
// sandbox directive gives the document an opaque origin and no scripts even
// when it is opened on its own, outside the run page's iframe.
const RenderCSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; frame-ancestors 'self'"

// Config configures the viewer.
type Config struct {
	// Store is what the pages show. Required.
	Store *store.Store
	// Logger receives server-side failures; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock that places the pipelines page's window; nil means
	// time.Now.
	Now func() time.Time
}

// Viewer serves the pages. Make one with New; it is safe for concurrent
// use.
type Viewer struct {
	cfg   Config
	pages map[string]*template.Template
	mux   *http.ServeMux
}

var funcs = template.FuncMap{
	"usd": usd, "dur": dur, "when": when, "exact": exact, "count": count, "short": short,
	"json": func(raw json.RawMessage) template.HTML { return jsonTree(raw) },
	"add":  func(a, b int) int { return a + b },
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
	"filterURL": func(key, value string) template.URL {
		return template.URL("/?" + url.Values{key: {value}}.Encode())
	},
}

// New parses the templates and returns the viewer.
func New(cfg Config) (*Viewer, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	v := &Viewer{cfg: cfg, pages: make(map[string]*template.Template), mux: http.NewServeMux()}
	for _, page := range []string{"runs", "run", "threads", "thread", "pipelines", "results", "result", "notfound"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+page+".html")
		if err != nil {
			return nil, fmt.Errorf("viewer: template %s: %w", page, err)
		}
		v.pages[page] = t
	}
	v.mux.HandleFunc("GET /{$}", v.runs)
	v.mux.HandleFunc("GET /runs/{id}", v.run)
	v.mux.HandleFunc("GET /runs/{id}/steps/{n}/render", v.render)
	v.mux.HandleFunc("GET /threads", v.threads)
	v.mux.HandleFunc("GET /threads/{id}", v.thread)
	v.mux.HandleFunc("GET /pipelines", v.pipelines)
	v.mux.HandleFunc("GET /test-results", v.results)
	v.mux.HandleFunc("GET /test-results/{id}", v.result)
	v.mux.HandleFunc("GET /static/style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "max-age=300")
		w.Write(styleCSS)
	})
	v.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		v.notFound(w, r, "No page at "+r.URL.Path+".")
	})
	return v, nil
}

// ServeHTTP serves the pages with their security headers.
func (v *Viewer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", PageCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	v.mux.ServeHTTP(w, r)
}

// page is what every template gets: its title, the active tab and the
// page's own data.
type page struct {
	Title string
	Tab   string
	Data  any
}

// show renders a page, buffered so that a template failure is a clean 500.
func (v *Viewer) show(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	var b bytes.Buffer
	if err := v.pages[name].Execute(&b, p); err != nil {
		v.fail(w, r, "rendering "+name, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func (v *Viewer) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return
	}
	v.cfg.Logger.Error("gentrace-dev viewer: "+what, "err", err, "path", r.URL.Path)
	http.Error(w, "gentrace-dev: "+what+" failed; see the server's log", http.StatusInternalServerError)
}

func (v *Viewer) notFound(w http.ResponseWriter, r *http.Request, msg string) {
	v.show(w, r, http.StatusNotFound, "notfound", page{Title: "Not found", Data: msg})
}

// runsData is the runs list page.
type runsData struct {
	Filter        store.Filter
	Filtered      bool
	Runs          []store.RunSummary
	Older, Newer  template.URL
	APIBase       string
	FirstPage     bool
	CursorProblem string
}

func (v *Viewer) runs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.Filter{
		Pipeline: q.Get("pipeline"), User: q.Get("user"), Session: q.Get("session"),
		MetaKey: q.Get("key"), MetaValue: q.Get("value"),
	}
	d := runsData{Filter: f, Filtered: f != (store.Filter{}), APIBase: apiBase(r)}
	var before, after *store.Cursor
	for _, c := range []struct {
		name string
		dst  **store.Cursor
	}{{"before", &before}, {"after", &after}} {
		if s := q.Get(c.name); s != "" {
			cur, err := store.ParseCursor(s)
			if err != nil {
				d.CursorProblem = err.Error() + "; showing the newest runs."
				before, after = nil, nil
				break
			}
			*c.dst = &cur
		}
	}
	d.FirstPage = before == nil && after == nil
	p, err := v.cfg.Store.ListRuns(r.Context(), f, before, after, 50)
	if err != nil {
		v.fail(w, r, "listing runs", err)
		return
	}
	d.Runs = p.Runs
	if p.Older != nil {
		d.Older = pageURL(f, "before", p.Older.String())
	}
	if p.Newer != nil {
		d.Newer = pageURL(f, "after", p.Newer.String())
	}
	v.show(w, r, http.StatusOK, "runs", page{Title: "Runs", Tab: "runs", Data: d})
}

// pageURL is the runs list URL with the filter and one cursor. It is built
// from url.Values, so it is safe to mark as a URL.
func pageURL(f store.Filter, key, cursor string) template.URL {
	q := url.Values{key: {cursor}}
	for k, v := range map[string]string{"pipeline": f.Pipeline, "user": f.User, "session": f.Session, "key": f.MetaKey, "value": f.MetaValue} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return template.URL("/?" + q.Encode())
}

// apiBase is the base URL to give the SDK, as the browser reached us.
func apiBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/api"
}

// runData is the run page.
type runData struct {
	Run       store.RunDetail
	Waterfall waterfall
	Steps     []stepView
}

type stepView struct {
	store.StepDetail
	Name                    string
	InputPreview            string
	OutputPreview           string
	InputsHTML, OutputsHTML template.HTML
	ParamsHTML              template.HTML
	RenderURL               string // "" without an html render
	RenderKey               string
}

func (v *Viewer) run(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	d, ok, err := v.cfg.Store.Run(r.Context(), id)
	if err != nil {
		v.fail(w, r, "reading run", err)
		return
	}
	if !ok {
		v.notFound(w, r, "No run with ID "+id+". Runs appear here once the SDK has delivered them.")
		return
	}
	data := runData{Run: d, Waterfall: newWaterfall(d), Steps: make([]stepView, len(d.Steps))}
	for i, s := range d.Steps {
		// Each object is parsed once, for its tree and its preview.
		in, inOK := parse(s.Inputs)
		out, outOK := parse(s.Outputs)
		sv := stepView{StepDetail: s, Name: stepName(s),
			InputsHTML: treeHTML(s.Inputs, in, inOK), OutputsHTML: treeHTML(s.Outputs, out, outOK),
			ParamsHTML: jsonTree(s.ModelParams)}
		if inOK {
			sv.InputPreview = inputText(in)
		}
		if outOK {
			sv.OutputPreview = outputText(out)
		}
		if s.Render != nil && s.Render.Type == "html" {
			sv.RenderURL = "/runs/" + url.PathEscape(d.ID) + "/steps/" + strconv.Itoa(i) + "/render"
			sv.RenderKey = s.Render.Key
			sv.OutputPreview = "" // the render shows it
		}
		data.Steps[i] = sv
	}
	v.show(w, r, http.StatusOK, "run", page{Title: d.Slug + " run " + short(d.ID), Tab: "runs", Data: data})
}

// render serves outputs[key] of a step with an html render as a sandboxed
// document: a string as HTML, anything else as escaped JSON.
func (v *Viewer) render(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 {
		v.notFound(w, r, "No such step.")
		return
	}
	d, ok, err := v.cfg.Store.Run(r.Context(), r.PathValue("id"))
	if err != nil {
		v.fail(w, r, "reading run", err)
		return
	}
	if !ok || n >= len(d.Steps) || d.Steps[n].Render == nil || d.Steps[n].Render.Type != "html" {
		v.notFound(w, r, "This step has no html render.")
		return
	}
	var outputs map[string]json.RawMessage
	if err := json.Unmarshal(d.Steps[n].Outputs, &outputs); err != nil {
		v.fail(w, r, "decoding outputs", err)
		return
	}
	var doc string
	raw, found := outputs[d.Steps[n].Render.Key]
	if err := json.Unmarshal(raw, &doc); !found || err != nil {
		doc = "<pre>" + html.EscapeString(string(raw)) + "</pre>"
		if !found {
			doc = "<p>outputs has no key " + html.EscapeString(strconv.Quote(d.Steps[n].Render.Key)) + ".</p>"
		}
	}
	h := w.Header()
	h.Set("Content-Security-Policy", RenderCSP)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(doc))
}

// threadsData is the threads list.
type threadsData struct {
	Threads []store.ThreadSummary
	Older   template.URL
}

func (v *Viewer) threads(w http.ResponseWriter, r *http.Request) {
	var before *store.ThreadCursor
	if s := r.URL.Query().Get("before"); s != "" {
		ms, id, ok := strings.Cut(s, "-")
		if n, err := strconv.ParseInt(ms, 10, 64); ok && err == nil {
			before = &store.ThreadCursor{LastMS: n, ID: id}
		}
	}
	list, next, err := v.cfg.Store.Threads(r.Context(), before, 50)
	if err != nil {
		v.fail(w, r, "listing threads", err)
		return
	}
	d := threadsData{Threads: list}
	if next != nil {
		d.Older = template.URL("/threads?" + url.Values{"before": {fmt.Sprintf("%d-%s", next.LastMS, next.ID)}}.Encode())
	}
	v.show(w, r, http.StatusOK, "threads", page{Title: "Threads", Tab: "threads", Data: d})
}

// threadData is one conversation.
type threadData struct {
	ID           string
	MissingFirst bool
	Turns        []turnView
	CostUSD      float64
	HasCost      bool
	Latency      time.Duration
}

type turnView struct {
	store.ThreadTurn
	Number         int
	Input, Output  string
	EmptyRunNoStep bool
}

func (v *Viewer) thread(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	turns, missing, ok, err := v.cfg.Store.Thread(r.Context(), id)
	if err != nil {
		v.fail(w, r, "reading thread", err)
		return
	}
	if !ok {
		v.notFound(w, r, "No thread starts with run "+id+".")
		return
	}
	d := threadData{ID: id, MissingFirst: missing}
	for i, t := range turns {
		tv := turnView{ThreadTurn: t, Number: i + 1, EmptyRunNoStep: t.FirstInputs == nil}
		if t.FirstInputs != nil {
			tv.Input, tv.Output = inputPreview(t.FirstInputs), outputPreview(t.LastOutputs)
		}
		if t.HasCost {
			d.CostUSD += t.CostUSD
			d.HasCost = true
		}
		d.Latency += t.Latency
		d.Turns = append(d.Turns, tv)
	}
	v.show(w, r, http.StatusOK, "thread", page{Title: "Thread " + short(id), Tab: "threads", Data: d})
}

// pipelinesData is the pipelines page.
type pipelinesData struct {
	Days      int
	From, To  time.Time
	Pipelines []pipelineView
	Windows   []int
}

type pipelineView struct {
	store.PipelineStats
	Cost, Latency chart
}

func (v *Viewer) pipelines(w http.ResponseWriter, r *http.Request) {
	days := 14
	if n, err := strconv.Atoi(r.URL.Query().Get("days")); err == nil && n >= 1 && n <= 365 {
		days = n
	}
	to := v.cfg.Now().UTC()
	from := to.Add(-time.Duration(days-1) * 24 * time.Hour)
	stats, err := v.cfg.Store.Pipelines(r.Context(), from, to)
	if err != nil {
		v.fail(w, r, "reading pipelines", err)
		return
	}
	d := pipelinesData{Days: days, From: from, To: to, Windows: []int{7, 14, 30, 90}}
	for _, p := range stats {
		d.Pipelines = append(d.Pipelines, pipelineView{PipelineStats: p, Cost: costChart(p), Latency: latencyChart(p)})
	}
	v.show(w, r, http.StatusOK, "pipelines", page{Title: "Pipelines", Tab: "pipelines", Data: d})
}

// resultsData is the test results list.
type resultsData struct {
	Results []store.TestResultSummary
	Older   template.URL
}

func (v *Viewer) results(w http.ResponseWriter, r *http.Request) {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	list, err := v.cfg.Store.TestResults(r.Context(), before, 50)
	if err != nil {
		v.fail(w, r, "listing test results", err)
		return
	}
	d := resultsData{Results: list}
	if len(list) == 50 {
		d.Older = template.URL("/test-results?" + url.Values{"before": {strconv.FormatInt(list[49].Seq, 10)}}.Encode())
	}
	v.show(w, r, http.StatusOK, "results", page{Title: "Test results", Tab: "results", Data: d})
}

func (v *Viewer) result(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	d, ok, err := v.cfg.Store.TestResult(r.Context(), id)
	if err != nil {
		v.fail(w, r, "reading test result", err)
		return
	}
	if !ok {
		v.notFound(w, r, "No test result with ID "+id+".")
		return
	}
	v.show(w, r, http.StatusOK, "result", page{Title: "Test result " + d.Name, Tab: "results", Data: d})
}
