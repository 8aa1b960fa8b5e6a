package main

import (
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"github.com/mynacard/mynacard/vpcd/control"
)

func init() {
	register(command{name: "ctl", summary: "change a served card while it stays in the reader (control channel)", run: runCtl})
}

const ctlHelp = `usage: mynacard ctl CARD.json|SOCKET OP [--slot N] [flags]

CARD.json reaches the card file's serve or run process; SOCKET is a control
socket such as $MYNACARD_CTL inside mynacard run, where --slot picks the card.

ops:
  status                     list the served cards
  face-auth                  issuer: make a face-auth card
  reverse [--auth-pin ...]   issuer: end face-auth mode (see mynacard issuer -h)
  unblock [--key K --value V]  issuer: set a key's value and reset its counter
  issue-sign-cert [--password P]  issuer: new sign certificate and key
  tries --key K --tries N    set a key's retry counter; the session goes on
  remove, insert             take the card out of its reader, put it back
  hostile SEED|off           mutate answers from SEED (docs/fuzzing.md), or stop

The protocol (JSON lines) is documented in package vpcd/control.
`

func runCtl(e *env, args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(e.stdout, ctlHelp)
		return nil
	}
	if len(args) < 2 {
		return usagef("want a card file or control socket and an operation")
	}
	target, op := args[0], args[1]
	fset := newFlags(e, "ctl "+op, "")
	fset.Usage = func() { fmt.Fprint(e.stdout, ctlHelp) }
	slot := fset.Int("slot", 0, "slot of the card on a socket serving several")
	req, ok := issuerRequest(fset, op)
	if !ok {
		req = &control.Request{Op: op}
	}
	var tries int
	switch op {
	case "tries":
		fset.StringVar(&req.Key, "key", "jpki/0018", "key reference, e.g. jpki/0018, jpki/001B, text/0011")
		fset.IntVar(&tries, "tries", -1, "tries left to set, 0 blocks the key")
	case "status", "remove", "insert", "hostile":
	default:
		if !ok {
			return usagef("unknown operation %q", op)
		}
	}
	pos, err := parseInterspersed(fset, args[2:])
	if err != nil {
		return err
	}
	req.Slot = *slot
	switch {
	case op == "hostile" && len(pos) == 1 && pos[0] == "off":
	case op == "hostile" && len(pos) == 1:
		seed, err := strconv.ParseUint(pos[0], 10, 64)
		if err != nil {
			return usagef("hostile %q: want a seed (a number) or off", pos[0])
		}
		req.Seed = &seed
	case op == "hostile":
		return usagef("hostile: want a seed (a number) or off")
	case len(pos) > 0:
		return usagef("unexpected argument %q", pos[0])
	case op == "tries" && tries < 0:
		return usagef("tries: give --tries N (0 blocks the key)")
	case op == "tries":
		req.Tries = &tries
	}
	sock, err := ctlSocket(target)
	if err != nil {
		return err
	}
	resp, err := control.Do(sock, *req)
	if err != nil {
		return err
	}
	for _, c := range resp.Cards {
		hostile := "off"
		if c.Hostile != nil {
			hostile = strconv.FormatUint(*c.Hostile, 10)
		}
		fmt.Fprintf(e.stdout, "slot %d: %s, kind %s, reader %q, inserted %t, hostile %s\n", c.Slot, c.Name, c.Kind, c.Reader, c.Inserted, hostile)
	}
	if resp.Message != "" {
		fmt.Fprintln(e.stdout, resp.Message)
	}
	return nil
}

// ctlSocket is target itself if it is a socket, else the socket of the
// card file target.
func ctlSocket(target string) (string, error) {
	fi, err := os.Stat(target)
	if err != nil {
		return "", fmt.Errorf("%s: %v; give a served card file or a control socket", target, err)
	}
	if fi.Mode().Type() == fs.ModeSocket {
		return target, nil
	}
	return control.SocketPath(target)
}
