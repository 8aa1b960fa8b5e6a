package emulator

import "github.com/mynacard/mynacard/apdu"

// The card's command table: every instruction it knows, the name logs and
// traces give it and the handler that answers it. Dispatch and Describe
// both read it, so a command cannot be answered without a name or named
// without an answer.

// handler answers one command: the response data, which may alias the
// card's state or c.scratch since answer copies it, and the status word.
// Data comes with 9000 only.
type handler func(*Card, apdu.Command) ([]byte, apdu.SW)

// fit says what answer does when the data is longer than Ne.
type fit uint8

const (
	// truncate sends the first Ne bytes, as ISO 7816-4 §5.1 has a card do
	// for a read (card.md §13.2) and for the FCI of SELECT; no Le, no data.
	truncate fit = iota
	// whole sends the data whole or refuses with 67 00: a data object, a
	// challenge or a signature cut short is worth nothing.
	whole
)

type instruction struct {
	cla, ins byte // cla is apdu.CLAInterindustry or apdu.CLAProprietary
	name     string
	handle   handler
	fit      fit
}

var instructions = [...]instruction{
	{apdu.CLAInterindustry, apdu.INSSelect, "SELECT", (*Card).selectFile, truncate},
	{apdu.CLAInterindustry, apdu.INSReadBinary, "READ BINARY", (*Card).readBinary, truncate},
	{apdu.CLAInterindustry, apdu.INSReadRecord, "READ RECORD", (*Card).readRecord, truncate},
	{apdu.CLAInterindustry, apdu.INSVerify, "VERIFY", (*Card).verify, whole},
	{apdu.CLAInterindustry, apdu.INSChangeReferenceData, "CHANGE REFERENCE DATA", (*Card).changeSecret, whole},
	{apdu.CLAInterindustry, apdu.INSGetChallenge, "GET CHALLENGE", (*Card).getChallenge, whole},
	{apdu.CLAInterindustry, apdu.INSInternalAuthenticate, "INTERNAL AUTHENTICATE", (*Card).internalAuthenticate, whole},
	{apdu.CLAInterindustry, apdu.INSGetData, "GET DATA", (*Card).getData, whole},
	{apdu.CLAProprietary, apdu.INSComputeSignature, "COMPUTE SIGNATURE", (*Card).computeSignature, whole},
	{apdu.CLAProprietary, apdu.INSChangeKey, "CHANGE KEY", (*Card).changeSecret, whole},
	{apdu.CLAProprietary, apdu.INSLastCommand, "LAST COMMAND", (*Card).lastCommand, whole},
	{apdu.CLAProprietary, apdu.INSVerifyCertificate, "VERIFY CERTIFICATE", (*Card).verifyCertificate, whole},
	{apdu.CLAProprietary, apdu.INSSetSessionKey, "SET SESSION KEY", (*Card).setSessionKey, whole},
}

// commandTable indexes instructions by class (CLA b8) and INS.
var commandTable = func() (t [2][256]*instruction) {
	for i := range instructions {
		in := &instructions[i]
		t[in.cla>>7][in.ins] = in
	}
	return t
}()

// lookup finds the row of a command whose CLA has passed dispatch's class
// checks. known says whether the INS exists in the other class.
func lookup(cla, ins byte) (in *instruction, inOtherClass bool) {
	class := cla >> 7
	if in := commandTable[class][ins]; in != nil {
		return in, false
	}
	return nil, commandTable[class^1][ins] != nil
}

func (c *Card) dispatch(b []byte) []byte {
	cmd, err := apdu.ParseCommand(b)
	if err != nil {
		return status(apdu.SWWrongLength)
	}
	cla := cmd.CLA
	switch {
	case cla == 0xFF || cla&0xE0 == 0xA0 || cla&0xE0 == 0xC0 || cla&0xE0 == 0xE0:
		return status(apdu.SWCLANotSupported)
	case cla&0x40 != 0 || cla&0x03 != 0:
		return status(apdu.SWChannelNotSupported)
	case cla&0x0C != 0:
		return c.secureMessaging(cmd)
	case cla&0x10 != 0:
		return status(apdu.SWCLANotSupported) // no command chaining
	}
	in, inOtherClass := lookup(cla, cmd.INS)
	switch {
	case in != nil:
		data, sw := in.handle(c, cmd)
		return answer(data, sw, cmd.Ne, in.fit)
	case inOtherClass:
		return status(apdu.SWCLANotSupported)
	}
	return status(apdu.SWINSNotSupported)
}

// answer encodes a handler's result as the response APDU, in the one
// allocation Transmit makes. No response carries more than Ne bytes of
// data (ISO 7816-4 §5.1): what happens to more depends on f.
func answer(data []byte, sw apdu.SW, ne int, f fit) []byte {
	if len(data) > ne {
		if f == whole {
			return status(apdu.SWWrongLength)
		}
		data = data[:ne]
	}
	out := make([]byte, len(data)+2)
	copy(out, data)
	out[len(data)], out[len(data)+1] = sw.SW1(), sw.SW2()
	return out
}

// status is a response with no data.
func status(sw apdu.SW) []byte { return []byte{sw.SW1(), sw.SW2()} }
