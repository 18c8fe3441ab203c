// Command gentext writes the long benchmark text, bench/texts/long.txt: about
// 100 KB of English-like prose with numbers, contractions, quotations, lists
// and snippets of JSON, made by a fixed pseudo-random generator, so that the
// same bytes come out on every machine and every run.
//
//	go run ./bench/cmd/gentext > bench/texts/long.txt
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// size is the length at which the text ends, at the next paragraph break.
const size = 100 << 10

// rng is a 64-bit xorshift* generator: tiny, fixed and independent of the
// standard library's generators, whose sequences may change between
// releases.
type rng uint64

func (r *rng) next() uint64 {
	x := uint64(*r)
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	*r = rng(x)
	return x * 0x2545F4914F6CDD1D
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

func (r *rng) pick(words []string) string { return words[r.intn(len(words))] }

var (
	nouns = strings.Fields(`harbour engineer ledger storm ferry window report
		signal library morning garden station question answer river market
		bridge teacher kitchen letter archive machine village winter summer
		pipeline request response server budget schedule customer language
		forecast island mountain lantern notebook compass weekend evening`)
	verbs = strings.Fields(`carried noticed repaired described counted
		explained delivered measured followed opened closed finished started
		remembered answered translated replaced collected checked recorded`)
	adjectives = strings.Fields(`quiet heavy early late careful bright narrow
		distant patient ordinary unexpected difficult familiar accurate brief
		crowded steady cold warm uncertain reliable`)
	adverbs = strings.Fields(`slowly quickly carefully rarely almost nearly
		suddenly finally usually twice eventually quietly`)
	joins = []string{"and", "but", "because", "although", "while", "so", "until", "after"}
	says  = []string{"It's fine", "We don't know yet", "They'll be here by noon",
		"I've seen worse", "You're right", "That isn't what I meant", "She'd already left"}
	names = strings.Fields(`Ada Bruno Chen Dalia Emeka Freya Gustavo Hana Ivan Jonas Keiko Lena`)
)

func main() {
	r := rng(0x9E3779B97F4A7C15)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	n := 0
	for p := 0; n < size; p++ {
		var b strings.Builder
		switch p % 9 {
		case 4:
			listParagraph(&r, &b)
		case 8:
			jsonParagraph(&r, &b, p)
		default:
			for range 3 + r.intn(5) {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				sentence(&r, &b)
			}
		}
		b.WriteString("\n\n")
		k, _ := w.WriteString(b.String())
		n += k
	}
}

func sentence(r *rng, b *strings.Builder) {
	switch r.intn(6) {
	case 0:
		fmt.Fprintf(b, "%q, said %s.", r.pick(says)+".", r.pick(names))
		return
	case 1:
		fmt.Fprintf(b, "By %d:%02d the %s had %s %d %ss.", 6+r.intn(12), r.intn(60),
			r.pick(nouns), r.pick(verbs), 2+r.intn(1998), r.pick(nouns))
		return
	}
	s := fmt.Sprintf("the %s %s %s the %s %s", r.pick(adjectives), r.pick(nouns),
		r.pick(verbs), r.pick(nouns), r.pick(adverbs))
	if r.intn(2) == 0 {
		s += fmt.Sprintf(", %s the %s %s was %s", r.pick(joins), r.pick(nouns),
			r.pick([]string{"at the station", "in the archive", "near the bridge", "by the river"}), r.pick(adjectives))
	}
	b.WriteString(strings.ToUpper(s[:1]) + s[1:] + ".")
}

func listParagraph(r *rng, b *strings.Builder) {
	fmt.Fprintf(b, "Notes from %s, %d March:\n", r.pick(names), 1+r.intn(31))
	for i := range 3 + r.intn(4) {
		v := r.pick(verbs)
		fmt.Fprintf(b, "%d. %s the %s (%d.%d%%)\n", i+1, strings.ToUpper(v[:1])+v[1:],
			r.pick(nouns), r.intn(100), r.intn(10))
	}
	b.WriteString("- end of notes -")
}

func jsonParagraph(r *rng, b *strings.Builder, p int) {
	fmt.Fprintf(b, `{"id": "run-%04d", "station": "%s", "readings": [%d, %d, %d], "ok": %t, "note": "%s %s"}`,
		p, r.pick(nouns), r.intn(1000), r.intn(1000), r.intn(1000), r.intn(2) == 0, r.pick(adjectives), r.pick(nouns))
}
