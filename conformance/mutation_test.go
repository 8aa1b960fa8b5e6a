package conformance

import (
	"bytes"
	"testing"

	"github.com/mynacard/mynacard/apdu"
)

// mutant is an emulated card with one deliberate defect, to prove that
// the suite notices it.
type mutant struct {
	*Embedded
	ef     uint16 // last EF selected, for mutations that depend on it
	mutate func(m *mutant, cmd apdu.Command, resp []byte) []byte
	reset  func(m *mutant) error
}

func (m *mutant) Transmit(raw []byte) ([]byte, error) {
	resp, err := m.Embedded.Transmit(raw)
	cmd, perr := apdu.ParseCommand(raw)
	if err != nil || perr != nil {
		return resp, err
	}
	if cmd.INS == 0xA4 && cmd.P1 == 0x02 && len(cmd.Data) == 2 {
		m.ef = uint16(cmd.Data[0])<<8 | uint16(cmd.Data[1])
	}
	return m.mutate(m, cmd, resp), nil
}

func (m *mutant) Reset() error {
	if m.reset != nil {
		return m.reset(m)
	}
	return m.Embedded.Reset()
}

func sw(resp []byte) apdu.SW {
	return apdu.SW(uint16(resp[len(resp)-2])<<8 | uint16(resp[len(resp)-1]))
}

func TestMutantsAreCaught(t *testing.T) {
	unchanged := func(_ *mutant, _ apdu.Command, resp []byte) []byte { return resp }
	for _, tt := range []struct {
		name   string
		kind   string
		mutate func(*mutant, apdu.Command, []byte) []byte
		reset  func(*mutant) error
		// mustFail are cases that have to catch the defect.
		mustFail []string
	}{
		{
			name: "wrong VERIFY reports one try too many (63C3 for 63C2)", kind: KindNormal,
			mutate: func(_ *mutant, c apdu.Command, resp []byte) []byte {
				if n, ok := sw(resp).Retries(); ok && c.INS == 0x20 && len(c.Data) > 0 {
					return apdu.Response{SW: apdu.RetriesLeft(n + 1)}.Bytes()
				}
				return resp
			},
			mustFail: []string{"JPKI-PIN-102", "TEXT-PIN-102", "JPKI-PIN-104"},
		},
		{
			name: "protected text EF served without a key", kind: KindNormal,
			mutate: func(m *mutant, c apdu.Command, resp []byte) []byte {
				if c.INS == 0xB0 && sw(resp) == apdu.SWSecurityNotSatisfied && m.ef == 0x0002 {
					return append(bytes.Repeat([]byte{0xFF}, min(c.Ne, 16)), 0x90, 0x00)
				}
				return resp
			},
			mustFail: []string{"TEXT-ACC-001", "TEXT-ACC-003", "VIS-ACC-001", "INV-005"},
		},
		{
			name: "reset keeps the verified state", kind: KindNormal, mutate: unchanged,
			reset:    func(*mutant) error { return nil },
			mustFail: []string{"JPKI-SEC-002", "CARD-MF-001"},
		},
		{
			name: "blocked key answers 9000 to its right value", kind: KindFaceAuth,
			mutate: func(_ *mutant, c apdu.Command, resp []byte) []byte {
				if c.INS == 0x20 && len(c.Data) > 0 && sw(resp) == apdu.SWAuthBlocked {
					return apdu.Response{SW: apdu.SWOK}.Bytes()
				}
				return resp
			},
			mustFail: []string{"INV-001", "FACE-AUTH-003"},
		},
		{
			name: "face-auth card reports a sign certificate in 0008", kind: KindFaceAuth,
			mutate: func(m *mutant, c apdu.Command, resp []byte) []byte {
				if c.INS == 0xB0 && m.ef == 0x0008 && len(resp) == 5 {
					resp[0] = 0x8F
				}
				return resp
			},
			mustFail: []string{"FACE-AUTH-001", "JPKI-RD-006"},
		},
		{
			name: "signature bytes corrupted", kind: KindNormal,
			mutate: func(_ *mutant, c apdu.Command, resp []byte) []byte {
				if c.INS == 0x2A && len(resp) == 258 {
					resp[100] ^= 1
				}
				return resp
			},
			mustFail: []string{"JPKI-SIG-001", "JPKI-SIG-005", "JPKI-SIG-007"},
		},
		{
			name: "READ BINARY past the end answers 9000 with no data", kind: KindNormal,
			mutate: func(_ *mutant, c apdu.Command, resp []byte) []byte {
				if c.INS == 0xB0 && sw(resp) == apdu.SWWrongOffset {
					return apdu.Response{SW: apdu.SWOK}.Bytes()
				}
				return resp
			},
			mustFail: []string{"JPKI-RD-003"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, err := EmbeddedKind(tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			m := &mutant{Embedded: e, mutate: tt.mutate, reset: tt.reset}
			rep, err := Run(m, e.Profile(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range tt.mustFail {
				if r := resultOf(t, rep, id); r.Status != Fail {
					t.Errorf("%s: %s %s, want fail", id, r.Status, r.Reason)
				}
			}
		})
	}
}
