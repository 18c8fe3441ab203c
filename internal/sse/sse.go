// Package sse splits a server-sent event stream (text/event-stream, as
// the HTML standard defines it) into events, working on bytes already in
// memory: a recorder holds the stream it copied and scans it when a step
// is completed, and scans the part received so far when it must hide an
// event from the caller.
//
// It is written here, not taken from a library, because the Go SSE
// libraries read from an io.Reader and allocate a string per event; the
// recorder needs to scan bytes it already holds, push-style, without an
// allocation per event (SPEC §8: no allocation per stream chunk).
package sse

import "bytes"

// Event is one dispatched event. Type is the "event" field ("" when the
// stream set none) and Data the "data" lines joined with "\n". Both alias
// the scanned bytes or the scratch buffer given to Next: copy them to keep
// them.
type Event struct {
	Type []byte
	Data []byte
}

// Next scans data for its first complete event, that is up to the blank
// line that dispatches it. It returns the event, the number of bytes it
// spans (including comments, empty events and the blank line), and ok. ok
// is false when data holds no complete event yet; n is then 0.
//
// A blank line that dispatches no data (comments only, or an "event" field
// without data) is consumed with ok true and an empty Data, so callers
// skip events with len(Data) == 0 and no Type. When final is true, data is
// the whole stream: a trailing CR ends its line, and a last event without
// its blank line is discarded, as the standard says.
//
// Data lines are joined into *scratch (grown as needed, and kept for the
// next call) only when an event has more than one; a single data line
// aliases data.
func Next(data []byte, scratch *[]byte, final bool) (ev Event, n int, ok bool) {
	i := 0
	dataLines := 0
	var first []byte
	buf := (*scratch)[:0]
	defer func() { *scratch = buf[:0] }()
	for i < len(data) {
		// Find the end of the line: LF, CR or CRLF. IndexByte is much
		// faster than IndexAny, and streams rarely use CR.
		rest := data[i:]
		j := bytes.IndexByte(rest, '\n')
		if j < 0 {
			j = len(rest)
		}
		if k := bytes.IndexByte(rest[:j], '\r'); k >= 0 {
			j = k
		}
		if j == len(rest) {
			return Event{}, 0, false
		}
		end := i + j
		next := end + 1
		if data[end] == '\r' {
			if next == len(data) && !final {
				return Event{}, 0, false // a CRLF may be split across reads
			}
			if next < len(data) && data[next] == '\n' {
				next++
			}
		}
		line := data[i:end]
		i = next
		if len(line) == 0 {
			// Dispatch.
			switch dataLines {
			case 0:
				ev.Data = nil
			case 1:
				ev.Data = first
			default:
				ev.Data = buf
			}
			return ev, i, true
		}
		if line[0] == ':' {
			continue // comment
		}
		field, value := line, []byte(nil)
		if c := bytes.IndexByte(line, ':'); c >= 0 {
			field, value = line[:c], line[c+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			dataLines++
			switch dataLines {
			case 1:
				first = value
			case 2:
				buf = append(buf, first...)
				fallthrough
			default:
				buf = append(buf, '\n')
				buf = append(buf, value...)
			}
		case "event":
			ev.Type = value
		}
	}
	return Event{}, 0, false
}

// Each calls fn with every dispatched event of the complete stream data
// that has data or a type, in order, and returns the number of bytes
// scanned (the rest is an unfinished event). fn returns false to stop.
func Each(data []byte, fn func(Event) bool) int {
	var scratch []byte
	off := 0
	for off < len(data) {
		ev, n, ok := Next(data[off:], &scratch, true)
		if !ok {
			break
		}
		off += n
		if len(ev.Data) == 0 && len(ev.Type) == 0 {
			continue
		}
		if !fn(ev) {
			break
		}
	}
	return off
}
