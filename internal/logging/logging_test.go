package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestLevelsAndFields(t *testing.T) {
	var buf bytes.Buffer
	lr, err := New(&buf, Options{Level: "info", JSON: true})
	if err != nil {
		t.Fatal(err)
	}
	l := Wrap(lr)
	l.Debug("hidden", Fields{"x": 1})
	l.With(Fields{"slot": 2}).Info("apdu", Fields{"sw": "9000"})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1 (debug must be filtered): %q", len(lines), buf.String())
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	if got["msg"] != "apdu" || got["sw"] != "9000" || got["slot"] != float64(2) {
		t.Errorf("line = %v", got)
	}
	if l.DebugEnabled() {
		t.Error("DebugEnabled at info level")
	}
}

func TestBadLevel(t *testing.T) {
	if _, err := New(&bytes.Buffer{}, Options{Level: "loud"}); err == nil || !strings.Contains(err.Error(), `"loud"`) {
		t.Errorf("New(level loud) error = %v, want one naming the level", err)
	}
}

// masked is a []byte that prints as a mask, as emulator.Secret does.
type masked []byte

func (masked) String() string { return "[REDACTED]" }

// A Stringer field is logged as its text through any FieldLogger, so the
// JSON formatter never base64-encodes a secret's bytes.
func TestStringerFieldsThroughEntry(t *testing.T) {
	var buf bytes.Buffer
	lr, err := New(&buf, Options{Level: "debug", JSON: true})
	if err != nil {
		t.Fatal(err)
	}
	l := Wrap(lr.WithField("slot", 0))
	if !l.DebugEnabled() {
		t.Error("DebugEnabled false through an Entry of a debug logger")
	}
	l.Debug("verify", Fields{"pin": masked("1234")})
	if out := buf.String(); !strings.Contains(out, `"pin":"[REDACTED]"`) || strings.Contains(out, "MTIzNA") {
		t.Errorf("line = %s, want the pin masked", out)
	}
}
