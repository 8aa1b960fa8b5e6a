package main

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mynacard/mynacard/conformance"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/cardfile"
	"github.com/mynacard/mynacard/emulator/contactless"
	"github.com/mynacard/mynacard/emulator/profile"
)

func init() {
	register(command{name: "profile", summary: "make, inspect and describe card files", run: runProfile})
}

const profileUsage = `usage: mynacard profile <subcommand> [flags]

subcommands:
  new -o card.json [--kind KIND] [--chip CHIP] [--persona persona.json] [--force]
                    generate a card file (fresh keys and certificates)
  show card.json    summarize a card file: holder, chip, certificates, PIN counters
  chips             list the chip generations (ATRs) --chip accepts
  persona           print the default persona as JSON, PINs included, to edit
                    and pass to 'new --persona'
  pins card.json    print the card's secrets as the pins file that
                    'conformance --pins' takes (the persona format works too)

kinds: %s
`

func runProfile(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: new, show, chips, pins or persona")
	}
	switch args[0] {
	case "new":
		return inSubcommand("profile new", profileNew(e, args[1:]))
	case "show":
		return inSubcommand("profile show", profileShow(e, args[1:]))
	case "persona":
		return inSubcommand("profile persona", profilePersona(e, args[1:]))
	case "pins":
		return inSubcommand("profile pins", profilePins(e, args[1:]))
	case "chips":
		return inSubcommand("profile chips", profileChips(e, args[1:]))
	case "-h", "--help", "help":
		fmt.Fprintf(e.stdout, profileUsage, kindNames())
		return flag.ErrHelp
	}
	return usagef("unknown subcommand %q: want new, show, chips, pins or persona", args[0])
}

