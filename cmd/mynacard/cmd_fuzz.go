package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/mynacard/mynacard/conformance"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/embedded"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/fuzz"
)

func init() {
	register(command{
		name:    "fuzz",
		summary: "fuzz the embedded emulator or a card in a PC/SC reader with grammar-aware APDU sequences",
		run:     runFuzz,
	})
}

const fuzzUsage = `[flags]

Sends generated command sequences (client sequences of card.md and
grammar-built sessions, mutated) and checks every answer against card.md's
invariants: status words from card.md, retry counters, blocked keys,
access conditions. Each finding is written to --out as a replayable file.

  --target embedded --kind KIND   the built-in card (normal, face-auth, no-sign-cert, pin-blocked, expired-certs)
  --target pcsc [--reader NAME|N] the card in a PC/SC reader; --diff also runs the
                                  embedded card of --kind and reports differing status words
  --replay FILE                   replay a finding; exit status 1 if it still shows

On a pcsc target nothing that could spend a PIN try or change the card is
sent (no VERIFY with a value, no CHANGE REFERENCE DATA, no unknown or issuer
instruction, no class FF, nothing shorter than 4 bytes) unless
--allow-destructive is given. Exit status 1 when there are findings.
`

type fuzzFlags struct {
	target, kind, reader, out, replay string
	seed                              uint64
	count                             int
	timeout, every                    time.Duration
	destructive, diff, jsonOut        bool
	junit                             string
}

func runFuzz(e *env, args []string) error {
	var f fuzzFlags
	fs := newFlags(e, "fuzz", fuzzUsage)
	fs.StringVar(&f.target, "target", "embedded", "embedded or pcsc")
	fs.StringVar(&f.kind, "kind", "normal", "card kind of the embedded target (and of the --diff reference)")
	fs.StringVar(&f.reader, "reader", "", "PC/SC reader name or index (default: the only reader holding a card)")
	fs.Uint64Var(&f.seed, "seed", 1, "generator seed; the same seed sends the same sequences")
	fs.IntVar(&f.count, "count", 1000, "number of sequences; 0 runs until interrupted")
	fs.BoolVar(&f.destructive, "allow-destructive", false, "on a pcsc target, also send commands that may spend PIN tries or change the card")
	fs.BoolVar(&f.diff, "diff", false, "differential mode: compare a pcsc target with the embedded card of --kind")
	fs.StringVar(&f.out, "out", "fuzz-findings", "directory for finding files")
	fs.StringVar(&f.replay, "replay", "", "replay a finding file instead of fuzzing")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Second, "watchdog per APDU: no answer in this time is a hang")
	fs.DurationVar(&f.every, "progress", 2*time.Second, "interval of progress lines on stderr")
	fs.BoolVar(&f.jsonOut, "json", false, "write the run's summary and findings as JSON to stdout")
	fs.StringVar(&f.junit, "junit", "", "also write a JUnit XML report to `FILE` (- for stdout), one failed test per finding")
	if err := parseOnlyFlags(fs, args); err != nil {
		return err
	}
	switch {
	case f.count < 0:
		return usagef("--count %d: want 0 (until interrupted) or more", f.count)
	case f.timeout <= 0:
		return usagef("--timeout %v: want a positive duration", f.timeout)
	case f.every <= 0:
		return usagef("--progress %v: want a positive duration", f.every)
	case f.target == "embedded" && f.reader != "":
		return usagef("--reader applies to --target pcsc")
	case f.target == "embedded" && f.destructive:
		return usagef("--allow-destructive applies to --target pcsc; the embedded card is always restored")
	case f.replay != "" && (flagSet(fs, "count") || flagSet(fs, "seed") || flagSet(fs, "out") || f.jsonOut || f.junit != ""):
		return usagef("--replay sends the finding's commands; --count, --seed, --out, --json and --junit would be ignored")
	case f.jsonOut && f.junit == "-":
		return errJUnitJSON
	}
	var recorded *fuzz.Finding
	if f.replay != "" {
		var err error
		if recorded, err = readFinding(f.replay); err != nil {
			return err
		}
		if err := f.replayTarget(fs, recorded); err != nil {
			return err
		}
	}
	fz, closeTargets, err := f.fuzzer()
	if err != nil {
		return err
	}
	defer closeTargets()
	if f.replay != "" {
		fd, err := fz.Replay(recorded.Exchanges, e.stdout)
		if err != nil {
			return err
		}
		if fd == nil {
			fmt.Fprintf(e.stdout, "fuzz: %s no longer reproduces on %s\n", f.replay, fz.Target.Name())
			return nil
		}
		fmt.Fprintf(e.stdout, "fuzz: reproduces on %s: %s\n", fz.Target.Name(), fd)
		return errFailed
	}
	rep := &fuzzReport{Target: fz.Target.Name(), Seed: f.seed, Findings: []fuzzReportFinding{}}
	// Finding files and the line announcing each go to stdout only when
	// no report takes it.
	announce := e.stdout
	if f.jsonOut || f.junit == "-" {
		announce = io.Discard
	}
	fz.Progress, fz.ProgressEvery = e.stderr, f.every
	fz.Found = func(fd *fuzz.Finding) error {
		// The directory is made for the first finding, so a clean run
		// leaves nothing behind.
		if err := os.MkdirAll(f.out, 0o755); err != nil {
			return err
		}
		name := filepath.Join(f.out, fmt.Sprintf("seed%d-seq%d-%s%s.txt", fd.Seed, fd.Sequence, fd.Kind, suffix(fd.Rule)))
		file, err := os.Create(name)
		if err != nil {
			return err
		}
		if err := fuzz.WriteFinding(file, fd); err != nil {
			file.Close()
			return err
		}
		if err := file.Close(); err != nil {
			return err
		}
		rep.add(fd, name)
		fmt.Fprintf(announce, "finding: %s\n  written to %s\n", firstLine(fd.String()), name)
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := fz.Run(ctx, f.count)
	if err != nil {
		return err
	}
	rep.setStats(&st)
	if err := f.writeReport(e, rep, &st); err != nil {
		return err
	}
	if st.Findings > 0 {
		return errFailed
	}
	return nil
}

