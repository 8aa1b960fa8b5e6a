package main

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

func init() {
	register(command{name: "apdu", summary: "send APDUs (hex) to a card file and show the answers", run: runAPDU})
}

const apduUsage = `[flags] CARD.json [HEX...]

Each HEX argument is one command APDU, in hex with optional spaces or
colons (00A4040C02..., "00 A4 04 0C", 00:A4:04:0C as OpenSC prints it);
arguments of one byte each are one command the shell split. With -f FILE (- for stdin), or with no HEX argument and stdin not
a terminal, commands are read one per line (# starts a comment), so an
extended APDU of any length fits. PIN bytes are never shown.`

func runAPDU(e *env, args []string) error {
	fs := newFlags(e, "apdu", apduUsage)
	file := fs.String("f", "", "read the commands from `FILE`, one per line (- for stdin)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("want a card file and at least one APDU")
	}
	path, hexArgs := pos[0], pos[1:]
	var cmds [][]byte
	switch {
	case *file != "" && len(hexArgs) > 0:
		return usagef("give the commands as arguments or with -f, not both")
	case *file != "":
		cmds, err = readAPDUFile(e, *file)
	case len(hexArgs) > 0:
		cmds, err = argAPDUs(hexArgs)
	case stdinIsData(e):
		cmds, err = readAPDULines(e.stdin, "stdin")
	default:
		return usagef("want at least one APDU: as arguments, with -f FILE, or on stdin")
	}
	if err != nil {
		return err
	}
	if len(cmds) == 0 {
		return usagef("no APDU given")
	}
	card, unlock, err := openCardFile(path)
	if err != nil {
		return err
	}
	defer unlock()
	for _, cmd := range cmds {
		fmt.Fprintf(e.stdout, "> %s\n  %s\n", emulator.Describe(cmd, card.Selected()), apdu.Redact(cmd))
		r, err := apdu.ParseResponse(card.Transmit(cmd))
		if err != nil {
			return err
		}
		if len(r.Data) > 0 {
			fmt.Fprintf(e.stdout, "< %X\n", r.Data)
		}
		fmt.Fprintf(e.stdout, "< %s\n", r.SW.String())
	}
	return nil
}

// stdinIsData reports whether stdin is a pipe or file to read commands
// from, rather than a terminal waiting for someone to type.
func stdinIsData(e *env) bool {
	if e.stdin == nil {
		return false
	}
	f, ok := e.stdin.(*os.File)
	if !ok {
		return true
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice == 0
}

func readAPDUFile(e *env, name string) ([][]byte, error) {
	if name == "-" {
		if e.stdin == nil {
			return nil, usagef("-f -: no stdin")
		}
		return readAPDULines(e.stdin, "stdin")
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAPDULines(f, name)
}

// readAPDULines reads one command per line. Lines are read whole, so a
// 65535-byte extended APDU (131 kB of hex) is one line like any other.
func readAPDULines(r io.Reader, name string) ([][]byte, error) {
	br := bufio.NewReader(r)
	var cmds [][]byte
	for n := 1; ; n++ {
		line, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		text, _, _ := strings.Cut(line, "#")
		if strings.TrimSpace(text) != "" {
			b, herr := decodeAPDU(text)
			if herr != nil {
				return nil, usagef("%s line %d: %v", name, n, herr)
			}
			cmds = append(cmds, b)
		}
		if err != nil {
			return cmds, nil
		}
	}
}

// argAPDUs decodes the HEX arguments, each one command, as sent even
// when malformed. Arguments of one byte each are one command the shell
// split (00 A4 04 0C ...). A VERIFY or change header takes the arguments
// after it that make its Lc and data, so that those are masked as the
// PIN they are.
func argAPDUs(args []string) ([][]byte, error) {
	parts := make([][]byte, len(args))
	for i, s := range args {
		b, err := decodeAPDU(s)
		if err != nil {
			return nil, usagef("APDU argument %d: %v", i+1, err)
		}
		parts[i] = b
	}
	if len(parts) > 1 && !slices.ContainsFunc(parts, func(p []byte) bool { return len(p) > 1 }) {
		return [][]byte{slices.Concat(parts...)}, nil
	}
	var cmds [][]byte
	for i := 0; i < len(parts); i++ {
		cmd := parts[i]
		if len(cmd) == 4 && apdu.CarriesSecret(append(slices.Clone(cmd), 0x01, 0x00)) {
			if n, with := secretBody(cmd, parts[i+1:]); n > 0 {
				cmd, i = with, i+n
			}
		}
		cmds = append(cmds, cmd)
	}
	return cmds, nil
}

// secretBody looks for the Lc and data of the header-only secret command
// head in the arguments that follow, returning how many it takes and the
// whole command, or 0 if they do not make one.
func secretBody(head []byte, rest [][]byte) (int, []byte) {
	cmd := slices.Clone(head)
	for n, p := range rest {
		cmd = append(cmd, p...)
		if len(cmd) > 5+255 {
			return 0, nil
		}
		if c, err := apdu.ParseCommand(cmd); err == nil && len(c.Data) > 0 {
			return n + 1, cmd
		}
	}
	return 0, nil
}

// decodeAPDU reads hex with optional spaces and colons. Its errors say
// where the hex is bad without repeating the input, which may hold a PIN.
func decodeAPDU(s string) ([]byte, error) {
	var digits []byte
	for i, r := range s {
		switch {
		case r == ' ' || r == '\t' || r == ':' || r == '\r' || r == '\n':
		case r < 0x80 && strings.ContainsRune("0123456789abcdefABCDEF", r):
			digits = append(digits, byte(r))
		default:
			return nil, fmt.Errorf("character %d is not a hex digit (want hex such as 00A4040C or 00:A4:04:0C)", i+1)
		}
	}
	switch {
	case len(digits) == 0:
		return nil, errors.New("empty")
	case len(digits)%2 != 0:
		return nil, fmt.Errorf("odd number of hex digits (%d): each byte takes two", len(digits))
	}
	b := make([]byte, len(digits)/2)
	_, err := hex.Decode(b, digits)
	return b, err
}
