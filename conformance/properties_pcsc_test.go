//go:build linux

package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/vpcd/pcscd"
	"github.com/mynacard/mynacard/vpcd/pcsctest"
	"github.com/mynacard/mynacard/vpcd/testbed"
)

// pcscWalkSteps bounds the CI cost: one walk of this many steps per kind
// and chip, through pcscd.
const pcscWalkSteps = 150

// TestPropertiesThroughPCSC walks every kind on every chip preset through
// a private pcscd and vpcd, as a reader run would (the target is "real":
// only what a real card may be sent is sent), each card with its own seed.
func TestPropertiesThroughPCSC(t *testing.T) {
	type cell struct {
		kind emulator.Kind
		chip profile.Chip
	}
	var cells []cell
	for _, c := range profile.Chips() {
		for _, k := range emulator.Kinds() {
			cells = append(cells, cell{k, c.Name})
		}
	}
	start := time.Now()
	apdus := 0
	// One private pcscd per batch: pcsctest runs one at a time, each
	// until its (sub)test ends.
	for first := 0; first < len(cells); first += pcscd.MaxSlots {
		batch := cells[first:min(first+pcscd.MaxSlots, len(cells))]
		t.Run(fmt.Sprintf("cards %d-%d", first+1, first+len(batch)), func(t *testing.T) {
			cards := make([]testbed.Card, len(batch))
			for i, c := range batch {
				card, err := testbed.NewChipCard(c.kind, c.chip)
				if err != nil {
					t.Fatal(err)
				}
				cards[i] = testbed.Card{Name: string(c.kind) + "@" + string(c.chip), Card: card}
			}
			bed := pcsctest.StartCards(t, cards...)
			for i, c := range batch {
				seed := uint64(first + i + 1)
				tgt, err := OpenPCSC(bed.Readers()[i])
				if err != nil {
					t.Fatal(err)
				}
				rep, err := RunProperties(tgt, Profile{Kind: c.kind}, PropertyOptions{Seed: seed, Steps: pcscWalkSteps})
				if cerr := tgt.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					t.Fatalf("%s on %s: %v", c.kind, c.chip, err)
				}
				r := rep.Results[0]
				apdus += len(r.Exchange)
				if r.Status != Pass || rep.Spent != nil {
					t.Errorf("%s on %s, seed %d: %s, spent %+v\n%s", c.kind, c.chip, seed, r.Status, rep.Spent, formatFailure(r, false))
				}
			}
		})
	}
	t.Logf("%d walks of %d steps (%d exchanges) through pcscd in %v", len(cells), pcscWalkSteps, apdus, time.Since(start).Round(time.Millisecond))
}
