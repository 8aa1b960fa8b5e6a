package main

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/internal/logging"
	"github.com/mynacard/mynacard/vpcd/pcsctest"
)

// The secrets of the leak test's holder. The 4-digit values are chosen so
// that their digits cannot occur in an ASN.1 time (no pair is a month,
// day, hour or minute next to a plausible neighbour), so a hit in a
// certificate's hex or a timestamp is not a false alarm.
var leakPersona = func() profile.Persona {
	p := profile.DefaultPersona()
	p.Name = "漏洩　試験"
	p.BirthDate = time.Date(1962, 8, 30, 0, 0, 0, 0, time.UTC)
	p.CardExpiry = time.Date(2031, 8, 30, 0, 0, 0, 0, time.UTC)
	p.SecurityCode = "8517"
	cd, err := profile.MyNumberCheckDigit("48213957604")
	if err != nil {
		panic(err)
	}
	p.MyNumber = "48213957604" + string(cd)
	p.AuthPIN = "8796"
	p.SignPassword = "QZ7W9K2X"
	p.TextPIN = "9687"
	p.JukiPIN = "6978"
	p.CommonPIN = "7869"
	return p
}()

// Values presented that are not the card's: wrong tries and a PIN the
// juki PIN is changed to and back from. They must not leak either.
const (
	leakWrongPIN      = "9586"
	leakWrongPassword = "WRONGPW9"
	leakNewJukiPIN    = "6897"
	leakBadPIN        = "87x96" // a malformed value a user might type
)

// leakPattern finds one form of one secret in output.
type leakPattern struct {
	what string
	re   *regexp.Regexp
}

// shortDigits matches a short all-digit secret only where it stands alone:
// inside a longer number or after a decimal point it is a port, a pid or a
// duration, not the PIN.
func shortDigits(s string) *regexp.Regexp {
	return regexp.MustCompile(`(^|[^0-9.])` + s + `($|[^0-9])`)
}

// secretPatterns lists the forms a secret could leak in: as text, in hex
// (plain and spaced, either case), and in base64 as encoding/json would
// write a []byte.
func secretPatterns(name string, v []byte) []leakPattern {
	lit := func(what, s string) leakPattern {
		return leakPattern{name + " " + what, regexp.MustCompile(regexp.QuoteMeta(s))}
	}
	var ps []leakPattern
	if allDigits(v) && len(v) < 8 {
		ps = append(ps, leakPattern{name + " as text", shortDigits(string(v))})
	} else {
		ps = append(ps, lit("as text", string(v)))
	}
	h := hex.EncodeToString(v)
	spaced := strings.TrimSpace(fmt.Sprintf("% x", v))
	ps = append(ps,
		lit("in hex", h), lit("in HEX", strings.ToUpper(h)),
		lit("in spaced hex", spaced), lit("in spaced HEX", strings.ToUpper(spaced)),
		lit("in base64", base64.StdEncoding.EncodeToString(v)))
	return ps
}

func allDigits(v []byte) bool {
	for _, b := range v {
		if b < '0' || b > '9' {
			return false
		}
	}
	return len(v) > 0
}

// keyPatterns lists the forms a PKCS#8 private key could leak in: the DER
// in hex or base64 (a PEM body is base64 lines of it: its last full line
// is all private numbers), and the private exponent and primes as fmt
// prints a big.Int.
func keyPatterns(name string, der []byte) []leakPattern {
	lit := func(what, s string) leakPattern {
		return leakPattern{name + " " + what, regexp.MustCompile(regexp.QuoteMeta(s))}
	}
	h := hex.EncodeToString(der)
	b64 := base64.StdEncoding.EncodeToString(der)
	ps := []leakPattern{
		lit("DER in hex", h), lit("DER in HEX", strings.ToUpper(h)), lit("DER in base64", b64),
		// A 48-byte window of the CRT values, as a PEM line has it.
		lit("PEM line", b64[(len(b64)/64-1)*64:][:64]),
		lit("DER tail in hex", h[len(h)-96:]),
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return ps
	}
	if rk, ok := k.(*rsa.PrivateKey); ok {
		for what, n := range map[string][]byte{"private exponent": rk.D.Bytes(), "prime p": rk.Primes[0].Bytes(), "prime q": rk.Primes[1].Bytes()} {
			ps = append(ps, lit(what+" in hex", hex.EncodeToString(n[:24])), lit(what+" in HEX", strings.ToUpper(hex.EncodeToString(n[:24]))))
		}
		for what, n := range map[string]string{"private exponent": rk.D.String(), "prime p": rk.Primes[0].String()} {
			ps = append(ps, lit(what+" in decimal", n[:40]))
		}
	}
	return ps
}

