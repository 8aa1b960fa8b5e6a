package fuzz

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mynacard/mynacard/emulator"
)

// A finding file is line-based text a person can read and edit:
//
//	# mynacard fuzz finding: violation read-protected
//	# detail: ...
//	target embedded:normal
//	card normal
//	> 00A4040C0AD392F000260100000001
//	< 9000
//	reset
//	> 00B0000004
//	< 6982
//	= 6982
//
// "target" names the target the finding was made on (a replay uses it,
// since a finding on a real card says nothing about the emulator), "card"
// names the card kind an embedded replay starts from, "> " is a
// command, "< " the target's answer when the finding was made and "= " the
// reference's in differential mode. Lines starting with # are comments.

// WriteFinding writes f in the finding file format.
func WriteFinding(w io.Writer, f *Finding) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# mynacard fuzz finding: %s %s\n", f.Kind, f.Rule)
	for _, l := range strings.Split(f.Detail, "\n") {
		fmt.Fprintf(&b, "# %s\n", l)
	}
	fmt.Fprintf(&b, "# seed %d, sequence %d; replay on the same target: mynacard fuzz --replay FILE\n", f.Seed, f.Sequence)
	if f.Target != "" {
		fmt.Fprintf(&b, "target %s\n", f.Target)
	}
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

// ReadFinding reads a finding file: the target and card kind it was made
// on and the exchanges as recorded. Files from before targets were
// recorded have an empty Target.
func ReadFinding(r io.Reader) (*Finding, error) {
	fd := &Finding{}
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
			fd.Card = emulator.Kind(strings.TrimSpace(strings.TrimPrefix(text, "card ")))
		case strings.HasPrefix(text, "target "):
			fd.Target = strings.TrimSpace(strings.TrimPrefix(text, "target "))
		case text == "reset":
			fd.Exchanges = append(fd.Exchanges, Exchange{Step: Step{Reset: true}})
		case strings.HasPrefix(text, ">"):
			b, err := decode(text[1:])
			if err != nil {
				return nil, err
			}
			fd.Exchanges = append(fd.Exchanges, Exchange{Step: Step{Cmd: b}})
		case strings.HasPrefix(text, "<"), strings.HasPrefix(text, "="):
			if len(fd.Exchanges) == 0 || fd.Exchanges[len(fd.Exchanges)-1].Reset {
				return nil, bad("answer without a command before it")
			}
			b, err := decode(text[1:])
			if err != nil {
				return nil, err
			}
			if text[0] == '<' {
				fd.Exchanges[len(fd.Exchanges)-1].Resp = b
			} else {
				fd.Exchanges[len(fd.Exchanges)-1].Ref = b
			}
		default:
			return nil, bad("want '> command', '< answer', '= answer', 'reset', 'card KIND' or a # comment")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("fuzz: reading finding: %w", err)
	}
	if len(fd.Exchanges) == 0 {
		return nil, errors.New("fuzz: finding holds no commands")
	}
	return fd, nil
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
