// Package pki is a test public-key infrastructure shaped like JPKI (card.md
// §10): two self-signed roots, one for user authentication and one for
// digital signature, and the two end-entity certificates a My Number card
// carries. Every name says O=JPKI-TEST so that nothing issued here can be
// mistaken for a production certificate.
package pki

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
	"unicode/utf8"
)

// KeyBits is the size of every RSA key in the hierarchy (card.md §10).
const KeyBits = 2048

// Organization replaces the production O=JPKI in every distinguished name.
const Organization = "JPKI-TEST"

const agencyOU = "Japan Agency for Local Authority Information Systems"

// Purpose says which of the two JPKI hierarchies a CA or certificate belongs to.
type Purpose int

const (
	Auth Purpose = iota // 利用者証明用: user authentication
	Sign                // 署名用: digital signature
)

func (p Purpose) String() string {
	switch p {
	case Auth:
		return "auth"
	case Sign:
		return "sign"
	}
	return fmt.Sprintf("purpose(%d)", int(p))
}

func (p Purpose) ou() string {
	if p == Sign {
		return "JPKI for digital signature"
	}
	return "JPKI for user authentication"
}

// Object identifiers of the JPKI profile.
var (
	oidAuthPolicy     = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 1, 3, 30}
	oidSignPolicyTest = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 1, 0, 20}

	oidName              = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 1} // 氏名
	oidNameSubstitute    = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 2} // 氏名代替文字位置
	oidSex               = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 3}
	oidBirthDate         = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 4}
	oidAddress           = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 5}
	oidAddressSubstitute = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 6} // 住所代替文字位置

	oidCountry      = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidLocality     = asn1.ObjectIdentifier{2, 5, 4, 7}
	oidOrganization = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOrgUnit      = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidCommonName   = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidExtPolicies  = asn1.ObjectIdentifier{2, 5, 29, 32}
	oidExtCRLDP     = asn1.ObjectIdentifier{2, 5, 29, 31}
	oidExtSAN       = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidExtIAN       = asn1.ObjectIdentifier{2, 5, 29, 18}
	oidExtKeyUsage  = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtBasic     = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtSKI       = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidExtAKI       = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidQualifierCPS = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 2, 1}
	cpsURI          = "http://www.jpki.go.jp/cps.html"
	caValidity      = 10 // years, like the production roots
)

// JST is the zone in which certificate validity ends (23:59:59 of the last day).
func JST() *time.Location { return jst }

var jst = time.FixedZone("JST", 9*60*60)

// Holder is what the certificates need to know about the card holder.
type Holder struct {
	Name    string // 氏名, UTF-8 in JIS X 0208
	Address string // 住所, UTF-8 in JIS X 0208
	// NameSubstituted and AddressSubstituted are the 0-based character
	// positions holding a substitute (代替文字) for a character outside
	// JIS X 0208; each is marked "1" in its position field.
	NameSubstituted, AddressSubstituted []int
	BirthDate                           time.Time
	Sex                                 string // JIS X 0303 digit
	Prefecture                          string
	City                                string
	// CardExpiry bounds the auth certificate: it never outlives the card.
	CardExpiry time.Time
}

// CA is one root of the test hierarchy with its private key.
type CA struct {
	Purpose Purpose
	Cert    *x509.Certificate
	Key     *rsa.PrivateKey
}

// rdn builds a distinguished name with one attribute per RDN, in the given
// order: pkix.Name would merge the two OUs into one multi-valued RDN and
// reorder the attributes, which the JPKI names do not do.
//
// Value types follow the production roots (jpki/myna src/ta/*.pem): the
// country is a PrintableString, every other attribute a UTF8String, even
// when it is ASCII (Go would pick PrintableString).
func rdn(pairs ...any) []byte {
	var seq pkix.RDNSequence
	for i := 0; i < len(pairs); i += 2 {
		oid := pairs[i].(asn1.ObjectIdentifier)
		params := "utf8"
		if oid.Equal(oidCountry) {
			params = "printable"
		}
		v, err := asn1.MarshalWithParams(pairs[i+1], params)
		if err != nil {
			panic(err) // only strings: cannot fail
		}
		seq = append(seq, pkix.RelativeDistinguishedNameSET{{Type: oid, Value: asn1.RawValue{FullBytes: v}}})
	}
	b, err := asn1.Marshal(seq)
	if err != nil {
		panic(err) // only strings and fixed OIDs: cannot fail
	}
	return b
}

