package control_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mynacard/mynacard/conformance"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/vpcd/control"
)

// walkDepth is how many issuer operations a walk strings together.
const walkDepth = 3

// walkRequests are the issuer operations `mynacard issuer` and the control
// channel can send, with their defaults, an unblock of every key reference
// the card has (and of one it has not, and of a file), and 照合番号 values
// the card's data does not imply.
func walkRequests() []control.Request {
	reqs := []control.Request{{Op: "face-auth"}, {Op: "reverse"}, {Op: "issue-sign-cert"}}
	for _, key := range []string{
		"jpki/0018", "jpki/001B", "text/0011", "text/0012", "text/0014", "text/0015",
		"visual/0011", "visual/0012", "visual/0013", "juki/001C", "common/001C",
		"jpki/0099", "jpki/000A",
	} {
		reqs = append(reqs, control.Request{Op: "unblock", Key: key})
	}
	return append(reqs,
		control.Request{Op: "unblock", Key: "text/0014", Value: "123456789013"},
		control.Request{Op: "unblock", Key: "visual/0012", Value: "55021720359999"},
		control.Request{Op: "unblock", Key: "visual/0011", Value: "800217"},
	)
}

func (r walkRequestName) String() string {
	c := control.Request(r)
	if c.Value != "" {
		return fmt.Sprintf("%s %s=%s", c.Op, c.Key, c.Value)
	}
	return strings.TrimSpace(c.Op + " " + c.Key)
}

type walkRequestName control.Request

// fingerprint is what decides how a card answers and what later
// operations do to it: its kind, each key's counter and whether its value
// is the one the card started with, which files and keys it has, and the
// certificate status EF. Two cards with one fingerprint differ only in
// random PINs nobody knows and in freshly issued sign certificates and
// keys, so the walk checks and expands each fingerprint once, at the
// shallowest depth it appears.
func fingerprint(s, root *emulator.State) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|% X|", s.Kind, s.Files[emulator.JPKICertStatus])
	var keys []string
	for ref, p := range s.PINs {
		keys = append(keys, fmt.Sprintf("%v:%d/%d:%v", ref, p.Remaining, p.Max, bytes.Equal(p.Value, root.PINs[ref].Value)))
	}
	for ref := range s.Files {
		keys = append(keys, "f"+ref.String())
	}
	for ref := range s.Keys {
		keys = append(keys, "k"+ref.String())
	}
	slices.Sort(keys)
	b.WriteString(strings.Join(keys, ","))
	return b.String()
}

// TestIssuerWalk applies every sequence of up to walkDepth issuer
// operations to the default card of every kind and runs the whole
// conformance suite, destructive cases included, on every card that
// results: the issuer can make no card the suite rejects. A refused
// operation must leave the card as it was.
func TestIssuerWalk(t *testing.T) {
	if testing.Short() {
		t.Skip("generates sign keys")
	}
	reqs := walkRequests()
	type node struct {
		s    *emulator.State
		path []string
	}
	checked, refused := 0, 0
	for _, kind := range emulator.Kinds() {
		root, err := profile.Default(kind)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{fingerprint(root, root): true}
		level := []node{{root, []string{string(kind)}}}
		checkCard(t, level[0].s, level[0].path)
		checked++
		for depth := 1; depth <= walkDepth; depth++ {
			var next []node
			for _, n := range level {
				before, err := json.Marshal(n.s)
				if err != nil {
					t.Fatal(err)
				}
				for _, req := range reqs {
					path := append(slices.Clone(n.path), walkRequestName(req).String())
					apply, err := control.IssuerOp(req)
					if err != nil {
						t.Fatalf("%v: %v", path, err)
					}
					s := n.s.Clone()
					if err := apply(s); err != nil {
						refused++
						if after, _ := json.Marshal(s); !bytes.Equal(before, after) {
							t.Errorf("%v: refused (%v) but changed the card", path, err)
						}
						continue
					}
					fp := fingerprint(s, root)
					if seen[fp] {
						continue
					}
					seen[fp] = true
					checkCard(t, s, path)
					checked++
					next = append(next, node{s, path})
				}
			}
			level = next
		}
	}
	t.Logf("%d distinct cards checked, %d refused operations", checked, refused)
}

// checkCard runs the conformance catalogue on s as its own kind and
// fails on any failed case.
func checkCard(t *testing.T, s *emulator.State, path []string) {
	t.Helper()
	tgt, err := conformance.NewEmbedded(strings.Join(path, " → "), s)
	if err != nil {
		t.Errorf("%v: %v", path, err)
		return
	}
	rep, err := conformance.Run(tgt, tgt.Profile(), conformance.Options{})
	if err != nil {
		t.Errorf("%v: %v", path, err)
		return
	}
	for _, r := range rep.Results {
		if r.Status == conformance.Fail {
			t.Errorf("%s: %s %s: %v", tgt.Name(), r.ID, r.Title, r.Failures)
		}
	}
}
