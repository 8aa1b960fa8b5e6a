package conformance

import (
	"fmt"
	"maps"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// limit is the retry limit of ref as card.md §7.1 or the
// profile's documented settings give it, never as the card under test
// reports it. A limit nobody documented skips the case.
func (t *T) limit(ref emulator.FileRef) int {
	n, ok := t.prof.Tries[ref]
	if !ok {
		t.Skipf("the retry limit of %v is not documented (give collation_tries for the 照合番号 keys)", ref)
	}
	return n
}

// usable reports whether the given secret of ref may be presented: it was
// given, was not refused earlier and the key is not blocked.
func (t *T) usable(ref emulator.FileRef) bool {
	if !t.prof.has(ref) || t.memo.rejected[ref] {
		return false
	}
	left, verified := t.Query(ref)
	return verified || left > 0
}

// unlockOthers verifies the given secret of every usable key but skip,
// application by application, and sets want to the documented limit of
// each key it verified.
func (t *T) unlockOthers(skip emulator.FileRef, want map[string]int) {
	for _, k := range keyTable {
		if k.ref == skip || !t.usable(k.ref) {
			continue
		}
		t.SelectAP(k.ref.App())
		t.Unlock(k.ref)
		want[k.ref.String()] = t.limit(k.ref)
	}
}

func counterCases() []Case {
	cs := []Case{
		{ID: "CARD-LIM-001", Title: "no key reports more tries than its documented limit (3 for the 4-digit PINs, 5 for the sign password, the collation limit)", Spec: "§6.4, §7.1",
			Run: func(t *T) {
				for _, k := range keyTable {
					n, ok := t.prof.Tries[k.ref]
					if !ok {
						continue
					}
					if left := t.fullCounter(k.ref); left > n {
						t.Errorf("%v: %d tries left, more than its limit %d", k.ref, left, n)
					}
				}
			}},
		{ID: "CARD-LIM-002", Title: "after its right value every key's counter reads exactly its documented limit", Spec: "§7.1, §7.2",
			Run: func(t *T) {
				checked := 0
				for _, k := range keyTable {
					if _, ok := t.prof.Tries[k.ref]; !ok || !t.usable(k.ref) {
						continue
					}
					t.Unlock(k.ref)
					t.Equal("tries left on "+k.ref.String()+" after its right value", t.limit(k.ref), t.fullCounter(k.ref))
					checked++
				}
				if checked == 0 {
					t.Skipf("no usable key with a given secret and a documented limit")
				}
			}},
		{ID: "CARD-CNT-001", Title: "verifying each key with its right value sets that key to its limit and leaves every other key's counter alone, in the same AP and across APs", Spec: "§7.1, §7.2",
			Run: func(t *T) {
				before := t.allCounters()
				want := maps.Clone(before)
				t.unlockOthers(emulator.FileRef(0), want)
				t.Equal("counters after verifying every usable key", want, t.allCounters())
			}},
	}
	for i, k := range keyTable {
		cs = append(cs, Case{ID: fmt.Sprintf("CARD-CNT-%03d", 101+i), Title: "a wrong " + k.name + " takes one try from it alone; the right values of the other keys leave it alone; its right value restores it alone", Spec: "§7.1, §7.2",
			Class: SpendsTry, Needs: []emulator.FileRef{k.ref},
			Run: func(t *T) {
				if !t.usable(k.ref) {
					t.Skipf("%v is blocked on this card", k.ref)
				}
				t.SelectAP(k.ref.App())
				t.Unlock(k.ref)
				want := t.allCounters()
				name := k.ref.String()
				want[name] = t.limit(k.ref)
				t.Equal("counters after the right "+k.name, want, t.allCounters())
				t.SelectAP(k.ref.App())
				t.Equal("VERIFY with a wrong value", apdu.RetriesLeft(want[name]-1), t.Verify(k.ref, t.Wrong(k.ref)))
				want[name]--
				t.Equal("counters after a wrong "+k.name, want, t.allCounters())
				t.unlockOthers(k.ref, want)
				t.Equal("counters after the right values of the other keys", want, t.allCounters())
				t.SelectAP(k.ref.App())
				t.Unlock(k.ref)
				want[name] = t.limit(k.ref)
				t.Equal("counters after the right "+k.name+" again", want, t.allCounters())
			}})
	}
	return cs
}
