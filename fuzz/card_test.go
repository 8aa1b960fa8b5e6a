package fuzz

import (
	"bytes"
	"maps"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/embedded"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/vpcd"
)

var (
	kindsOnce sync.Once
	kindCards []*emulator.State
	kindsErr  error
	// targets keeps one card per kind and wrapper between fuzz execs, each
	// restored to its first state before an input (embedded.Target.Restore).
	targets = map[targetKey]*fuzzTarget{}
)

// fuzzTarget is a card kept between fuzz execs and what the oracle knows
// of its start.
type fuzzTarget struct {
	*embedded.Target
	known map[emulator.FileRef]int
}

type targetKey struct {
	kind int
	wrap string
}

// defaultStates returns one state per profile kind, made once: Default is
// fast but not free, and the fuzz loop needs thousands of cards a second.
func defaultStates(tb testing.TB) []*emulator.State {
	tb.Helper()
	kindsOnce.Do(func() {
		for _, k := range emulator.Kinds() {
			s, err := profile.Default(k)
			if err != nil {
				kindsErr = err
				return
			}
			kindCards = append(kindCards, s)
		}
	})
	if kindsErr != nil {
		tb.Fatal(kindsErr)
	}
	return kindCards
}

// transmitSeeds are the client sequences of card.md §6 for every kind, in the
// DecodeInput format. They present the default persona's secrets, which a
// face-auth card no longer holds (its PINs were set at random), as a client would.
func transmitSeeds(tb testing.TB) [][]byte {
	var out [][]byte
	states := defaultStates(tb)
	sec := SecretsOf(states[0])
	for i := range states {
		for _, seq := range ClientSequences(sec) {
			out = append(out, EncodeInput(byte(i), seq.Steps))
		}
	}
	return out
}

// checkSequence runs one fuzz input against a fresh card and fails tb on
// any oracle violation, on a short answer, or when the card's retry
// counters end up above where they started for a key never verified.
//
// wrapName names wrap, so that targets can be kept per wrapper.
func checkSequence(tb testing.TB, in []byte, wrapName string, wrap func(*emulator.Card) vpcd.Card) {
	tb.Helper()
	states := defaultStates(tb)
	kind, steps := DecodeInput(in)
	k := targetKey{int(kind) % len(states), wrapName}
	s := states[k.kind]
	target := targets[k]
	if target == nil {
		t, err := embedded.New("embedded:"+string(s.Kind), s)
		if err != nil {
			tb.Fatal(err)
		}
		if wrap != nil {
			t.Wrap(wrap)
		}
		target = &fuzzTarget{t, KnownCounters(s)}
		targets[k] = target
	}
	f := &Fuzzer{Target: target.Target, Known: target.known, Card: s.Kind}
	var st Stats
	exs, fd, err := f.sequence(steps, &st)
	if err != nil {
		tb.Fatal(err)
	}
	if fd != nil {
		var b bytes.Buffer
		_ = WriteFinding(&b, fd)
		tb.Fatalf("%s\n%s", fd, b.String())
	}
	if !sentSecret(exs) {
		return // no command that changes a secret or counter was sent
	}
	target.Card().Inspect(func(end *emulator.State) { checkEndState(tb, s, end, exs) })
}

// checkEndState fails tb when a retry counter left its range or rose with
// no secret accepted, or when the card's files changed.
func checkEndState(tb testing.TB, start, end *emulator.State, exs []Exchange) {
	tb.Helper()
	for ref, p := range end.PINs {
		was := start.PINs[ref]
		if p.Remaining < 0 || p.Max > 0 && p.Remaining > p.Max {
			tb.Fatalf("%v counter %d outside 0..%d after %d steps", ref, p.Remaining, p.Max, len(exs))
		}
		if p.Remaining > was.Remaining && !acceptedSecret(exs, ref) {
			tb.Fatalf("%v counter rose from %d to %d with no VERIFY accepted", ref, was.Remaining, p.Remaining)
		}
	}
	if !maps.EqualFunc(start.Files, end.Files, bytes.Equal) {
		tb.Fatalf("APDUs changed the card's files:\n%s", cmp.Diff(start.Files, end.Files))
	}
}

// sentSecret reports whether any command in exs could change a secret or a
// counter: VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER or CHANGE KEY
// with data.
func sentSecret(exs []Exchange) bool {
	for _, ex := range exs {
		if len(ex.Cmd) > 4 {
			switch ex.Cmd[1] {
			case 0x20, 0x24, 0x2C, 0x32:
				return true
			}
		}
	}
	return false
}

// acceptedSecret reports whether any VERIFY or CHANGE in exs was answered
// 9000, which may reset ref's counter. (Which key it addressed is the
// oracle's business; this end-of-run check only needs an upper bound.)
func acceptedSecret(exs []Exchange, _ emulator.FileRef) bool {
	for _, ex := range exs {
		if len(ex.Cmd) > 5 && (ex.Cmd[1] == 0x20 || ex.Cmd[1] == 0x24 || ex.Cmd[1] == 0x32) && bytes.HasSuffix(ex.Resp, []byte{0x90, 0x00}) {
			return true
		}
	}
	return false
}

// FuzzTransmitSequence sends sequences of APDUs to a card of each kind
// (profile.Default) and checks every answer against card.md's invariants
// (Oracle) and the card's state afterwards.
func FuzzTransmitSequence(f *testing.F) {
	for _, in := range transmitSeeds(f) {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkSequence(t, in, "", nil) })
}

func TestClientSequencesPass(t *testing.T) {
	for _, in := range transmitSeeds(t) {
		checkSequence(t, in, "", nil)
	}
}

func TestInputRoundTrip(t *testing.T) {
	steps := []Step{{Cmd: h("00A4040C0AD392F000260100000001")}, {Reset: true}, {Cmd: make([]byte, 300)}, {Cmd: h("00")}}
	kind, got := DecodeInput(EncodeInput(3, steps))
	if kind != 3 || !cmp.Equal(steps, got) {
		t.Errorf("DecodeInput(EncodeInput(…)) = %d %v", kind, got)
	}
}

// BenchmarkTransmitSequence measures the fuzz target itself, one exec per
// input in turn. "seeds" are card.md's client sequences, which sign with
// RSA-2048 (about 1 ms a signature) and so bound the rate; "generated" are
// sequences of the grammar the fuzzer mutates, the inputs it spends its
// time on.
func BenchmarkTransmitSequence(b *testing.B) {
	states := defaultStates(b)
	sec := SecretsOf(states[0])
	g := NewGenerator(1, sec, true)
	var generated [][]byte
	for i := range 512 {
		generated = append(generated, EncodeInput(byte(i%len(states)), g.Sequence()))
	}
	for _, bench := range []struct {
		name   string
		inputs [][]byte
	}{{"seeds", transmitSeeds(b)}, {"generated", generated}} {
		b.Run(bench.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				checkSequence(b, bench.inputs[i%len(bench.inputs)], "", nil)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "execs/s")
		})
	}
}