// readFinding reads a finding file.
func readFinding(path string) (*fuzz.Finding, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	fd, err := fuzz.ReadFinding(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return fd, nil
}

// replayTarget points the flags at the target a finding was made on: a
// finding from a real card replayed on the emulator proves nothing, so an
// explicit --target embedded for one is refused.
func (f *fuzzFlags) replayTarget(fs *flag.FlagSet, fd *fuzz.Finding) error {
	if fd.Card != "" && !flagSet(fs, "kind") {
		f.kind = string(fd.Card)
	}
	reader, onPCSC := strings.CutPrefix(fd.Target, "pcsc:")
	if !onPCSC {
		return nil
	}
	if flagSet(fs, "target") && f.target != "pcsc" {
		return usagef("%s was found on %s; replaying it on the embedded card says nothing about that card: use --target pcsc", f.replay, fd.Target)
	}
	f.target = "pcsc"
	if !flagSet(fs, "reader") {
		f.reader = reader
	}
	if slices.ContainsFunc(fd.Exchanges, func(ex fuzz.Exchange) bool { return ex.Ref != nil }) {
		f.diff = true
	}
	return nil
}

// fuzzer builds the Fuzzer the flags describe and a function closing its targets.
func (f *fuzzFlags) fuzzer() (*fuzz.Fuzzer, func(), error) {
	s, err := profile.Default(emulator.Kind(f.kind))
	if err != nil {
		return nil, nil, usagef("--kind %q: want one of %s", f.kind, kindNames())
	}
	embedded := func() (*embedded.Target, error) { return embedded.New("embedded:"+f.kind, s) }
	fz := &fuzz.Fuzzer{Card: emulator.Kind(f.kind), Seed: f.seed, Timeout: f.timeout}
	closeAll := func() {}
	switch f.target {
	case "embedded":
		if f.diff {
			return nil, nil, usagef("--diff compares a pcsc target with the embedded card; use it with --target pcsc")
		}
		if fz.Target, err = embedded(); err != nil {
			return nil, nil, err
		}
		fz.Known = fuzz.KnownCounters(s)
		// An emulated card is restored before every sequence: nothing is at risk.
		fz.Gen = fuzz.NewGenerator(f.seed, fuzz.SecretsOf(s), true)
	case "pcsc":
		p, err := conformance.OpenPCSC(f.reader)
		if err != nil {
			return nil, nil, err
		}
		closeAll = func() { p.Close() }
		fz.Target = p
		fz.Gen = fuzz.NewGenerator(f.seed, fuzz.SecretsOf(s), f.destructive)
		if f.diff {
			if fz.Reference, err = embedded(); err != nil {
				p.Close()
				return nil, nil, err
			}
		}
	default:
		return nil, nil, usagef("--target %q: want embedded or pcsc", f.target)
	}
	return fz, closeAll, nil
}

func suffix(rule string) string {
	if rule == "" {
		return ""
	}
	return "-" + rule
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
