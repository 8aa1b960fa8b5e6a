package emulator

import "testing"

// Describe is what `mynacard apdu`, the debug log and the hostile-reader
// fuzzer print for a command: it must name the command, what it addresses
// and its lengths, in the application it is sent to, and never a secret.
func TestDescribe(t *testing.T) {
	tests := []struct {
		cmd  string
		app  App
		want string
	}{
		{"00", AppNone, "malformed APDU (1 bytes)"},
		{"00 CA 01", AppJPKI, "malformed APDU (3 bytes)"},
		{"00 FE 01 02", AppJPKI, "unknown command CLA=00 INS=FE P1=01 P2=02"},
		{"80 B0 00 00 04", AppJPKI, "unknown command CLA=80 INS=B0 P1=00 P2=00"},
		{selJPKI, AppNone, "SELECT AP jpki"},
		{"00 A4 04 0C 05 D392100031", AppJPKI, "SELECT AP text"}, // a prefix selects the first AP in card order
		{"00 A4 04 0C 07 A0000001510000", AppJPKI, "SELECT DF A0 00 00 01 51 00 00"},
		{"00 A4 04 0C 02 0102", AppNone, "SELECT DF 01 02"},
		{selEF(0x000A), AppJPKI, "SELECT EF jpki/000A (auth cert)"},
		{selEF(0x000A), AppText, "SELECT EF text/000A"},
		{selEF(0x001F), AppJPKI, "SELECT EF jpki/001F"},
		{"00 A4 02 0C 01 0A", AppJPKI, "SELECT"},
		{"00 A4 00 0C", AppJPKI, "SELECT MF"},
		{"00 A4 00 00 00", AppJPKI, "SELECT MF Le 256"},
		{"00 B0 8A 10 04", AppJPKI, "READ BINARY jpki/000A (auth cert) offset 16 Le 4"},
		{"00 B0 7F 01 00", AppJPKI, "READ BINARY offset 32513 Le 256"},
		{"00 B2 01 0C 00", AppCommon, "READ RECORD record 1 of common/0001 (serial) Le 256"},
		{"00 B2 02 04 10", AppCommon, "READ RECORD record 2 Le 16"},
		{verifyCmd(testAuthPIN), AppJPKI, "VERIFY current EF data 4 bytes " + redacted},
		{"00 20 00 98 04 31323334", AppJPKI, "VERIFY jpki/0018 (auth PIN) data 4 bytes " + redacted},
		{"00 20 00 9B", AppJPKI, "VERIFY jpki/001B (sign password) (retry query)"},
		{"00 20 00 00", AppJPKI, "VERIFY (retry query)"},
		{"00 24 01 80 04 39383736", AppJPKI, "CHANGE REFERENCE DATA current EF data 4 bytes " + redacted},
		{"80 2A 00 80 03 010203 00", AppJPKI, "COMPUTE SIGNATURE current EF scheme 00 data 3 bytes Le 256"},
		{"80 2A 02 9A 02 0102 00", AppJPKI, "COMPUTE SIGNATURE jpki/001A (sign key) scheme 02 data 2 bytes Le 256"},
		{"80 2A 00 00 01 01 00", AppText, "COMPUTE SIGNATURE AP key scheme 00 data 1 bytes Le 256"},
		{"00 88 00 99 02 0102 00", AppCommon, "INTERNAL AUTHENTICATE common/0019 (IA key) data 2 bytes Le 256"},
		{"00 88 00 00 02 0102 00", AppCommon, "INTERNAL AUTHENTICATE data 2 bytes Le 256"},
		{"00 CA 01 02 00", AppNone, "GET DATA 0102 Le 256"},
		{"00 84 00 00 08", AppJPKI, "GET CHALLENGE Le 8"},
	}
	for _, tt := range tests {
		if got := Describe(h(tt.cmd), tt.app); got != tt.want {
			t.Errorf("Describe(%s, %v) = %q, want %q", tt.cmd, tt.app, got, tt.want)
		}
	}
}