// leakScan collects every output of a session and the secrets it used.
type leakScan struct {
	outputs  []leakOutput
	patterns map[string]leakPattern // by what, so keys seen twice count once
}

type leakOutput struct{ label, text string }

func (s *leakScan) output(label, text string) {
	s.outputs = append(s.outputs, leakOutput{label, text})
}

func (s *leakScan) secret(name string, v []byte) {
	for _, p := range secretPatterns(name, v) {
		s.patterns[p.what] = p
	}
}

// card adds every secret and private key of the card file at path.
func (s *leakScan) card(t *testing.T, path string) {
	t.Helper()
	st := loadCardFile(t, path)
	for ref, p := range st.PINs {
		// text/0012's value is random filler on a key blocked from
		// issuance that no one can present (card.md §4.2); as 4 random
		// digits it would match timings in the reports by chance.
		if len(p.Value) > 0 && ref != emulator.TextBlockedKey {
			s.secret(ref.String(), p.Value)
		}
	}
	keys := map[string][]byte{"issuer auth CA key": st.Issuer.AuthCAKey, "issuer sign CA key": st.Issuer.SignCAKey}
	for ref, k := range st.Keys {
		keys[ref.String()+" key"] = k
	}
	for name, der := range keys {
		if len(der) == 0 {
			continue
		}
		fp := fmt.Sprintf("%s %x", name, der[len(der)-8:]) // a re-issued key is another key
		for _, p := range keyPatterns(fp, der) {
			s.patterns[p.what] = p
		}
	}
}

func (s *leakScan) check(t *testing.T) {
	t.Helper()
	var total int
	for _, o := range s.outputs {
		total += len(o.text)
		for _, p := range s.patterns {
			if loc := p.re.FindStringIndex(o.text); loc != nil {
				lo, hi := max(0, loc[0]-60), min(len(o.text), loc[1]+60)
				t.Errorf("%s shows %s: …%s…", o.label, p.what, o.text[lo:hi])
			}
		}
	}
	t.Logf("%d outputs (%d bytes) searched for %d forms of the session's PINs, 照合番号 and private keys", len(s.outputs), total, len(s.patterns))
}

