package emulator

import (
	"bytes"
	"testing"
)

// An application's name and AID, and a file reference's text form (the
// JSON key of card files), read back as written; a value past the table,
// which a caller can build, is named by number and has no AID.
func TestAppNames(t *testing.T) {
	for _, a := range Apps() {
		got, err := ParseApp(a.String())
		if err != nil || got != a {
			t.Errorf("ParseApp(%q) = %v, %v", a.String(), got, err)
		}
		if b, ok := AppByAID(a.AID()); !ok || b != a {
			t.Errorf("AppByAID(%v's AID) = %v, %v", a, b, ok)
		}
	}
	past := App(len(Apps()) + 1)
	if got, want := past.String(), "app(6)"; got != want {
		t.Errorf("App(6).String() = %q, want %q", got, want)
	}
	if aid := past.AID(); aid != nil {
		t.Errorf("App(6).AID() = % X, want none", aid)
	}
	if _, ok := AppByAID(nil); ok {
		t.Error("AppByAID(nil) found an application")
	}
	for _, text := range []string{"jpki/000A", "common/001C"} {
		var r FileRef
		if err := r.UnmarshalText([]byte(text)); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if b, _ := r.MarshalText(); !bytes.Equal(b, []byte(text)) {
			t.Errorf("%s read back as %s", text, b)
		}
	}
	for _, bad := range []string{"jpki", "none/0001", "jpki/0A", "jpki/00GA", "app(6)/0001"} {
		var r FileRef
		if err := r.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q read as %v", bad, r)
		}
	}
}
