package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
)

// Profile is what the suite knows about the card under test: its kind and
// the secrets the caller is willing to have the suite present. A secret
// that is absent is never sent, so cases that need it are skipped.
type Profile struct {
	// Kind is one of emulator.Kinds, or "" when unknown (the runner then
	// detects it).
	Kind emulator.Kind
	// Secrets maps key references to their values: both PINs and
	// 照合番号 (text 0014 and visual 0013 hold the My Number).
	Secrets map[emulator.FileRef]emulator.Secret
	// Tries maps key references to their retry limit, where known.
	Tries map[emulator.FileRef]int
}

// card.md §7.1: the retry limits of the PINs and the sign password. The
// common AP's 001C is UNCERTAIN there; it is part of the 4-digit 個人番号
// カード用 PIN and counts 3 like the others (docs/uncertain.md).
var specTries = map[emulator.FileRef]int{
	emulator.JPKIAuthPIN:      3,
	emulator.JPKISignPassword: 5,
	emulator.TextPIN:          3,
	emulator.JukiPIN:          3,
	emulator.CommonPIN:        3,
}

// collationKeys are the keys whose limit card.md §7.1 leaves open; the
// card's documented settings (collation_tries) give it.
var collationKeys = []emulator.FileRef{emulator.TextPINA, emulator.TextPINB, emulator.VisualPINA, emulator.VisualPINB, emulator.VisualDOBKey}

// documentedTries is every limit card.md and the collation setting give;
// collation 0 leaves the 照合番号 keys' limit unknown.
func documentedTries(collation int) map[emulator.FileRef]int {
	tries := maps.Clone(specTries)
	if collation > 0 {
		for _, ref := range collationKeys {
			tries[ref] = collation
		}
	}
	return tries
}

// ProfileFromState is what the suite may know of an emulated card: all of
// its secrets, its kind, and the limits its documented settings give. The
// limits are never the counters the state holds: those are the card's
// answers, which the suite judges.
func ProfileFromState(s *emulator.State) Profile {
	p := Profile{Kind: s.Kind, Secrets: map[emulator.FileRef]emulator.Secret{}, Tries: documentedTries(s.Settings.CollationTries)}
	for ref, pin := range s.PINs {
		p.Secrets[ref] = slices.Clone(pin.Value)
	}
	return p
}

// pinsFile is the JSON form of a Profile for a real card, with names a
// card holder recognises rather than key references.
type pinsFile struct {
	Kind           emulator.Kind `json:"kind"`
	AuthPIN        string        `json:"auth_pin"`
	SignPassword   string        `json:"sign_password"`
	TextPIN        string        `json:"text_pin"`
	JukiPIN        string        `json:"juki_pin"`
	CommonPIN      string        `json:"common_pin"`
	MyNumber       string        `json:"my_number"`      // 照合番号A
	CollationB     string        `json:"collation_b"`    // 照合番号B, 14 digits (card.md §7.3)
	BirthDateKey   string        `json:"birth_date_key"` // visual AP key 0011: 和暦 YYMMDD
	CollationTries int           `json:"collation_tries"`
}

// LoadProfile reads a pins file: a JSON object with any of kind, auth_pin,
// sign_password, text_pin, juki_pin, common_pin, my_number, collation_b,
// birth_date_key and collation_tries. Errors name the file and never
// repeat a secret.
func LoadProfile(path string) (Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Profile{}, err
	}
	p, err := ParseProfile(b)
	if err != nil {
		return Profile{}, fmt.Errorf("pins file %s: %w", path, err)
	}
	return p, nil
}

