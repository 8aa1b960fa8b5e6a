package conformance

import (
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/vpcd"
	"github.com/mynacard/mynacard/vpcd/pcscd"
	"github.com/mynacard/mynacard/vpcd/pcsctest"
	"github.com/mynacard/mynacard/vpcd/vpcdtest"
)

// swapCard is what vpcd serves: an emulated card that Restore can replace
// with a fresh one, so that the destructive cases stay independent when
// the suite runs through PC/SC too.
type swapCard struct {
	mu      sync.Mutex
	initial *emulator.State
	card    *emulator.Card
}

func (s *swapCard) current() *emulator.Card {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.card
}

func (s *swapCard) ATR() []byte                { return s.current().ATR() }
func (s *swapCard) Transmit(cmd []byte) []byte { return s.current().Transmit(cmd) }
func (s *swapCard) Reset()                     { s.current().Reset() }
func (s *swapCard) PowerOff()                  { s.current().PowerOff() }

func (s *swapCard) Issue(op func(*emulator.State) error) error { return s.current().Issue(op) }

func (s *swapCard) Restore() error {
	c, err := emulator.New(s.initial)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.card = c
	s.mu.Unlock()
	return nil
}

// servedPCSC is the PC/SC target with the served card's issuer attached.
type servedPCSC struct {
	*PCSC
	issuer Issuer
}

func (s servedPCSC) Caps() Caps {
	c := s.PCSC.Caps()
	c.Issuer = s.issuer
	return c
}

// serveKind serves the default card of kind in slot of d and opens it
// through PC/SC by reader name.
func serveKind(tb testing.TB, d *pcscd.Daemon, slot int, kind emulator.Kind) (servedPCSC, Profile) {
	tb.Helper()
	e, err := EmbeddedKind(kind)
	if err != nil {
		tb.Fatal(err)
	}
	sc := &swapCard{initial: e.Initial()}
	if err := sc.Restore(); err != nil {
		tb.Fatal(err)
	}
	vpcdtest.Serve(tb, &vpcd.Server{Card: sc, Addr: d.Addr(slot)})
	p := openWhenPresent(tb, d.ReaderName(slot))
	tb.Cleanup(func() { p.Close() })
	return servedPCSC{PCSC: p, issuer: sc}, e.Profile()
}

