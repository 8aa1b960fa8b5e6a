package main

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
)

func init() {
	register(command{name: "issuer", summary: "municipal operations on a card file: face-auth, reverse, unblock, issue-sign-cert", run: runIssuer})
}

const issuerUsage = "face-auth|reverse|unblock|issue-sign-cert CARD.json [flags]"

func runIssuer(e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(e.stderr, "usage: mynacard issuer %s\n", issuerUsage)
		fmt.Fprintln(e.stderr, "  face-auth        remove the sign certificate and lock the PINs (顔認証マイナンバーカード)")
		fmt.Fprintln(e.stderr, "  reverse          end face-auth mode: set the four 4-digit PINs")
		fmt.Fprintln(e.stderr, "  unblock          set a key's value and reset its retry counter")
		fmt.Fprintln(e.stderr, "  issue-sign-cert  issue a new sign certificate and key from the card's test PKI")
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	op, rest := args[0], args[1:]
	persona := profile.DefaultPersona()
	fs := newFlags(e, "issuer "+op, "CARD.json")
	var build func() (func(*emulator.State) error, error)
	switch op {
	case "face-auth":
		build = func() (func(*emulator.State) error, error) {
			return func(s *emulator.State) error { return s.ConvertToFaceAuth(rand.Reader) }, nil
		}
	case "reverse":
		auth := fs.String("auth-pin", persona.AuthPIN, "new JPKI auth PIN (4 digits)")
		text := fs.String("text-pin", persona.TextPIN, "new 券面事項入力補助 PIN (4 digits)")
		juki := fs.String("juki-pin", persona.JukiPIN, "new 住基 PIN (4 digits)")
		common := fs.String("common-pin", persona.CommonPIN, "new 共通 AP PIN (4 digits)")
		build = func() (func(*emulator.State) error, error) {
			p := emulator.PINSet{Auth: emulator.Secret(*auth), Text: emulator.Secret(*text), Juki: emulator.Secret(*juki), Common: emulator.Secret(*common)}
			return func(s *emulator.State) error { return s.ReverseFaceAuth(p) }, nil
		}
	case "unblock":
		key := fs.String("key", emulator.JPKIAuthPIN.String(), "key reference, e.g. jpki/0018, jpki/001B, text/0011, juki/001C, common/001C")
		value := fs.String("value", "", "new value (default: the default persona's PIN for the key)")
		build = func() (func(*emulator.State) error, error) {
			var ref emulator.FileRef
			if err := ref.UnmarshalText([]byte(*key)); err != nil {
				return nil, usageError(fs, "--key: %v", err)
			}
			v := *value
			if v == "" {
				v = map[emulator.FileRef]string{
					emulator.JPKIAuthPIN: persona.AuthPIN, emulator.JPKISignPassword: persona.SignPassword,
					emulator.TextPIN: persona.TextPIN, emulator.JukiPIN: persona.JukiPIN, emulator.CommonPIN: persona.CommonPIN,
				}[ref]
			}
			if v == "" {
				return nil, usageError(fs, "--value is required for %v", ref)
			}
			return func(s *emulator.State) error { return s.Unblock(ref, emulator.Secret(v)) }, nil
		}
	case "issue-sign-cert":
		pass := fs.String("password", persona.SignPassword, "new sign password (6-16 of A-Z, 0-9)")
		build = func() (func(*emulator.State) error, error) {
			return func(s *emulator.State) error {
				return profile.IssueSignCert(s, emulator.Secret(*pass), time.Now())
			}, nil
		}
	default:
		fmt.Fprintf(e.stderr, "mynacard issuer: unknown operation %q\nusage: mynacard issuer %s\n", op, issuerUsage)
		return errUsage
	}
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(fs, "want exactly one card file")
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
	fmt.Fprintf(e.stdout, "%s: %s done; card kind %s\n", path, op, card.Snapshot().Kind)
	return nil
}