// japaneseName is the directory name the production roots carry in their
// subjectAltName (and, here, the leaves in their issuerAltName).
func (p Purpose) japaneseName() []byte {
	ou := "公的個人認証サービス利用者証明用"
	if p == Sign {
		ou = "公的個人認証サービス署名用"
	}
	return rdn(oidCountry, "JP", oidOrganization, "公的個人認証サービス", oidOrgUnit, ou, oidOrgUnit, "地方公共団体情報システム機構")
}

func caName(p Purpose) []byte {
	return rdn(oidCountry, "JP", oidOrganization, Organization, oidOrgUnit, p.ou(), oidOrgUnit, agencyOU)
}

// NewCA generates a key and a self-signed root valid for ten years from now.
func NewCA(rnd io.Reader, p Purpose, now time.Time) (*CA, error) {
	key, err := rsa.GenerateKey(rnd, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("pki: %s CA key: %w", p, err)
	}
	return NewCAWithKey(rnd, p, key, now)
}

// NewCAWithKey makes a self-signed root for an existing key, valid for ten
// years from now.
func NewCAWithKey(rnd io.Reader, p Purpose, key *rsa.PrivateKey, now time.Time) (*CA, error) {
	serial, err := serialNumber(rnd)
	if err != nil {
		return nil, err
	}
	nb := now.UTC().Truncate(time.Second)
	// The production roots end at 23:59:59 JST on the day before the tenth
	// anniversary of issuance (2023-07-16 → 2033-07-15 14:59:59Z).
	end := endOfDay(nb.In(jst).AddDate(caValidity, 0, -1))
	name := caName(p)
	// Extensions in the order and criticality of the production roots.
	exts := []pkix.Extension{
		keyUsageExtension(x509.KeyUsageCertSign | x509.KeyUsageCRLSign),
		{Id: oidExtSAN, Value: generalNames(directoryName(p.japaneseName()))},
		basicConstraintsCA,
		{Id: oidExtCRLDP, Value: crlDistributionPoint(name)},
		{Id: oidExtSKI, Value: keyIDExtension(&key.PublicKey)},
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		RawSubject:            name,
		NotBefore:             nb,
		NotAfter:              end.UTC(),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		ExtraExtensions:       exts,
		SignatureAlgorithm:    x509.SHA256WithRSA,
	}
	der, err := x509.CreateCertificate(rnd, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("pki: %s CA certificate: %w", p, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: %s CA certificate: %w", p, err)
	}
	return &CA{Purpose: p, Cert: cert, Key: key}, nil
}

// LoadCA rebuilds a CA from its DER certificate and PKCS#8 key, checking
// that the two belong together and that the certificate is a CA.
func LoadCA(p Purpose, certDER, pkcs8 []byte) (*CA, error) {
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("pki: %s CA certificate: %w", p, err)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("pki: %s CA certificate %q is not a CA", p, cert.Subject)
	}
	key, err := ParseKey(pkcs8)
	if err != nil {
		return nil, fmt.Errorf("pki: %s CA key: %w", p, err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("pki: %s CA key does not match its certificate", p)
	}
	return &CA{Purpose: p, Cert: cert, Key: key}, nil
}

// ParseKey reads a PKCS#8 RSA private key.
func ParseKey(pkcs8 []byte) (*rsa.PrivateKey, error) {
	k, err := x509.ParsePKCS8PrivateKey(pkcs8)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, want RSA", k)
	}
	return rk, nil
}

// MarshalKey writes key as PKCS#8 DER.
func MarshalKey(key *rsa.PrivateKey) []byte {
	b, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(err) // an RSA key always marshals
	}
	return b
}

// NotAfter returns the end of validity of a card certificate issued at
// issued to someone born on birth: the 5th birthday after issuance, at the
// end of that day in Japan (card.md §10). A 29 February birthday falls on
// 28 February in common years, the day the holder's age changes in law.
func NotAfter(birth, issued time.Time) time.Time {
	issued = issued.In(jst)
	y := issued.Year()
	if !birthdayOf(birth, y).After(issued) {
		y++
	}
	return birthdayOf(birth, y+4).Add(24*time.Hour - time.Second)
}

