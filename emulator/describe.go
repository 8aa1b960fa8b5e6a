package emulator

import (
	"fmt"
	"strings"

	"github.com/mynacard/mynacard/apdu"
)

var insNames = map[[2]byte]string{
	{0x00, 0xA4}: "SELECT",
	{0x00, 0xB0}: "READ BINARY",
	{0x00, 0xB2}: "READ RECORD",
	{0x00, 0x20}: "VERIFY",
	{0x00, 0x24}: "CHANGE REFERENCE DATA",
	{0x00, 0x84}: "GET CHALLENGE",
	{0x00, 0x88}: "INTERNAL AUTHENTICATE",
	{0x00, 0xCA}: "GET DATA",
	{0x80, 0x2A}: "COMPUTE SIGNATURE",
	{0x80, 0x32}: "CHANGE KEY",
	{0x80, 0xA2}: "VERIFY CERTIFICATE",
	{0x80, 0xAE}: "SET SESSION KEY",
}

// Describe names a command APDU for logs and traces, given the application
// selected when it is sent: the command, the AP or EF it addresses and its
// lengths. It never shows the data of VERIFY or a PIN change.
func Describe(b []byte, app App) string {
	cmd, err := apdu.ParseCommand(b)
	if err != nil {
		return fmt.Sprintf("malformed APDU (%d bytes)", len(b))
	}
	name, ok := insNames[[2]byte{cmd.CLA &^ 0x7F, cmd.INS}]
	if !ok {
		return fmt.Sprintf("unknown command CLA=%02X INS=%02X P1=%02X P2=%02X", cmd.CLA, cmd.INS, cmd.P1, cmd.P2)
	}
	var sb strings.Builder
	sb.WriteString(name)
	switch cmd.INS {
	case 0xA4:
		switch {
		case cmd.P1 == 0x04:
			if a, _, ok := findDF(cmd.Data); ok && a != AppNone {
				fmt.Fprintf(&sb, " AP %v", a)
			} else {
				fmt.Fprintf(&sb, " DF % X", cmd.Data)
			}
		case cmd.P1 == 0x02 && len(cmd.Data) == 2:
			sb.WriteString(" EF " + efName(app, uint16(cmd.Data[0])<<8|uint16(cmd.Data[1])))
		case cmd.P1 == 0x00:
			sb.WriteString(" MF")
		}
	case 0xB0:
		if cmd.P1&0x80 != 0 {
			fmt.Fprintf(&sb, " %s offset %d", efName(app, uint16(cmd.P1&0x1F)), cmd.P2)
		} else {
			fmt.Fprintf(&sb, " offset %d", int(cmd.P1&0x7F)<<8|int(cmd.P2))
		}
	case 0xB2:
		fmt.Fprintf(&sb, " record %d", cmd.P1)
		if sfi := cmd.P2 >> 3; sfi != 0 {
			sb.WriteString(" of " + efName(app, uint16(sfi)))
		}
	case 0x20, 0x24, 0x32, 0x2A, 0x88:
		switch {
		case cmd.P2 == 0x80:
			sb.WriteString(" current EF")
		case cmd.P2 == 0x00 && cmd.INS == 0x2A:
			sb.WriteString(" AP key")
		case cmd.P2&0xE0 == 0x80:
			sb.WriteString(" " + efName(app, uint16(cmd.P2&0x1F)))
		}
		switch {
		case cmd.INS == 0x2A:
			fmt.Fprintf(&sb, " scheme %02X", cmd.P1)
		case cmd.INS == 0x20 && len(cmd.Data) == 0:
			sb.WriteString(" (retry query)")
		}
		if len(cmd.Data) > 0 {
			fmt.Fprintf(&sb, " data %d bytes", len(cmd.Data))
			if cmd.INS != 0x2A && cmd.INS != 0x88 {
				sb.WriteString(" " + redacted)
			}
		}
	case 0xCA:
		fmt.Fprintf(&sb, " %02X%02X", cmd.P1, cmd.P2)
	}
	if cmd.Ne > 0 {
		fmt.Fprintf(&sb, " Le %d", cmd.Ne)
	}
	return sb.String()
}

// efName names an EF like "jpki/000A (auth cert)".
func efName(app App, fid uint16) string {
	ref := FileRef{app, fid}
	if e, ok := lookupEF(ref); ok {
		return fmt.Sprintf("%v (%s)", ref, e.name)
	}
	return ref.String()
}
