package fuzz

import (
	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// Step is one move of a session: a command APDU, or a warm reset of the
// card when Reset is set.
type Step struct {
	Reset bool
	Cmd   []byte
}

// Sequence is a named list of steps, e.g. a client's read of a certificate.
type Sequence struct {
	Name  string
	Steps []Step
}

// Secrets are the values a sequence presents to VERIFY, by key reference.
// A key without a value gets a well-formed wrong one.
type Secrets map[emulator.FileRef][]byte

// SecretsOf returns the secrets held by a card file.
func SecretsOf(s *emulator.State) Secrets {
	out := Secrets{}
	for ref, p := range s.PINs {
		out[ref] = append([]byte(nil), p.Value...)
	}
	return out
}

// value returns the secret for ref, or a value of the right shape (card.md
// §7.1) that is unlikely to be right.
func (s Secrets) value(ref emulator.FileRef) []byte {
	if v, ok := s[ref]; ok {
		return v
	}
	return []byte(wrongShape(ref))
}

func wrongShape(ref emulator.FileRef) string {
	switch ref {
	case emulator.JPKISignPassword:
		return "WRONG9"
	case emulator.TextPINA, emulator.VisualPINA:
		return "000000000000"
	case emulator.TextPINB, emulator.VisualPINB:
		return "00000000000000"
	case emulator.VisualDOBKey:
		return "000000"
	}
	return "0000"
}

func step(c apdu.Command) Step { return Step{Cmd: c.Bytes()} }

func selectApp(a emulator.App) Step { return step(apdu.SelectAID(a.AID())) }
func selectEF(fid uint16) Step      { return step(apdu.SelectEF(fid)) }
func readBinary(off, ne int) Step   { return step(apdu.ReadBinary(off, ne)) }
func verifyQuery() Step             { return step(apdu.VerifyQuery(apdu.CurrentEF)) }
func verify(v []byte) Step          { return step(apdu.Verify(apdu.CurrentEF, v)) }

// sign signs sha256DigestInfo with the key p2 names, as JPKI clients do.
func sign(p2 byte) Step {
	c := apdu.ComputeSignature(apdu.SignPKCS1, sha256DigestInfo)
	c.P2 = p2
	return step(c)
}

// sha256DigestInfo is a DER DigestInfo for SHA-256 over an all-zero hash,
// the 51-byte input every JPKI client signs (card.md §5.1).
var sha256DigestInfo = apdu.SHA256DigestInfo([32]byte{})

// ClientSequences returns the command sequences real clients send (card.md
// §6.1–6.6 and the OpenSC bind probes), presenting the secrets in sec. They
// seed the fuzz corpora and the APDU fuzzer's generator.
func ClientSequences(sec Secrets) []Sequence {
	readCert := func(name string, fid uint16, before ...Step) Sequence {
		steps := append([]Step{selectApp(emulator.AppJPKI)}, before...)
		steps = append(steps, selectEF(fid), readBinary(0, 4), readBinary(0, 256), readBinary(256, 256), readBinary(512, 256), readBinary(768, 256), readBinary(1024, 256), readBinary(1280, 256))
		return Sequence{name, steps}
	}
	verifyRef := func(ref emulator.FileRef) []Step {
		return []Step{selectEF(ref.FID()), verify(sec.value(ref))}
	}
	seqs := []Sequence{
		readCert("6.1 read auth cert (OpenSC)", 0x000A),
		readCert("6.1 read auth CA cert", 0x000B),
		readCert("6.1 read sign CA cert", 0x0002),
		readCert("6.2 read sign cert", 0x0001, verifyRef(emulator.JPKISignPassword)...),
		{"6.2 sign cert without password", []Step{selectApp(emulator.AppJPKI), selectEF(0x0001), readBinary(0, 4)}},
		{"6.1 myna 7-byte probe", []Step{selectApp(emulator.AppJPKI), selectEF(0x000A), readBinary(0, 7), readBinary(7, 255)}},
		{"6.3 sign with auth key", append(append([]Step{selectApp(emulator.AppJPKI)}, verifyRef(emulator.JPKIAuthPIN)...),
			selectEF(0x0017), sign(apdu.CurrentEF))},
		{"6.3 sign with sign key", append(append([]Step{selectApp(emulator.AppJPKI)}, verifyRef(emulator.JPKISignPassword)...),
			selectEF(0x001A), sign(apdu.CurrentEF))},
		{"6.3 sign without PIN (SFI)", []Step{selectApp(emulator.AppJPKI), sign(apdu.KeyRef(0x0017))}},
		{"6.4 OpenSC bind: PIN status", []Step{selectApp(emulator.AppJPKI), selectEF(0x0018), verifyQuery(), selectEF(0x001B), verifyQuery(),
			selectEF(0x0006), readBinary(0, 32), selectEF(0x0008), readBinary(0, 3)}},
		{"6.4 myna pin status", []Step{selectApp(emulator.AppText), selectEF(0x0011), verifyQuery(), selectEF(0x0014), verifyQuery(), selectEF(0x0015), verifyQuery(),
			selectApp(emulator.AppVisual), selectEF(0x0013), verifyQuery(), selectEF(0x0012), verifyQuery()}},
		{"6.5 text AP with PIN", append(append([]Step{selectApp(emulator.AppText)}, verifyRef(emulator.TextPIN)...),
			selectEF(0x0001), readBinary(0, 0x11), selectEF(0x0002), readBinary(0, 7), readBinary(2, 1), readBinary(0, 0x71), selectEF(0x0003), readBinary(0, 256), readBinary(256, 256))},
		{"6.5 text AP with 照合番号B", append(append([]Step{selectApp(emulator.AppText)}, verifyRef(emulator.TextPINB)...),
			selectEF(0x0002), readBinary(0, 7), readBinary(0, 256), selectEF(0x0001), readBinary(0, 0x11))},
		{"6.6 visual AP with 照合番号A", append(append([]Step{selectApp(emulator.AppVisual)}, verifyRef(emulator.VisualPINA)...),
			selectEF(0x0002), readBinary(0, 7), readBinary(0, 256), readBinary(0x7F00, 256), selectEF(0x0005), readBinary(0, 256))},
		{"6.6 visual AP with 照合番号B", append(append([]Step{selectApp(emulator.AppVisual)}, verifyRef(emulator.VisualPINB)...),
			selectEF(0x0002), readBinary(0, 7), selectEF(0x0005), readBinary(0, 7))},
		{"wrong PINs to blocking", []Step{selectApp(emulator.AppJPKI), selectEF(0x0018), verifyQuery(), verify([]byte("0000")), verify([]byte("0001")),
			verify([]byte("0002")), verify([]byte("0003")), verifyQuery(), verify(sec.value(emulator.JPKIAuthPIN))}},
		{"common AP record and juki PIN", []Step{selectApp(emulator.AppCommon), step(apdu.ReadRecord(1, 1, apdu.MaxShortNe)), selectEF(0x001C), verifyQuery(),
			selectApp(emulator.AppJuki), selectEF(0x001C), verifyQuery(), verify(sec.value(emulator.JukiPIN)), step(apdu.ChangeKey(apdu.CurrentEF, sec.value(emulator.JukiPIN)))}},
		{"MF probes", []Step{step(apdu.SelectMF()), selectEF(0x3F00), step(apdu.GetChallenge(8)), step(apdu.GetData(0x0045, apdu.MaxShortNe)),
			step(apdu.GetData(0x5F51, apdu.MaxShortNe)), step(apdu.Command{CLA: apdu.CLAProprietary, INS: apdu.INSLastCommand}), step(apdu.SelectAIDFCI(ispAID, apdu.MaxShortNe)),
			step(apdu.SelectAIDFCI(emulator.AppText.AID()[:7], apdu.MaxShortNe))}},
		{"change auth PIN", append(append([]Step{selectApp(emulator.AppJPKI)}, verifyRef(emulator.JPKIAuthPIN)...),
			step(apdu.ChangeReferenceData(apdu.CurrentEF, sec.value(emulator.JPKIAuthPIN))), Step{Reset: true}, selectApp(emulator.AppJPKI), selectEF(0x0018), verifyQuery())},
	}
	return seqs
}
