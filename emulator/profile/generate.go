// Package profile makes complete card states: personas (fictional
// holders), presets (Kind) and generation of every EF of card.md §4 with real
// keys, certificates, digests and signatures.
//
// Choices where card.md is silent, each kept in one place:
//   - Lengths: short form below 128 bytes, 82 HH LL from 128 (records.go).
//   - Signatures over the 券面 APs' records are made by a municipality
//     data-signing key certified by a CV root, both fixed test keys
//     embedded in data/issuer-keys.pem (never on the card, as on a real
//     one). The SM session key of text EF 0006 is a third fixed key, the
//     same on every card (card.md §4.2 does not say whether it is per
//     card); its private half is the card's State.SessionKey.
//   - The photo is one fixed greyscale JPEG 2000 (JP2) of about 1 KiB;
//     the real size is not published (images.go).
//   - 住基AP and 共通AP EF 0002 hold one simple-TLV record, tag 01, with
//     the 16-byte key identifier of the municipality key.
//   - Expired certificates are re-issued leaves (same keys, same CAs) dated
//     six years back, so Default can make them without generating keys.
package profile

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	_ "embed"
	"encoding/pem"
	"fmt"
	"sync"
	"time"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/pki"
)

//go:embed data/issuer-keys.pem
var issuerKeysPEM []byte

// fixedKeys are test material, the same for every card: the issuer-side
// keys no card holds, so that a verifier can check the records, and the
// SM session key every card holds.
type fixedKeys struct {
	cvRoot       *rsa.PrivateKey // signs the CV certificates of text/visual EF 0004
	municipality *rsa.PrivateKey // certified in EF 0004; signs the records
	session      *rsa.PrivateKey // text EF 0006, the SM session-key target
}

var loadFixedKeys = sync.OnceValues(func() (*fixedKeys, error) {
	keys := map[string]*rsa.PrivateKey{}
	for rest := issuerKeysPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		k, err := pki.ParseKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("profile: embedded issuer key %q: %w", b.Headers["Name"], err)
		}
		keys[b.Headers["Name"]] = k
	}
	f := &fixedKeys{keys["cv-root"], keys["municipality"], keys["session"]}
	if f.cvRoot == nil || f.municipality == nil || f.session == nil {
		return nil, fmt.Errorf("profile: embedded issuer keys incomplete: have %d of 3", len(keys))
	}
	return f, nil
})

// CVRootPublicKey is the key that verifies the CV certificates in text and
// visual EF 0004 (the stand-in for J-LIS's CV root).
func CVRootPublicKey() (*rsa.PublicKey, error) {
	f, err := loadFixedKeys()
	if err != nil {
		return nil, err
	}
	return &f.cvRoot.PublicKey, nil
}

// cardKeys are the keys generated for each card.
type cardKeys struct {
	authCA, signCA, auth, sign, text, visual, common *rsa.PrivateKey
}

