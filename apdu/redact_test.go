package apdu

import "testing"

func TestRedact(t *testing.T) {
	pin := []byte("1234")
	for _, tc := range []struct {
		name   string
		cmd    []byte
		secret bool
		want   string
	}{
		{"VERIFY", Verify(CurrentEF, pin).Bytes(), true, "00 20 00 80 04 ** ** ** **"},
		{"VERIFY query", VerifyQuery(CurrentEF).Bytes(), false, "00 20 00 80"},
		{"VERIFY with Le", []byte{0x00, 0x20, 0x00, 0x81, 0x02, 0x31, 0x32, 0x00}, true, "00 20 00 81 02 ** ** 00"},
		{"VERIFY extended", []byte{0x00, 0x20, 0x00, 0x80, 0x00, 0x00, 0x02, 0x31, 0x32}, true, "00 20 00 80 00 00 02 ** **"},
		{"VERIFY, proprietary CLA", []byte{0x80, 0x20, 0x00, 0x80, 0x01, 0x39}, true, "80 20 00 80 01 **"},
		{"VERIFY, channel 1", []byte{0x01, 0x20, 0x00, 0x80, 0x01, 0x39}, true, "01 20 00 80 01 **"},
		{"VERIFY, BER-TLV form", []byte{0x00, 0x21, 0x00, 0x80, 0x01, 0x39}, true, "00 21 00 80 01 **"},
		{"CHANGE REFERENCE DATA", ChangeReferenceData(CurrentEF, pin).Bytes(), true, "00 24 01 80 04 ** ** ** **"},
		{"RESET RETRY COUNTER", []byte{0x00, 0x2C, 0x00, 0x80, 0x02, 0x31, 0x32}, true, "00 2C 00 80 02 ** **"},
		{"CHANGE KEY", ChangeKey(CurrentEF, pin).Bytes(), true, "80 32 00 80 04 ** ** ** **"},
		{"CHANGE KEY, interindustry CLA", []byte{0x00, 0x32, 0x00, 0x80, 0x01, 0x39}, true, "00 32 00 80 01 **"},
		{"malformed VERIFY", []byte{0x00, 0x20, 0x00, 0x80, 0x05, 0x31, 0x32}, true, "00 20 00 80 ** ** **"},
		{"malformed SELECT", []byte{0x00, 0xA4, 0x04, 0x0C, 0x09, 0xD3}, true, "00 A4 04 0C ** **"},
		{"short header", []byte{0x00, 0x20, 0x00}, false, "00 20 00"},
		{"empty", nil, false, ""},
		{"SELECT", SelectEF(0x000A).Bytes(), false, "00 A4 02 0C 02 00 0A"},
		{"COMPUTE SIGNATURE", ComputeSignature(SignPKCS1, []byte{0xAB}).Bytes(), false, "80 2A 00 80 01 AB 00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CarriesSecret(tc.cmd); got != tc.secret {
				t.Errorf("CarriesSecret(% X) = %v, want %v", tc.cmd, got, tc.secret)
			}
			if got := Redact(tc.cmd); got != tc.want {
				t.Errorf("Redact(% X) = %q, want %q", tc.cmd, got, tc.want)
			}
		})
	}
}