func birthdayOf(birth time.Time, year int) time.Time {
	m, d := birth.Month(), birth.Day()
	if m == time.February && d == 29 && !isLeap(year) {
		d = 28
	}
	return time.Date(year, m, d, 0, 0, 0, 0, jst)
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// IssueAuth issues the user-authentication certificate for pub. It carries
// no personal data (card.md §10); its subject is C=JP, CN=<issuance
// identifier>, a named choice because the auth subject DN is uncertain.
// Validity ends at the 5th birthday after issuance or at the card expiry,
// whichever is first.
func (ca *CA) IssueAuth(rnd io.Reader, pub *rsa.PublicKey, h Holder, now time.Time) ([]byte, error) {
	if ca.Purpose != Auth {
		return nil, errors.New("pki: auth certificate requested from the sign CA")
	}
	end := NotAfter(h.BirthDate, now)
	if !h.CardExpiry.IsZero() {
		cardEnd := endOfDay(time.Date(h.CardExpiry.Year(), h.CardExpiry.Month(), h.CardExpiry.Day(), 0, 0, 0, 0, jst))
		if cardEnd.Before(end) {
			end = cardEnd
		}
	}
	id, err := IssuanceID(rnd, now)
	if err != nil {
		return nil, err
	}
	return ca.issue(rnd, pub, rdn(oidCountry, "JP", oidCommonName, id), now, end,
		keyUsageExtension(x509.KeyUsageDigitalSignature), policyExtension(oidAuthPolicy), ca.issuerAltName())
}

// IssueSign issues the digital-signature certificate for pub: subject
// C=JP, L=<prefecture>, L=<city>, CN=<issuance identifier>, the JPKI-TEST
// policy, a CRL distribution point naming the holder's municipality and the
// holder's basic four attributes as otherNames in the subjectAltName.
// Extensions come in the order of a clone of a production certificate
// (docs/certificates.md): keyUsage, subjectAltName, policies, issuer
// name, CRL distribution point, key identifiers.
func (ca *CA) IssueSign(rnd io.Reader, pub *rsa.PublicKey, h Holder, now time.Time) ([]byte, error) {
	if ca.Purpose != Sign {
		return nil, errors.New("pki: sign certificate requested from the auth CA")
	}
	id, err := IssuanceID(rnd, now)
	if err != nil {
		return nil, err
	}
	san, err := SANExtension(h)
	if err != nil {
		return nil, err
	}
	crldp := rdn(oidCountry, "JP", oidOrganization, Organization, oidOrgUnit, Sign.ou(),
		oidOrgUnit, "CRL Distribution Points", oidOrgUnit, h.Prefecture, oidCommonName, h.City)
	subject := rdn(oidCountry, "JP", oidLocality, h.Prefecture, oidLocality, h.City, oidCommonName, id)
	return ca.issue(rnd, pub, subject, now, NotAfter(h.BirthDate, now),
		keyUsageExtension(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment), san,
		policyExtension(oidSignPolicyTest), ca.issuerAltName(), pkix.Extension{Id: oidExtCRLDP, Value: crlDistributionPoint(crldp)})
}

func (ca *CA) issuerAltName() pkix.Extension {
	return pkix.Extension{Id: oidExtIAN, Value: generalNames(directoryName(ca.Purpose.japaneseName()))}
}

// issue signs a leaf with the extensions given, in that order, followed by
// the authority and subject key identifiers.
func (ca *CA) issue(rnd io.Reader, pub *rsa.PublicKey, subject []byte, now, end time.Time, ext ...pkix.Extension) ([]byte, error) {
	serial, err := serialNumber(rnd)
	if err != nil {
		return nil, err
	}
	nb := now.UTC().Truncate(time.Second)
	if !end.After(nb) {
		return nil, fmt.Errorf("pki: %s certificate would end (%s) before it starts (%s)", ca.Purpose, end.Format(time.DateOnly), nb.Format(time.DateOnly))
	}
	aki, _ := asn1.Marshal(struct {
		ID []byte `asn1:"optional,tag:0"`
	}{ca.Cert.SubjectKeyId})
	ext = append(ext, pkix.Extension{Id: oidExtAKI, Value: aki}, pkix.Extension{Id: oidExtSKI, Value: keyIDExtension(pub)})
	tmpl := &x509.Certificate{
		SerialNumber:       serial,
		RawSubject:         subject,
		NotBefore:          nb,
		NotAfter:           end.UTC(),
		ExtraExtensions:    ext,
		SignatureAlgorithm: x509.SHA256WithRSA,
	}
	der, err := x509.CreateCertificate(rnd, tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: %s certificate: %w", ca.Purpose, err)
	}
	return der, nil
}

// endOfDay is 23:59:59 JST of t's day in Japan, where JPKI validity ends.
func endOfDay(t time.Time) time.Time {
	t = t.In(jst)
	return time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 59, 0, jst)
}

