package viewer

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// usd formats dollars with three significant digits below one dollar, so
// that $0.000123 stays readable and $12.34 is not over-precise.
func usd(v float64) string {
	switch {
	case v == 0:
		return "$0"
	case v >= 1:
		return "$" + strconv.FormatFloat(v, 'f', 2, 64)
	}
	decimals := min(max(2, 2-int(math.Floor(math.Log10(v)))), 10)
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return "$" + s
}

// dur formats a latency: milliseconds below a second, then seconds, then
// minutes.
func dur(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
	default:
		return d.Round(time.Second).String()
	}
}

// when formats a time in UTC to the second; exact is the full form for a
// title attribute.
func when(t time.Time) string  { return t.UTC().Format("2006-01-02 15:04:05") }
func exact(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// count formats an integer with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// short returns the first 8 characters of an ID, enough to tell runs apart
// on a page.
func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
