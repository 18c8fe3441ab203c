package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/gentrace/gentrace-go/cmd/gentrace-dev/internal/server"
)

var screenshots = flag.String("screenshots", "", "write the browser test's page screenshots (PNG) to this `directory`")

// chromium finds a Chromium or Chrome binary: $GENTRACE_DEV_CHROMIUM, else
// the usual names on $PATH.
func chromium() string {
	if p := os.Getenv("GENTRACE_DEV_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// hostileHTML is an output a step records: shown as text on the run page,
// it must not run.
const hostileHTML = `<script>document.title="pwned"</script><img src="x" onerror="document.title='pwned'"><b>bold?</b>`

// renderPage is the html render of a step: shown in the sandboxed iframe,
// its script must not run either.
const renderPage = `<!doctype html><title>Quarterly report</title>
<style>h2 { color: #5b4cdb; font-family: sans-serif; } td { padding: 2px 8px; }</style>
<h2>Order A-1017 shipped</h2><table><tr><td>Items</td><td>3</td></tr><tr><td>Carrier</td><td>DHL</td></tr></table>
<script>document.title = "pwned"; try { top.document.title = "pwned" } catch (e) {}</script>`

// TestBrowser submits runs through the SDK's own delivery to a gentrace-dev
// server, then opens its pages in headless Chromium and checks what a
// person would see.
func TestBrowser(t *testing.T) {
	path := chromium()
	if path == "" {
		const msg = "no Chromium found (set GENTRACE_DEV_CHROMIUM, or install Debian's chromium package: apt-get install -y chromium)"
		if os.Getenv("GENTRACE_DEV_REQUIRE_BROWSER") != "" {
			t.Fatal(msg + "; GENTRACE_DEV_REQUIRE_BROWSER is set, so the test may not be skipped")
		}
		t.Skip(msg)
	}
	srv, err := server.Start(t.Context(), server.Config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "dev.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})

	s := newSDK(t, srv.URL+"/api", 0)
	turns := []turn{
		{"My order A-1017 has not arrived.", "Sorry to hear that. Could you confirm the delivery address?"},
		{"It is 12 Rue de la Paix, Paris.", "Thanks. The parcel is with DHL and arrives tomorrow."},
		{"Can I get a tracking link?", "Here it is: https://example.com/track/A-1017"},
	}
	thread := s.thread(t, "user-42", "session-7", turns)
	renderID := s.htmlRender(t, renderPage)
	failingID, failingSteps := s.estimatedAndFailing(t, hostileHTML)
	s.flush(t)
	all := append(slices.Clone(thread), renderID, failingID)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	var dialogs atomic.Int32
	if err := chromedp.Listen(tab, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
		}
	}); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	b := browser{t: t, ctx: tab, base: srv.URL}

	t.Run("runs are listed", func(t *testing.T) {
		b := b.with(t)
		b.open("/", "table.runs")
		if n := b.int("document.querySelectorAll('tr.run').length"); n != len(all) {
			t.Errorf("%d runs listed, want %d", n, len(all))
		}
		shown := b.strings("Array.from(document.querySelectorAll('tr.run a.mono')).map(a => a.textContent)")
		for _, id := range all {
			if !slices.Contains(shown, id[:8]) {
				t.Errorf("run %s is not listed (listed: %v)", id, shown)
			}
		}
		if n := b.int("document.querySelectorAll('tr.run .estimated').length"); n != 1 {
			t.Errorf("%d runs with tokens marked estimated, want 1", n)
		}
		if n := b.int("document.querySelectorAll('tr.run.failed').length"); n != 1 {
			t.Errorf("%d runs shown as failed, want 1", n)
		}
		b.wantTitle("Runs · gentrace-dev")
		b.shot("runs.png")
	})

	t.Run("the waterfall has one bar per step", func(t *testing.T) {
		b := b.with(t)
		b.open("/runs/"+failingID, "svg.waterfall")
		if n := b.int("document.querySelectorAll('svg.waterfall rect.bar').length"); n != failingSteps || n != 3 {
			t.Errorf("%d bars, want one per step (%d)", n, failingSteps)
		}
		if n := b.int("document.querySelectorAll('svg.waterfall rect.bar-error').length"); n != 1 {
			t.Errorf("%d failed bars, want 1", n)
		}
		if got := b.string("document.querySelector('section.step.failed .error-banner').innerText"); !strings.Contains(got, "503 Service Unavailable") {
			t.Errorf("failed step shows %q", got)
		}
		if got := b.string("document.querySelector('section.step .estimated').innerText"); !strings.Contains(got, "estimated") {
			t.Errorf("the streamed step's usage reads %q, want it marked estimated", got)
		}
		// The hostile output is on the page as text, and did not run.
		if !b.bool(`document.body.innerText.includes('<script>document.title="pwned"</script>')`) {
			t.Error("the hostile output is not shown as text")
		}
		if n := b.int("document.scripts.length + document.querySelectorAll('main img').length"); n != 0 {
			t.Errorf("%d script or img elements came from an output", n)
		}
		b.wantTitle("support-chat run " + failingID[:8] + " · gentrace-dev")
		b.shot("run.png")
	})

	t.Run("the thread shows three turns", func(t *testing.T) {
		b := b.with(t)
		b.open("/threads/"+thread[0], "ol.turns")
		if n := b.int("document.querySelectorAll('li.turn').length"); n != 3 {
			t.Fatalf("%d turns, want 3", n)
		}
		questions := b.strings("Array.from(document.querySelectorAll('li.turn .bubble.in')).map(e => e.textContent)")
		answers := b.strings("Array.from(document.querySelectorAll('li.turn .bubble.out')).map(e => e.textContent)")
		for i, tu := range turns {
			if i >= len(questions) || !strings.Contains(questions[i], tu.question) || i >= len(answers) || !strings.Contains(answers[i], tu.answer) {
				t.Errorf("turn %d shows %q / %q, want %q / %q", i+1, at(questions, i), at(answers, i), tu.question, tu.answer)
			}
		}
		b.wantTitle("Thread " + thread[0][:8] + " · gentrace-dev")
		b.shot("thread.png")
	})

	t.Run("the html render is in a sandboxed iframe", func(t *testing.T) {
		b := b.with(t)
		b.open("/runs/"+renderID, "figure.render iframe")
		if got := b.string("document.querySelector('figure.render iframe').getAttribute('sandbox')"); got != "" {
			t.Errorf("iframe sandbox = %q, want empty (no allow-scripts, no allow-same-origin)", got)
		}
		if n := b.int("document.querySelector('figure.render iframe').sandbox.length"); n != 0 {
			t.Errorf("the iframe's sandbox allows %d things", n)
		}
		b.eval("document.querySelector('figure.render iframe').scrollIntoView()")
		src := b.string("document.querySelector('figure.render iframe').src")
		if !b.frameLoaded(src) {
			t.Errorf("no frame loaded %s", src)
		}
		if href := b.string("document.querySelector('table.metadata a').href"); href != "https://example.com/docs?page=1" {
			t.Errorf("URL metadata links to %q", href)
		}
		b.wantTitle("report-builder run " + renderID[:8] + " · gentrace-dev")
		b.shot("render.png")

		// Opened on its own, the render is still sandboxed: its script
		// does not run, so its title stays its own.
		b.open(strings.TrimPrefix(src, srv.URL), "h2")
		b.wantTitle("Quarterly report")
		if !b.bool("document.body.innerText.includes('Order A-1017 shipped')") {
			t.Error("the render's HTML is not shown")
		}
	})

	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened", n)
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

// browser drives one tab.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func (b browser) with(t *testing.T) browser { b.t = t; return b }

// open loads a path and waits until sel is visible.
func (b browser) open(path, sel string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		b.t.Fatalf("opening %s: %v", path, err)
	}
}

func evaluate[T any](b browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

func (b browser) int(js string) int          { b.t.Helper(); return evaluate[int](b, js) }
func (b browser) bool(js string) bool        { b.t.Helper(); return evaluate[bool](b, js) }
func (b browser) string(js string) string    { b.t.Helper(); return evaluate[string](b, js) }
func (b browser) strings(js string) []string { b.t.Helper(); return evaluate[[]string](b, js) }
func (b browser) eval(js string)             { b.t.Helper(); evaluate[any](b, js) }

func (b browser) wantTitle(want string) {
	b.t.Helper()
	got, err := chromedp.Run(b.ctx, chromedp.Title())
	if err != nil {
		b.t.Fatal(err)
	}
	if got != want {
		b.t.Errorf("title = %q, want %q", got, want)
	}
}

// frameLoaded waits until a frame shows url: a child frame of the page,
// or an out-of-process iframe target (Chromium isolates sandboxed frames).
func (b browser) frameLoaded(url string) bool {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	for {
		tree, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (*page.FrameTree, error) {
			res, err := cdp.Call(ctx, t, page.GetFrameTree, cdp.Empty{})
			return res.FrameTree, err
		})
		if err != nil {
			b.t.Logf("reading the frame tree: %v", err)
			return false
		}
		for _, c := range tree.ChildFrames {
			if c.Frame.URL == url {
				return true
			}
		}
		targets, err := chromedp.Targets(ctx)
		if err != nil {
			b.t.Logf("listing targets: %v", err)
			return false
		}
		for _, tg := range targets {
			if tg.Type == "iframe" && tg.URL == url {
				return true
			}
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond): // polling the browser's frames
		}
	}
}

// shot saves a full-page screenshot when -screenshots is set.
func (b browser) shot(name string) {
	b.t.Helper()
	if *screenshots == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(*screenshots, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshots, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "screenshot: %s\n", filepath.Join(*screenshots, name))
}