// keyUsageExtension is a critical keyUsage, as on every JPKI certificate.
func keyUsageExtension(ku x509.KeyUsage) pkix.Extension {
	var b byte
	n := 0
	for bit := 0; bit < 8; bit++ {
		if ku&(1<<bit) != 0 {
			b |= 0x80 >> bit
			n = bit + 1
		}
	}
	v, _ := asn1.Marshal(asn1.BitString{Bytes: []byte{b}, BitLength: n})
	return pkix.Extension{Id: oidExtKeyUsage, Critical: true, Value: v}
}

// basicConstraintsCA is cA TRUE without a path length, critical.
var basicConstraintsCA = pkix.Extension{Id: oidExtBasic, Critical: true, Value: []byte{0x30, 0x03, 0x01, 0x01, 0xFF}}

// keyIDExtension is a subjectKeyIdentifier value: SHA-1 of the public key
// bits (RFC 5280 §4.2.1.2 method 1), 20 bytes as on the production roots.
func keyIDExtension(pub *rsa.PublicKey) []byte {
	sum := sha1.Sum(x509.MarshalPKCS1PublicKey(pub))
	v, _ := asn1.Marshal(sum[:])
	return v
}

// directoryName wraps a Name as the GeneralName [4] directoryName.
func directoryName(name []byte) []byte {
	b, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: name})
	return b
}

func sequence(content []byte) []byte {
	b, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: content})
	return b
}

func generalNames(names ...[]byte) []byte { return sequence(concatBytes(names...)) }

func concatBytes(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// crlDistributionPoint names the CRL as a directory name, as JPKI does, not
// a URL: CRLDistributionPoints { DistributionPoint { [0] { fullName [0]
// { directoryName } } } }.
func crlDistributionPoint(name []byte) []byte {
	ctx0 := func(b []byte) []byte {
		out, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: b})
		return out
	}
	return sequence(sequence(ctx0(ctx0(directoryName(name)))))
}

// serialNumber is a positive integer of four bytes with the top bit
// clear, the form of the 2023 production root's serial (06 7C 6A 21).
// Always four bytes, so that two certificates issued alike have the same
// size: a client reading one in chunks, and --diff-target comparing two
// cards, see the same READ BINARY lengths.
func serialNumber(rnd io.Reader) (*big.Int, error) {
	const low = 1 << 24
	n, err := rand.Int(rnd, big.NewInt(1<<31-low))
	if err != nil {
		return nil, fmt.Errorf("pki: serial number: %w", err)
	}
	return n.Add(n, big.NewInt(low)), nil
}

// IssuanceID is the CN of a card certificate: the issuance date and eight
// random digits. card.md leaves the CN content uncertain (§10, §14.6); an
// identifier rather than the holder's name keeps personal data out of the
// subject, as one source reports for a real card.
func IssuanceID(rnd io.Reader, now time.Time) (string, error) {
	n, err := rand.Int(rnd, big.NewInt(100000000))
	if err != nil {
		return "", fmt.Errorf("pki: issuance identifier: %w", err)
	}
	return fmt.Sprintf("%s%08d", now.In(jst).Format("20060102"), n), nil
}

// policyExtension is certificatePolicies with the JPKI CPS qualifier,
// critical as in the test-card fixture. x509.Certificate.Policies cannot
// carry qualifiers, hence the hand encoding.
func policyExtension(oid asn1.ObjectIdentifier) pkix.Extension {
	type qualifier struct {
		ID  asn1.ObjectIdentifier
		CPS string `asn1:"ia5"`
	}
	type policy struct {
		ID         asn1.ObjectIdentifier
		Qualifiers []qualifier
	}
	b, err := asn1.Marshal([]policy{{oid, []qualifier{{oidQualifierCPS, cpsURI}}}})
	if err != nil {
		panic(err) // fixed OIDs and an ASCII URI: cannot fail
	}
	return pkix.Extension{Id: oidExtPolicies, Critical: true, Value: b}
}

