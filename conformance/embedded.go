package conformance

import (
	"fmt"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/cardfile"
	"github.com/mynacard/mynacard/emulator/profile"
)

// Embedded is the emulator running in this process. It never writes a
// card file: whatever the cases do stays in memory, and Restore returns
// to the state it was made from.
type Embedded struct {
	name    string
	initial *emulator.State
	card    *emulator.Card
}

// NewEmbedded starts an emulated card holding a copy of s.
func NewEmbedded(name string, s *emulator.State) (*Embedded, error) {
	e := &Embedded{name: name, initial: s.Clone()}
	if err := e.Restore(); err != nil {
		return nil, err
	}
	return e, nil
}

// EmbeddedKind starts the default persona's card of the given kind.
func EmbeddedKind(kind string) (*Embedded, error) {
	s, err := profile.Default(profile.Kind(kind))
	if err != nil {
		return nil, err
	}
	return NewEmbedded("embedded:"+kind, s)
}

// EmbeddedFile starts a card from a card file, which is only read.
func EmbeddedFile(path string) (*Embedded, error) {
	s, err := cardfile.Load(path)
	if err != nil {
		return nil, err
	}
	return NewEmbedded("embedded:"+path, s)
}

// Profile is everything the suite may know of this card: all its secrets.
func (e *Embedded) Profile() Profile { return ProfileFromState(e.initial) }

func (e *Embedded) Name() string { return e.name }

func (e *Embedded) Transmit(cmd []byte) ([]byte, error) { return e.card.Transmit(cmd), nil }

func (e *Embedded) Reset() error { e.card.Reset(); return nil }

func (e *Embedded) Caps() Caps { return Caps{Issuer: e} }

func (e *Embedded) Close() error { return nil }

func (e *Embedded) Issue(op func(*emulator.State) error) error { return e.card.Issue(op) }

func (e *Embedded) Restore() error {
	c, err := emulator.New(e.initial)
	if err != nil {
		return fmt.Errorf("conformance: %s: %w", e.name, err)
	}
	e.card = c
	return nil
}
