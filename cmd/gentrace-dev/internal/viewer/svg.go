package viewer

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gentrace/gentrace-go/cmd/gentrace-dev/internal/store"
)

// The charts are drawn on the server as inline SVG in a fixed coordinate
// system (viewBox) that the browser scales; the templates only place the
// numbers computed here.

// waterfall is the geometry of a run's steps on one time axis.
type waterfall struct {
	Width, Height float64
	PlotX, PlotW  float64
	AxisY         float64
	Ticks         []tick
	Bars          []waterfallBar
}

type tick struct {
	X      float64
	Label  string
	Anchor string // text-anchor: "middle", or "end" at the right edge
}

type waterfallBar struct {
	Index       int // 1-based, as shown
	Y, TextY    float64
	RectY       float64 // the bar's top
	MarkY2      float64 // the bottom of the first-token mark
	X, W        float64
	Label       string
	Duration    string
	Error       bool
	HasTTFT     bool
	TTFTX       float64
	TTFT        string
	Title       string
	ClosedEarly bool
}

const (
	wfWidth  = 1000.0
	wfLabelW = 300.0
	wfRowH   = 24.0
	wfTop    = 28.0
)

// newWaterfall lays the steps out between the run's start and end.
func newWaterfall(d store.RunDetail) waterfall {
	start, end := d.Start, d.End
	for _, s := range d.Steps {
		if s.Start.Before(start) {
			start = s.Start
		}
		if s.End.After(end) {
			end = s.End
		}
	}
	span := end.Sub(start)
	if span < time.Millisecond {
		span = time.Millisecond
	}
	w := waterfall{
		Width: wfWidth, PlotX: wfLabelW, PlotW: wfWidth - wfLabelW - 10, AxisY: wfTop - 8,
		Height: wfTop + float64(len(d.Steps))*wfRowH + 6,
	}
	x := func(t time.Time) float64 {
		return round1(w.PlotX + float64(t.Sub(start))/float64(span)*w.PlotW)
	}
	for _, t := range ticks(span) {
		tk := tick{X: x(start.Add(t)), Label: axisLabel(t), Anchor: "middle"}
		if tk.X > w.PlotX+w.PlotW-40 {
			tk.Anchor = "end"
		}
		w.Ticks = append(w.Ticks, tk)
	}
	for i, s := range d.Steps {
		b := waterfallBar{
			Index: i + 1, Y: wfTop + float64(i)*wfRowH, X: x(s.Start),
			Label: stepName(s), Duration: dur(s.End.Sub(s.Start)), Error: s.Error != "", ClosedEarly: s.ClosedEarly,
		}
		b.TextY, b.RectY, b.MarkY2 = b.Y+15, b.Y+3, b.Y+21
		b.W = max(round1(x(s.End)-b.X), 2)
		b.Title = fmt.Sprintf("%d. %s: %s, starts at +%s", b.Index, b.Label, b.Duration, dur(s.Start.Sub(start)))
		if s.HasTTFT {
			b.HasTTFT, b.TTFT = true, dur(s.TTFT)
			b.TTFTX = min(x(s.Start.Add(s.TTFT)), b.X+b.W)
			b.Title += ", first token after " + b.TTFT
		}
		if b.Error {
			b.Title += ", failed"
		}
		w.Bars = append(w.Bars, b)
	}
	return w
}

// stepName is how a step is named in the waterfall and its header.
func stepName(s store.StepDetail) string {
	name := s.Invocation
	if s.ProviderName != "" && s.ProviderName != "undeclared" && !strings.HasPrefix(name, s.ProviderName+"_") {
		name = s.ProviderName + " · " + name
	}
	if s.Model != "" {
		name += " (" + s.Model + ")"
	}
	return name
}

