package main

import (
	"fmt"
	"io"
	"os"
)

// progress is a status line on stderr for long runs: rewritten in place on
// a terminal, one line each time elsewhere (CI logs).
type progress struct {
	w   io.Writer
	tty bool
}

func newProgress(w io.Writer) progress {
	f, ok := w.(*os.File)
	if !ok {
		return progress{w: w}
	}
	fi, err := f.Stat()
	return progress{w: w, tty: err == nil && fi.Mode()&os.ModeCharDevice != 0}
}

func (p progress) show(format string, a ...any) {
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K"+format, a...)
		return
	}
	fmt.Fprintf(p.w, format+"\n", a...)
}

// done clears a terminal's status line.
func (p progress) done() {
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
