package apdu

// Constructors for the commands a My Number card knows (card.md §5). Each
// returns the plain form a client sends; tests of odd forms change a field
// of the result rather than spelling the layout again.

// SelectAID selects an application by DF name, asking for no FCI.
func SelectAID(aid []byte) Command {
	return Command{INS: INSSelect, P1: SelectByDFName, P2: SelectNoData, Data: aid}
}

// SelectAIDFCI selects an application by DF name and asks for up to ne
// bytes of its FCI.
func SelectAIDFCI(aid []byte, ne int) Command {
	return Command{INS: INSSelect, P1: SelectByDFName, P2: SelectFCI, Data: aid, Ne: ne}
}

// SelectEF selects an EF of the current application by its FID, asking for
// no FCI.
func SelectEF(fid uint16) Command {
	return Command{INS: INSSelect, P1: SelectByFID, P2: SelectNoData, Data: FID(fid)}
}

// SelectMF is SELECT with P1 P2 = 00 00 and no data: the MF.
func SelectMF() Command { return Command{INS: INSSelect, P1: SelectMFP1} }

// FID encodes a file identifier as the two bytes SELECT carries.
func FID(fid uint16) []byte { return []byte{byte(fid >> 8), byte(fid)} }

// ReadBinary reads ne bytes of the current EF from offset, which has 15
// bits: P1 b8 set would mean an SFI.
func ReadBinary(offset, ne int) Command {
	return Command{INS: INSReadBinary, P1: byte(offset>>8) & 0x7F, P2: byte(offset), Ne: ne}
}

// ReadBinarySFI selects the EF with short FID sfi and reads ne bytes of it
// from offset (0–255).
func ReadBinarySFI(sfi byte, offset byte, ne int) Command {
	return Command{INS: INSReadBinary, P1: 0x80 | sfi&0x1F, P2: offset, Ne: ne}
}

// ReadRecord reads record number record of the EF with short FID sfi, or of
// the current EF when sfi is 0.
func ReadRecord(record, sfi byte, ne int) Command {
	return Command{INS: INSReadRecord, P1: record, P2: sfi<<3 | recordByNumber, Ne: ne}
}

// Verify presents secret to the key named by p2 (CurrentEF or KeyRef).
func Verify(p2 byte, secret []byte) Command {
	return Command{INS: INSVerify, P2: p2, Data: secret}
}

// VerifyQuery is VERIFY without data: it asks the tries left and spends
// none.
func VerifyQuery(p2 byte) Command { return Command{INS: INSVerify, P2: p2} }

// ChangeReferenceData sets the secret named by p2 to newValue; the card
// has checked the old one by VERIFY before.
func ChangeReferenceData(p2 byte, newValue []byte) Command {
	return Command{INS: INSChangeReferenceData, P1: NewValueOnly, P2: p2, Data: newValue}
}

// ChangeKey is the JICSAP form of a PIN change, 80 32 00 p2.
func ChangeKey(p2 byte, newValue []byte) Command {
	return Command{CLA: CLAProprietary, INS: INSChangeKey, P2: p2, Data: newValue}
}

// ComputeSignature signs data with the current EF's key in scheme p1 (e.g.
// SignPKCS1) and asks for the whole signature (Le 00).
func ComputeSignature(p1 byte, data []byte) Command {
	return Command{CLA: CLAProprietary, INS: INSComputeSignature, P1: p1, P2: CurrentEF, Data: data, Ne: MaxShortNe}
}

// InternalAuthenticate signs challenge with the key named by p2 and asks
// for the whole answer (Le 00).
func InternalAuthenticate(p2 byte, challenge []byte) Command {
	return Command{INS: INSInternalAuthenticate, P2: p2, Data: challenge, Ne: MaxShortNe}
}

// GetData asks for ne bytes of the data object tag (P1 P2).
func GetData(tag uint16, ne int) Command {
	return Command{INS: INSGetData, P1: byte(tag >> 8), P2: byte(tag), Ne: ne}
}

// GetUID is a PC/SC part 3 reader's GET DATA for the card's UID (P1=00),
// asking for ne bytes (256: Le=00, the whole UID).
func GetUID(ne int) Command { return Command{CLA: CLAReader, INS: INSGetData, Ne: ne} }

// GetChallenge asks for ne random bytes.
func GetChallenge(ne int) Command { return Command{INS: INSGetChallenge, Ne: ne} }
