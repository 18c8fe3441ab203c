package spool

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorrupt reports data that is not a whole, intact record: torn by a
// crash during a write, cut short, or changed on disk.
var ErrCorrupt = errors.New("corrupt spool record")

// Record is one spooled run.
type Record struct {
	// ID names the record (a run ID). It must be a valid name: 1 to
	// MaxIDLen letters, digits and dashes.
	ID string
	// After is the ID of the record that must be delivered first (the run's
	// previousRunId), or "". It follows the rules of ID when set.
	After string
	// Seq orders records of one directory in the order they were written;
	// Put sets it.
	Seq uint64
	// Body is the request body, sent as it is.
	Body []byte
}

// The file format, all integers big-endian:
//
//	magic     8 bytes  "GTSPOOL1"
//	seq       8 bytes
//	id        2-byte length, then the ID
//	after     2-byte length, then After (length 0 when none)
//	body      4-byte length, then the body
//	checksum  32 bytes: SHA-256 of everything before it
//
// Nothing may follow the checksum. A file is accepted only when every
// length matches the file's size exactly and the checksum matches, so a
// torn write (the file ends early) or any change on disk is refused.
const (
	magic = "GTSPOOL1"
	// MaxIDLen bounds the length of an ID.
	MaxIDLen = 64
	// MaxBodyLen bounds the length of a body.
	MaxBodyLen = 1<<32 - 1
	overhead   = len(magic) + 8 + 2 + 2 + 4 + sha256.Size
)

// validName reports whether s is 1 to MaxIDLen letters, digits and dashes,
// so that it is safe as a file name.
func validName(s string) bool {
	if s == "" || len(s) > MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

func (r *Record) check() error {
	if !validName(r.ID) {
		return fmt.Errorf("record ID %q: want 1 to %d letters, digits and dashes", r.ID, MaxIDLen)
	}
	if r.After != "" && !validName(r.After) {
		return fmt.Errorf("record %s: After %q: want 1 to %d letters, digits and dashes", r.ID, r.After, MaxIDLen)
	}
	if len(r.Body) > MaxBodyLen {
		return fmt.Errorf("record %s: body of %d bytes, more than %d", r.ID, len(r.Body), MaxBodyLen)
	}
	return nil
}

// Marshal encodes a record in the file format. It fails for an invalid ID
// or After, or a body longer than MaxBodyLen.
func Marshal(r Record) ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, overhead+len(r.ID)+len(r.After)+len(r.Body))
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint64(b, r.Seq)
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.ID)))
	b = append(b, r.ID...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.After)))
	b = append(b, r.After...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.Body)))
	b = append(b, r.Body...)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...), nil
}

// Unmarshal decodes a record written by Marshal. Anything else, including a
// record cut short, with bytes after its end, or with any byte changed,
// is an error wrapping ErrCorrupt. The record's Body is a copy.
func Unmarshal(data []byte) (Record, error) {
	bad := func(format string, args ...any) (Record, error) {
		return Record{}, fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
	}
	if len(data) < overhead {
		return bad("%d bytes, fewer than the %d of an empty record", len(data), overhead)
	}
	if !bytes.Equal(data[:len(magic)], []byte(magic)) {
		return bad("no %q header", magic)
	}
	content, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(content); !bytes.Equal(got[:], sum) {
		return bad("checksum mismatch")
	}
	// The checksum holds: the lengths were written by Marshal, but check
	// them anyway, so that no record is read past its end.
	rest := content[len(magic):]
	var r Record
	r.Seq = binary.BigEndian.Uint64(rest)
	rest = rest[8:]
	field := func(n int) ([]byte, bool) {
		if len(rest) < n {
			return nil, false
		}
		f := rest[:n]
		rest = rest[n:]
		return f, true
	}
	lenOf := func(size int) (int, bool) {
		f, ok := field(size)
		if !ok {
			return 0, false
		}
		if size == 2 {
			return int(binary.BigEndian.Uint16(f)), true
		}
		return int(binary.BigEndian.Uint32(f)), true
	}
	n, ok := lenOf(2)
	id, ok2 := field(n)
	if !ok || !ok2 {
		return bad("ID runs past the end")
	}
	n, ok = lenOf(2)
	after, ok2 := field(n)
	if !ok || !ok2 {
		return bad("After runs past the end")
	}
	n, ok = lenOf(4)
	body, ok2 := field(n)
	if !ok || !ok2 {
		return bad("body runs past the end")
	}
	if len(rest) != 0 {
		return bad("%d bytes after the body", len(rest))
	}
	r.ID, r.After, r.Body = string(id), string(after), bytes.Clone(body)
	if err := r.check(); err != nil {
		return bad("%v", err)
	}
	return r, nil
}
