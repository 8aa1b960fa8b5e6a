package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/mynacard/mynacard/conformance"
	"github.com/mynacard/mynacard/emulator"
)

func init() {
	register(command{
		name:    "conformance",
		summary: "run the conformance suite on the embedded emulator or a card in a PC/SC reader",
		run:     runConformance,
	})
}

const conformanceUsage = `[flags]

Targets:
  --target embedded --kind KIND      the built-in card of a kind (` + "normal, face-auth, no-sign-cert, pin-blocked, expired-certs" + `)
  --target embedded --card FILE      a card file (only read; the run changes nothing on disk)
  --target pcsc [--reader NAME|N]    the card in a PC/SC reader; --pins FILE gives the secrets
                                     the suite may present (JSON: kind, auth_pin, sign_password,
                                     text_pin, juki_pin, common_pin, my_number, collation_b,
                                     birth_date_key, collation_tries)

On a pcsc target only read-only cases run unless --allow-spend (cases that
spend one try and restore it; never below 2 tries left) or --allow-destructive
together with --reader NAME (cases that may block a PIN) are given. No secret
is ever presented that was not given. Cases that exhaust a key run after all
others, so none finds a key blocked by an earlier case. Exhausting a key that
is not a PIN (照合番号A/B, the birth-date key: no holder can get them reset)
also needs --allow-unrecoverable. The report ends with what the run spent:
wrong tries counted and keys blocked, per key.

--properties runs the property walk instead of the catalogue: --steps N
(default 500) random actions that cannot spend a try (SELECTs, reads by FID
and SFI, READ RECORD, empty VERIFYs, signing without a PIN, GET CHALLENGE,
resets), from --seed S (default: a random seed, shown in the report), each
answer checked against card.md's access rules and the card's kind. It never
sends a secret nor a VERIFY with data, so it is read-only on a real card,
where it needs --reader naming the reader. A failure names its seed and
step; --seed S --steps N replays it.

--diff-target SPEC runs the same cases on a second target and reports where
the answers differ: SPEC is embedded:KIND, card:FILE or pcsc:READER (with
--diff-pins FILE). Exit status 1 when a case fails on either target or the
status words, outcomes or command flow differ.
`

type conformanceFlags struct {
	target, kind, card, reader, pins string
	diffTarget, diffPins             string
	allowSpend, allowDestructive     bool
	allowUnrecoverable               bool
	jsonOut, list                    bool
	junit, run                       string
	properties                       bool
	steps                            int
	seed                             uint64
}

