package control

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
)

// Request is one line a client sends.
type Request struct {
	Op   string `json:"op"`
	Slot int    `json:"slot"`
	// Key is a key reference such as jpki/0018 (unblock, tries).
	Key string `json:"key,omitempty"`
	// Value is a key's new value (unblock).
	Value string `json:"value,omitempty"`
	// Password is the new sign password (issue-sign-cert).
	Password string `json:"password,omitempty"`
	// PINs are the four 4-digit PINs a reversed card gets (reverse).
	PINs *PINs `json:"pins,omitempty"`
	// Tries is the retry counter to set (tries).
	Tries *int `json:"tries,omitempty"`
	// Seed starts hostile answers; nil stops them (hostile).
	Seed *uint64 `json:"seed,omitempty"`
}

// PINs are the values `reverse` sets; an empty one keeps the default
// persona's.
type PINs struct {
	Auth   string `json:"auth,omitempty"`
	Text   string `json:"text,omitempty"`
	Juki   string `json:"juki,omitempty"`
	Common string `json:"common,omitempty"`
}

// Response is the line the server answers.
type Response struct {
	OK      bool     `json:"ok"`
	Error   string   `json:"error,omitempty"`
	Message string   `json:"message,omitempty"`
	Cards   []Status `json:"cards,omitempty"`
}

// Status describes one served card (op status).
type Status struct {
	Slot     int     `json:"slot"`
	Name     string  `json:"name"`
	Reader   string  `json:"reader"`
	Kind     string  `json:"kind"`
	Inserted bool    `json:"inserted"`
	Hostile  *uint64 `json:"hostile,omitempty"`
}

// IssuerOps names the issuer operations, in the order help lists them.
func IssuerOps() []string { return []string{"face-auth", "reverse", "unblock", "issue-sign-cert"} }

// IssuerOp returns the state transform of issuer operation r.Op, with the
// default persona's values for whatever r leaves empty. `mynacard issuer`
// applies it to a card file at rest, the control channel to a served card.
func IssuerOp(r Request) (func(*emulator.State) error, error) {
	persona := profile.DefaultPersona()
	switch r.Op {
	case "face-auth":
		return func(s *emulator.State) error { return s.ConvertToFaceAuth(rand.Reader) }, nil
	case "reverse":
		var p PINs
		if r.PINs != nil {
			p = *r.PINs
		}
		set := emulator.PINSet{
			Auth: secretOr(p.Auth, persona.AuthPIN), Text: secretOr(p.Text, persona.TextPIN),
			Juki: secretOr(p.Juki, persona.JukiPIN), Common: secretOr(p.Common, persona.CommonPIN),
		}
		return func(s *emulator.State) error { return s.ReverseFaceAuth(set) }, nil
	case "unblock":
		ref, err := keyRef(r.Key)
		if err != nil {
			return nil, err
		}
		v := r.Value
		if v == "" {
			v = map[emulator.FileRef]string{
				emulator.JPKIAuthPIN: persona.AuthPIN, emulator.JPKISignPassword: persona.SignPassword,
				emulator.TextPIN: persona.TextPIN, emulator.JukiPIN: persona.JukiPIN, emulator.CommonPIN: persona.CommonPIN,
			}[ref]
		}
		// Without a value the card decides: the 照合番号 keys take the one its
		// data implies, any other key is refused for want of one.
		var value emulator.Secret
		if v != "" {
			value = emulator.Secret(v)
		}
		return func(s *emulator.State) error { return s.Unblock(ref, value) }, nil
	case "issue-sign-cert":
		pass := secretOr(r.Password, persona.SignPassword)
		return func(s *emulator.State) error { return profile.IssueSignCert(s, pass, time.Now()) }, nil
	}
	return nil, fmt.Errorf("%q is not an issuer operation (want one of %v)", r.Op, IssuerOps())
}

func secretOr(v, def string) emulator.Secret {
	if v == "" {
		v = def
	}
	return emulator.Secret(v)
}

// keyRef parses a key reference; empty means the JPKI auth PIN.
func keyRef(s string) (emulator.FileRef, error) {
	if s == "" {
		return emulator.JPKIAuthPIN, nil
	}
	var ref emulator.FileRef
	if err := ref.UnmarshalText([]byte(s)); err != nil {
		return ref, fmt.Errorf("key %q: %v (e.g. jpki/0018, jpki/001B, text/0011, juki/001C, common/001C)", s, err)
	}
	return ref, nil
}
