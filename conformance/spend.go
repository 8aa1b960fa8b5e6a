package conformance

import (
	"fmt"
	"io"
	"slices"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/internal/columns"
)

// KeySpend is what one run cost one key of the card.
type KeySpend struct {
	Key  string `json:"key"` // e.g. jpki/0018
	Name string `json:"name"`
	// WrongTries counts the wrong values the card counted (answered 63Cx).
	WrongTries int `json:"wrong_tries"`
	// Before and After are the tries left when the run began and ended;
	// -1 when the card did not say.
	Before int `json:"tries_left_before"`
	After  int `json:"tries_left_after"`
	// Blocked is set when this run left the key blocked.
	Blocked bool `json:"blocked"`
}

// unrecoverable reports whether a blocked ref is lost to its holder: the
// keys that are not PINs (照合番号A/B, the birth-date key) come from the
// card face, no holder operation changes or resets them (card.md §7), so
// the suite exhausts them only when told to.
func unrecoverable(ref emulator.FileRef) bool {
	i := slices.IndexFunc(keyTable, func(k keyInfo) bool { return k.ref == ref })
	return i >= 0 && keyTable[i].change == nil
}

// readCounters reads the tries left on every key the catalogue knows,
// with empty VERIFYs, which spend nothing; -1 for a key that did not say.
func (r *runner) readCounters() map[emulator.FileRef]int {
	left := map[emulator.FileRef]int{}
	for _, k := range keyTable {
		left[k.ref] = -1
		r.run(&Case{ID: "counter " + k.ref.String(), Run: func(t *T) {
			t.SelectAP(k.ref.App())
			if n, verified := t.Query(k.ref); !verified {
				left[k.ref] = n
			}
		}})
	}
	return left
}

// spent lists, per key, what the run cost: the keys with a wrong try
// counted or a counter that moved.
func (r *runner) spent(before, after map[emulator.FileRef]int) []KeySpend {
	var out []KeySpend
	for _, k := range keyTable {
		s := KeySpend{Key: k.ref.String(), Name: k.name, WrongTries: r.memo.spent[k.ref], Before: before[k.ref], After: after[k.ref]}
		s.Blocked = s.Before > 0 && s.After == 0
		if s.WrongTries > 0 || s.Before != s.After {
			out = append(out, s)
		}
	}
	return out
}

// writeSpent writes what the run cost the card, for people.
func writeSpent(w io.Writer, spent []KeySpend) {
	if len(spent) == 0 {
		fmt.Fprintln(w, "\nspent: nothing (no wrong try counted, every counter as it was)")
		return
	}
	fmt.Fprintln(w, "\nspent:")
	var rows [][]string
	for _, s := range spent {
		state := ""
		switch {
		case s.Blocked:
			state = ": BLOCKED by this run"
		case s.After == 0:
			state = ": blocked"
		}
		rows = append(rows, []string{"  " + s.Key, s.Name, fmt.Sprintf("%d wrong %s counted; tries left %s → %s%s",
			s.WrongTries, plural(s.WrongTries, "try", "tries"), counterText(s.Before), counterText(s.After), state)})
	}
	columns.Write(w, rows, 1)
}

func counterText(n int) string {
	if n < 0 {
		return "?"
	}
	return fmt.Sprint(n)
}

// plural picks the word for n things.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
