// Package embedded runs an emulated card in this process as the target the
// conformance suite and the fuzzers drive: Transmit and Reset as through a
// reader (a contactless one for a contactless chip, profile.Present), and
// Restore, which returns to the card it was made with by copying back its
// secrets and counters (emulator.Checkpoint), so a fuzzer can start every
// input from the same card at no real cost.
package embedded

import (
	"fmt"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/contactless"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/vpcd"
)

// Target is an emulated card. It never writes a card file: what commands
// and issuer operations do stays in memory until Restore undoes it.
type Target struct {
	name    string
	initial *emulator.State
	card    *emulator.Card
	start   *emulator.Checkpoint
	cur     vpcd.Card // card, or what Wrap made of it
}

// New starts a card holding a copy of s.
func New(name string, s *emulator.State) (*Target, error) {
	c, err := emulator.New(s)
	if err != nil {
		return nil, fmt.Errorf("embedded card %s: %w", name, err)
	}
	return &Target{name: name, initial: s.Clone(), card: c, start: c.Checkpoint(), cur: profile.Present(s, c, contactless.Part3)}, nil
}

// Wrap sends every later command through w(card), e.g. to plant a bug or
// to make the card hostile; a contactless chip's reader stays in front.
func (t *Target) Wrap(w func(*emulator.Card) vpcd.Card) {
	t.cur = profile.Present(t.initial, w(t.card), contactless.Part3)
}

func (t *Target) Name() string { return t.name }

func (t *Target) Transmit(cmd []byte) ([]byte, error) { return t.cur.Transmit(cmd), nil }

// ATR is the ATR the reader reports for the current activation.
func (t *Target) ATR() []byte { return t.cur.ATR() }

func (t *Target) Reset() error {
	t.cur.Reset()
	return nil
}

// Restore puts the card back into the state it was made with, in a new session.
func (t *Target) Restore() error { return t.card.Restore(t.start) }

// Issue runs a municipal-terminal operation on the card (emulator.Card.Issue).
func (t *Target) Issue(op func(*emulator.State) error) error { return t.card.Issue(op) }

// Card is the running card, for checks of its state.
func (t *Target) Card() *emulator.Card { return t.card }

// Initial is the state the card was made with; callers must not change it.
func (t *Target) Initial() *emulator.State { return t.initial }
