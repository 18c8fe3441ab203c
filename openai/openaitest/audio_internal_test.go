package openaitest

import (
	"math"
	"testing"
)

// FuzzAudioDuration feeds arbitrary uploads to the duration reader, which
// parses WAV headers from untrusted bytes: it must never panic, and must
// return a finite, non-negative duration.
func FuzzAudioDuration(f *testing.F) {
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80\x3e\x00\x00\x00\x7d\x00\x00\x02\x00\x10\x00data\x00\x7d\x00\x00"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\xff\xff\xff\xff"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt \xff\xff\xff\x7f"))
	f.Add([]byte{0xff, 0xfb, 0x90, 0xc4})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := audioDuration(b)
		if d < 0 || math.IsNaN(d) || d > 1<<40 {
			t.Errorf("duration %v for % x", d, b[:min(len(b), 64)])
		}
	})
}

func TestWAVDuration(t *testing.T) {
	t.Parallel()
	wav := []byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80\x3e\x00\x00\x00\x7d\x00\x00\x02\x00\x10\x00LIST\x03\x00\x00\x00abc\x00data\x00\xfa\x00\x00")
	if d, ok := wavDuration(wav); !ok || d != 2 {
		t.Errorf("WAV with an odd-sized chunk before data: %v, %v; want 2 s", d, ok)
	}
	if d, ok := wavDuration([]byte("RIFF\x00\x00\x00\x00WAVEdata\x10\x00\x00\x00")); ok {
		t.Errorf("WAV without fmt: %v, %v", d, ok)
	}
	if d := audioDuration(make([]byte, 48000)); d != 3 {
		t.Errorf("MP3-sized upload: %v s, want 3", d)
	}
}
