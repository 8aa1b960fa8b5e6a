package emulator

import (
	"bytes"
	cryptorand "crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"io"
	"math/big"
	"slices"
	"time"
)

// Issuer (municipal terminal) operations: pure transforms of a State that
// Card.Issue applies to a running card, and that profile generation uses
// to derive presets. Each checks its inputs and leaves s unchanged on error.

// fourDigitPINs are the keys a face-auth card locks (card.md §11.2: municipal
// pages say no PIN is set at all).
var fourDigitPINs = [...]FileRef{JPKIAuthPIN, TextPIN, JukiPIN, CommonPIN}

// PINSet is the four 4-digit PINs a municipality sets when reversing a
// face-auth card: auth (JPKI 0018), text (0011), juki and common (001C).
type PINSet struct{ Auth, Text, Juki, Common Secret }

func (p PINSet) byRef() map[FileRef]Secret {
	return map[FileRef]Secret{JPKIAuthPIN: p.Auth, TextPIN: p.Text, JukiPIN: p.Juki, CommonPIN: p.Common}
}

// ConvertToFaceAuth makes s a 顔認証マイナンバーカード: the sign certificate
// and key are removed, 0008 says so (00 8F 00), the sign password and the
// 4-digit PINs get random values nobody knows and exhausted counters
// (FaceAuthExhaustedCounter).
// A card already in face-auth mode is refused, and so is one whose auth
// certificate has expired: the 利用者証明用電子証明書 is what a face-auth card
// is used through (card.md §11.1), so the municipality renews it first.
func (s *State) ConvertToFaceAuth(rand io.Reader) error {
	switch {
	case s.Settings.FaceAuthLock != FaceAuthExhaustedCounter:
		return fmt.Errorf("emulator: face-auth lock %v not supported", s.Settings.FaceAuthLock)
	case s.Kind == KindFaceAuth:
		return fmt.Errorf("emulator: face-auth: the card is already %q", KindFaceAuth)
	case s.Kind == KindExpiredCerts:
		return fmt.Errorf("emulator: face-auth: the card's auth certificate has expired, and a face-auth card is used only through it (card.md §11.1)")
	}
	locked := fourDigitPINs[:]
	if s.PINs[JPKISignPassword] != nil {
		locked = append(locked, JPKISignPassword)
	}
	values := make(map[FileRef]Secret, len(locked))
	for _, ref := range locked {
		if s.PINs[ref] == nil {
			return fmt.Errorf("emulator: face-auth: card has no key %v", ref)
		}
		v, err := randomSecret(rand, ref)
		if err != nil {
			return fmt.Errorf("emulator: face-auth: %w", err)
		}
		values[ref] = v
	}
	if err := s.setCertStatus(0x00); err != nil {
		return err
	}
	delete(s.Files, JPKISignCert)
	delete(s.Keys, JPKISignKey)
	for ref, v := range values {
		p := s.PINs[ref]
		p.Value, p.Remaining = v, 0
	}
	s.Kind = KindFaceAuth
	return nil
}

// randomSecret draws a value in ref's format: digits for the 4-digit
// PINs, digits and letters for the sign password.
func randomSecret(rand io.Reader, ref FileRef) (Secret, error) {
	const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	n, alphabet := 4, alnum[:10]
	if ref == JPKISignPassword {
		n, alphabet = 16, alnum
	}
	v := make(Secret, n)
	for i := range v {
		k, err := randInt(rand, len(alphabet))
		if err != nil {
			return nil, err
		}
		v[i] = alphabet[k]
	}
	return v, nil
}

func randInt(rand io.Reader, n int) (int, error) {
	k, err := cryptorand.Int(rand, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("random value: %w", err)
	}
	return int(k.Int64()), nil
}

// ReverseFaceAuth ends face-auth mode: the four 4-digit PINs take the
// given values with full counters. The card has no sign certificate until
// InstallSignCert; its password stays blocked.
func (s *State) ReverseFaceAuth(p PINSet) error {
	if s.Kind != KindFaceAuth {
		return fmt.Errorf("emulator: reverse face-auth: card kind is %q, not %q", s.Kind, KindFaceAuth)
	}
	vals := p.byRef()
	for _, ref := range fourDigitPINs {
		if s.PINs[ref] == nil {
			return fmt.Errorf("emulator: reverse face-auth: card has no key %v", ref)
		}
		if err := ValidatePIN(ref, vals[ref]); err != nil {
			return err
		}
	}
	for _, ref := range fourDigitPINs {
		s.PINs[ref].set(vals[ref])
	}
	s.Kind = KindNoSignCert
	return nil
}

func (p *PIN) set(v Secret) {
	p.Value, p.Remaining = Secret(bytes.Clone(v)), p.Max
}

