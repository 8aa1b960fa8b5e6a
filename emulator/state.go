package emulator

import (
	"bytes"
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
	Kind          Kind     `json:"kind"`
	Holder        Holder   `json:"holder"`
	Settings      Settings `json:"settings"`
	// Chip names the chip generation (a profile preset, card.md §1.1–§1.2)
	// the ATRs come from; empty in files made before chips had names.
	Chip string `json:"chip,omitempty"`
	ATR  []byte `json:"atr"` // what the reader reports
	// StoredATR is the contact ATR the chip keeps, answered without TS by
	// GET DATA 5F51 (card.md §1.1); empty when it is ATR itself, as on a
	// contact chip. A contactless chip's reader ATR is built by the reader.
	StoredATR []byte `json:"stored_atr,omitempty"`

	// Files maps each EF with data to its physical bytes, filler included.
	// Record EFs (juki 0002, common 0001 and 0002) hold their records as
	// consecutive simple-TLV objects; a tag of 00 or FF starts filler.
	Files map[FileRef][]byte `json:"files"`
	// Keys maps each private-key reference to its PKCS#8 DER encoding.
	Keys map[FileRef][]byte `json:"keys"`
	// PINs maps each key reference that VERIFY accepts to its secret and
	// counter. Max is card.md's retry limit (MaxTries); text 0012 has no
	// value and is blocked (Max > 0, Remaining 0) as on every card.
	PINs map[FileRef]*PIN `json:"pins"`
	// SessionKey is the PKCS#8 private half of the key text EF 0006
	// publishes, with which SET SESSION KEY opens a secure-messaging
	// session (card.md §4.2). Without it the text AP answers 66 F1, as the
	// APs with no key delivery do.
	SessionKey []byte `json:"session_key,omitempty"`
	// DataObjects are the MF-level GET DATA objects no other field gives
	// (card.md §2): issuer and card identification numbers, GP card
	// recognition data, the CV certificate chain. An absent one answers
	// 6A 88, as 7F21 does on older cards.
	DataObjects map[DataTag][]byte `json:"data_objects,omitempty"`

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

// PIN is one key reference's secret and its retry counter. Max is the
// key's retry limit, which validation holds to MaxTries: every key on the
// card has one (card.md §7.1), so the 63 00 of an unlimited key never occurs.
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

// Clone returns a deep copy of s.
func (s *State) Clone() *State {
	c := *s
	c.ATR = bytes.Clone(s.ATR)
	c.StoredATR = bytes.Clone(s.StoredATR)
	c.Files = make(map[FileRef][]byte, len(s.Files))
	for r, d := range s.Files {
		c.Files[r] = bytes.Clone(d)
	}
	c.Keys = make(map[FileRef][]byte, len(s.Keys))
	for r, d := range s.Keys {
		c.Keys[r] = bytes.Clone(d)
	}
	c.SessionKey = bytes.Clone(s.SessionKey)
	if s.DataObjects != nil {
		c.DataObjects = make(map[DataTag][]byte, len(s.DataObjects))
		for t, d := range s.DataObjects {
			c.DataObjects[t] = bytes.Clone(d)
		}
	}
	c.PINs = make(map[FileRef]*PIN, len(s.PINs))
	for r, p := range s.PINs {
		if p == nil {
			c.PINs[r] = nil
			continue
		}
		q := *p
		q.Value = Secret(bytes.Clone(p.Value))
		c.PINs[r] = &q
	}
	c.Issuer = IssuerPKI{
		AuthCACert: bytes.Clone(s.Issuer.AuthCACert),
		AuthCAKey:  bytes.Clone(s.Issuer.AuthCAKey),
		SignCACert: bytes.Clone(s.Issuer.SignCACert),
		SignCAKey:  bytes.Clone(s.Issuer.SignCAKey),
	}
	return &c
}

// Validate checks that s is a card this package can run: known format
// version and settings, every file, key and secret at a reference the
// card.md file maps (§4) give that kind, keys that parse, secrets in their
// format with the retry limits of §7.1.
func (s *State) Validate() error {
	_, err := s.compile()
	return err
}

// maxEFSize is the largest EF a 15-bit READ BINARY offset can reach.
const maxEFSize = 0x8000

// compile validates s and indexes it for the running card.
func (s *State) compile() (*fileSystem, error) {
	fs, err := s.check()
	if err != nil {
		return nil, fmt.Errorf("emulator: invalid card state: %w", err)
	}
	return fs, nil
}

func (s *State) check() (*fileSystem, error) {
	if s.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("format_version %d: this build reads version %d", s.FormatVersion, FormatVersion)
	}
	if err := s.Settings.Validate(); err != nil {
		return nil, err
	}
	for _, a := range []struct {
		field string
		atr   []byte
	}{{"atr", s.ATR}, {"stored_atr", s.StoredATR}} {
		if (a.field == "atr" || len(a.atr) > 0) && (len(a.atr) < 2 || len(a.atr) > 33 || a.atr[0] != 0x3B && a.atr[0] != 0x3F) {
			return nil, fmt.Errorf("%s % X: want 2–33 bytes starting 3B or 3F", a.field, a.atr)
		}
	}
	for ref, d := range s.Files {
		e, ok := lookupEF(ref)
		switch {
		case !ok || e.kind != efBinary && e.kind != efRecord:
			return nil, fmt.Errorf("files %v: not a data EF in the file map", ref)
		case len(d) == 0 || len(d) > maxEFSize:
			return nil, fmt.Errorf("files %v: %d bytes, want 1..%d", ref, len(d), maxEFSize)
		case e.kind == efRecord:
			if err := validRecords(d); err != nil {
				return nil, fmt.Errorf("files %v: record EF: %w", ref, err)
			}
		}
	}
	for ref := range s.Keys {
		if e, ok := lookupEF(ref); !ok || e.kind != efKey {
			return nil, fmt.Errorf("keys %v: not a key EF in the file map", ref)
		}
	}
	for ref := range s.PINs {
		if e, ok := lookupEF(ref); !ok || e.kind != efPIN {
			return nil, fmt.Errorf("pins %v: not a key reference in the file map", ref)
		}
	}
	if _, ok := s.Files[TextSMKey]; len(s.SessionKey) > 0 && !ok {
		return nil, fmt.Errorf("session_key: no %v holds its public key", TextSMKey)
	}
	if err := validatePINs(s); err != nil {
		return nil, err
	}
	if err := validDataObjects(s.DataObjects); err != nil {
		return nil, err
	}
	return buildFS(s)
}
