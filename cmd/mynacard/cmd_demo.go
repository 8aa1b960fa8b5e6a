package main

import (
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"io"
	"strings"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/contactless"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/internal/columns"
)

func init() {
	register(command{
		name:    "demo",
		summary: "show built-in cards of several kinds answering the same client sequence",
		run:     runDemo,
	})
}

// demoStep is one command of the demo's client sequence. Steps that send a
// secret build their APDU from the persona, so the shown trace never holds it.
type demoStep struct {
	what  string
	build func(p profile.Persona) []byte
}

func fixed(c apdu.Command) func(profile.Persona) []byte {
	b := c.Bytes()
	return func(profile.Persona) []byte { return b }
}

func verify(secret func(p profile.Persona) string) func(profile.Persona) []byte {
	return func(p profile.Persona) []byte {
		return apdu.Verify(apdu.CurrentEF, []byte(secret(p))).Bytes()
	}
}

// demoSequence is what a JPKI login client, a reception app reading the card
// face, and OpenSC's PIN-status probe send (card.md §6.1–6.6).
var demoSequence = []demoStep{
	{"SELECT JPKI AP", fixed(apdu.SelectAID(emulator.AppJPKI.AID()))},
	{"SELECT EF 0008 (certificate availability)", fixed(apdu.SelectEF(0x0008))},
	{"READ BINARY 3 bytes", fixed(apdu.ReadBinary(0, 3))},
	{"SELECT EF 000A (auth certificate)", fixed(apdu.SelectEF(0x000A))},
	{"READ BINARY 4-byte length probe (OpenSC)", fixed(apdu.ReadBinary(0, 4))},
	{"SELECT EF 0018 (auth PIN)", fixed(apdu.SelectEF(0x0018))},
	{"VERIFY empty: tries left", fixed(apdu.VerifyQuery(apdu.CurrentEF))},
	{"VERIFY auth PIN", verify(func(p profile.Persona) string { return p.AuthPIN })},
	{"SELECT EF 0017 (auth key)", fixed(apdu.SelectEF(0x0017))},
	{"COMPUTE SIGNATURE over a SHA-256 DigestInfo", func(profile.Persona) []byte {
		di := apdu.SHA256DigestInfo(sha256.Sum256([]byte("mynacard demo")))
		return apdu.ComputeSignature(apdu.SignPKCS1, di).Bytes()
	}},
	{"SELECT EF 001B (sign password)", fixed(apdu.SelectEF(0x001B))},
	{"VERIFY empty: tries left", fixed(apdu.VerifyQuery(apdu.CurrentEF))},
	{"SELECT EF 0001 (sign certificate)", fixed(apdu.SelectEF(0x0001))},
	{"READ BINARY 4 bytes without password", fixed(apdu.ReadBinary(0, 4))},
	{"SELECT 券面事項確認AP", fixed(apdu.SelectAID(emulator.AppVisual.AID()))},
	{"SELECT EF 0012 (照合番号B)", fixed(apdu.SelectEF(0x0012))},
	{"VERIFY 照合番号B", verify(func(p profile.Persona) string {
		b, err := emulator.CollationB(p.BirthDate, p.CardExpiry, p.SecurityCode)
		if err != nil {
			panic(err) // the built-in persona is valid; profile tests prove it
		}
		return b
	})},
	{"SELECT EF 0002 (card face)", fixed(apdu.SelectEF(0x0002))},
	{"READ BINARY 7-byte header (myna)", fixed(apdu.ReadBinary(0, 7))},
}

func runDemo(e *env, args []string) error {
	fs := newFlags(e, "demo", "[flags]")
	kinds := fs.String("kinds", "normal,face-auth", "comma-separated card kinds to compare: "+kindList())
	chip := fs.String("chip", "", "also show a normal card of this chip preset (profile chips), a contactless one through a PC/SC part 3 reader")
	if err := parseOnlyFlags(fs, args); err != nil {
		return err
	}
	var cards []contactless.Card
	var names []string
	for _, k := range strings.Split(*kinds, ",") {
		kind := emulator.Kind(strings.TrimSpace(k))
		if kind.Validate() != nil {
			return usagef("--kinds: %q: want one of %s", kind, kindList())
		}
		s, err := profile.Default(kind)
		if err != nil {
			return err
		}
		c, err := emulator.New(s)
		if err != nil {
			return fmt.Errorf("%s card: %w", kind, err)
		}
		cards = append(cards, c)
		names = append(names, string(kind))
	}
	if *chip != "" {
		c, err := chipCard(profile.Chip(*chip))
		if err != nil {
			return usagef("--chip: %v", err)
		}
		cards = append(cards, c)
		names = append(names, "normal@"+*chip)
	}
	persona := profile.DefaultPersona()
	fmt.Fprintf(e.stdout, "Built-in cards of %s (PINs as in README).\n", persona.Name)
	fmt.Fprintln(e.stdout, "Each row is one APDU sent to every card; secrets are not shown.")
	fmt.Fprintln(e.stdout)
	return writeDemo(e.stdout, persona, names, cards)
}

// chipCard is a normal card of chip c as a reader presents it: a
// contactless chip's ATR and GET UID come from the reader (profile.Present).
func chipCard(c profile.Chip) (contactless.Card, error) {
	s, err := profile.DefaultWithChip(emulator.KindNormal, c)
	if err != nil {
		return nil, err
	}
	card, err := emulator.New(s)
	if err != nil {
		return nil, err
	}
	return profile.Present(s, card, contactless.Part3), nil
}

// demoReaderSteps follow the card sequence: what the reader reports, the
// ATR (built from ATQB for a contactless chip) and the PC/SC part 3 GET UID.
var demoReaderSteps = []demoStep{
	{"GET UID (FF CA 00 00 00, a contactless reader's)", fixed(apdu.GetUID(apdu.MaxShortNe))},
}

func writeDemo(w io.Writer, p profile.Persona, names []string, cards []contactless.Card) error {
	rows := [][]string{append([]string{"#", "command"}, names...)}
	for i, st := range append(demoSequence[:len(demoSequence):len(demoSequence)], demoReaderSteps...) {
		cmd := st.build(p)
		row := []string{fmt.Sprint(i + 1), st.what}
		for _, c := range cards {
			row = append(row, demoAnswer(cmd, c.Transmit(cmd)))
		}
		rows = append(rows, row)
	}
	atr := []string{fmt.Sprint(len(rows)), "ATR the reader reports"}
	for _, c := range cards {
		atr = append(atr, fmt.Sprintf("%X", c.ATR()))
	}
	return columns.Write(w, append(rows, atr), 2)
}

// demoAnswer summarises a response in a table cell: the status word and
// what the data is, not all of it.
func demoAnswer(cmd, resp []byte) string {
	r, err := apdu.ParseResponse(resp)
	if err != nil {
		return "no status word"
	}
	sw := fmt.Sprintf("%04X %s", uint16(r.SW), r.SW.Name())
	switch {
	case len(r.Data) == 0:
		return sw
	case len(r.Data) <= 8:
		return fmt.Sprintf("%X · %s", r.Data, sw)
	case cmd[1] == apdu.INSComputeSignature:
		return fmt.Sprintf("%d-byte signature · %s", len(r.Data), sw)
	}
	if _, err := x509.ParseCertificate(r.Data); err == nil {
		return fmt.Sprintf("certificate · %s", sw)
	}
	return fmt.Sprintf("%d bytes %X… · %s", len(r.Data), r.Data[:4], sw)
}

func kindList() string {
	var ks []string
	for _, k := range emulator.Kinds() {
		ks = append(ks, string(k))
	}
	return strings.Join(ks, ", ")
}