// Unblock gives key ref a new value and a full counter, as the municipal
// terminal's PIN reset does. The 照合番号 keys take only the value the
// card's own data implies (Holder.ImpliedSecret); a nil value means that
// value. The 4-digit PINs of a face-auth card stay locked until the card is
// reversed (ReverseFaceAuth), which is the municipal flow that sets them
// (card.md §11.1).
func (s *State) Unblock(ref FileRef, value Secret) error {
	p, err := s.key("unblock", ref)
	if err != nil {
		return err
	}
	implied, derived, err := s.Holder.ImpliedSecret(ref)
	switch {
	case err != nil:
		return fmt.Errorf("emulator: unblock: %w", err)
	case ref == TextBlockedKey:
		return ValidatePIN(ref, value)
	case derived && value == nil:
		value = implied
	case derived && !bytes.Equal(value, implied):
		return fmt.Errorf("emulator: unblock: the value for %v is not the one the card's data implies: %s (card.md §7.1, §7.3)", ref, impliedKeys[ref].rule)
	case value == nil:
		return fmt.Errorf("emulator: unblock: give the new value for %v", ref)
	case s.Kind == KindFaceAuth && slices.Contains(fourDigitPINs[:], ref):
		return fmt.Errorf("emulator: unblock: %v of a face-auth card stays locked until the card is reversed (card.md §11.1)", ref)
	}
	if err := ValidatePIN(ref, value); err != nil {
		return err
	}
	if ref == JPKISignPassword && s.Keys[JPKISignKey] == nil {
		return fmt.Errorf("emulator: unblock: %v protects no sign key on this card; use InstallSignCert", ref)
	}
	p.set(value)
	s.settleKind()
	return nil
}

// key returns the PIN of key reference ref for issuer operation op, with
// an error that says whether ref is no key reference at all or one this
// card lacks.
func (s *State) key(op string, ref FileRef) (*PIN, error) {
	e, ok := lookupEF(ref)
	switch {
	case !ok:
		return nil, fmt.Errorf("emulator: %s: unknown key reference %v (card.md §7.1 lists them)", op, ref)
	case e.kind != efPIN:
		return nil, fmt.Errorf("emulator: %s: %v is a file, not a key reference", op, ref)
	case s.PINs[ref] == nil:
		return nil, fmt.Errorf("emulator: %s: card has no key %v", op, ref)
	}
	return s.PINs[ref], nil
}

// settleKind re-derives the kind after an operation that sets counters or
// certificates, as the card shows it (card.md §4.1 EF 0008, §11.2): the
// face-auth and expired-certs kinds are what the municipality made and stay;
// otherwise a blocked 4-digit PIN makes pin-blocked, no sign certificate
// no-sign-cert, and a card with neither is normal.
func (s *State) settleKind() {
	blocked := func(r FileRef) bool { p := s.PINs[r]; return p != nil && p.Blocked() }
	switch {
	case s.Kind == KindFaceAuth || s.Kind == KindExpiredCerts:
	case slices.ContainsFunc(fourDigitPINs[:], blocked):
		s.Kind = KindPINBlocked
	case s.Files[JPKISignCert] == nil:
		s.Kind = KindNoSignCert
	default:
		s.Kind = KindNormal
	}
}

// InstallSignCert loads a sign certificate (DER), its PKCS#8 RSA-2048 key
// and the password that opens them; 0008 byte 0 becomes 8F.
// A face-auth card is refused until it is reversed, and so is a holder
// under 15 on the certificate's first day (card.md §10, §11.1).
func (s *State) InstallSignCert(cert, pkcs8Key []byte, password Secret) error {
	c, err := x509.ParseCertificate(cert)
	if err != nil {
		return fmt.Errorf("emulator: sign certificate: %w", err)
	}
	if err := s.SignCertIssuable(c.NotBefore); err != nil {
		return err
	}
	k, err := parseKey(pkcs8Key)
	if err != nil {
		return fmt.Errorf("emulator: sign key: %w", err)
	}
	if pub, ok := c.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(&k.PublicKey) {
		return fmt.Errorf("emulator: sign certificate does not certify the sign key")
	}
	if err := ValidatePIN(JPKISignPassword, password); err != nil {
		return err
	}
	p := s.PINs[JPKISignPassword]
	if p == nil {
		p = &PIN{Max: MaxTries(JPKISignPassword, s.Settings)}
	}
	if err := s.setCertStatus(0x8F); err != nil {
		return err
	}
	p.set(password)
	s.PINs[JPKISignPassword] = p
	s.Files[JPKISignCert] = bytes.Clone(cert)
	s.Keys[JPKISignKey] = bytes.Clone(pkcs8Key)
	s.settleKind()
	return nil
}

// minSignCertAge is the age below which no sign certificate is issued
// (card.md §10).
const minSignCertAge = 15

// SignCertIssuable says why a sign certificate dated from day cannot be
// issued to this card, or nil if it can: not to a face-auth card until it
// is reversed (card.md §11.1), not to a holder under 15 (§10).
func (s *State) SignCertIssuable(day time.Time) error {
	if s.Kind == KindFaceAuth {
		return fmt.Errorf("emulator: sign certificate: a face-auth card gets none until the municipality reverses it (card.md §11.1)")
	}
	if b := s.Holder.BirthDate; !b.IsZero() && day.Before(b.AddDate(minSignCertAge, 0, 0)) {
		return fmt.Errorf("emulator: sign certificate: the holder (born %s) is under %d on %s (card.md §10)", b.Format(time.DateOnly), minSignCertAge, day.Format(time.DateOnly))
	}
	return nil
}

// setCertStatus writes byte 0 (sign certificate present) of JPKI 0008.
func (s *State) setCertStatus(b byte) error {
	st := s.Files[JPKICertStatus]
	if len(st) < 3 {
		return fmt.Errorf("emulator: card has no certificate status EF %v", JPKICertStatus)
	}
	st = bytes.Clone(st)
	st[0] = b
	s.Files[JPKICertStatus] = st
	return nil
}

// ExhaustPIN uses up the retry counter of key ref.
func (s *State) ExhaustPIN(ref FileRef) error {
	p, err := s.key("exhaust", ref)
	if err != nil {
		return err
	}
	p.Remaining = 0
	s.settleKind()
	return nil
}