// ParseProfile decodes the JSON form LoadProfile reads, or a persona
// file (mynacard profile persona), whose 照合番号B and birth-date key come
// from its birth date, card expiry and security code.
func ParseProfile(b []byte) (Profile, error) {
	f, err := decodePins(b)
	if err != nil {
		return Profile{}, err
	}
	if f.Kind != "" {
		if err := f.Kind.Validate(); err != nil {
			return Profile{}, err
		}
	}
	if f.CollationTries < 0 || f.CollationTries > 15 {
		return Profile{}, fmt.Errorf("collation_tries %d: want 1..15 (a 63Cx status word carries at most 15)", f.CollationTries)
	}
	p := Profile{Kind: f.Kind, Secrets: map[emulator.FileRef]emulator.Secret{}, Tries: documentedTries(f.CollationTries)}
	set := []struct {
		field string
		value string
		refs  []emulator.FileRef
	}{
		{"auth_pin", f.AuthPIN, []emulator.FileRef{emulator.JPKIAuthPIN}},
		{"sign_password", f.SignPassword, []emulator.FileRef{emulator.JPKISignPassword}},
		{"text_pin", f.TextPIN, []emulator.FileRef{emulator.TextPIN}},
		{"juki_pin", f.JukiPIN, []emulator.FileRef{emulator.JukiPIN}},
		{"common_pin", f.CommonPIN, []emulator.FileRef{emulator.CommonPIN}},
		{"my_number", f.MyNumber, []emulator.FileRef{emulator.TextPINA, emulator.VisualPINA}},
		{"collation_b", f.CollationB, []emulator.FileRef{emulator.TextPINB, emulator.VisualPINB}},
		{"birth_date_key", f.BirthDateKey, []emulator.FileRef{emulator.VisualDOBKey}},
	}
	for _, s := range set {
		if s.value == "" {
			continue
		}
		for _, ref := range s.refs {
			if err := emulator.ValidatePIN(ref, []byte(s.value)); err != nil {
				return Profile{}, fmt.Errorf("%s: %w", s.field, err)
			}
			p.Secrets[ref] = emulator.Secret(s.value)
		}
	}
	return p, nil
}

// decodePins reads a pins file, or failing that a persona file.
func decodePins(b []byte) (pinsFile, error) {
	var f pinsFile
	err := strictJSON(b, &f)
	if err == nil {
		return f, nil
	}
	var p profile.Persona
	if strictJSON(b, &p) != nil {
		// json's messages quote field names and types, never values.
		return f, err
	}
	f = pinsFile{AuthPIN: p.AuthPIN, SignPassword: p.SignPassword, TextPIN: p.TextPIN, JukiPIN: p.JukiPIN, CommonPIN: p.CommonPIN, MyNumber: p.MyNumber}
	if !p.BirthDate.IsZero() {
		if f.BirthDateKey, err = emulator.BirthDateKey(p.BirthDate); err != nil {
			return f, fmt.Errorf("persona birth_date: %w", err)
		}
		if !p.CardExpiry.IsZero() && p.SecurityCode != "" {
			if f.CollationB, err = emulator.CollationB(p.BirthDate, p.CardExpiry, p.SecurityCode); err != nil {
				return f, fmt.Errorf("persona 照合番号B: %w", err)
			}
		}
	}
	return f, nil
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// WritePinsFile writes the pins file of a card: every secret it holds,
// its kind and its collation-key limit, as --pins reads them.
func WritePinsFile(w io.Writer, s *emulator.State) error {
	secret := func(ref emulator.FileRef) string {
		if p := s.PINs[ref]; p != nil {
			return string(p.Value)
		}
		return ""
	}
	f := pinsFile{
		Kind: s.Kind, AuthPIN: secret(emulator.JPKIAuthPIN), SignPassword: secret(emulator.JPKISignPassword),
		TextPIN: secret(emulator.TextPIN), JukiPIN: secret(emulator.JukiPIN), CommonPIN: secret(emulator.CommonPIN),
		MyNumber: secret(emulator.TextPINA), CollationB: secret(emulator.TextPINB), BirthDateKey: secret(emulator.VisualDOBKey),
		CollationTries: s.Settings.CollationTries,
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(f)
}

// has reports whether the profile holds the secret of ref.
func (p Profile) has(ref emulator.FileRef) bool {
	_, ok := p.Secrets[ref]
	return ok
}
