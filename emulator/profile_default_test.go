package emulator_test

import (
	"testing"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
)

// The cards engineer B's profiles make run on this card and answer the
// card.md basic sequences (§6.1, §6.4, §13.7).
func TestProfileDefaults(t *testing.T) {
	p := profile.DefaultPersona()
	for _, k := range emulator.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			s, err := profile.Default(k)
			if err != nil {
				t.Fatal(err)
			}
			c, err := emulator.New(s)
			if err != nil {
				t.Fatal(err)
			}
			send := func(cmd apdu.Command) apdu.Response {
				r, err := apdu.ParseResponse(c.Transmit(cmd.Bytes()))
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			if r := send(apdu.SelectAID(emulator.AppJPKI.AID())); r.SW != apdu.SWOK {
				t.Fatalf("SELECT JPKI: %s", r.SW.String())
			}
			r := send(apdu.ReadBinarySFI(byte(emulator.JPKIAuthCert.FID()), 0, 4))
			if r.SW != apdu.SWOK || len(r.Data) != 4 || r.Data[0] != 0x30 || r.Data[1] != 0x82 {
				t.Fatalf("auth cert probe: % X %s", r.Data, r.SW.String())
			}
			auth := send(apdu.VerifyQuery(apdu.KeyRef(emulator.JPKIAuthPIN.FID())))
			sign := send(apdu.VerifyQuery(apdu.KeyRef(emulator.JPKISignPassword.FID())))
			if auth.SW.SW1() != 0x63 || sign.SW.SW1() != 0x63 {
				t.Errorf("OpenSC binds only when both PIN queries answer 63xx: %s, %s", auth.SW.String(), sign.SW.String())
			}
			locked := k == emulator.KindFaceAuth || k == emulator.KindPINBlocked
			if n, _ := auth.SW.Retries(); (n == 0) != locked {
				t.Errorf("auth PIN query %s on a %s card", auth.SW.String(), k)
			}
			if !locked {
				if r := send(apdu.Verify(apdu.KeyRef(emulator.JPKIAuthPIN.FID()), []byte(p.AuthPIN))); r.SW != apdu.SWOK {
					t.Errorf("default auth PIN: %s", r.SW.String())
				}
			}
		})
	}
}
