// Package conformance is the My Number card conformance suite: a catalogue
// of cases with stable IDs, each tied to sections of card.md, run against
// a Target (the embedded emulator, or any PC/SC reader holding a card).
//
// A real card's PINs are never put at risk unless the caller says so: on a
// real target only read-only cases run by default, every VERIFY that
// carries a value is preceded by a retry-counter query and refused when a
// miss would leave fewer than 2 tries, a VERIFY is only ever sent with a
// value the caller supplied, and destructive cases need both an explicit
// allowance and a reader chosen by its exact name.
package conformance

import (
	"github.com/mynacard/mynacard/emulator"
)

// Target is a card the suite talks to.
type Target interface {
	// Name identifies the target in reports, e.g. "embedded:face-auth".
	Name() string
	// Transmit sends one command APDU and returns the response APDU
	// (data and SW). An error means the transport failed, not the card.
	Transmit(cmd []byte) ([]byte, error)
	// Reset warm-resets the card: selection and security status are cleared.
	Reset() error
	Caps() Caps
	Close() error
}

// ATRTarget is a Target that can tell the ATR its reader reports; the
// contactless cases need it.
type ATRTarget interface {
	ATR() ([]byte, error)
}

// Caps says what a target can do beyond exchanging APDUs and which safety
// rules apply to it.
type Caps struct {
	// Real is set for a physical card: the safety rules apply.
	Real bool
	// ReaderNamed is set when the reader was chosen by its exact name, which
	// destructive cases on a real card require so that they cannot hit
	// whatever card happens to sit in the first reader.
	ReaderNamed bool
	// Issuer runs municipal-terminal operations; nil when the target has none.
	Issuer Issuer
}

// Issuer is the municipal side of a card: operations no APDU can perform
// (face-auth conversion and reversal, unblocking, re-issuing certificates).
type Issuer interface {
	Issue(op func(*emulator.State) error) error
	// Restore puts the card back into the state the target started with;
	// the runner calls it after every case that may change the card.
	Restore() error
}
