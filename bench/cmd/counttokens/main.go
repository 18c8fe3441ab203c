// Command counttokens counts tokens with internal/tokens and measures its
// speed, the Go half of bench/tiktoken-compare.sh (bench/count.mjs is the
// npm half, for tiktoken and gpt-tokenizer). It prints one JSON object per
// line, like count.mjs, and makes the comparison table from every side's
// lines:
//
//	counttokens cold <encoding>            cold start of a fresh process
//	counttokens warm <encoding> <file>...  counts and throughput
//	counttokens table <results.jsonl>      the comparison table
//
// warm takes -cpuprofile FILE to show where the time goes.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/gentrace/gentrace-go/internal/tokens"
)

// As in count.mjs: throughput is the best of batches batches, each counting
// the text over and over for at least batchTime and batchRounds rounds, in
// megabytes per second of the process's CPU time (user and system, so the
// garbage collector's work counts too): on a shared machine wall-clock time
// measures the neighbours as much as the tokenizer, CPU time far less, and
// the best batch is the least disturbed.
const (
	batches     = 7
	batchTime   = 200 * time.Millisecond
	batchRounds = 2
	warmupTime  = time.Second
)

// result is one line of output, of either side.
type result struct {
	Side     string  `json:"side"`
	Kind     string  `json:"kind"`
	Encoding string  `json:"encoding"`
	Text     string  `json:"text,omitempty"`
	Bytes    int     `json:"bytes,omitempty"`
	Tokens   int     `json:"tokens"`
	MBps     float64 `json:"mbps,omitempty"`
	// MBpsFirst is the throughput of a first pass, with the tokenizer's
	// piece cache emptied before every round.
	MBpsFirst float64 `json:"mbpsFirst,omitempty"`
	Ms        float64 `json:"ms,omitempty"`
	CPUMs     float64 `json:"cpuMs,omitempty"`
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("counttokens: ")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of warm to `file`")
	flag.Parse()
	args := flag.Args()
	if len(args) < 2 {
		log.Fatal("usage: counttokens cold <encoding> | warm <encoding> <file>... | table <results.jsonl>")
	}
	out := json.NewEncoder(os.Stdout)
	switch args[0] {
	case "cold":
		// The vocabulary is embedded, so a cold start is building the
		// encoder from it on the first count.
		t0, cpu0 := time.Now(), cpuTime()
		n := tokens.Count(args[1], "Hello, world!")
		ms := float64(time.Since(t0).Microseconds()) / 1000
		cpuMs := float64((cpuTime() - cpu0).Microseconds()) / 1000
		check(out.Encode(result{Side: "go", Kind: "cold", Encoding: args[1], Ms: ms, CPUMs: cpuMs, Tokens: n}))
	case "warm":
		if *cpuprofile != "" {
			f, err := os.Create(*cpuprofile)
			check(err)
			defer f.Close()
			tokens.Count(args[1], "warm up") // keep the encoder's construction out of the profile
			check(pprof.StartCPUProfile(f))
			defer pprof.StopCPUProfile()
		}
		texts := make([]string, len(args[2:]))
		for i, file := range args[2:] {
			data, err := os.ReadFile(file)
			check(err)
			texts[i] = string(data)
		}
		// Warm up as count.mjs does (which needs it for V8's compiler
		// tiers), so that every side is measured the same way.
		for t0 := time.Now(); time.Since(t0) < warmupTime; {
			for _, text := range texts {
				tokens.Count(args[1], text)
			}
		}
		for i, file := range args[2:] {
			text := texts[i]
			n := tokens.Count(args[1], text) // also warms up
			mbps := throughput(args[1], text, func() {})
			first := throughput(args[1], text, tokens.ResetCaches)
			check(out.Encode(result{Side: "go", Kind: "warm", Encoding: args[1], Text: filepath.Base(file),
				Bytes: len(text), Tokens: n, MBps: mbps, MBpsFirst: first}))
		}
	case "table":
		table(args[1])
	default:
		log.Fatalf("unknown mode %q", args[0])
	}
}

