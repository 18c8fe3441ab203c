package spool

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func validRecord() Record {
	return Record{
		ID:    "0b5e6f0a-1c2d-4e3f-8a9b-000000000001",
		After: "0b5e6f0a-1c2d-4e3f-8a9b-000000000000",
		Seq:   42,
		Body:  []byte(`{"id":"0b5e6f0a-1c2d-4e3f-8a9b-000000000001","stepRuns":[]}`),
	}
}

func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	for _, r := range []Record{validRecord(), {ID: "x", Body: nil}, {ID: strings.Repeat("a", MaxIDLen), Seq: 1 << 63, Body: bytes.Repeat([]byte{0}, 1<<16)}} {
		data, err := Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Unmarshal(data)
		if err != nil {
			t.Fatalf("Unmarshal(Marshal(%s)) = %v", r.ID, err)
		}
		if got.ID != r.ID || got.After != r.After || got.Seq != r.Seq || !bytes.Equal(got.Body, r.Body) {
			t.Errorf("round trip of %s gave %+v", r.ID, got)
		}
	}
}

func TestMarshalRefusesBadNames(t *testing.T) {
	t.Parallel()
	for name, r := range map[string]Record{
		"empty ID":        {ID: ""},
		"path in ID":      {ID: "../etc/passwd"},
		"long ID":         {ID: strings.Repeat("a", MaxIDLen+1)},
		"dot in ID":       {ID: "a.run"},
		"slash in After":  {ID: "a", After: "b/c"},
		"space in After":  {ID: "a", After: "b c"},
		"unicode in ID":   {ID: "é"},
		"newline in ID":   {ID: "a\n"},
		"separator in ID": {ID: `a\b`},
	} {
		if _, err := Marshal(r); err == nil {
			t.Errorf("%s: Marshal accepted %q / %q", name, r.ID, r.After)
		}
	}
}

// Every way a file can be torn or damaged is refused: cut short at any
// length, any single byte changed, extra bytes, another header.
func TestUnmarshalRefusesEveryCorruption(t *testing.T) {
	t.Parallel()
	data, err := Marshal(validRecord())
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(data) {
		if _, err := Unmarshal(data[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("cut to %d of %d bytes: err = %v, want ErrCorrupt", n, len(data), err)
		}
	}
	for i := range data {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(data)
			bad[i] ^= x
			if _, err := Unmarshal(bad); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("byte %d xor %#x: err = %v, want ErrCorrupt", i, x, err)
			}
		}
	}
	if _, err := Unmarshal(append(bytes.Clone(data), 0)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("trailing byte: err = %v", err)
	}
}

// FuzzUnmarshal: arbitrary bytes never crash the decoder, and whatever it
// accepts is exactly what Marshal writes for that record, so no other
// bytes pass for a record.
func FuzzUnmarshal(f *testing.F) {
	data, _ := Marshal(validRecord())
	f.Add(data)
	f.Add(data[:len(data)-1])
	f.Add([]byte(magic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Unmarshal(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, err := Marshal(r)
		if err != nil {
			t.Fatalf("accepted record %+v does not marshal: %v", r, err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("accepted %x, which Marshal writes as %x", data, again)
		}
	})
}

// FuzzCorruptRecordIsRefused: a valid record, then damaged (a byte changed,
// cut short, or extended) is always refused.
func FuzzCorruptRecordIsRefused(f *testing.F) {
	r := validRecord()
	f.Add(r.ID, r.After, uint64(7), r.Body, uint(0), byte(1), uint(0), []byte(nil))
	f.Add("a", "", uint64(0), []byte("{}"), uint(30), byte(0x80), uint(5), []byte("x"))
	f.Add(r.ID, "", uint64(1), []byte(nil), uint(1000), byte(0), uint(17), []byte(nil))
	f.Fuzz(func(t *testing.T, id, after string, seq uint64, body []byte, pos uint, xor byte, cut uint, extra []byte) {
		data, err := Marshal(Record{ID: id, After: after, Seq: seq, Body: body})
		if err != nil {
			t.Skip() // not a record Put would write
		}
		bad := bytes.Clone(data)
		switch {
		case xor != 0:
			bad[pos%uint(len(bad))] ^= xor
		case len(extra) > 0:
			bad = append(bad, extra...)
		default:
			bad = bad[:cut%uint(len(bad))]
		}
		if _, err := Unmarshal(bad); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("damaged record accepted (err %v): valid %x, damaged %x", err, data, bad)
		}
	})
}