// ticks returns about five round offsets within span.
func ticks(span time.Duration) []time.Duration {
	step := niceStep(float64(span.Milliseconds()) / 5)
	var out []time.Duration
	for t := 0.0; t <= float64(span.Milliseconds())+1e-9; t += step {
		out = append(out, time.Duration(t*float64(time.Millisecond)))
	}
	return out
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten (at least 1).
func niceStep(x float64) float64 {
	if x <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

func axisLabel(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	return "+" + dur(d)
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// chart is the geometry of a small chart over the days of a window.
type chart struct {
	Width, Height float64
	PlotX, PlotY  float64
	PlotW, PlotH  float64
	Bottom        float64 // PlotY + PlotH
	MaxLabel      string
	XLabels       []tick
	Bars          []chartBar
	Lines         []chartLine
	Empty         bool
}

type chartBar struct {
	X, Y, W, H float64
	Title      string
}

type chartLine struct {
	Class  string
	Name   string
	Points string
	Dots   []chartDot
}

type chartDot struct {
	X, Y  float64
	Title string
}

const (
	chWidth  = 480.0
	chHeight = 150.0
	chLeft   = 80.0
	chTop    = 10.0
	chBottom = 22.0
)

func newChart() chart {
	c := chart{Width: chWidth, Height: chHeight, PlotX: chLeft, PlotY: chTop,
		PlotW: chWidth - chLeft - 8, PlotH: chHeight - chTop - chBottom}
	c.Bottom = c.PlotY + c.PlotH
	return c
}

// dayLabels puts a few day labels under the plot.
func (c *chart) dayLabels(days []store.DayStats) {
	n := len(days)
	every := max(1, (n+5)/6)
	for i := 0; i < n; i += every {
		c.XLabels = append(c.XLabels, tick{X: round1(c.slotX(i, n) + c.slotW(n)/2), Label: days[i].Day.Format("Jan 2"), Anchor: "middle"})
	}
}

func (c *chart) slotW(n int) float64           { return c.PlotW / float64(n) }
func (c *chart) slotX(i, n int) float64        { return c.PlotX + float64(i)*c.slotW(n) }
func (c *chart) y(v, maxV float64) float64     { return round1(c.Bottom - v/maxV*c.PlotH) }
func (c *chart) center(i, n int) float64       { return round1(c.slotX(i, n) + c.slotW(n)/2) }
func (c *chart) barW(n int) float64            { return max(round1(c.slotW(n)*0.7), 1) }
func (c *chart) barX(i, n int) float64         { return round1(c.slotX(i, n) + c.slotW(n)*0.15) }
func (c *chart) heightOf(v, m float64) float64 { return round1(v / m * c.PlotH) }

// costChart draws one bar per day for the pipeline's cost.
func costChart(p store.PipelineStats) chart {
	c := newChart()
	n := len(p.Days)
	maxV := 0.0
	for _, d := range p.Days {
		maxV = max(maxV, d.CostUSD)
	}
	c.dayLabels(p.Days)
	if maxV == 0 {
		c.Empty = true
		c.MaxLabel = "$0"
		return c
	}
	c.MaxLabel = usd(maxV)
	for i, d := range p.Days {
		if d.CostUSD == 0 {
			continue
		}
		h := max(c.heightOf(d.CostUSD, maxV), 1)
		c.Bars = append(c.Bars, chartBar{X: c.barX(i, n), W: c.barW(n), Y: round1(c.Bottom - h), H: h,
			Title: fmt.Sprintf("%s: %s over %d runs", d.Day.Format("Jan 2"), usd(d.CostUSD), d.Runs)})
	}
	return c
}

// latencyChart draws the p50 and p95 latency of each day with runs.
func latencyChart(p store.PipelineStats) chart {
	c := newChart()
	n := len(p.Days)
	var maxV time.Duration
	for _, d := range p.Days {
		maxV = max(maxV, d.P95)
	}
	c.dayLabels(p.Days)
	if maxV == 0 {
		c.Empty = true
		c.MaxLabel = "0 ms"
		return c
	}
	c.MaxLabel = dur(maxV)
	for _, l := range []struct {
		class, name string
		pick        func(store.DayStats) time.Duration
	}{
		{"p95", "p95", func(d store.DayStats) time.Duration { return d.P95 }},
		{"p50", "p50", func(d store.DayStats) time.Duration { return d.P50 }},
	} {
		line := chartLine{Class: l.class, Name: l.name}
		var pts []string
		for i, d := range p.Days {
			if d.Runs == 0 {
				continue
			}
			x, y := c.center(i, n), c.y(float64(l.pick(d)), float64(maxV))
			pts = append(pts, strconv.FormatFloat(x, 'f', 1, 64)+","+strconv.FormatFloat(y, 'f', 1, 64))
			line.Dots = append(line.Dots, chartDot{X: x, Y: y,
				Title: fmt.Sprintf("%s %s: %s (%d runs)", d.Day.Format("Jan 2"), l.name, dur(l.pick(d)), d.Runs)})
		}
		line.Points = strings.Join(pts, " ")
		c.Lines = append(c.Lines, line)
	}
	return c
}