// sides are the tokenizers compared, in table order.
var sides = []string{"go", "tiktoken", "gpt-tokenizer"}

// table prints the comparison of the sides' results.
func table(path string) {
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	type key struct{ kind, encoding, text string }
	results := map[key]map[string][]result{}
	var order []key
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			log.Fatalf("%s: %v in %q", path, err, sc.Text())
		}
		k := key{r.Kind, r.Encoding, r.Text}
		if results[k] == nil {
			results[k] = map[string][]result{}
			order = append(order, k)
		}
		results[k][r.Side] = append(results[k][r.Side], r)
	}
	check(sc.Err())

	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "encoding\ttext\tbytes\ttokens\tall equal\tours first\tours warm\ttiktoken\tgpt-tok first\tgpt-tok warm\tfirst/tiktoken\twarm/tiktoken\tfirst/gpt-tok first\twarm/gpt-tok warm\t")
	mismatches := 0
	for _, k := range order {
		if k.kind != "warm" {
			continue
		}
		g, t, j := last(results[k]["go"]), last(results[k]["tiktoken"]), last(results[k]["gpt-tokenizer"])
		match := "yes"
		if g.Tokens != t.Tokens || g.Tokens != j.Tokens {
			match = fmt.Sprintf("no (%d/%d/%d)", g.Tokens, t.Tokens, j.Tokens)
			mismatches++
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\t%.1f\t%.1f\t%.2f\t%.2f\t%.1f\t%.1f\t%.1f\t%.2f\t%.2f\t\n",
			k.encoding, k.text, g.Bytes, g.Tokens, match, g.MBpsFirst, g.MBps, t.MBps, j.MBpsFirst, j.MBps,
			g.MBpsFirst/t.MBps, g.MBps/t.MBps, g.MBpsFirst/j.MBpsFirst, g.MBps/j.MBps)
	}
	check(w.Flush())
	fmt.Println("(MB/s: megabytes per second of CPU time, best of several batches; first: piece caches emptied before every")
	fmt.Println(" round, a first pass over new text; warm: caches kept, as when a conversation resends its history)")
	fmt.Println()
	w = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "cold start (first count, tokenizer loading included), median ms\tours wall\ttiktoken wall\tgpt-tok wall\tours CPU\ttiktoken CPU\tgpt-tok CPU\t")
	for _, k := range order {
		if k.kind != "cold" {
			continue
		}
		wall := func(r result) float64 { return r.Ms }
		cpu := func(r result) float64 { return r.CPUMs }
		fmt.Fprintf(w, "%s", k.encoding)
		for _, fig := range []func(result) float64{wall, cpu} {
			for _, side := range sides {
				fmt.Fprintf(w, "\t%.1f", median(results[k][side], fig))
			}
		}
		fmt.Fprintln(w, "\t")
	}
	check(w.Flush())
	if mismatches > 0 {
		fmt.Printf("\n%d texts counted differently\n", mismatches)
	}
}

func last(rs []result) result {
	if len(rs) == 0 {
		return result{}
	}
	return rs[len(rs)-1]
}

// median is the median of a cold-start figure over several fresh
// processes.
func median(rs []result, figure func(result) float64) float64 {
	if len(rs) == 0 {
		return 0
	}
	ms := make([]float64, len(rs))
	for i, r := range rs {
		ms[i] = figure(r)
	}
	slices.Sort(ms)
	return ms[len(ms)/2]
}

// throughput returns the best MB per CPU-second of counting text over
// batches, calling before ahead of every round; as in count.mjs.
func throughput(encoding, text string, before func()) float64 {
	var mbps float64
	for range batches {
		rounds, cpu0 := 0, cpuTime()
		var elapsed time.Duration
		for rounds < batchRounds || elapsed < batchTime {
			before()
			tokens.Count(encoding, text)
			rounds++
			elapsed = cpuTime() - cpu0
		}
		mbps = max(mbps, float64(len(text)*rounds)/elapsed.Seconds()/1e6)
	}
	return mbps
}

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	check(syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
