package emulator

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mynacard/mynacard/apdu"
)

// TestGetDataObjects answers every MF-level object of card.md §2: stored
// ones from DataObjects, derived ones from the holder and the ATR; the
// 563-byte CV certificates only to an extended Le.
func TestGetDataObjects(t *testing.T) {
	ok := apdu.SWOK
	big := pattern(563, 0x11)
	objects := map[DataTag][]byte{
		TagIssuerID:           []byte("6000010\x08\x05001\x00\x00\x00\x00"),
		TagCardID:             []byte("123456789012345"),
		TagCardRecognition:    {0x66, 0x02, 0x73, 0x00},
		TagIntermediateKeyID:  []byte("1310121\x08\x05000\x00\x00\x00\x00"),
		TagCVCertRoot:         big,
		TagCVCertIntermediate: pattern(563, 0x22),
	}
	c, s := newTestCard(t, func(s *State) { s.DataObjects = objects })
	runSteps(t, c, s, []step{
		{"00 CA 00 42 00", ok, bytesOf(objects[TagIssuerID])},
		{"00 CA 00 42 10", ok, bytesOf(objects[TagIssuerID])},
		{"00 CA 00 42 0F", apdu.SWWrongLength, nil},
		{"00 CA 00 45 00", ok, bytesOf(objects[TagCardID])},
		{"00 CA 00 66 00", ok, bytesOf(objects[TagCardRecognition])},
		{"00 CA 00 F0 00", ok, bytesOf([]byte("13101"))},
		{"00 CA 00 F2 00", ok, bytesOf([]byte("20350217"))},
		{"00 CA 00 F7 00", ok, bytesOf(objects[TagIntermediateKeyID])},
		// card.md §2: large objects refuse short Le with 67 00.
		{"00 CA 00 F8 00", apdu.SWWrongLength, nil},
		{"00 CA 00 F8 00 00 00", ok, bytesOf(big)},
		{"00 CA 00 F8 00 02 33", ok, bytesOf(big)},
		{"00 CA 00 F8 00 02 32", apdu.SWWrongLength, nil},
		{"00 CA 7F 21 00", apdu.SWWrongLength, nil},
		{"00 CA 7F 21 00 00 00", ok, bytesOf(objects[TagCVCertIntermediate])},
		{"00 CA 5F 51 00", ok, func(s *State) []byte { return s.ATR[1:] }},
		{"00 CA 00 43 00", apdu.SWDataNotFound, nil},
		{"00 CA 00 42 01 00 00", apdu.SWWrongLength, nil},
		// Inside an AP only the stored ATR answers.
		{selJPKI, ok, none},
		{"00 CA 00 42 00", apdu.SWDataNotFound, nil},
		{"00 CA 00 F8 00 00 00", apdu.SWDataNotFound, nil},
		{"00 CA 5F 51 00", ok, func(s *State) []byte { return s.ATR[1:] }},
	})
}

// TestGetDataOlderCard: card.md §12 says 7F21 is absent on older cards; a
// card file without it answers 6A 88 to every Le while 00F8 still answers.
func TestGetDataOlderCard(t *testing.T) {
	c, s := newTestCard(t, func(s *State) {
		s.DataObjects = map[DataTag][]byte{TagCVCertRoot: pattern(563, 0x11)}
	})
	runSteps(t, c, s, []step{
		{"00 CA 7F 21 00", apdu.SWDataNotFound, nil},
		{"00 CA 7F 21 00 00 00", apdu.SWDataNotFound, nil},
		{"00 CA 00 F8 00 00 00", apdu.SWOK, bytesOf(pattern(563, 0x11))},
	})
}

func TestDataObjectsInCardFile(t *testing.T) {
	s := NewTestState(t)
	s.DataObjects = map[DataTag][]byte{TagCVCertIntermediate: {1, 2}, TagIssuerID: {3}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"data_objects":{"0042":"Aw==","7F21":"AQI="}`)) {
		t.Errorf("card file has no data_objects keyed by tag: %.200s…", b[bytes.Index(b, []byte(`"data_objects"`)):])
	}
	var back State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	c := back.Clone()
	c.DataObjects[TagIssuerID][0] = 9
	if back.DataObjects[TagIssuerID][0] != 3 {
		t.Error("Clone shares data objects")
	}
	for _, tc := range []struct {
		objects map[DataTag][]byte
		want    string
	}{
		{map[DataTag][]byte{TagMunicipality: []byte("13101")}, "data_objects 00F0: not one a card file holds"},
		{map[DataTag][]byte{TagATR: {1}}, "data_objects 5F51"},
		{map[DataTag][]byte{TagCardID: {}}, "data_objects 0045: 0 bytes"},
		{map[DataTag][]byte{TagCardID: make([]byte, maxDataObject+1)}, "65537 bytes"},
	} {
		s := NewTestState(t)
		s.DataObjects = tc.objects
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate: %v, want an error containing %q", err, tc.want)
		}
	}
	s.DataObjects = map[DataTag][]byte{TagCardID: make([]byte, maxDataObject)}
	if err := s.Validate(); err != nil {
		t.Errorf("a %d-byte object: %v", maxDataObject, err)
	}
	for _, bad := range []string{`"7F2"`, `"7F211"`, `"ZZZZ"`} {
		var tag DataTag
		if err := json.Unmarshal([]byte(bad), &tag); err == nil {
			t.Errorf("tag %s accepted", bad)
		}
	}
}
