package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// maxOutput is how much of a program's output matrix and fuzz-client keep:
// the end, where crashes and sanitizer reports are.
const maxOutput = 256 << 10

// tailBuffer keeps the last maxOutput bytes written to it, from stdout and
// stderr at once.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > maxOutput {
		t.b = append(t.b[:0], t.b[len(t.b)-maxOutput:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// lastLines returns the last n non-empty lines of out.
func lastLines(out string, n int) []string {
	var lines []string
	for l := range strings.Lines(out) {
		if l = strings.TrimRight(l, "\r\n"); strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines[max(0, len(lines)-n):]
}

// oneLine shortens s to width runes for a table column.
func oneLine(s string, width int) string {
	r := []rune(s)
	if len(r) <= width {
		return s
	}
	return string(r[:width-1]) + "…"
}

// encodeJSON writes v as indented JSON, as every --json report is.
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeTo writes a report to path, or to stdout for "-".
func writeTo(e *env, path, flag string, write func(io.Writer) error) error {
	if path == "-" {
		return write(e.stdout)
	}
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	if err := write(out); err != nil {
		out.Close()
		return fmt.Errorf("%s %s: %w", flag, path, err)
	}
	return out.Close()
}
