package conformance

import (
	"slices"
	"testing"

	"github.com/mynacard/mynacard/vpcd"
	"github.com/mynacard/mynacard/vpcd/pcsctest"
	"github.com/mynacard/mynacard/vpcd/vpcdtest"
)

// servedMutant is a planted defect as vpcd serves it: a card in a reader,
// with nothing but APDUs, resets and power to go by.
type servedMutant struct{ m *mutant }

func (s servedMutant) ATR() []byte { return s.m.Card().ATR() }

func (s servedMutant) Transmit(cmd []byte) []byte {
	resp, _ := s.m.Transmit(cmd)
	return resp
}

func (s servedMutant) Reset()    { _ = s.m.Reset() }
func (s servedMutant) PowerOff() { _ = s.m.Reset() }

// TestSafeClassesCatchRequiredMutantsThroughPCSC serves each defect a
// vendor must see without --allow-destructive (mustCatchSafely: a card
// that signs with the wrong key, keeps a verification after a failed
// VERIFY, resets another key's counter, or starts a key at the wrong
// limit) in a reader of a private pcscd, and runs the suite on it as on a
// real card: read-only, then with --allow-spend. Each class must fail
// the same cases as TestMutantClasses computes in process, and the spend
// class must fail some.
func TestSafeClassesCatchRequiredMutantsThroughPCSC(t *testing.T) {
	byName := map[string]behaviour{}
	for _, bh := range behaviours() {
		byName[bh.name] = bh
	}
	d := pcsctest.Daemon(t, len(mustCatchSafely))
	for slot, name := range mustCatchSafely {
		bh, ok := byName[name]
		if !ok {
			t.Fatalf("%q: no such planted defect", name)
		}
		m := bh.target(t)
		vpcdtest.Serve(t, &vpcd.Server{Card: servedMutant{m}, Addr: d.Addr(slot)})
		p := openWhenPresent(t, d.ReaderName(slot))
		t.Cleanup(func() { p.Close() })
		for _, class := range []struct {
			name string
			opts Options
		}{{"read-only", Options{}}, {"--allow-spend", Options{AllowSpend: true}}} {
			got := failing(t, p, m.prof, class.opts)
			want := failing(t, asReal{bh.target(t)}, m.prof, class.opts)
			t.Logf("%s, %s through PC/SC: %d failed %v", name, class.name, len(got), got)
			if !slices.Equal(got, want) {
				t.Errorf("%s, %s: through PC/SC %v fail, in process %v", name, class.name, got, want)
			}
			if class.opts.AllowSpend && len(got) == 0 {
				t.Errorf("%s: not caught through PC/SC with --allow-spend", name)
			}
		}
	}
}
