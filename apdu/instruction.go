package apdu

// Class bytes of the two instruction sets a My Number card answers: the
// interindustry commands of ISO 7816-4 and the JICSAP proprietary ones
// (card.md §5). Logical channel, secure messaging and chaining bits are
// added to CLAInterindustry only by tests of their refusal.
const (
	CLAInterindustry byte = 0x00
	CLAProprietary   byte = 0x80
	// CLAReader marks the pseudo-APDUs a PC/SC part 3 contactless reader
	// answers itself (GET UID); a contact reader passes them to the card.
	CLAReader byte = 0xFF
)

// Instruction bytes. The ISO ones come with CLAInterindustry, the JICSAP
// ones with CLAProprietary; the same INS in the other class is refused.
const (
	INSVerify               byte = 0x20 // ISO: VERIFY
	INSChangeReferenceData  byte = 0x24 // ISO: CHANGE REFERENCE DATA
	INSGetChallenge         byte = 0x84 // ISO: GET CHALLENGE
	INSInternalAuthenticate byte = 0x88 // ISO: INTERNAL AUTHENTICATE
	INSSelect               byte = 0xA4 // ISO: SELECT
	INSReadBinary           byte = 0xB0 // ISO: READ BINARY
	INSReadBinaryOdd        byte = 0xB1 // ISO: READ BINARY, offset in a data object (the card has none)
	INSReadRecord           byte = 0xB2 // ISO: READ RECORD
	INSGetResponse          byte = 0xC0 // ISO: GET RESPONSE (the card has none)
	INSGetData              byte = 0xCA // ISO: GET DATA

	INSComputeSignature  byte = 0x2A // JICSAP: COMPUTE DIGITAL SIGNATURE
	INSChangeKey         byte = 0x32 // JICSAP: CHANGE KEY (a PIN change)
	INSVerifyCertificate byte = 0xA2 // JICSAP: VERIFY CERTIFICATE / SET PUBLIC IC KEY
	INSSetSessionKey     byte = 0xAE // JICSAP: SET SESSION KEY
	INSLastCommand       byte = 0xFC // the iPhone token's "last command"
)

// P1 and P2 values the card's commands share.
const (
	SelectByDFName byte = 0x04 // SELECT P1: by DF name (AID)
	SelectByFID    byte = 0x02 // SELECT P1: EF by file identifier
	SelectMFP1     byte = 0x00 // SELECT P1: the MF
	SelectNoData   byte = 0x0C // SELECT P2: answer no FCI
	SelectFCI      byte = 0x00 // SELECT P2: answer the FCI

	CurrentEF byte = 0x80 // P2 of VERIFY, the change and key commands: the current EF

	SignPKCS1 byte = 0x00 // COMPUTE SIGNATURE P1: PKCS#1 v1.5 over the given DigestInfo

	NewValueOnly byte = 0x01 // CHANGE REFERENCE DATA P1: the data is the new value only

	// P2 of READ RECORD: the record number is in P1.
	recordByNumber byte = 0x04
)

// KeyRef is the P2 that names a key or secret EF by its short FID
// (b8 set, b5–b1 the FID) rather than as the current EF.
func KeyRef(fid uint16) byte { return 0x80 | byte(fid&0x1F) }
