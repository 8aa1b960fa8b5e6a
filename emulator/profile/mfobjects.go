package profile

import (
	"crypto/rsa"

	"github.com/mynacard/mynacard/emulator"
)

// The MF-level GET DATA objects (card.md §2). Their structure is what
// card.md and the surveyed cards show; the identities in them are this
// profile's choices (docs/uncertain.md, "GET DATA objects").

// Key identifiers of the MF-level objects, in the JPKI-test hierarchy.
var (
	// mfIssuerID is GET DATA 0042, the issuer identification number.
	mfIssuerID = keyID("6000010", "001")
	// mfCVRootID names the root that signs 00F8, as on the surveyed test
	// card (myna-card's fixture mf-do-F8: issuer 6000020).
	mfCVRootID = keyID("6000020", "001")
)

// mfCardKeyID names the key 7F21 certifies: the visual AP's card key, whose
// public half the card-face records carry (municipality code + "22").
func mfCardKeyID(municipality string) []byte { return keyID(municipality+"22", "000") }

// gpOID is a GlobalPlatform object identifier, 1.2.840.114283.arc…, as
// the tag-06 object the card recognition data carries.
func gpOID(arc ...byte) []byte {
	return tlv(0x06, concat([]byte{0x2A, 0x86, 0x48, 0x86, 0xFC, 0x6B}, arc))
}

// cardRecognitionData is GET DATA 0066 as GlobalPlatform defines it: tag
// 66 around 73, holding the card-recognition OID, the card management
// version (GP 2.2.1, the version whose ISD AID A0 00 00 01 51 00 00 the card
// answers to), the card identification scheme and the secure channel
// protocol (SCP02, i = 55).
func cardRecognitionData() []byte {
	return tlv(0x66, tlv(0x73, concat(
		gpOID(0x01),
		tlv(0x60, gpOID(0x02, 0x02, 0x02, 0x01)),
		tlv(0x63, gpOID(0x03)),
		tlv(0x64, gpOID(0x04, 0x02, 0x55)),
	)))
}

// mfDataObjects makes the stored GET DATA objects: the identification
// numbers (0045 is the serial the 共通AP's EF 0001 also holds), the GP
// card recognition data, and the CV chain root → municipality key (00F8)
// → the visual AP's card key (7F21), with 00F7 naming the middle key.
func mfDataObjects(h emulator.Holder, serial string, fixed *fixedKeys, cardKey *rsa.PublicKey) (map[emulator.DataTag][]byte, error) {
	intermediate := dataKeyID(h.MunicipalityCode)
	upper, err := cvContents(fixed.cvRoot, mfCVRootID, intermediate, &fixed.municipality.PublicKey)
	if err != nil {
		return nil, err
	}
	lower, err := cvContents(fixed.municipality, intermediate, mfCardKeyID(h.MunicipalityCode), cardKey)
	if err != nil {
		return nil, err
	}
	return map[emulator.DataTag][]byte{
		emulator.TagIssuerID:           mfIssuerID,
		emulator.TagCardID:             []byte(serial),
		emulator.TagCardRecognition:    cardRecognitionData(),
		emulator.TagIntermediateKeyID:  intermediate,
		emulator.TagCVCertRoot:         upper,
		emulator.TagCVCertIntermediate: lower,
	}, nil
}