func generateKeys() (*cardKeys, error) {
	var k cardKeys
	slots := []**rsa.PrivateKey{&k.authCA, &k.signCA, &k.auth, &k.sign, &k.text, &k.visual, &k.common}
	errs := make([]error, len(slots))
	var wg sync.WaitGroup
	for i, slot := range slots {
		wg.Go(func() { *slot, errs[i] = rsa.GenerateKey(rand.Reader, pki.KeyBits) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("profile: generating keys: %w", err)
		}
	}
	return &k, nil
}

// Generate makes a card of kind k for persona p at now, issued on the
// persona's issue date (now if it has none): the certificates' validity
// follows the card's dates. It generates seven RSA-2048 keys, so it takes a
// noticeable fraction of a second; Default is the fast path for the
// default persona.
func Generate(p Persona, k emulator.Kind, now time.Time) (*emulator.State, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := k.Validate(); err != nil {
		return nil, err
	}
	issued := now
	if !p.IssueDate.IsZero() {
		issued = p.IssueDate
	}
	if issued.After(now) {
		return nil, &PersonaError{"issue_date", fmt.Sprintf("%s is in the future", issued.Format(time.DateOnly))}
	}
	keys, err := generateKeys()
	if err != nil {
		return nil, err
	}
	s, err := build(p, keys, issued)
	if err != nil {
		return nil, err
	}
	expired, err := authCertExpired(s, now)
	if err != nil {
		return nil, err
	}
	switch {
	case expired && k != emulator.KindExpiredCerts:
		return nil, &PersonaError{"issue_date", fmt.Sprintf("certificates issued on %s have expired by now: make the card with kind %s", issued.Format(time.DateOnly), emulator.KindExpiredCerts)}
	case expired:
		// The card's own dates already make it what was asked for; its
		// CAs are made a year older than the leaves, as apply does.
		if err := reissueCAs(s, issued.AddDate(-1, 0, 0)); err != nil {
			return nil, err
		}
		if err := issueLeaves(s, issued); err != nil {
			return nil, err
		}
		s.Kind = k
		return s, nil
	}
	if err := apply(s, k, p, now); err != nil {
		return nil, err
	}
	return s, nil
}

// authCertExpired reports whether the auth certificate of s has expired
// at now.
func authCertExpired(s *emulator.State, now time.Time) (bool, error) {
	c, err := x509.ParseCertificate(s.Files[emulator.JPKIAuthCert])
	if err != nil {
		return false, fmt.Errorf("profile: auth certificate: %w", err)
	}
	return now.After(c.NotAfter), nil
}

func dateOnly(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// pkiHolder is the holder as the certificates carry it: name and address
// in JIS X 0208 with their substituted positions (card.md §10).
func pkiHolder(h emulator.Holder) (pki.Holder, error) {
	name, err := toJISX0208("name", h.Name, true)
	if err != nil {
		return pki.Holder{}, err
	}
	addr, err := toJISX0208("address", h.Address, true)
	if err != nil {
		return pki.Holder{}, err
	}
	return pki.Holder{
		Name: name.text, NameSubstituted: name.substituted,
		Address: addr.text, AddressSubstituted: addr.substituted,
		BirthDate: h.BirthDate, Sex: h.Sex,
		Prefecture: h.Prefecture, City: h.City, CardExpiry: h.CardExpiry,
	}, nil
}

// build makes a normal card.
func build(p Persona, k *cardKeys, now time.Time) (*emulator.State, error) {
	fixed, err := loadFixedKeys()
	if err != nil {
		return nil, err
	}
	h := p.Holder
	h.BirthDate, h.CardExpiry = dateOnly(h.BirthDate), dateOnly(h.CardExpiry)
	h.MunicipalityCode = h.MunicipalityCode[:5] // the card keeps no check digit
	authCA, err := pki.NewCAWithKey(rand.Reader, pki.Auth, k.authCA, now)
	if err != nil {
		return nil, err
	}
	signCA, err := pki.NewCAWithKey(rand.Reader, pki.Sign, k.signCA, now)
	if err != nil {
		return nil, err
	}
	serial, err := randomDigits(15)
	if err != nil {
		return nil, err
	}
	s := &emulator.State{
		FormatVersion: emulator.FormatVersion,
		Kind:          emulator.KindNormal,
		Holder:        h,
		Settings:      emulator.DefaultSettings(),
		Files:         map[emulator.FileRef][]byte{},
		Keys: map[emulator.FileRef][]byte{
			emulator.JPKIAuthKey: pki.MarshalKey(k.auth),
			emulator.JPKISignKey: pki.MarshalKey(k.sign),
			emulator.TextAPKey:   pki.MarshalKey(k.text),
			emulator.VisualAPKey: pki.MarshalKey(k.visual),
			emulator.CommonIAKey: pki.MarshalKey(k.common),
		},
		SessionKey: pki.MarshalKey(fixed.session),
		Issuer: emulator.IssuerPKI{
			AuthCACert: authCA.Cert.Raw, AuthCAKey: pki.MarshalKey(k.authCA),
			SignCACert: signCA.Cert.Raw, SignCAKey: pki.MarshalKey(k.signCA),
		},
	}
	if err := SetChip(s, p.chip()); err != nil {
		return nil, err
	}
	if err := setPINs(s, p); err != nil {
		return nil, err
	}
	if err := issueLeaves(s, now); err != nil {
		return nil, err
	}
	f := s.Files
	f[emulator.JPKIAuthCACert] = authCA.Cert.Raw
	f[emulator.JPKISignCACert] = signCA.Cert.Raw
	f[emulator.JPKIToken] = tokenInfo(serial)
	f[emulator.JPKICertStatus] = []byte{0x8F, 0x8F, 0x00}
	if err := textFiles(f, h, &k.text.PublicKey, fixed); err != nil {
		return nil, err
	}
	if err := visualFiles(f, h, &k.visual.PublicKey, fixed); err != nil {
		return nil, err
	}
	keyRecord := apdu.SimpleTLV{Tag: 0x01, Value: dataKeyID(h.MunicipalityCode)}.Bytes()
	f[emulator.Ref(emulator.AppJuki, 0x0002)] = keyRecord
	f[emulator.Ref(emulator.AppCommon, 0x0002)] = keyRecord
	f[emulator.CommonSerial] = apdu.SimpleTLV{Tag: 0x01, Value: concat([]byte(serial), []byte(h.MunicipalityCode), yyyymmdd(h.CardExpiry))}.Bytes()
	if s.DataObjects, err = mfDataObjects(h, serial, fixed, &k.visual.PublicKey); err != nil {
		return nil, err
	}
	return s, nil
}

// reissueCAs replaces both self-signed roots of s by ones issued at
// from the same keys, on the card and in its Issuer.
func reissueCAs(s *emulator.State, at time.Time) error {
	for _, c := range []struct {
		p    pki.Purpose
		cert *[]byte
		key  []byte
		file emulator.FileRef
	}{
		{pki.Auth, &s.Issuer.AuthCACert, s.Issuer.AuthCAKey, emulator.JPKIAuthCACert},
		{pki.Sign, &s.Issuer.SignCACert, s.Issuer.SignCAKey, emulator.JPKISignCACert},
	} {
		key, err := pki.ParseKey(c.key)
		if err != nil {
			return fmt.Errorf("profile: %s CA key: %w", c.p, err)
		}
		ca, err := pki.NewCAWithKey(rand.Reader, c.p, key, at)
		if err != nil {
			return err
		}
		*c.cert = ca.Cert.Raw
		s.Files[c.file] = ca.Cert.Raw
	}
	return nil
}

// issueLeaves issues the auth certificate, and the sign certificate if the
// card holds a sign key, for the card's keys from its Issuer at now.
func issueLeaves(s *emulator.State, now time.Time) error {
	h, err := pkiHolder(s.Holder)
	if err != nil {
		return err
	}
	authCA, err := pki.LoadCA(pki.Auth, s.Issuer.AuthCACert, s.Issuer.AuthCAKey)
	if err != nil {
		return err
	}
	authKey, err := pki.ParseKey(s.Keys[emulator.JPKIAuthKey])
	if err != nil {
		return fmt.Errorf("profile: auth key: %w", err)
	}
	if s.Files[emulator.JPKIAuthCert], err = authCA.IssueAuth(rand.Reader, &authKey.PublicKey, h, now); err != nil {
		return err
	}
	der, ok := s.Keys[emulator.JPKISignKey]
	if !ok {
		return nil
	}
	signCA, err := pki.LoadCA(pki.Sign, s.Issuer.SignCACert, s.Issuer.SignCAKey)
	if err != nil {
		return err
	}
	signKey, err := pki.ParseKey(der)
	if err != nil {
		return fmt.Errorf("profile: sign key: %w", err)
	}
	s.Files[emulator.JPKISignCert], err = signCA.IssueSign(rand.Reader, &signKey.PublicKey, h, now)
	return err
}

func setPINs(s *emulator.State, p Persona) error {
	blocked, err := randomDigits(4)
	if err != nil {
		return err
	}
	values := map[emulator.FileRef]emulator.Secret{
		emulator.JPKIAuthPIN:      emulator.Secret(p.AuthPIN),
		emulator.JPKISignPassword: emulator.Secret(p.SignPassword),
		emulator.TextPIN:          emulator.Secret(p.TextPIN),
		emulator.JukiPIN:          emulator.Secret(p.JukiPIN),
		emulator.CommonPIN:        emulator.Secret(p.CommonPIN),
	}
	// The 照合番号 keys hold what the card's data implies.
	for _, ref := range []emulator.FileRef{emulator.TextPINA, emulator.TextPINB, emulator.VisualDOBKey, emulator.VisualPINB, emulator.VisualPINA} {
		if values[ref], _, err = p.Holder.ImpliedSecret(ref); err != nil {
			return err
		}
	}
	s.PINs = map[emulator.FileRef]*emulator.PIN{}
	for ref, v := range values {
		n := emulator.MaxTries(ref, s.Settings)
		s.PINs[ref] = &emulator.PIN{Value: v, Max: n, Remaining: n}
	}
	// Text 0012 is blocked from issuance on every card (card.md §7.1).
	s.PINs[emulator.TextBlockedKey] = &emulator.PIN{Value: emulator.Secret(blocked), Max: 3, Remaining: 0}
	return nil
}

// textFiles fills the 券面事項入力補助AP EFs (card.md §4.2).
func textFiles(f map[emulator.FileRef][]byte, h emulator.Holder, apKey *rsa.PublicKey, fixed *fixedKeys) error {
	myNumber := concat(tlv(0xFF10, []byte(h.MyNumber)), []byte{0xFF, 0xFF})
	attrs := []([]byte){
		tlv(0xDF22, []byte(h.Name)),
		tlv(0xDF23, []byte(h.Address)),
		tlv(0xDF24, yyyymmdd(h.BirthDate)),
		tlv(0xDF25, []byte(h.Sex)),
	}
	sum1, sum2 := sha256Sum(myNumber), sha256Sum(concat(attrs...))
	integrity, err := signedRecord(0xFF30, 0xDF33, fixed.municipality, tlv(0xDF31, sum1), tlv(0xDF32, sum2))
	if err != nil {
		return err
	}
	cv, err := cvCertificate(fixed.cvRoot, textCVIssuer, dataKeyID(h.MunicipalityCode), &fixed.municipality.PublicKey)
	if err != nil {
		return err
	}
	signedKey, err := signedRecord(0xFF50, 0xDF52, fixed.municipality, tlv(0xDF51, rsaPublic(apKey)))
	if err != nil {
		return err
	}
	// DF43: 32 bytes of unidentified data, then filler (card.md §4.2).
	df43, err := randomBytes(32)
	if err != nil {
		return err
	}
	basic := tlv(0xFF40, concat(
		tlv(0xDF41, []byte{0x01, 0x03, 0x0E, 0x01}),
		tlv(0xDF42, textBasicKey),
		tlv(0xDF43, pad(df43, 128)),
	))
	f[emulator.TextMyNumber] = myNumber
	f[emulator.TextAttributes] = offsetRecord(0xFF20, 0xDF21, attrs...)
	f[emulator.TextIntegrity] = integrity
	f[emulator.TextCVCert] = cv
	f[emulator.TextBasicInfo] = pad(basic, 256)
	f[emulator.TextSMKey] = tlv(0xA1, rsaPublic(&fixed.session.PublicKey))
	f[emulator.Ref(emulator.AppText, 0x0007)] = signedKey
	f[emulator.Ref(emulator.AppText, 0x0008)] = pad(nil, 16)
	return nil
}

// visualFiles fills the 券面事項確認AP EFs (card.md §4.3).
func visualFiles(f map[emulator.FileRef][]byte, h emulator.Holder, apKey *rsa.PublicKey, fixed *fixedKeys) error {
	signer := fixed.municipality
	pub := tlv(0xDF12, rsaPublic(apKey))
	age, err := signedRecord(0xFF10, 0xDF13, signer, tlv(0xDF11, yyyymmdd(h.BirthDate)), pub)
	if err != nil {
		return err
	}
	objs := [][]byte{
		tlv(0xDF22, yyyymmdd(h.BirthDate)), tlv(0xDF23, []byte(h.Sex)), tlv(0xDF24, rsaPublic(apKey)),
		tlv(0xDF25, textImage(h.Name)), tlv(0xDF26, textImage(h.Address)),
		tlv(0xDF27, facePhoto),
	}
	sig, err := cardFaceSignature(signer, concat(objs[0:3]...), concat(objs[3:5]...), objs[5])
	if err != nil {
		return fmt.Errorf("card face: %w", err)
	}
	// DF29 and DF2A follow the signature and are not covered by it.
	objs = append(objs, tlv(0xDF28, sig), tlv(0xDF29, yyyymmdd(h.CardExpiry)), tlv(0xDF2A, textImage(h.SecurityCode)))
	face := offsetRecord(0xFF20, 0xDF21, objs...)
	// DF35: a key identifier and 256 bytes whose meaning is unknown (card.md §4.3).
	opaque, err := randomBytes(256)
	if err != nil {
		return err
	}
	basic := tlv(0xFF30, concat(
		tlv(0xDF31, []byte{0x06, 0x03, 0x0E, 0x01}),
		tlv(0xDF32, visualBasicKey),
		tlv(0xDF33, []byte{0x00}),
		tlv(0xDF34, []byte(h.MunicipalityCode)),
		tlv(0xDF35, concat(visualDF35KeyID, opaque)),
	))
	cv, err := cvCertificate(fixed.cvRoot, visualCVIssuer, dataKeyID(h.MunicipalityCode), &signer.PublicKey)
	if err != nil {
		return err
	}
	image, err := signedRecord(0xFF40, 0xDF43, signer, tlv(0xDF41, textImage(h.MyNumber)), tlv(0xDF42, rsaPublic(apKey)))
	if err != nil {
		return err
	}
	f[emulator.VisualAgeRecord] = age
	f[emulator.VisualCardFace] = face
	f[emulator.VisualBasicInfo] = basic
	f[emulator.VisualCVCert] = cv
	f[emulator.VisualMyNumber] = image
	f[emulator.Ref(emulator.AppVisual, 0x0006)] = pad(nil, 16)
	return nil
}
