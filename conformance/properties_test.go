package conformance

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
)

// walkResult runs the property walk and returns its one result; a walk
// that passed must have spent nothing.
func walkResult(t *testing.T, tgt Target, prof Profile, opts PropertyOptions) Result {
	t.Helper()
	rep, err := RunProperties(tgt, prof, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := resultOf(t, rep, PropertyCaseID)
	if len(rep.Results) != 1 || r.Status == Pass && rep.Spent != nil {
		t.Fatalf("want one result, and nothing spent by a pass; got %d results, %s, spent %+v", len(rep.Results), r.Status, rep.Spent)
	}
	return r
}

// TestPropertiesEmbedded walks every kind in process, several seeds each.
func TestPropertiesEmbedded(t *testing.T) {
	for _, kind := range emulator.Kinds() {
		for seed := uint64(1); seed <= 4; seed++ {
			e, err := EmbeddedKind(kind)
			if err != nil {
				t.Fatal(err)
			}
			if r := walkResult(t, e, Profile{}, PropertyOptions{Seed: seed, Steps: 400}); r.Status != Pass {
				t.Errorf("%s seed %d: %s\n%s", kind, seed, r.Status, formatFailure(r, false))
			}
		}
	}
}

// TestPropertiesEmbeddedChips walks every chip preset in process: the
// stored ATR (GET DATA 5F51) and the capabilities follow the chip.
func TestPropertiesEmbeddedChips(t *testing.T) {
	for _, c := range profile.Chips() {
		if r := walkResult(t, chipTarget(t, c.Name), Profile{}, PropertyOptions{Seed: 5, Steps: 400}); r.Status != Pass {
			t.Errorf("%s: %s\n%s", c.Name, r.Status, formatFailure(r, false))
		}
	}
}

// TestPropertiesCatchDefects plants defects a read-only walk must see and
// checks that the walk fails, naming a replayable seed and step.
func TestPropertiesCatchDefects(t *testing.T) {
	readsMoveCounters := behaviour{
		name: "a read moves the counters (as an empty VERIFY shows them)", kind: emulator.KindNormal,
		bug: func() func(*mutant, apdu.Command) []byte {
			reads := 0
			return rewrite(func(_ *mutant, c apdu.Command, resp []byte) []byte {
				if c.INS == apdu.INSReadBinary {
					reads++
				}
				if n, ok := sw(resp).Retries(); ok && c.INS == apdu.INSVerify && len(c.Data) == 0 {
					return apdu.Response{SW: apdu.RetriesLeft(max(0, n-reads))}.Bytes()
				}
				return resp
			})
		}(),
	}
	getDataChanges := behaviour{
		name: "GET DATA 00F2 answers differently each time", kind: emulator.KindNormal,
		bug: func() func(*mutant, apdu.Command) []byte {
			n := byte(0)
			return rewrite(func(_ *mutant, c apdu.Command, resp []byte) []byte {
				if c.INS == apdu.INSGetData && c.P2 == 0xF2 && sw(resp) == apdu.SWOK {
					n++
					resp[0] = '0' + n%10
				}
				return resp
			})
		}(),
	}
	for _, b := range []behaviour{
		behaviourNamed(t, "protected text EF served without a key"),
		getDataChanges,
		behaviourNamed(t, "face-auth card reports a sign certificate in 0008"),
		readsMoveCounters,
	} {
		t.Run(b.name, func(t *testing.T) {
			m := b.target(t)
			r := walkResult(t, m, Profile{Kind: b.kind}, PropertyOptions{Seed: 7, Steps: 400})
			if r.Status != Fail {
				t.Fatalf("walk %s, want fail", r.Status)
			}
			if !strings.Contains(r.Failures[0], "replay: --properties --seed 7 --steps") {
				t.Errorf("first failure line %q names no replay", r.Failures[0])
			}
			t.Logf("%s", strings.Join(r.Failures, "\n"))
		})
	}
}

// TestPropertiesReplay checks that a seed replays: the same seed gives the
// same exchange, another seed another one.
func TestPropertiesReplay(t *testing.T) {
	commands := func(seed uint64) string {
		e, err := EmbeddedKind(emulator.KindNormal)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := RunCases([]Case{propertyCase(PropertyOptions{Seed: seed, Steps: 50})}, e, Profile{}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, x := range rep.Results[0].Exchange {
			fmt.Fprintln(&b, x.Command)
		}
		return b.String()
	}
	a, b, c := commands(3), commands(3), commands(4)
	if a != b || a == c || a == "" {
		t.Errorf("seed 3 twice: equal %v; seed 3 vs 4: equal %v (want true, false)", a == b, a == c)
	}
}
