package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestLevelsAndFields(t *testing.T) {
	var buf bytes.Buffer
	l, err := New(&buf, Options{Level: "info", JSON: true})
	if err != nil {
		t.Fatal(err)
	}
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
