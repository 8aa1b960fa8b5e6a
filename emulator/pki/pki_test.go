package pki

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	fixtureOnce sync.Once
	authCA      *CA
	signCA      *CA
	leafKey     *rsa.PrivateKey
	fixtureErr  error
)

// fixture generates the three keys once: RSA generation dominates test time.
func fixture(t *testing.T) (*CA, *CA, *rsa.PrivateKey) {
	t.Helper()
	fixtureOnce.Do(func() {
		now := time.Date(2026, 4, 1, 10, 0, 0, 0, jst)
		if authCA, fixtureErr = NewCA(rand.Reader, Auth, now); fixtureErr != nil {
			return
		}
		if signCA, fixtureErr = NewCA(rand.Reader, Sign, now); fixtureErr != nil {
			return
		}
		leafKey, fixtureErr = rsa.GenerateKey(rand.Reader, KeyBits)
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return authCA, signCA, leafKey
}

var holder = Holder{
	Name:       "番号　花子",
	Address:    "東京都千代田区試験町１丁目２番３号",
	BirthDate:  time.Date(1980, 2, 17, 0, 0, 0, 0, time.UTC),
	Sex:        "2",
	Prefecture: "東京都",
	City:       "千代田区",
	CardExpiry: time.Date(2035, 2, 17, 0, 0, 0, 0, time.UTC),
}

var issued = time.Date(2026, 4, 1, 10, 0, 0, 0, jst)

func rdnStrings(t *testing.T, raw []byte) []string {
	t.Helper()
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(raw, &seq); err != nil {
		t.Fatalf("name: %v", err)
	}
	var out []string
	for _, set := range seq {
		if len(set) != 1 {
			t.Errorf("RDN with %d attributes, want 1", len(set))
		}
		for _, a := range set {
			out = append(out, fmt.Sprintf("%v=%v", a.Type, a.Value))
		}
	}
	return out
}

func TestCACertificates(t *testing.T) {
	a, s, _ := fixture(t)
	for _, tc := range []struct {
		ca   *CA
		name []string
	}{
		{a, []string{"2.5.4.6=JP", "2.5.4.10=JPKI-TEST", "2.5.4.11=JPKI for user authentication", "2.5.4.11=Japan Agency for Local Authority Information Systems"}},
		{s, []string{"2.5.4.6=JP", "2.5.4.10=JPKI-TEST", "2.5.4.11=JPKI for digital signature", "2.5.4.11=Japan Agency for Local Authority Information Systems"}},
	} {
		t.Run(tc.ca.Purpose.String(), func(t *testing.T) {
			c := tc.ca.Cert
			if diff := cmp.Diff(tc.name, rdnStrings(t, c.RawSubject)); diff != "" {
				t.Errorf("subject (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.name, rdnStrings(t, c.RawIssuer)); diff != "" {
				t.Errorf("issuer (-want +got):\n%s", diff)
			}
			// C PrintableString, the rest UTF8String, as on the production roots.
			if !bytes.Contains(c.RawSubject, []byte("\x13\x02JP")) || !bytes.Contains(c.RawSubject, []byte("\x0c\x09JPKI-TEST")) {
				t.Errorf("subject string types: % X", c.RawSubject)
			}
			if err := c.CheckSignatureFrom(c); err != nil {
				t.Errorf("not self-signed: %v", err)
			}
			if c.SignatureAlgorithm != x509.SHA256WithRSA || c.PublicKey.(*rsa.PublicKey).N.BitLen() != 2048 {
				t.Errorf("algorithm %v, %d bits", c.SignatureAlgorithm, c.PublicKey.(*rsa.PublicKey).N.BitLen())
			}
			if !c.IsCA || !c.BasicConstraintsValid || c.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign || len(c.SubjectKeyId) == 0 {
				t.Errorf("IsCA %v, key usage %v, SKI %x", c.IsCA, c.KeyUsage, c.SubjectKeyId)
			}
			for _, e := range c.Extensions {
				switch e.Id.String() {
				case "2.5.29.19", "2.5.29.15":
					if !e.Critical {
						t.Errorf("extension %v not critical", e.Id)
					}
				}
			}
			if want := time.Date(2036, 3, 31, 23, 59, 59, 0, jst); !c.NotAfter.Equal(want) {
				t.Errorf("not after %v, want %v: the day before the tenth anniversary, 23:59:59 JST", c.NotAfter, want)
			}
			// Order and criticality of the production roots (jpki/myna src/ta).
			if diff := cmp.Diff([]string{"2.5.29.15!", "2.5.29.17", "2.5.29.19!", "2.5.29.31", "2.5.29.14"}, extensionOrder(c)); diff != "" {
				t.Errorf("extensions (-want +got):\n%s", diff)
			}
			if n := c.SerialNumber; n.Sign() <= 0 || len(n.Bytes()) != 4 || n.Bit(31) != 0 {
				t.Errorf("serial %v: want a positive number of 4 bytes, top bit clear", n)
			}
		})
	}
}

// extensionOrder lists the extension OIDs in order, "!" marking critical.
func extensionOrder(c *x509.Certificate) []string {
	var out []string
	for _, e := range c.Extensions {
		id := e.Id.String()
		if e.Critical {
			id += "!"
		}
		out = append(out, id)
	}
	return out
}

func extension(c *x509.Certificate, id string) (critical, ok bool) {
	for _, e := range c.Extensions {
		if e.Id.String() == id {
			return e.Critical, true
		}
	}
	return false, false
}

func TestLeafCertificates(t *testing.T) {
	a, s, key := fixture(t)
	authDER, err := a.IssueAuth(rand.Reader, &key.PublicKey, holder, issued)
	if err != nil {
		t.Fatal(err)
	}
	signDER, err := s.IssueSign(rand.Reader, &key.PublicKey, holder, issued)
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2031, 2, 17, 23, 59, 59, 0, jst)
	for _, tc := range []struct {
		name    string
		ca      *CA
		der     []byte
		subject []string // attribute types and fixed values; CN checked apart
		ku      x509.KeyUsage
		policy  string
		exts    []string // extension OIDs in order, "!" = critical
	}{
		{"auth", a, authDER, []string{"2.5.4.6=JP"}, x509.KeyUsageDigitalSignature, "1.2.392.200149.8.5.1.3.30",
			[]string{"2.5.29.15!", "2.5.29.32!", "2.5.29.18", "2.5.29.35", "2.5.29.14"}},
		{"sign", s, signDER, []string{"2.5.4.6=JP", "2.5.4.7=東京都", "2.5.4.7=千代田区"}, x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
			"1.2.392.200149.8.5.1.0.20",
			[]string{"2.5.29.15!", "2.5.29.17", "2.5.29.32!", "2.5.29.18", "2.5.29.31", "2.5.29.35", "2.5.29.14"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.ca.Verify(tc.der, issued.Add(time.Hour))
			if err != nil {
				t.Fatalf("does not verify against its CA: %v", err)
			}
			other := a
			if tc.ca == a {
				other = s
			}
			if _, err := other.Verify(tc.der, issued.Add(time.Hour)); err == nil {
				t.Error("verifies against the other CA")
			}
			got := rdnStrings(t, c.RawSubject)
			cn := got[len(got)-1]
			if diff := cmp.Diff(tc.subject, got[:len(got)-1]); diff != "" {
				t.Errorf("subject (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(cn, "2.5.4.3=20260401") || len(cn) != len("2.5.4.3=")+16 {
				t.Errorf("CN %q, want the issuance date and 8 digits", cn)
			}
			if c.KeyUsage != tc.ku {
				t.Errorf("key usage %v, want %v", c.KeyUsage, tc.ku)
			}
			if len(c.Policies) != 1 || c.Policies[0].String() != tc.policy {
				t.Errorf("policies %v, want %s", c.Policies, tc.policy)
			}
			if diff := cmp.Diff(tc.exts, extensionOrder(c)); diff != "" {
				t.Errorf("extensions (-want +got):\n%s", diff)
			}
			if !bytes.Equal(c.AuthorityKeyId, tc.ca.Cert.SubjectKeyId) || len(c.SubjectKeyId) != 20 {
				t.Errorf("AKI %x (CA SKI %x), SKI %x", c.AuthorityKeyId, tc.ca.Cert.SubjectKeyId, c.SubjectKeyId)
			}
			if !c.NotAfter.Equal(end) {
				t.Errorf("not after %v, want %v", c.NotAfter, end)
			}
			if !c.NotBefore.Equal(issued) {
				t.Errorf("not before %v, want %v", c.NotBefore, issued)
			}
			if c.IsCA {
				t.Error("leaf is a CA")
			}
		})
	}

	t.Run("sign alt names", func(t *testing.T) {
		c, _ := x509.ParseCertificate(signDER)
		got, err := ParseAltNames(c)
		if err != nil {
			t.Fatal(err)
		}
		want := []OtherName{
			{oidName, "番号　花子"},
			{oidBirthDate, "319800217"},
			{oidSex, "2"},
			{oidAddress, "東京都千代田区試験町１丁目２番３号"},
			{oidNameSubstitute, "00000"},
			{oidAddressSubstitute, "00000000000000000"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("otherNames (-want +got):\n%s", diff)
		}
	})
	t.Run("auth has no personal data", func(t *testing.T) {
		c, _ := x509.ParseCertificate(authDER)
		if _, ok := extension(c, "2.5.29.17"); ok {
			t.Error("auth certificate has a subjectAltName")
		}
	})
	t.Run("sign CRL distribution point", func(t *testing.T) {
		c, _ := x509.ParseCertificate(signDER)
		for _, e := range c.Extensions {
			if e.Id.String() != "2.5.29.31" {
				continue
			}
			// CRLDistributionPoints → DistributionPoint → [0] → [0] → [4] → Name
			var dps, dp, dpn, full, dn asn1.RawValue
			if _, err := asn1.Unmarshal(e.Value, &dps); err != nil || dps.Tag != asn1.TagSequence {
				t.Fatalf("CRL DP: %v tag %d", err, dps.Tag)
			}
			for _, s := range []struct {
				in  *asn1.RawValue
				out *asn1.RawValue
				tag int
			}{{&dps, &dp, 16}, {&dp, &dpn, 0}, {&dpn, &full, 0}, {&full, &dn, 4}} {
				if _, err := asn1.Unmarshal(s.in.Bytes, s.out); err != nil || s.out.Tag != s.tag {
					t.Fatalf("CRL DP: %v tag %d, want %d", err, s.out.Tag, s.tag)
				}
			}
			want := []string{"2.5.4.6=JP", "2.5.4.10=JPKI-TEST", "2.5.4.11=JPKI for digital signature",
				"2.5.4.11=CRL Distribution Points", "2.5.4.11=東京都", "2.5.4.3=千代田区"}
			if diff := cmp.Diff(want, rdnStrings(t, dn.Bytes)); diff != "" {
				t.Errorf("CRL directory name (-want +got):\n%s", diff)
			}
			return
		}
		t.Error("no CRL distribution point")
	})
	t.Run("wrong CA", func(t *testing.T) {
		if _, err := a.IssueSign(rand.Reader, &key.PublicKey, holder, issued); err == nil {
			t.Error("auth CA issued a sign certificate")
		}
		if _, err := s.IssueAuth(rand.Reader, &key.PublicKey, holder, issued); err == nil {
			t.Error("sign CA issued an auth certificate")
		}
	})
}

func TestAuthNeverOutlivesCard(t *testing.T) {
	a, _, key := fixture(t)
	h := holder
	h.CardExpiry = time.Date(2028, 6, 30, 0, 0, 0, 0, time.UTC)
	der, err := a.IssueAuth(rand.Reader, &key.PublicKey, h, issued)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	if want := time.Date(2028, 6, 30, 23, 59, 59, 0, jst); !c.NotAfter.Equal(want) {
		t.Errorf("not after %v, want the card expiry %v", c.NotAfter, want)
	}
}

func TestLoadCA(t *testing.T) {
	a, s, key := fixture(t)
	got, err := LoadCA(Auth, a.Cert.Raw, MarshalKey(a.Key))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Key.Equal(a.Key) || !got.Cert.Equal(a.Cert) {
		t.Error("round trip changed the CA")
	}
	for _, tc := range []struct {
		name       string
		cert, key  []byte
		wantSubstr string
	}{
		{"mismatched key", a.Cert.Raw, MarshalKey(s.Key), "does not match"},
		{"leaf key is fine but cert garbage", []byte{0x30, 0x00}, MarshalKey(key), "certificate"},
		{"bad key", a.Cert.Raw, []byte{1, 2, 3}, "key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadCA(Auth, tc.cert, tc.key)
			if err == nil || !strings.Contains(err.Error(), tc.wantSubstr) {
				t.Errorf("error %v, want one mentioning %q", err, tc.wantSubstr)
			}
		})
	}
}

func TestNotAfter(t *testing.T) {
	for _, tc := range []struct {
		birth, issued, want string
	}{
		{"1980-02-17", "2026-04-01", "2031-02-17"}, // birthday already passed this year
		{"1980-08-01", "2026-04-01", "2030-08-01"}, // first birthday later this year
		{"1980-04-01", "2026-04-01", "2031-04-01"}, // issued on the birthday: that one does not count
		{"2000-02-29", "2026-04-01", "2031-02-28"}, // common year
		{"2000-02-29", "2027-04-01", "2032-02-29"}, // leap year
	} {
		b, _ := time.Parse(time.DateOnly, tc.birth)
		i, _ := time.ParseInLocation(time.DateOnly, tc.issued, jst)
		got := NotAfter(b, i.Add(10*time.Hour))
		if got.Format(time.DateOnly) != tc.want || got.Format("15:04:05") != "23:59:59" {
			t.Errorf("NotAfter(%s, %s) = %v, want %s 23:59:59", tc.birth, tc.issued, got, tc.want)
		}
	}
}

func TestJapaneseDate(t *testing.T) {
	for _, tc := range []struct {
		day  string
		era  Era
		year int
		dob  string
	}{
		{"1868-10-23", Meiji, 1, "118681023"},
		{"1912-07-29", Meiji, 45, "119120729"},
		{"1912-07-30", Taisho, 1, "219120730"},
		{"1926-12-24", Taisho, 15, "219261224"},
		{"1926-12-25", Showa, 1, "319261225"},
		{"1980-02-17", Showa, 55, "319800217"},
		{"1989-01-07", Showa, 64, "319890107"},
		{"1989-01-08", Heisei, 1, "419890108"},
		{"2019-04-30", Heisei, 31, "420190430"},
		{"2019-05-01", Reiwa, 1, "520190501"},
		{"2020-02-24", Reiwa, 2, "520200224"},
	} {
		d, _ := time.Parse(time.DateOnly, tc.day)
		era, y, err := JapaneseDate(d)
		if err != nil || era != tc.era || y != tc.year {
			t.Errorf("JapaneseDate(%s) = %d, %d, %v; want %d, %d", tc.day, era, y, err, tc.era, tc.year)
		}
		if got, _ := EraBirthDate(d); got != tc.dob {
			t.Errorf("EraBirthDate(%s) = %q, want %q", tc.day, got, tc.dob)
		}
	}
	if _, _, err := JapaneseDate(time.Date(1868, 10, 22, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("a date before 明治 has an era")
	}
}

func TestHolderAltNamesSubstitutePositions(t *testing.T) {
	h := holder
	h.Name, h.NameSubstituted = "高橋　崎子", []int{0, 3}
	// Positions outside the text cannot be marked and are ignored.
	h.Address, h.AddressSubstituted = "東京都", []int{-1, 2, 3}
	got, err := HolderAltNames(h)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{oidNameSubstitute.String(): "10010", oidAddressSubstitute.String(): "001"}
	for _, n := range got {
		if w, ok := want[n.ID.String()]; ok {
			if n.Value != w {
				t.Errorf("%v = %q, want %q", n.ID, n.Value, w)
			}
			delete(want, n.ID.String())
		}
	}
	if len(want) > 0 {
		t.Errorf("missing otherNames %v", want)
	}
}

// Every serial has the same four-byte form, so certificates issued alike
// have one size (a client reading in chunks sees the same lengths).
func TestSerialNumberFourBytes(t *testing.T) {
	for range 2000 {
		n, err := serialNumber(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(n.Bytes()) != 4 || n.Bit(31) != 0 {
			t.Fatalf("serial %X: want 4 bytes with the top bit clear", n.Bytes())
		}
	}
}