// cli runs mynacard in this process and records what it wrote. A
// wantCode of -1 is any failure.
func (s *leakScan) cli(t *testing.T, wantCode int, args ...string) string {
	t.Helper()
	var o, e bytes.Buffer
	code := run(&env{stdout: &o, stderr: &e}, args)
	label := "mynacard " + strings.Join(args, " ")
	s.output(label+" (stdout)", o.String())
	s.output(label+" (stderr)", e.String())
	if code != wantCode && (wantCode != -1 || code == 0) {
		t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", label, code, wantCode, o.String(), e.String())
	}
	return o.String()
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// leakAPDUs is a session using every secret of the persona, right and
// wrong, malformed, changed and blocked. Each step has the status word a
// fresh card answers, or 0 where the answer depends on earlier sessions.
func leakAPDUs(p profile.Persona, dobKey, collationB string) []struct {
	cmd []byte
	sw  apdu.SW
} {
	type step = struct {
		cmd []byte
		sw  apdu.SW
	}
	v := func(s string) []byte { return cmdVerify(s) }
	// JICSAP CHANGE KEY of the verified juki PIN (card.md §4.4).
	change := func(new string) []byte {
		return apdu.ChangeKey(apdu.CurrentEF, []byte(new)).Bytes()
	}
	sel := func(fid uint16) step { return step{cmdSelectEF(fid), apdu.SWOK} }
	return []step{
		{cmdSelectJPKI, apdu.SWOK},
		sel(0x0018), {v(leakWrongPIN), 0}, {v(p.AuthPIN), apdu.SWOK},
		// Lc says 5 bytes, 4 follow: a malformed VERIFY carrying the PIN.
		{append([]byte{0x00, 0x20, 0x00, 0x80, 0x05}, p.AuthPIN...), 0},
		{append([]byte{0x00, 0x20, 0x00, 0x80, 0x04}, p.AuthPIN[:3]...), 0},
		sel(0x001B), {v(leakWrongPassword), 0}, {v(p.SignPassword), apdu.SWOK},
		{apdu.SelectAID(emulator.AppText.AID()).Bytes(), apdu.SWOK},
		sel(0x0014), {v(p.MyNumber), apdu.SWOK},
		sel(0x0015), {v(collationB), apdu.SWOK},
		sel(0x0011), {v(p.TextPIN), apdu.SWOK},
		{apdu.SelectAID(emulator.AppVisual.AID()).Bytes(), apdu.SWOK},
		sel(0x0011), {v(dobKey), apdu.SWOK},
		{apdu.SelectAID(emulator.AppJuki.AID()).Bytes(), apdu.SWOK},
		sel(0x001C), {v(p.JukiPIN), apdu.SWOK},
		{change(leakNewJukiPIN), apdu.SWOK},
		{v(leakNewJukiPIN), apdu.SWOK},
		{change(p.JukiPIN), apdu.SWOK},
		{cmdSelectCommon, apdu.SWOK},
		// Three wrong tries block the common PIN; the right one is then
		// refused (69 84) and must not be echoed either.
		sel(0x001C), {v(leakWrongPIN), 0}, {v(leakWrongPIN), 0}, {v(leakWrongPIN), 0},
		{v(p.CommonPIN), apdu.SWAuthBlocked},
	}
}

// TestNoSecretInOutput runs a whole session — profile, apdu, serve through
// pcscd at debug level in JSON and text, conformance, issuer operations
// and their error paths — and searches everything mynacard wrote for the
// PINs, 照合番号 and private keys in every form.
func TestNoSecretInOutput(t *testing.T) {
	d := pcsctest.Daemon(t, 1)
	dir := t.TempDir()
	scan := &leakScan{patterns: map[string]leakPattern{}}
	p := leakPersona
	dobKey, err := emulator.BirthDateKey(p.BirthDate)
	if err != nil {
		t.Fatal(err)
	}
	collationB, err := emulator.CollationB(p.BirthDate, p.CardExpiry, p.SecurityCode)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{
		"auth PIN": p.AuthPIN, "sign password": p.SignPassword, "text PIN": p.TextPIN,
		"juki PIN": p.JukiPIN, "common PIN": p.CommonPIN, "照合番号A": p.MyNumber,
		"照合番号B": collationB, "birth-date key": dobKey,
		"wrong PIN": leakWrongPIN, "wrong password": leakWrongPassword,
		"new juki PIN": leakNewJukiPIN, "malformed PIN": leakBadPIN,
	} {
		scan.secret(name, []byte(v))
	}

	personaPath := filepath.Join(dir, "persona.json")
	writeJSON(t, personaPath, p)
	card := filepath.Join(dir, "card.json")
	scan.cli(t, 0, "profile", "new", "--persona", personaPath, "-o", card)
	scan.card(t, card)
	scan.cli(t, 0, "profile", "show", card)

	// apdu: the trace of every command of the session.
	steps := leakAPDUs(p, dobKey, collationB)
	args := []string{"apdu", card}
	for _, s := range steps {
		args = append(args, hex.EncodeToString(s.cmd))
	}
	trace := scan.cli(t, 0, args...)
	if n := strings.Count(trace, "9000 (OK)"); n < 12 {
		t.Errorf("apdu trace has %d 9000 answers; the session's right PINs were not all accepted:\n%s", n, trace)
	}
	scan.cli(t, 0, "issuer", "unblock", card, "--key", "common/001C", "--value", p.CommonPIN)

	// serve at debug level, in JSON and in text, driven through pcscd.
	r := openPCSCReader(t, d.ReaderName(0))
	for _, format := range [][]string{{"--log-json"}, nil} {
		srv := startMyna(t, append([]string{"serve", "--log-level", "debug", "--port", strconv.Itoa(d.Base), card}, format...)...)
		r.connect(t, 10*time.Second)
		for i, s := range steps {
			_, sw, err := r.transmit(s.cmd)
			if err != nil {
				t.Fatalf("step %d % X: %v", i, s.cmd, err)
			}
			if s.sw != 0 && sw != s.sw {
				t.Errorf("serve %q step %d: SW %v, want %v", format, i, sw, s.sw)
			}
		}
		r.disconnect()
		srv.stop(syscall.SIGTERM)
		if !strings.Contains(srv.output(), "VERIFY") {
			t.Errorf("serve --log-level debug %q logged no VERIFY line; the test would miss a leak there:\n%s", format, srv.output())
		}
		scan.output(fmt.Sprintf("mynacard serve --log-level debug %q", format), srv.output())
		if _, err := r.waitPresent(false, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		scan.cli(t, 0, "issuer", "unblock", card, "--key", "common/001C", "--value", p.CommonPIN)
	}

	// conformance through pcscd with the holder's secrets, and embedded.
	pins := filepath.Join(dir, "pins.json")
	writeJSON(t, pins, map[string]string{
		"kind": "normal", "auth_pin": p.AuthPIN, "sign_password": p.SignPassword, "text_pin": p.TextPIN,
		"juki_pin": p.JukiPIN, "common_pin": p.CommonPIN, "my_number": p.MyNumber,
		"collation_b": collationB, "birth_date_key": dobKey,
	})
	srv := startMyna(t, "serve", "--log-level", "debug", "--port", strconv.Itoa(d.Base), card)
	if _, err := r.waitPresent(true, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	junit := filepath.Join(dir, "junit.xml")
	report := scan.cli(t, 0, "conformance", "--target", "pcsc", "--reader", d.ReaderName(0), "--pins", pins, "--allow-spend", "--json", "--junit", junit)
	if !strings.Contains(report, `"status": "pass"`) {
		t.Errorf("conformance --json through pcscd passed no case:\n%s", report)
	}
	srv.stop(syscall.SIGTERM)
	scan.output("mynacard serve during conformance", srv.output())
	if b, err := os.ReadFile(junit); err != nil {
		t.Error(err)
	} else {
		scan.output("conformance --junit file", string(b))
	}
	scan.cli(t, 0, "conformance", "--target", "embedded", "--card", card, "--json")

	// Issuer operations, then their error paths with secrets as input.
	scan.cli(t, 0, "issuer", "face-auth", card)
	scan.cli(t, 0, "issuer", "reverse", card, "--auth-pin", p.AuthPIN, "--text-pin", p.TextPIN, "--juki-pin", p.JukiPIN, "--common-pin", p.CommonPIN)
	scan.cli(t, 0, "issuer", "issue-sign-cert", card, "--password", p.SignPassword)
	scan.card(t, card) // the new sign key
	scan.cli(t, 0, "issuer", "unblock", card, "--key", "jpki/001B", "--value", p.SignPassword)
	scan.cli(t, -1, "issuer", "unblock", card, "--key", "jpki/0018", "--value", leakBadPIN)
	scan.cli(t, -1, "issuer", "reverse", card, "--auth-pin", leakBadPIN)
	scan.cli(t, -1, "issuer", "issue-sign-cert", card, "--password", strings.ToLower(p.SignPassword))

	bad := p
	bad.AuthPIN = leakBadPIN
	badPersona := filepath.Join(dir, "bad-persona.json")
	writeJSON(t, badPersona, bad)
	scan.cli(t, -1, "profile", "new", "--persona", badPersona, "-o", filepath.Join(dir, "bad.json"))
	badPins := filepath.Join(dir, "bad-pins.json")
	writeJSON(t, badPins, map[string]string{"auth_pin": leakBadPIN, "my_number": p.MyNumber + "0"})
	scan.cli(t, -1, "conformance", "--target", "pcsc", "--reader", d.ReaderName(0), "--pins", badPins, "--json")
	scan.secret("照合番号A, mistyped", []byte(p.MyNumber+"0"))

	// A card file whose PIN breaks its format rule: refused without
	// quoting it.
	st := loadCardFile(t, card)
	st.PINs[emulator.JPKIAuthPIN].Value = emulator.Secret(leakBadPIN)
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	badCard := filepath.Join(dir, "bad-card.json")
	if err := os.WriteFile(badCard, b, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"serve", "--port", "1", badCard}, {"apdu", badCard, "00A4040C0AD392F000260100000001"}, {"profile", "show", badCard}} {
		scan.cli(t, -1, cmd...)
	}

	scan.check(t)
}

// TestSecretInJSONLog logs an emulator.Secret as a field, as a careless
// caller might: the JSON formatter must not encode its bytes.
func TestSecretInJSONLog(t *testing.T) {
	for _, jsonLog := range []bool{false, true} {
		var b bytes.Buffer
		l, err := logging.New(&b, logging.Options{Level: "debug", JSON: jsonLog})
		if err != nil {
			t.Fatal(err)
		}
		logging.Wrap(l).Info("verify", logging.Fields{"pin": emulator.Secret(leakPersona.AuthPIN)})
		for _, p := range secretPatterns("auth PIN", []byte(leakPersona.AuthPIN)) {
			if p.re.MatchString(b.String()) {
				t.Errorf("log (JSON %v) shows %s: %s", jsonLog, p.what, b.String())
			}
		}
	}
}
