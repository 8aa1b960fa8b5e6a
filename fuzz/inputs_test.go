package fuzz

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/cardfile"
	"github.com/mynacard/mynacard/vpcd"
)

// FuzzVPCDFrame reads frames from an arbitrary byte stream as the card side
// of vpcd does: no panic, every error is a clean one, and every frame read
// re-encodes to the bytes it came from.
func FuzzVPCDFrame(f *testing.F) {
	f.Add(h("000104"))                                   // get ATR
	f.Add(h("000F00A4040C0AD392F000260100000001000101")) // APDU then power on
	f.Add(h("0000"))
	f.Add(h("FFFF00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		for {
			before := r.Len()
			p, err := vpcd.ReadFrame(r)
			if err != nil {
				if len(p) != 0 {
					t.Fatalf("ReadFrame returned %d bytes with error %v", len(p), err)
				}
				if errors.Is(err, io.EOF) && before != 0 {
					t.Fatalf("io.EOF with %d bytes unread", before)
				}
				return
			}
			used := b[len(b)-before : len(b)-r.Len()]
			enc, err := vpcd.AppendFrame(nil, p)
			if err != nil || !bytes.Equal(enc, used) {
				t.Fatalf("frame %X re-encoded as %X (%v)", used, enc, err)
			}
		}
	})
}

// FuzzLoadCardFile feeds arbitrary bytes to cardfile.Load as a card file:
// it returns an error or a state New accepts or refuses cleanly, never
// panics, and never rewrites the file. A card it accepts answers a client
// sequence with well-formed responses.
func FuzzLoadCardFile(f *testing.F) {
	s := defaultStates(f)[1]
	good, err := json.Marshal(s)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format_version":1}`))
	f.Add([]byte(`{"format_version":2}`))
	f.Add([]byte(`{"format_version":1,"atr":"O+AA/4ExKkUU","files":{"jpki/000A":"MA=="},"pins":{"jpki/0018":{"value":"MTIzNA==","max":3,"remaining":9}}}`))
	f.Add([]byte("not json"))
	seq := ClientSequences(nil)[0].Steps
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "card.json")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := cardfile.Load(path)
		if after, _ := os.ReadFile(path); !bytes.Equal(after, b) {
			t.Fatalf("Load rewrote the card file (err %v)", err)
		}
		if err != nil {
			return
		}
		c, err := emulator.New(st)
		if err != nil {
			return
		}
		o := NewOracle(KnownCounters(st))
		for _, s := range seq {
			resp := c.Transmit(s.Cmd)
			if err := o.Check(s.Cmd, resp); err != nil {
				t.Fatalf("card loaded from %d bytes: %v", len(b), err)
			}
		}
	})
}
