package emulator

import (
	"fmt"
	"time"
)

// FormatVersion is the version of the card file this package writes. Load
// refuses any other version with an error that names it.
const FormatVersion = 1

// State is everything a card holds that outlives a power cycle: the EF
// contents served verbatim, private keys, secrets with their retry counters,
// and the issuer's test PKI. A card file is a State as JSON.
type State struct {
	FormatVersion int      `json:"format_version"`
	Kind          string   `json:"kind"` // preset it was made from: normal, face-auth, …
	Holder        Holder   `json:"holder"`
	Settings      Settings `json:"settings"`
	ATR           []byte   `json:"atr"`

	// Files maps each EF with data to its physical bytes, filler included.
	Files map[FileRef][]byte `json:"files"`
	// Keys maps each private-key reference to its PKCS#8 DER encoding.
	Keys map[FileRef][]byte `json:"keys"`
	// PINs maps each key reference that VERIFY accepts to its secret and counter.
	PINs map[FileRef]*PIN `json:"pins"`

	Issuer IssuerPKI `json:"issuer"`
}

// Holder is the card holder as printed on the card, kept so issuer
// operations can re-issue certificates and the suite can derive 照合番号.
type Holder struct {
	Name             string    `json:"name"`    // family and given name separated by U+3000
	Address          string    `json:"address"` // UTF-8, as on the card face
	BirthDate        time.Time `json:"birth_date"`
	Sex              string    `json:"sex"`       // JIS X 0303 digit: 1, 2 or 9
	MyNumber         string    `json:"my_number"` // 12 digits, valid check digit
	CardExpiry       time.Time `json:"card_expiry"`
	SecurityCode     string    `json:"security_code"`     // 4 digits printed under the photo
	MunicipalityCode string    `json:"municipality_code"` // 5-digit 全国地方公共団体コード (without check digit: 6 → 5)
	Prefecture       string    `json:"prefecture"`
	City             string    `json:"city"`
}

// PIN is one key reference's secret and its retry counter. Max 0 means the
// key has no retry limit (answers 63 00).
type PIN struct {
	Value     Secret `json:"value"`
	Max       int    `json:"max"`
	Remaining int    `json:"remaining"`
}

// Blocked reports whether the counter is used up.
func (p *PIN) Blocked() bool { return p.Max > 0 && p.Remaining <= 0 }

// Secret holds a PIN, password or 照合番号. It prints as a fixed mask so a
// secret cannot reach a log line or error message through fmt.
type Secret []byte

const redacted = "[REDACTED]"

func (Secret) String() string                  { return redacted }
func (Secret) GoString() string                { return redacted }
func (s Secret) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }

// IssuerPKI is the municipal side's test PKI, kept in the card file so that
// issuer operations can issue new certificates for this card.
type IssuerPKI struct {
	AuthCACert []byte `json:"auth_ca_cert"` // DER
	AuthCAKey  []byte `json:"auth_ca_key"`  // PKCS#8 DER
	SignCACert []byte `json:"sign_ca_cert"`
	SignCAKey  []byte `json:"sign_ca_key"`
}