func kindNames() string {
	var names []string
	for _, k := range emulator.Kinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

// readerStyleFlag adds --reader-style: how the reader of a contactless
// chip builds its ATR (docs/chips.md, "Contactless presentation").
func readerStyleFlag(fs *flag.FlagSet) *contactless.Style {
	s := contactless.Part3
	fs.Var(&s, "reader-style", "how the reader of a contactless chip builds the ATR: part3 (PC/SC part 3, no PUPI, the same every tap) or atqb (the whole ATQB, PUPI included, in 12 historical bytes; changes every tap)")
	return &s
}

func chipNames() string {
	var names []string
	for _, c := range profile.Chips() {
		names = append(names, string(c.Name))
	}
	return strings.Join(names, ", ")
}

func profileNew(e *env, args []string) error {
	flags := newFlags(e, "profile new", "-o FILE [--kind KIND] [--chip CHIP] [--persona FILE] [--force]")
	kind := flags.String("kind", string(emulator.KindNormal), "card preset: "+kindNames())
	chip := flags.String("chip", "", "chip generation, see 'mynacard profile chips' (default: the persona's, else "+string(profile.DefaultChip)+")")
	personaPath := flags.String("persona", "", "persona JSON (see 'mynacard profile persona'); fields left out keep the default persona's values")
	out := flags.String("o", "", "card file to write (required; - writes the card JSON to stdout)")
	force := flags.Bool("force", false, "overwrite an existing card file")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	switch {
	case *out == "":
		return usagef("-o FILE is required: the card file to write")
	case flags.NArg() != 0:
		return usagef("unexpected argument %q: the card file goes after -o", flags.Arg(0))
	}
	k := emulator.Kind(*kind)
	if k.Validate() != nil {
		return usagef("--kind %q: want one of %s", *kind, kindNames())
	}
	if _, err := profile.Chip(*chip).Spec(); *chip != "" && err != nil {
		return usagef("--chip %q: want one of %s", *chip, chipNames())
	}
	p := profile.DefaultPersona()
	if *personaPath != "" {
		var err error
		if p, err = readPersona(*personaPath); err != nil {
			return err
		}
	}
	if *chip != "" {
		p.Chip = profile.Chip(*chip)
	}
	if *out == "-" {
		s, err := profile.Generate(p, k, time.Now())
		if err != nil {
			return err
		}
		b, err := cardfile.Marshal(s)
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(b)
		return err
	}
	// The card's lock first, as every writer of a card file takes it: a
	// card being served is refused rather than overwritten, since serve
	// would save its own state over the new card when it stops.
	unlock, err := cardfile.Lock(*out)
	if err != nil {
		return err
	}
	defer unlock()
	if !*force {
		if _, err := os.Lstat(*out); err == nil {
			return fmt.Errorf("%s exists; pass --force to overwrite it", *out)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	s, err := profile.Generate(p, k, time.Now())
	if err != nil {
		return err
	}
	if err := cardfile.Save(*out, s); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: %s card of %s, chip %s\n", *out, s.Kind, s.Holder.Name, s.Chip)
	return nil
}

// readPersona reads a persona file over the default persona, refusing
// unknown fields so that a misspelt PIN name is not silently ignored.
func readPersona(path string) (profile.Persona, error) {
	p := profile.DefaultPersona()
	b, err := os.ReadFile(path)
	if err != nil {
		return p, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&p); err != nil {
		return p, fmt.Errorf("persona %s: %w", path, err)
	}
	if err := p.Validate(); err != nil {
		var pe *profile.PersonaError
		if errors.As(err, &pe) {
			return p, fmt.Errorf("persona %s: %s: %s", path, pe.Field, pe.Reason)
		}
		return p, fmt.Errorf("persona %s: %w", path, err)
	}
	return p, nil
}

func profilePersona(e *env, args []string) error {
	flags := newFlags(e, "profile persona", "")
	if err := parseOnlyFlags(flags, args); err != nil {
		return err
	}
	return encodeJSON(e.stdout, profile.DefaultPersona())
}

func profileChips(e *env, args []string) error {
	flags := newFlags(e, "profile chips", "")
	if err := parseOnlyFlags(flags, args); err != nil {
		return err
	}
	w := e.stdout
	for _, c := range profile.Chips() {
		mark := ""
		if c.Name == profile.DefaultChip {
			mark = " (default)"
		}
		fmt.Fprintf(w, "%s%s\n  interface:       %s\n  atr:             % X\n", c.Name, mark, c.Interface, c.ATR)
		if c.Stores != "" {
			fmt.Fprintf(w, "  stored atr:      % X (as %s; pairing inferred)\n", c.StoredATR(), c.Stores)
		}
		fmt.Fprintf(w, "  extended length: %s\n  source:          %s\n", c.ExtendedLength(), c.Source)
	}
	return nil
}

// chipLine describes a card file's chip for show; a file may predate
// chip names or carry an edited ATR.
func chipLine(s *emulator.State) string {
	spec, err := profile.Chip(s.Chip).Spec()
	switch {
	case s.Chip == "":
		return "unnamed"
	case err != nil:
		return s.Chip + " (not a known preset)"
	case !bytes.Equal(spec.ATR, s.ATR):
		return s.Chip + " (ATR edited)"
	}
	return fmt.Sprintf("%s (%s, extended length %s)", s.Chip, spec.Interface, spec.ExtendedLength())
}

func profilePins(e *env, args []string) error {
	_, s, err := loadCardArg(e, "profile pins", args)
	if err != nil {
		return err
	}
	return conformance.WritePinsFile(e.stdout, s)
}

// loadCardArg parses a subcommand that takes one card file and loads it.
func loadCardArg(e *env, name string, args []string) (string, *emulator.State, error) {
	flags := newFlags(e, name, "CARD.json")
	if err := parseFlags(flags, args); err != nil {
		return "", nil, err
	}
	if flags.NArg() != 1 {
		return "", nil, usagef("want one card file, got %d arguments", flags.NArg())
	}
	s, err := cardfile.Load(flags.Arg(0))
	return flags.Arg(0), s, err
}

func profileShow(e *env, args []string) error {
	path, s, err := loadCardArg(e, "profile show", args)
	if err != nil {
		return err
	}
	w := e.stdout
	h := s.Holder
	fmt.Fprintf(w, "card file: %s\nkind:      %s\nholder:    %s (born %s, sex %s)\naddress:   %s\ncard expiry: %s\nchip:      %s\natr:       % X\n",
		path, s.Kind, h.Name, h.BirthDate.Format(time.DateOnly), h.Sex, h.Address, h.CardExpiry.Format(time.DateOnly), chipLine(s), s.ATR)
	if len(s.StoredATR) > 0 {
		fmt.Fprintf(w, "stored atr: % X\n", s.StoredATR)
	}
	fmt.Fprintln(w, "certificates:")
	now := time.Now()
	for _, c := range []struct {
		ref  emulator.FileRef
		name string
	}{
		{emulator.JPKIAuthCert, "auth"},
		{emulator.JPKISignCert, "sign"},
		{emulator.JPKIAuthCACert, "auth CA"},
		{emulator.JPKISignCACert, "sign CA"},
	} {
		der, ok := s.Files[c.ref]
		if !ok {
			fmt.Fprintf(w, "  %-9v %-8s absent\n", c.ref, c.name)
			continue
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			fmt.Fprintf(w, "  %-9v %-8s unparsable: %v\n", c.ref, c.name, err)
			continue
		}
		state := "valid"
		switch {
		case now.After(cert.NotAfter):
			state = "EXPIRED"
		case now.Before(cert.NotBefore):
			state = "not yet valid"
		}
		// The raw sequence keeps one attribute per RDN, as the card's names
		// have; pkix.Name would print the two OUs as one.
		var subject pkix.RDNSequence
		if _, err := asn1.Unmarshal(cert.RawSubject, &subject); err != nil {
			fmt.Fprintf(w, "  %-9v %-8s bad subject: %v\n", c.ref, c.name, err)
			continue
		}
		fmt.Fprintf(w, "  %-9v %-8s %s\n            %s → %s (%s)\n", c.ref, c.name, subject,
			cert.NotBefore.Format(time.DateOnly), cert.NotAfter.Format(time.DateOnly), state)
	}
	fmt.Fprintln(w, "PIN counters (tries left / max):")
	refs := make([]emulator.FileRef, 0, len(s.PINs))
	for ref := range s.PINs {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, func(a, b emulator.FileRef) int { return strings.Compare(a.String(), b.String()) })
	for _, ref := range refs {
		p := s.PINs[ref]
		note := ""
		if p.Blocked() {
			note = "  BLOCKED"
		}
		fmt.Fprintf(w, "  %-11v %d/%d%s\n", ref, p.Remaining, p.Max, note)
	}
	return nil
}
