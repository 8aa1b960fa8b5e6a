package emulator

import (
	"fmt"
	"strings"

	"github.com/mynacard/mynacard/apdu"
)

// Describe names a command APDU for logs and traces, given the application
// selected when it is sent: the command, the AP or EF it addresses and its
// lengths. It never shows the data of VERIFY or a PIN change.
func Describe(b []byte, app App) string {
	cmd, err := apdu.ParseCommand(b)
	if err != nil {
		return fmt.Sprintf("malformed APDU (%d bytes)", len(b))
	}
	in := commandTable[cmd.CLA>>7][cmd.INS]
	if in == nil {
		return fmt.Sprintf("unknown command CLA=%02X INS=%02X P1=%02X P2=%02X", cmd.CLA, cmd.INS, cmd.P1, cmd.P2)
	}
	var sb strings.Builder
	sb.WriteString(in.name)
	switch cmd.INS {
	case apdu.INSSelect:
		switch {
		case cmd.P1 == apdu.SelectByDFName:
			if a, _, ok := findDF(cmd.Data); ok && a != AppNone {
				fmt.Fprintf(&sb, " AP %v", a)
			} else {
				fmt.Fprintf(&sb, " DF % X", cmd.Data)
			}
		case cmd.P1 == apdu.SelectByFID && len(cmd.Data) == 2:
			sb.WriteString(" EF " + efName(app, uint16(cmd.Data[0])<<8|uint16(cmd.Data[1])))
		case cmd.P1 == apdu.SelectMFP1:
			sb.WriteString(" MF")
		}
	case apdu.INSReadBinary:
		if cmd.P1&0x80 != 0 {
			fmt.Fprintf(&sb, " %s offset %d", efName(app, uint16(cmd.P1&0x1F)), cmd.P2)
		} else {
			fmt.Fprintf(&sb, " offset %d", int(cmd.P1&0x7F)<<8|int(cmd.P2))
		}
	case apdu.INSReadRecord:
		fmt.Fprintf(&sb, " record %d", cmd.P1)
		if sfi := cmd.P2 >> 3; sfi != 0 {
			sb.WriteString(" of " + efName(app, uint16(sfi)))
		}
	case apdu.INSVerify, apdu.INSChangeReferenceData, apdu.INSChangeKey, apdu.INSComputeSignature, apdu.INSInternalAuthenticate:
		switch {
		case cmd.P2 == apdu.CurrentEF:
			sb.WriteString(" current EF")
		case cmd.P2 == 0x00 && cmd.INS == apdu.INSComputeSignature:
			sb.WriteString(" AP key")
		case cmd.P2&0xE0 == 0x80:
			sb.WriteString(" " + efName(app, uint16(cmd.P2&0x1F)))
		}
		switch {
		case cmd.INS == apdu.INSComputeSignature:
			fmt.Fprintf(&sb, " scheme %02X", cmd.P1)
		case cmd.INS == apdu.INSVerify && len(cmd.Data) == 0:
			sb.WriteString(" (retry query)")
		}
		if len(cmd.Data) > 0 {
			fmt.Fprintf(&sb, " data %d bytes", len(cmd.Data))
			if cmd.CarriesSecret() {
				sb.WriteString(" " + redacted)
			}
		}
	case apdu.INSGetData:
		fmt.Fprintf(&sb, " %02X%02X", cmd.P1, cmd.P2)
	}
	if cmd.Ne > 0 {
		fmt.Fprintf(&sb, " Le %d", cmd.Ne)
	}
	return sb.String()
}

// efName names an EF like "jpki/000A (auth cert)".
func efName(app App, fid uint16) string {
	ref := Ref(app, fid)
	if e, ok := lookupEF(ref); ok {
		return fmt.Sprintf("%v (%s)", ref, e.name)
	}
	return ref.String()
}
