package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"slices"
	"time"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
)

func init() {
	register(command{name: "issuer", summary: "municipal operations on a card file: face-auth, reverse, unblock, issue-sign-cert", run: runIssuer})
}

// issuerOp is one municipal operation: setup declares its flags on fs and
// returns what builds the change once they are parsed.
type issuerOp struct {
	name, summary string
	setup         func(fs *flag.FlagSet, persona profile.Persona) func() (func(*emulator.State) error, error)
}

var issuerOps = []issuerOp{
	{"face-auth", "remove the sign certificate and lock the PINs (顔認証マイナンバーカード)",
		func(*flag.FlagSet, profile.Persona) func() (func(*emulator.State) error, error) {
			return func() (func(*emulator.State) error, error) {
				return func(s *emulator.State) error { return s.ConvertToFaceAuth(rand.Reader) }, nil
			}
		}},
	{"reverse", "end face-auth mode: set the four 4-digit PINs",
		func(fs *flag.FlagSet, persona profile.Persona) func() (func(*emulator.State) error, error) {
			auth := fs.String("auth-pin", persona.AuthPIN, "new JPKI auth PIN (4 digits)")
			text := fs.String("text-pin", persona.TextPIN, "new 券面事項入力補助 PIN (4 digits)")
			juki := fs.String("juki-pin", persona.JukiPIN, "new 住基 PIN (4 digits)")
			common := fs.String("common-pin", persona.CommonPIN, "new 共通 AP PIN (4 digits)")
			return func() (func(*emulator.State) error, error) {
				p := emulator.PINSet{Auth: emulator.Secret(*auth), Text: emulator.Secret(*text), Juki: emulator.Secret(*juki), Common: emulator.Secret(*common)}
				return func(s *emulator.State) error { return s.ReverseFaceAuth(p) }, nil
			}
		}},
	{"unblock", "set a key's value and reset its retry counter",
		func(fs *flag.FlagSet, persona profile.Persona) func() (func(*emulator.State) error, error) {
			key := fs.String("key", emulator.JPKIAuthPIN.String(), "key reference, e.g. jpki/0018, jpki/001B, text/0011, juki/001C, common/001C")
			value := fs.String("value", "", "new value (default: the default persona's PIN for the key)")
			return func() (func(*emulator.State) error, error) {
				var ref emulator.FileRef
				if err := ref.UnmarshalText([]byte(*key)); err != nil {
					return nil, usagef("--key: %v", err)
				}
				v := *value
				if v == "" {
					v = map[emulator.FileRef]string{
						emulator.JPKIAuthPIN: persona.AuthPIN, emulator.JPKISignPassword: persona.SignPassword,
						emulator.TextPIN: persona.TextPIN, emulator.JukiPIN: persona.JukiPIN, emulator.CommonPIN: persona.CommonPIN,
					}[ref]
				}
				if v == "" {
					return nil, usagef("--value is required for %v", ref)
				}
				return func(s *emulator.State) error { return s.Unblock(ref, emulator.Secret(v)) }, nil
			}
		}},
	{"issue-sign-cert", "issue a new sign certificate and key from the card's test PKI",
		func(fs *flag.FlagSet, persona profile.Persona) func() (func(*emulator.State) error, error) {
			pass := fs.String("password", persona.SignPassword, "new sign password (6-16 of A-Z, 0-9)")
			return func() (func(*emulator.State) error, error) {
				return func(s *emulator.State) error {
					return profile.IssueSignCert(s, emulator.Secret(*pass), time.Now())
				}, nil
			}
		}},
}

// issuerHelp lists every operation with its flags.
func issuerHelp(e *env) {
	fmt.Fprintln(e.stdout, "usage: mynacard issuer OPERATION CARD.json [flags]\n\noperations:")
	for _, op := range issuerOps {
		fmt.Fprintf(e.stdout, "\n  %-16s %s\n", op.name, op.summary)
		fs := flag.NewFlagSet(op.name, flag.ContinueOnError)
		op.setup(fs, profile.DefaultPersona())
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
	i := slices.IndexFunc(issuerOps, func(o issuerOp) bool { return o.name == args[0] })
	if i < 0 {
		return usagef("unknown operation %q: want face-auth, reverse, unblock or issue-sign-cert", args[0])
	}
	op, rest := issuerOps[i], args[1:]
	fs := newFlags(e, "issuer "+op.name, "CARD.json [flags]")
	build := op.setup(fs, profile.DefaultPersona())
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one card file, got %d arguments", len(pos))
	}
	apply, err := build()
	if err != nil {
		return err
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
	fmt.Fprintf(e.stdout, "%s: %s done; card kind %s\n", path, op.name, card.Snapshot().Kind)
	return nil
}
