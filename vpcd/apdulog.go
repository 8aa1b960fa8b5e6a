package vpcd

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/internal/logging"
)

// insNames names the instructions a My Number card client sends (spec §5).
var insNames = map[byte]string{
	0x20: "VERIFY",
	0x24: "CHANGE REFERENCE DATA",
	0x2A: "COMPUTE DIGITAL SIGNATURE",
	0x32: "CHANGE KEY",
	0x84: "GET CHALLENGE",
	0x88: "INTERNAL AUTHENTICATE",
	0xA2: "VERIFY CERTIFICATE",
	0xA4: "SELECT",
	0xAE: "SET SESSION KEY",
	0xB0: "READ BINARY",
	0xB1: "READ BINARY",
	0xB2: "READ RECORD",
	0xC0: "GET RESPONSE",
	0xCA: "GET DATA",
}

// apduFields describes one exchange for the debug log. Command data is
// shown only for SELECT (an AID or FID): every other command's data may be
// a PIN, password, 照合番号 or something to be signed, so only its length
// is logged. Response data is never logged.
func apduFields(cmd, resp []byte, d time.Duration) logging.Fields {
	f := logging.Fields{"dur_us": d.Microseconds(), "resp_len": len(resp) - 2}
	if r, err := apdu.ParseResponse(resp); err == nil {
		f["sw"] = fmt.Sprintf("%04X", uint16(r.SW))
	}
	c, err := apdu.ParseCommand(cmd)
	if err != nil {
		f["cmd"] = "malformed"
		f["len"] = len(cmd)
		return f
	}
	name, ok := insNames[c.INS]
	if !ok {
		name = fmt.Sprintf("INS %02X", c.INS)
	}
	f["cmd"] = name
	f["header"] = strings.ToUpper(hex.EncodeToString(cmd[:4]))
	if len(c.Data) > 0 {
		f["lc"] = len(c.Data)
		if c.INS == 0xA4 {
			f["data"] = strings.ToUpper(hex.EncodeToString(c.Data))
		}
	}
	if c.Ne > 0 {
		f["ne"] = c.Ne
	}
	return f
}
