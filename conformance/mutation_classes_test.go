package conformance

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

var updateMutationDoc = flag.Bool("update-mutation-doc", false, "rewrite the table of caught mutants in docs/mutation.md")

// asReal is a mutant as a vendor meets a card: through a reader, under
// the safety rules, without issuer operations.
type asReal struct{ *mutant }

func (asReal) Caps() Caps { return Caps{Real: true} }

// failing runs the catalogue and returns the IDs of the failed cases.
func failing(t *testing.T, tgt Target, prof Profile, opts Options) []string {
	t.Helper()
	rep, err := Run(tgt, prof, opts)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rep.Results {
		if r.Status == Fail {
			ids = append(ids, r.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// mustCatchSafely are the defects a vendor must see without
// --allow-destructive: through a reader, read-only or spending a try.
var mustCatchSafely = []string{
	"auth and sign keys swapped when the card was personalised",
	"a failed VERIFY leaves the key's earlier success standing",
	"a right value resets every counter of its application",
	"sign password starts at 3 tries, not 5",
}

const (
	tableBegin = "<!-- mutants:begin (go test ./conformance -run TestMutantClasses -update-mutation-doc) -->"
	tableEnd   = "<!-- mutants:end -->"
)

// TestMutantClasses computes which planted defects each class of cases
// catches on the embedded card and on a card run as a vendor runs a real
// one (read-only by default, spends a try with --allow-spend), checks
// that the table in docs/mutation.md says the same, and that the defects
// of mustCatchSafely are caught without destructive cases.
func TestMutantClasses(t *testing.T) {
	var b strings.Builder
	b.WriteString("| planted defect | card kind | embedded (all classes) | PC/SC read-only | PC/SC `--allow-spend` |\n|---|---|---|---|---|\n")
	caught := map[string][3]int{}
	totals := [3]int{}
	for _, bh := range behaviours() {
		cols := [3][]string{
			failing(t, bh.target(t), bh.target(t).prof, Options{}),
			failing(t, asReal{bh.target(t)}, bh.target(t).prof, Options{}),
			failing(t, asReal{bh.target(t)}, bh.target(t).prof, Options{AllowSpend: true}),
		}
		cells := make([]string, 3)
		var n [3]int
		for i, ids := range cols {
			n[i] = len(ids)
			if len(ids) > 0 {
				totals[i]++
			}
			cells[i] = fmt.Sprintf("%d: %s", len(ids), shortList(ids))
			if len(ids) == 0 {
				cells[i] = "**missed**"
			}
		}
		caught[bh.name] = n
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", bh.name, bh.kind, cells[0], cells[1], cells[2])
	}
	fmt.Fprintf(&b, "| **caught** | | **%d of %d** | **%d of %d** | **%d of %d** |\n", totals[0], len(behaviours()), totals[1], len(behaviours()), totals[2], len(behaviours()))
	for _, name := range mustCatchSafely {
		if n, ok := caught[name]; !ok || n[2] == 0 {
			t.Errorf("%q: not caught through a reader with --allow-spend (failing cases %v)", name, n)
		}
	}
	const path = "../docs/mutation.md"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, tableBegin), strings.Index(s, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s: no %q … %q section", path, tableBegin, tableEnd)
	}
	want := s[:i+len(tableBegin)] + "\n" + b.String() + s[j:]
	if *updateMutationDoc {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want != s {
		t.Errorf("%s is out of date; run go test ./conformance -run TestMutantClasses -update-mutation-doc. The table is:\n%s", path, b.String())
	}
}

// shortList names the first few IDs of a list.
func shortList(ids []string) string {
	const show = 4
	if len(ids) <= show {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:show], ", ") + ", …"
}
