package fuzz

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A finding file is line-based text a person can read and edit:
//
//	# mynacard fuzz finding: violation read-protected
//	# detail: ...
//	card normal
//	> 00A4040C0AD392F000260100000001
//	< 9000
//	reset
//	> 00B0000004
//	< 6982
//	= 6982
//
// "card" names the card kind an embedded replay starts from, "> " is a
// command, "< " the target's answer when the finding was made and "= " the
// reference's in differential mode. Lines starting with # are comments.

// WriteFinding writes f in the finding file format.
func WriteFinding(w io.Writer, f *Finding) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# mynacard fuzz finding: %s %s\n", f.Kind, f.Rule)
	for _, l := range strings.Split(f.Detail, "\n") {
		fmt.Fprintf(&b, "# %s\n", l)
	}
	fmt.Fprintf(&b, "# target %s, seed %d, sequence %d; replay: mynacard fuzz --replay FILE\n", f.Target, f.Seed, f.Sequence)
	if f.Card != "" {
		fmt.Fprintf(&b, "card %s\n", f.Card)
	}
	for _, ex := range f.Exchanges {
		if ex.Reset {
			b.WriteString("reset\n")
			continue
		}
		fmt.Fprintf(&b, "> %X\n", ex.Cmd)
		if ex.Resp != nil {
			fmt.Fprintf(&b, "< %X\n", ex.Resp)
		}
		if ex.Ref != nil {
			fmt.Fprintf(&b, "= %X\n", ex.Ref)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// ReadFinding reads a finding file: the card kind and the exchanges as recorded.
func ReadFinding(r io.Reader) (card string, exs []Exchange, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		bad := func(format string, a ...any) error {
			return fmt.Errorf("fuzz: finding line %d: %s", line, fmt.Sprintf(format, a...))
		}
		decode := func(s string) ([]byte, error) {
			b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
			if err != nil {
				return nil, bad("bad hex: %v", err)
			}
			return b, nil
		}
		switch {
		case text == "" || strings.HasPrefix(text, "#"):
		case strings.HasPrefix(text, "card "):
			card = strings.TrimSpace(strings.TrimPrefix(text, "card "))
		case text == "reset":
			exs = append(exs, Exchange{Step: Step{Reset: true}})
		case strings.HasPrefix(text, ">"):
			b, err := decode(text[1:])
			if err != nil {
				return "", nil, err
			}
			exs = append(exs, Exchange{Step: Step{Cmd: b}})
		case strings.HasPrefix(text, "<"), strings.HasPrefix(text, "="):
			if len(exs) == 0 || exs[len(exs)-1].Reset {
				return "", nil, bad("answer without a command before it")
			}
			b, err := decode(text[1:])
			if err != nil {
				return "", nil, err
			}
			if text[0] == '<' {
				exs[len(exs)-1].Resp = b
			} else {
				exs[len(exs)-1].Ref = b
			}
		default:
			return "", nil, bad("want '> command', '< answer', '= answer', 'reset', 'card KIND' or a # comment")
		}
	}
	if err := sc.Err(); err != nil {
		return "", nil, fmt.Errorf("fuzz: reading finding: %w", err)
	}
	if len(exs) == 0 {
		return "", nil, errors.New("fuzz: finding holds no commands")
	}
	return card, exs, nil
}

// Replay sends recorded exchanges to the fuzzer's target (and reference)
// again, checking every answer as Run does, and writes each exchange to log
// with any answer that changed since it was recorded. It returns the
// finding if the problem still shows, nil if it is gone.
func (f *Fuzzer) Replay(exs []Exchange, log io.Writer) (*Finding, error) {
	steps := make([]Step, len(exs))
	for i, ex := range exs {
		steps[i] = ex.Step
	}
	var st Stats
	got, fd, err := f.sequence(steps, &st)
	for i, ex := range got {
		if ex.Reset {
			fmt.Fprintln(log, "reset")
			continue
		}
		fmt.Fprintf(log, "> %X\n< %X", ex.Cmd, ex.Resp)
		if was := exs[i].Resp; was != nil && !bytes.Equal(was, ex.Resp) {
			fmt.Fprintf(log, "   (recorded %X)", was)
		}
		fmt.Fprintln(log)
		if ex.Ref != nil {
			fmt.Fprintf(log, "= %X\n", ex.Ref)
		}
	}
	if fd != nil {
		fd.Card, fd.Target, fd.Seed = f.Card, f.Target.Name(), f.Seed
	}
	return fd, err
}