func runConformance(e *env, args []string) error {
	var f conformanceFlags
	fs := newFlags(e, "conformance", conformanceUsage)
	fs.StringVar(&f.target, "target", "embedded", "embedded or pcsc")
	fs.StringVar(&f.kind, "kind", "", "card kind: for embedded the preset to run (default normal); for pcsc what the card is said to be")
	fs.StringVar(&f.card, "card", "", "card file for the embedded target")
	fs.StringVar(&f.reader, "reader", "", "PC/SC reader name or index (default: the only reader holding a card)")
	fs.StringVar(&f.pins, "pins", "", "JSON file of the secrets the suite may present to a pcsc target")
	fs.StringVar(&f.diffTarget, "diff-target", "", "second target to compare with: embedded:KIND, card:FILE or pcsc:READER")
	fs.StringVar(&f.diffPins, "diff-pins", "", "pins file for a pcsc diff target")
	fs.BoolVar(&f.allowSpend, "allow-spend", false, "on a real card, run cases that spend one PIN try and restore it")
	fs.BoolVar(&f.allowDestructive, "allow-destructive", false, "on a real card, run cases that may block a PIN or change the card (needs --reader NAME)")
	fs.BoolVar(&f.allowUnrecoverable, "allow-unrecoverable", false, "with --allow-destructive, also exhaust the keys that are not PINs (照合番号A/B, birth date), which no holder can get reset")
	fs.BoolVar(&f.jsonOut, "json", false, "write the report as JSON")
	fs.StringVar(&f.junit, "junit", "", "also write a JUnit XML report to `FILE` (- for stdout, instead of the table)")
	fs.BoolVar(&f.list, "list", false, "list the catalogue and exit")
	fs.StringVar(&f.run, "run", "", "comma-separated case ID prefixes to run, e.g. JPKI-PIN,INV")
	fs.BoolVar(&f.properties, "properties", false, "run the read-only property walk instead of the catalogue (on pcsc, needs --reader)")
	fs.IntVar(&f.steps, "steps", conformance.DefaultPropertySteps, "with --properties, the number of actions")
	fs.Uint64Var(&f.seed, "seed", 0, "with --properties, the walk's seed (default: random)")
	if err := parseOnlyFlags(fs, args); err != nil {
		return err
	}
	if f.properties {
		return runProperties(e, fs, &f)
	}
	if ignored := setFlagsOf(fs, "steps", "seed"); ignored != "" {
		return usagef("%s applies to --properties", ignored)
	}
	if f.list {
		if ignored := setFlagsExcept(fs, "list"); ignored != "" {
			return usagef("--list takes no other flag; %s would be ignored", ignored)
		}
		return conformance.WriteCatalogue(e.stdout, conformance.Catalogue())
	}
	spec, err := f.targetSpec()
	if err != nil {
		return err
	}
	if f.diffPins != "" && !strings.HasPrefix(f.diffTarget, "pcsc:") {
		return usagef("--diff-pins applies to a --diff-target pcsc:READER")
	}
	switch {
	case f.allowUnrecoverable && !f.allowDestructive:
		return usagef("--allow-unrecoverable goes with --allow-destructive")
	case f.junit == "-" && f.jsonOut:
		return errJUnitJSON
	case f.allowUnrecoverable && (f.target == "pcsc" || strings.HasPrefix(f.diffTarget, "pcsc:")):
		fmt.Fprintln(e.stderr, "mynacard conformance: warning: --allow-unrecoverable blocks 照合番号A and B and the birth-date key of the card for good; its holder cannot get them reset")
	}
	opts := conformance.Options{AllowSpend: f.allowSpend, AllowDestructive: f.allowDestructive, AllowUnrecoverable: f.allowUnrecoverable}
	if f.run != "" {
		opts.Only = strings.Split(f.run, ",")
		for _, p := range opts.Only {
			if !slices.ContainsFunc(conformance.Catalogue(), func(c conformance.Case) bool { return strings.HasPrefix(c.ID, p) }) {
				return usagef("--run %q matches no case; 'mynacard conformance --list' lists them", p)
			}
		}
	}
	a, err := runOn(spec, f.pins, f.kind, opts)
	if err != nil {
		return err
	}
	if f.diffTarget == "" {
		if err := writeReports(e, &f, a, nil, nil); err != nil {
			return err
		}
		if a.Failed() {
			return errFailed
		}
		return nil
	}
	b, err := runOn(f.diffTarget, f.diffPins, "", opts)
	if err != nil {
		return err
	}
	diffs := conformance.Diff(a, b)
	if err := writeReports(e, &f, a, b, diffs); err != nil {
		return err
	}
	for _, d := range diffs {
		if d.Significant() {
			return errFailed
		}
	}
	if a.Failed() || b.Failed() {
		return errFailed
	}
	return nil
}

// runProperties runs the property walk on the one target the flags name.
func runProperties(e *env, fs *flag.FlagSet, f *conformanceFlags) error {
	if ignored := setFlagsOf(fs, "list", "diff-target", "diff-pins", "allow-spend", "allow-destructive", "allow-unrecoverable", "run", "pins"); ignored != "" {
		return usagef("--properties sends no secret and runs no case of the catalogue; %s does not apply", ignored)
	}
	switch {
	case f.target == "pcsc" && f.reader == "":
		return usagef("--properties on a pcsc target needs --reader naming the reader")
	case f.steps < 1:
		return usagef("--steps %d: want at least 1", f.steps)
	case f.junit == "-" && f.jsonOut:
		return errJUnitJSON
	}
	if !flagSet(fs, "seed") {
		f.seed = rand.Uint64()
	}
	spec, err := f.targetSpec()
	if err != nil {
		return err
	}
	tgt, prof, err := openOn(spec, "", f.kind)
	if err != nil {
		return err
	}
	rep, err := conformance.RunProperties(tgt, prof, conformance.PropertyOptions{Seed: f.seed, Steps: f.steps})
	if err = errors.Join(err, tgt.Close()); err != nil {
		return err
	}
	if err := writeReports(e, f, rep, nil, nil); err != nil {
		return err
	}
	if rep.Failed() {
		return errFailed
	}
	return nil
}

