package main

import (
	"flag"
	"fmt"
	"slices"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/vpcd/control"
)

func init() {
	register(command{name: "issuer", summary: "municipal operations on a card file: face-auth, reverse, unblock, issue-sign-cert", run: runIssuer})
}

// issuerOp is one municipal operation: flags declares its flags on fs,
// filling in the request that control.IssuerOp turns into the change.
// `issuer` applies it to a card file, `ctl` sends it to a served card.
type issuerOp struct {
	name, summary string
	flags         func(fs *flag.FlagSet, persona profile.Persona, r *control.Request)
}

var issuerOps = []issuerOp{
	{"face-auth", "remove the sign certificate and lock the PINs (顔認証マイナンバーカード)",
		func(*flag.FlagSet, profile.Persona, *control.Request) {}},
	{"reverse", "end face-auth mode: set the four 4-digit PINs",
		func(fs *flag.FlagSet, persona profile.Persona, r *control.Request) {
			r.PINs = &control.PINs{}
			fs.StringVar(&r.PINs.Auth, "auth-pin", persona.AuthPIN, "new JPKI auth PIN (4 digits)")
			fs.StringVar(&r.PINs.Text, "text-pin", persona.TextPIN, "new 券面事項入力補助 PIN (4 digits)")
			fs.StringVar(&r.PINs.Juki, "juki-pin", persona.JukiPIN, "new 住基 PIN (4 digits)")
			fs.StringVar(&r.PINs.Common, "common-pin", persona.CommonPIN, "new 共通 AP PIN (4 digits)")
		}},
	{"unblock", "set a key's value and reset its retry counter",
		func(fs *flag.FlagSet, _ profile.Persona, r *control.Request) {
			fs.StringVar(&r.Key, "key", emulator.JPKIAuthPIN.String(), "key reference, e.g. jpki/0018, jpki/001B, text/0011, juki/001C, common/001C")
			fs.StringVar(&r.Value, "value", "", "new value (default: the default persona's PIN; for 照合番号A/B and the birth-date key, the value the card's data implies)")
		}},
	{"issue-sign-cert", "issue a new sign certificate and key from the card's test PKI",
		func(fs *flag.FlagSet, persona profile.Persona, r *control.Request) {
			fs.StringVar(&r.Password, "password", persona.SignPassword, "new sign password (6-16 of A-Z, 0-9)")
		}},
}

// issuerRequest finds operation name and declares its flags on fs.
func issuerRequest(fs *flag.FlagSet, name string) (*control.Request, bool) {
	i := slices.IndexFunc(issuerOps, func(o issuerOp) bool { return o.name == name })
	if i < 0 {
		return nil, false
	}
	r := &control.Request{Op: name}
	issuerOps[i].flags(fs, profile.DefaultPersona(), r)
	return r, true
}

// issuerHelp lists every operation with its flags.
func issuerHelp(e *env) {
	fmt.Fprintln(e.stdout, "usage: mynacard issuer OPERATION CARD.json [flags]\n\noperations:")
	for _, op := range issuerOps {
		fmt.Fprintf(e.stdout, "\n  %-16s %s\n", op.name, op.summary)
		fs := flag.NewFlagSet(op.name, flag.ContinueOnError)
		op.flags(fs, profile.DefaultPersona(), &control.Request{})
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
	}
}

func runIssuer(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("want an operation: face-auth, reverse, unblock or issue-sign-cert")
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		issuerHelp(e)
		return flag.ErrHelp
	}
	fs := newFlags(e, "issuer "+args[0], "CARD.json [flags]")
	req, ok := issuerRequest(fs, args[0])
	if !ok {
		return usagef("unknown operation %q: want face-auth, reverse, unblock or issue-sign-cert", args[0])
	}
	return inSubcommand("issuer "+args[0], issue(e, fs, req, args[1:]))
}

// issue runs one issuer operation on the card file rest names.
func issue(e *env, fs *flag.FlagSet, req *control.Request, rest []string) error {
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one card file, got %d arguments", len(pos))
	}
	apply, err := control.IssuerOp(*req)
	if err != nil {
		return usagef("%v", err)
	}
	path := pos[0]
	card, unlock, err := openCardFile(path)
	if err != nil {
		return err
	}
	defer unlock()
	if err := card.Issue(apply); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %s done; card kind %s\n", path, req.Op, card.Snapshot().Kind)
	return nil
}
