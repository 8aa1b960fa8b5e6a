package fuzz

import (
	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// What the fuzzer and the oracle know about the card, taken from
// docs/card.md and not from the emulator, so that
// the emulator is checked against card.md rather than against itself.

// ispAID is the GlobalPlatform issuer security domain; selecting it
// restores the power-on state (card.md §2).
var ispAID = []byte{0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00}

// specSW reports whether sw is one card.md lists (§8), plus 62 82, which
// §5 names for READ BINARY ending early.
func specSW(sw apdu.SW) bool {
	if _, ok := sw.Retries(); ok {
		return true
	}
	switch sw {
	case apdu.SWOK, apdu.SWWarnEOF, apdu.SWVerifyFailUnlimited, apdu.SWSecurityEnvFaulty,
		apdu.SWWrongLength, apdu.SWChannelNotSupported, apdu.SWSMNotSupported,
		apdu.SWIncompatibleFile, apdu.SWSecurityNotSatisfied, apdu.SWAuthBlocked,
		apdu.SWConditionsNotMet, apdu.SWNoCurrentEF, apdu.SWSMError, apdu.SWWrongData,
		apdu.SWFuncNotSupported, apdu.SWFileNotFound, apdu.SWRecordNotFound,
		apdu.SWIncorrectP1P2, apdu.SWDataNotFound, apdu.SWWrongOffset,
		apdu.SWINSNotSupported, apdu.SWCLANotSupported:
		return true
	}
	return false
}

// dataAllowed reports whether a response with status sw may carry data:
// ISO 7816-4 §5.1.3 allows it on success and warnings (90 00, 62 xx, 63 xx)
// only; the card's error answers are bare status words.
func dataAllowed(sw apdu.SW) bool {
	return sw == apdu.SWOK || sw.SW1() == 0x62 || sw.SW1() == 0x63
}

// access is what opens an EF for reading (card.md §4). An EF listed with no
// keys is never readable; an EF not listed is free or unknown to card.md
// and is not checked.
var access = map[emulator.FileRef][]emulator.FileRef{
	emulator.JPKISignCert:                  {emulator.JPKISignPassword},
	emulator.Ref(emulator.AppJPKI, 0x0009): nil,
	emulator.JPKIAuthKey:                   nil,
	emulator.JPKIAuthPIN:                   nil,
	emulator.JPKISignKey:                   nil,
	emulator.JPKISignPassword:              nil,
	emulator.Ref(emulator.AppJPKI, 0x0016): nil,

	emulator.TextMyNumber:                  {emulator.TextPIN, emulator.TextPINA},
	emulator.TextAttributes:                {emulator.TextPIN, emulator.TextPINB},
	emulator.TextIntegrity:                 {emulator.TextPIN, emulator.TextPINA, emulator.TextPINB},
	emulator.Ref(emulator.AppText, 0x0006): {emulator.TextPIN, emulator.TextPINA, emulator.TextPINB},
	emulator.Ref(emulator.AppText, 0x0007): {emulator.TextPIN, emulator.TextPINA, emulator.TextPINB},
	emulator.TextPIN:                       nil,
	emulator.TextBlockedKey:                nil,
	emulator.TextAPKey:                     nil,
	emulator.TextPINA:                      nil,
	emulator.TextPINB:                      nil,

	emulator.VisualAgeRecord:                 {emulator.VisualDOBKey},
	emulator.VisualCardFace:                  {emulator.VisualPINA, emulator.VisualPINB},
	emulator.VisualMyNumber:                  {emulator.VisualPINA},
	emulator.Ref(emulator.AppVisual, 0x0006): {emulator.VisualPINA, emulator.VisualPINB},
	emulator.VisualDOBKey:                    nil,
	emulator.VisualPINB:                      nil,
	emulator.VisualPINA:                      nil,
	emulator.VisualAPKey:                     nil,

	emulator.JukiPIN:     nil,
	emulator.CommonIAKey: nil,
	emulator.CommonPIN:   nil,
}

// signers maps each JPKI private key to the secret that unlocks it for
// COMPUTE DIGITAL SIGNATURE and INTERNAL AUTHENTICATE (card.md §4.1, §5).
var signers = map[emulator.FileRef]emulator.FileRef{
	emulator.JPKIAuthKey: emulator.JPKIAuthPIN,
	emulator.JPKISignKey: emulator.JPKISignPassword,
}

// keyRefs are the key references VERIFY accepts, per application (card.md §7.1).
var keyRefs = []emulator.FileRef{
	emulator.JPKIAuthPIN, emulator.JPKISignPassword,
	emulator.TextPIN, emulator.TextBlockedKey, emulator.TextPINA, emulator.TextPINB,
	emulator.VisualDOBKey, emulator.VisualPINB, emulator.VisualPINA,
	emulator.JukiPIN, emulator.CommonPIN,
}

// files are the EFs of each application with data (card.md §4).
var files = map[emulator.App][]uint16{
	emulator.AppJPKI:   {0x0001, 0x0002, 0x0006, 0x0008, 0x0009, 0x000A, 0x000B},
	emulator.AppText:   {0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x0007, 0x0008},
	emulator.AppVisual: {0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006},
	emulator.AppJuki:   {0x0002},
	emulator.AppCommon: {0x0001, 0x0002},
}

// getDataTags are the MF-level GET DATA objects (card.md §2).
var getDataTags = []uint16{0x0042, 0x0045, 0x0066, 0x00F0, 0x00F2, 0x00F7, 0x00F8, 0x7F21, 0x5F51}

// free are the EFs card.md lists as readable with no credential (card.md §4).
var free = map[emulator.FileRef]bool{
	emulator.JPKISignCACert: true, emulator.JPKIToken: true, emulator.JPKICertStatus: true,
	emulator.JPKIAuthCert: true, emulator.JPKIAuthCACert: true,
	emulator.TextCVCert: true, emulator.TextBasicInfo: true,
	emulator.VisualBasicInfo: true, emulator.VisualCVCert: true,
	emulator.CommonSerial: true,
}
