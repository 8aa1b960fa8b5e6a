package fuzz

import (
	"fmt"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/vpcd"
)

// Embedded is an emulated card as a fuzz Target. Restore starts over from
// the state it was made with, so every sequence meets the same card.
type Embedded struct {
	name  string
	state *emulator.State
	card  *emulator.Card
	// Wrap, if set, wraps each new card, e.g. to plant a bug or to make it hostile.
	Wrap func(*emulator.Card) vpcd.Card
	cur  vpcd.Card
	// dirty is set once a command that may change a secret or a counter
	// (VERIFY, CHANGE REFERENCE DATA, CHANGE KEY, RESET RETRY COUNTER with
	// data) reached the card. Restore only rebuilds a dirty card: making
	// one parses its RSA keys, which costs a millisecond.
	dirty bool
}

// NewEmbedded returns a target holding a card made from s.
func NewEmbedded(name string, s *emulator.State) (*Embedded, error) {
	e := &Embedded{name: name, state: s.Clone()}
	if err := e.Restore(); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Embedded) Name() string { return e.name }

func (e *Embedded) Transmit(cmd []byte) ([]byte, error) {
	if len(cmd) > 4 {
		switch cmd[1] {
		case 0x20, 0x24, 0x2C, 0x32:
			e.dirty = true
		}
	}
	return e.cur.Transmit(cmd), nil
}

func (e *Embedded) Reset() error {
	e.cur.Reset()
	return nil
}

// Restore puts the card back into its initial state: a warm reset when no
// command since the last Restore could have changed it, else a new card.
func (e *Embedded) Restore() error {
	if e.cur != nil && !e.dirty {
		e.cur.Reset()
		return nil
	}
	e.dirty = false
	c, err := emulator.New(e.state)
	if err != nil {
		return fmt.Errorf("fuzz: embedded card %s: %w", e.name, err)
	}
	e.card, e.cur = c, c
	if e.Wrap != nil {
		e.cur = e.Wrap(c)
	}
	return nil
}

// Snapshot returns the current card state.
func (e *Embedded) Snapshot() *emulator.State { return e.card.Snapshot() }

// Dirty reports whether the card may differ from its initial state.
func (e *Embedded) Dirty() bool { return e.dirty }

// Initial returns the state every sequence starts from.
func (e *Embedded) Initial() *emulator.State { return e.state }