// targetSpec turns the target flags into the SPEC form --diff-target uses.
func (f *conformanceFlags) targetSpec() (string, error) {
	switch f.target {
	case "embedded":
		if f.reader != "" || f.pins != "" {
			return "", usagef("--reader and --pins apply to --target pcsc")
		}
		if f.card != "" {
			if f.kind != "" {
				return "", usagef("give --kind or --card, not both")
			}
			return "card:" + f.card, nil
		}
		kind := f.kind
		if kind == "" {
			kind = string(emulator.KindNormal)
		}
		if emulator.Kind(kind).Validate() != nil {
			return "", usagef("--kind %q: want one of %s", kind, kindNames())
		}
		f.kind = "" // an embedded card's kind comes from the card itself
		return "embedded:" + kind, nil
	case "pcsc":
		if f.card != "" {
			return "", usagef("--card applies to --target embedded")
		}
		if f.kind != "" && emulator.Kind(f.kind).Validate() != nil {
			return "", usagef("--kind %q: want one of %s", f.kind, kindNames())
		}
		return "pcsc:" + f.reader, nil
	}
	return "", usagef("--target %q: want embedded or pcsc", f.target)
}

// runOn opens the target a SPEC names, runs the suite on it and closes it.
func runOn(spec, pins, kind string, opts conformance.Options) (*conformance.Report, error) {
	tgt, prof, err := openOn(spec, pins, kind)
	if err != nil {
		return nil, err
	}
	rep, err := conformance.Run(tgt, prof, opts)
	return rep, errors.Join(err, tgt.Close())
}

// openOn opens the target a SPEC names, with what the suite may know of it.
func openOn(spec, pins, kind string) (conformance.Target, conformance.Profile, error) {
	scheme, arg, _ := strings.Cut(spec, ":")
	if scheme == "embedded" && emulator.Kind(arg).Validate() != nil {
		return nil, conformance.Profile{}, usagef("target %q: kind %q: want one of %s", spec, arg, kindNames())
	}
	var (
		tgt  conformance.Target
		prof conformance.Profile
		err  error
	)
	switch scheme {
	case "embedded", "card":
		var e *conformance.Embedded
		if scheme == "card" {
			e, err = conformance.EmbeddedFile(arg)
		} else {
			e, err = conformance.EmbeddedKind(emulator.Kind(arg))
		}
		if err != nil {
			return nil, conformance.Profile{}, err
		}
		if pins != "" {
			return nil, conformance.Profile{}, usagef("a pins file applies to pcsc targets; an embedded card's secrets come from the card")
		}
		tgt, prof = e, e.Profile()
	case "pcsc":
		if pins != "" {
			if prof, err = conformance.LoadProfile(pins); err != nil {
				return nil, conformance.Profile{}, err
			}
		}
		if kind != "" {
			prof.Kind = emulator.Kind(kind)
		}
		if tgt, err = conformance.OpenPCSC(arg); err != nil {
			return nil, conformance.Profile{}, err
		}
	default:
		return nil, conformance.Profile{}, usagef("target %q: want embedded:KIND, card:FILE or pcsc:READER", spec)
	}
	return tgt, prof, nil
}

func writeReports(e *env, f *conformanceFlags, a, b *conformance.Report, diffs []conformance.Difference) error {
	for _, r := range []*conformance.Report{a, b} {
		if r != nil {
			r.Tool, r.Revision = version(), buildRevision()
		}
	}
	if f.junit != "" {
		if err := writeTo(e, f.junit, "--junit", func(w io.Writer) error { return conformance.WriteJUnit(w, a) }); err != nil || f.junit == "-" {
			return err
		}
	}
	if f.jsonOut {
		if b == nil {
			return conformance.WriteJSON(e.stdout, a)
		}
		if diffs == nil {
			diffs = []conformance.Difference{}
		}
		return encodeJSON(e.stdout, struct {
			A           *conformance.Report      `json:"a"`
			B           *conformance.Report      `json:"b"`
			Differences []conformance.Difference `json:"differences"`
		}{a.Trimmed(), b.Trimmed(), diffs})
	}
	if err := conformance.WriteTable(e.stdout, a); err != nil {
		return err
	}
	if b == nil {
		return nil
	}
	fmt.Fprintln(e.stdout)
	if err := conformance.WriteTable(e.stdout, b); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	return conformance.WriteDiff(e.stdout, a, b, diffs)
}