// OtherName is one subjectAltName otherName of the sign certificate.
type OtherName struct {
	ID    asn1.ObjectIdentifier
	Value string
}

// HolderAltNames lists the sign certificate's otherNames in the order a
// JPKI test card carries them: 1, 4, 3, 5, 2, 6 (card.md §10). The substitute
// character positions hold one "0" or "1" per character of the name or
// address, "1" where the character is a 代替文字.
func HolderAltNames(h Holder) ([]OtherName, error) {
	dob, err := EraBirthDate(h.BirthDate)
	if err != nil {
		return nil, err
	}
	return []OtherName{
		{oidName, h.Name},
		{oidBirthDate, dob},
		{oidSex, h.Sex},
		{oidAddress, h.Address},
		{oidNameSubstitute, positions(h.Name, h.NameSubstituted)},
		{oidAddressSubstitute, positions(h.Address, h.AddressSubstituted)},
	}, nil
}

// positions writes one "0" per character of s, "1" at each substituted one
// (positions past the end of s are ignored).
func positions(s string, substituted []int) string {
	b := make([]byte, utf8.RuneCountInString(s))
	for i := range b {
		b[i] = '0'
	}
	for _, i := range substituted {
		if i >= 0 && i < len(b) {
			b[i] = '1'
		}
	}
	return string(b)
}

// SANExtension encodes HolderAltNames: each value a UTF8String inside the
// otherName's [0] EXPLICIT.
func SANExtension(h Holder) (pkix.Extension, error) {
	names, err := HolderAltNames(h)
	if err != nil {
		return pkix.Extension{}, err
	}
	var seq []byte
	for _, n := range names {
		v, err := asn1.MarshalWithParams(n.Value, "utf8")
		if err != nil {
			return pkix.Extension{}, err
		}
		oid, _ := asn1.Marshal(n.ID)
		explicit, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: v})
		on, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: append(oid, explicit...)})
		if err != nil {
			return pkix.Extension{}, err
		}
		seq = append(seq, on...)
	}
	b, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: seq})
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("pki: subjectAltName: %w", err)
	}
	return pkix.Extension{Id: oidExtSAN, Value: b}, nil
}

// ParseAltNames reads the otherNames back from a certificate's
// subjectAltName, in order. Other GeneralName kinds are skipped.
func ParseAltNames(cert *x509.Certificate) ([]OtherName, error) {
	for _, e := range cert.Extensions {
		if !e.Id.Equal(oidExtSAN) {
			continue
		}
		var seq asn1.RawValue
		if rest, err := asn1.Unmarshal(e.Value, &seq); err != nil || len(rest) > 0 {
			return nil, fmt.Errorf("pki: subjectAltName is not one SEQUENCE: %v", err)
		}
		var out []OtherName
		for b := seq.Bytes; len(b) > 0; {
			var gn asn1.RawValue
			rest, err := asn1.Unmarshal(b, &gn)
			if err != nil {
				return nil, fmt.Errorf("pki: subjectAltName entry %d: %w", len(out), err)
			}
			b = rest
			if gn.Class != asn1.ClassContextSpecific || gn.Tag != 0 {
				continue
			}
			var on struct {
				ID       asn1.ObjectIdentifier
				Explicit asn1.RawValue
			}
			var v asn1.RawValue
			if _, err := asn1.UnmarshalWithParams(gn.FullBytes, &on, "tag:0"); err != nil {
				return nil, fmt.Errorf("pki: otherName %d: %w", len(out), err)
			}
			if on.Explicit.Class != asn1.ClassContextSpecific || on.Explicit.Tag != 0 {
				return nil, fmt.Errorf("pki: otherName %v: value is not in [0] EXPLICIT", on.ID)
			}
			if _, err := asn1.Unmarshal(on.Explicit.Bytes, &v); err != nil || v.Tag != asn1.TagUTF8String {
				return nil, fmt.Errorf("pki: otherName %v: value is not a UTF8String (tag %d, %v)", on.ID, v.Tag, err)
			}
			out = append(out, OtherName{on.ID, string(v.Bytes)})
		}
		return out, nil
	}
	return nil, errors.New("pki: certificate has no subjectAltName")
}

// Verify checks that der is a certificate issued by ca and valid at t.
func (ca *CA) Verify(der []byte, t time.Time) (*x509.Certificate, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: t, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return cert, fmt.Errorf("pki: %s certificate: %w", ca.Purpose, err)
	}
	return cert, nil
}
