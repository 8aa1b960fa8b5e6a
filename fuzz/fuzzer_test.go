package fuzz

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/embedded"
	"github.com/mynacard/mynacard/vpcd"
)

// runFuzzer runs the APDU fuzzer for count sequences against a card of the
// given kind index, optionally wrapped, and returns its findings.
func runFuzzer(t *testing.T, kind int, seed uint64, count int, wrap func(*emulator.Card) vpcd.Card) ([]*Finding, Stats) {
	t.Helper()
	s := defaultStates(t)[kind]
	target, err := embedded.New("embedded:"+string(s.Kind), s)
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		target.Wrap(wrap)
	}
	var found []*Finding
	f := &Fuzzer{
		Target: target,
		Gen:    NewGenerator(seed, SecretsOf(s), true),
		Known:  KnownCounters(s),
		Card:   s.Kind,
		Seed:   seed,
		Found:  func(fd *Finding) error { found = append(found, fd); return nil },
	}
	st, err := f.Run(context.Background(), count)
	if err != nil {
		t.Fatal(err)
	}
	return found, st
}

func TestFuzzerCleanCard(t *testing.T) {
	for kind := range defaultStates(t) {
		found, st := runFuzzer(t, kind, uint64(kind)+1, 300, nil)
		for _, fd := range found {
			var b strings.Builder
			_ = WriteFinding(&b, fd)
			t.Errorf("%s", b.String())
		}
		t.Logf("kind %d: %s", kind, &st)
	}
}

// leakyRead is the card with a planted bug: READ BINARY ignores the
// access condition of the current EF. It follows selection itself and
// answers a refused read from the card's own file contents.
type leakyRead struct {
	*emulator.Card
	app emulator.App
	ef  uint16
}

func (l *leakyRead) Transmit(cmd []byte) []byte {
	resp := l.Card.Transmit(cmd)
	c, err := apdu.ParseCommand(cmd)
	if err != nil {
		return resp
	}
	ok := bytes.Equal(resp, []byte{0x90, 0x00})
	switch {
	case c.INS == 0xA4 && c.P1 == 0x04 && ok:
		l.app, _ = emulator.AppByAID(c.Data)
	case c.INS == 0xA4 && c.P1 == 0x02 && ok && len(c.Data) == 2:
		l.ef = uint16(c.Data[0])<<8 | uint16(c.Data[1])
	case c.INS == 0xB0 && c.P1 < 0x80 && bytes.Equal(resp, []byte{0x69, 0x82}):
		d := l.Snapshot().Files[emulator.Ref(l.app, l.ef)]
		off := int(c.P1)<<8 | int(c.P2)
		if off < len(d) {
			return append(append([]byte(nil), d[off:min(len(d), off+c.Ne)]...), 0x90, 0x00)
		}
	}
	return resp
}

// wrappingCounter is the card with a planted bug: a used-up counter reads
// back as full (a 0 that wraps to 3).
type wrappingCounter struct{ *emulator.Card }

func (w wrappingCounter) Transmit(cmd []byte) []byte {
	resp := w.Card.Transmit(cmd)
	if len(cmd) == 4 && cmd[1] == 0x20 && bytes.Equal(resp, []byte{0x63, 0xC0}) {
		return []byte{0x63, 0xC3}
	}
	return resp
}

func TestFuzzerFindsPlantedBugs(t *testing.T) {
	tests := []struct {
		name string
		rule string
		wrap func(*emulator.Card) vpcd.Card
	}{
		{"protected EF readable without PIN", "read-protected", func(c *emulator.Card) vpcd.Card { return &leakyRead{Card: c} }},
		{"counter wraps from 0 to 3", "counter-rose", func(c *emulator.Card) vpcd.Card { return wrappingCounter{c} }},
	}
	const bound = 2000 // sequences; the seed is fixed, so the count found below is too
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found, st := runFuzzer(t, 0, 42, bound, tt.wrap)
			for _, fd := range found {
				if fd.Rule == tt.rule {
					t.Logf("found %s at sequence %d: %s", tt.rule, fd.Sequence, fd.Detail)
					return
				}
			}
			t.Errorf("no %s finding in %d sequences (%s); findings: %v", tt.rule, bound, &st, found)
		})
	}
}

func TestFindingFileRoundTrip(t *testing.T) {
	fd := &Finding{Kind: KindDiff, Detail: "two\nlines", Card: "face-auth", Target: "pcsc:0", Seed: 7, Sequence: 3, Exchanges: []Exchange{
		{Step: Step{Cmd: h("00A4040C0AD392F000260100000001")}, Resp: h("9000"), Ref: h("9000")},
		{Step: Step{Reset: true}},
		{Step: Step{Cmd: h("00200080")}, Resp: h("63C0"), Ref: h("6984")},
	}}
	var b bytes.Buffer
	if err := WriteFinding(&b, fd); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFinding(&b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Card != fd.Card || got.Target != fd.Target || !cmp.Equal(got.Exchanges, fd.Exchanges) {
		t.Errorf("ReadFinding(WriteFinding(f)) = %q %q %v, want %q %q %v", got.Card, got.Target, got.Exchanges, fd.Card, fd.Target, fd.Exchanges)
	}
	for _, bad := range []string{"", "< 9000\n", "> 0G\n", "frobnicate\n"} {
		if _, err := ReadFinding(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadFinding(%q) accepted", bad)
		}
	}
}

// TestFindingsReplay replays every finding kept under testdata/findings:
// each is a regression input that must no longer reproduce
// (testdata/README.md names the bug each one guards).
func TestFindingsReplay(t *testing.T) {
	paths, _ := filepath.Glob("testdata/findings/*.txt")
	if len(paths) == 0 {
		t.Fatal("no findings under testdata/findings")
	}
	kinds := map[string]*emulator.State{}
	for _, s := range defaultStates(t) {
		kinds[string(s.Kind)] = s
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			file, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer file.Close()
			recorded, err := ReadFinding(file)
			if err != nil {
				t.Fatal(err)
			}
			card, exs := string(recorded.Card), recorded.Exchanges
			s := kinds[card]
			if s == nil {
				t.Fatalf("card kind %q unknown", card)
			}
			target, err := embedded.New("embedded:"+card, s)
			if err != nil {
				t.Fatal(err)
			}
			f := &Fuzzer{Target: target, Known: KnownCounters(s), Card: emulator.Kind(card)}
			var log bytes.Buffer
			fd, err := f.Replay(exs, &log)
			if err != nil {
				t.Fatal(err)
			}
			if fd == nil {
				return
			}
			t.Errorf("finding reproduces: %s\n%s", fd, log.String())
		})
	}
}