func openWhenPresent(tb testing.TB, reader string) *PCSC {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := OpenPCSC(reader)
		if err == nil {
			return p
		}
		if time.Now().After(deadline) {
			tb.Fatalf("card in %q: %v", reader, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSuiteThroughPCSC runs the whole suite, destructive cases included,
// through pcscd and vpcd on served emulator cards, and checks that it
// answers exactly as the in-process emulator does.
func TestSuiteThroughPCSC(t *testing.T) {
	d := pcsctest.Daemon(t, 2)
	for slot, kind := range []emulator.Kind{emulator.KindNormal, emulator.KindFaceAuth} {
		t.Run(string(kind), func(t *testing.T) {
			tgt, prof := serveKind(t, d, slot, kind)
			if !tgt.Caps().ReaderNamed || !tgt.Caps().Real {
				t.Fatalf("caps %+v: a reader opened by name must be real and named", tgt.Caps())
			}
			rep, err := Run(tgt, prof, Options{AllowSpend: true, AllowDestructive: true, AllowUnrecoverable: true})
			if err != nil {
				t.Fatal(err)
			}
			pass, fail, skip := rep.Counts()
			t.Logf("%s through PC/SC: %d passed, %d failed, %d skipped", kind, pass, fail, skip)
			for _, r := range rep.Results {
				if r.Status == Fail {
					t.Errorf("%s %s:\n%s", r.ID, r.Title, formatFailure(r, false))
				}
			}
			emb, err := EmbeddedKind(kind)
			if err != nil {
				t.Fatal(err)
			}
			direct, err := Run(emb, emb.Profile(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, diff := range Diff(direct, rep) {
				if diff.Significant() {
					t.Errorf("PC/SC and in-process answers differ: %+v", diff)
				}
			}
		})
	}
}

// TestPCSCReaderChoice checks the reader selection rules of OpenPCSC.
func TestPCSCReaderChoice(t *testing.T) {
	d := pcsctest.Daemon(t, 1)
	tgt, _ := serveKind(t, d, 0, emulator.KindNormal)
	tgt.Close()
	for _, tt := range []struct {
		reader string
		named  bool
		ok     bool
	}{{"", false, true}, {"0", false, true}, {d.ReaderName(0), true, true}, {"no such reader", false, false}, {"7", false, false}} {
		p, err := OpenPCSC(tt.reader)
		if (err == nil) != tt.ok {
			t.Errorf("OpenPCSC(%q): err %v, want ok=%v", tt.reader, err, tt.ok)
			continue
		}
		if err == nil {
			if p.Caps().ReaderNamed != tt.named {
				t.Errorf("OpenPCSC(%q): ReaderNamed %v, want %v", tt.reader, p.Caps().ReaderNamed, tt.named)
			}
			p.Close()
		}
	}
}

// BenchmarkSuitePCSC is the full suite on a normal card through pcscd and
// vpcd, next to the same run in process (target: < 5 s through PC/SC).
func BenchmarkSuitePCSC(b *testing.B) {
	d := pcsctest.Daemon(b, 1)
	tgt, prof := serveKind(b, d, 0, emulator.KindNormal)
	emb, err := EmbeddedKind(emulator.KindNormal)
	if err != nil {
		b.Fatal(err)
	}
	for _, bb := range []struct {
		name string
		tgt  Target
		prof Profile
	}{{"pcsc", tgt, prof}, {"embedded", emb, emb.Profile()}} {
		b.Run(bb.name, func(b *testing.B) {
			apdus := 0
			for b.Loop() {
				rep, err := Run(bb.tgt, bb.prof, Options{AllowSpend: true, AllowDestructive: true})
				if err != nil {
					b.Fatal(err)
				}
				apdus = 0
				for _, r := range rep.Results {
					apdus += len(r.Exchange)
				}
			}
			b.ReportMetric(float64(apdus), "apdus/op")
		})
	}
}

// blockedByRun matches the skip reasons of a case that found a key blocked
// or its secret refused (T.Unlock, T.Verify).
var blockedByRun = regexp.MustCompile(`^[a-z]+/[0-9A-F]{4} is blocked|was refused earlier`)

// TestDestructiveSuiteOnAFreshCard runs the whole destructive suite
// through pcscd on a card that, like a real one, nothing restores between
// cases. No case may skip for a key an earlier case blocked; without
// AllowUnrecoverable the keys that are not PINs stay usable; the report
// lists what was spent. With AllowUnrecoverable, on a second fresh card,
// every key is exhausted and reported blocked.
func TestDestructiveSuiteOnAFreshCard(t *testing.T) {
	d := pcsctest.Daemon(t, 2)
	for slot, allowUnrecoverable := range []bool{false, true} {
		served, prof := serveKind(t, d, slot, emulator.KindNormal)
		rep, err := Run(served.PCSC, prof, Options{AllowSpend: true, AllowDestructive: true, AllowUnrecoverable: allowUnrecoverable})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rep.Results {
			switch {
			case r.Status == Fail:
				t.Errorf("%s %s:\n%s", r.ID, r.Title, formatFailure(r, false))
			case r.Status == Skip && blockedByRun.MatchString(r.Reason):
				t.Errorf("%s skipped for a key an earlier case blocked: %s", r.ID, r.Reason)
			}
		}
		spent := map[string]KeySpend{}
		for _, s := range rep.Spent {
			spent[s.Key] = s
		}
		for _, k := range keyTable {
			s, ok := spent[k.ref.String()]
			switch {
			case !ok:
				t.Errorf("unrecoverable %v: the report does not list %v, whose counter every run tries", allowUnrecoverable, k.ref)
			case unrecoverable(k.ref) && !allowUnrecoverable && (s.Blocked || s.After != s.Before):
				t.Errorf("%v (%s), not a PIN, was spent without AllowUnrecoverable: %+v", k.ref, k.name, s)
			case (allowUnrecoverable || !unrecoverable(k.ref)) && !s.Blocked:
				t.Errorf("unrecoverable %v: the exhaustion case of %v ran, yet the report says %+v", allowUnrecoverable, k.ref, s)
			case s.WrongTries == 0:
				t.Errorf("%v: no wrong try counted: %+v", k.ref, s)
			}
		}
		var out strings.Builder
		if err := WriteTable(&out, rep); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "BLOCKED by this run") {
			t.Errorf("the table does not say what was blocked:\n%s", out.String())
		}
	}
}
