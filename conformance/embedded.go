package conformance

import (
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/cardfile"
	"github.com/mynacard/mynacard/emulator/embedded"
	"github.com/mynacard/mynacard/emulator/profile"
)

// Embedded is the emulator running in this process. It never writes a
// card file: whatever the cases do stays in memory, and Restore returns
// to the state it was made from.
type Embedded struct {
	*embedded.Target
}

// NewEmbedded starts an emulated card holding a copy of s.
func NewEmbedded(name string, s *emulator.State) (*Embedded, error) {
	t, err := embedded.New(name, s)
	if err != nil {
		return nil, err
	}
	return &Embedded{t}, nil
}

// EmbeddedKind starts the default persona's card of the given kind.
func EmbeddedKind(kind emulator.Kind) (*Embedded, error) {
	s, err := profile.Default(kind)
	if err != nil {
		return nil, err
	}
	return NewEmbedded("embedded:"+string(kind), s)
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
func (e *Embedded) Profile() Profile { return ProfileFromState(e.Initial()) }

// ATR is what a reader shows for the card now: a contactless chip's is
// built by its reader.
func (e *Embedded) ATR() ([]byte, error) { return e.Target.ATR(), nil }

func (e *Embedded) Caps() Caps { return Caps{Issuer: e} }

func (e *Embedded) Close() error { return nil }
