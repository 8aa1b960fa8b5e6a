//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/sirupsen/logrus"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/cardfile"
	"github.com/mynacard/mynacard/emulator/contactless"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/internal/logging"
	"github.com/mynacard/mynacard/vpcd/control"
	"github.com/mynacard/mynacard/vpcd/pcscd"
	"github.com/mynacard/mynacard/vpcd/testbed"
)

func init() {
	register(command{name: "run", summary: "run a program against cards in a private pcscd; exits with its status", run: runRun})
}

// exitTimeout is run's status when --timeout kills CMD, as timeout(1)'s.
const exitTimeout = 124

const runHelp = `
Starts a private pcscd (never the system's) with one vpcd reader per card,
waits until it reports the cards present, and runs CMD with
  PCSCLITE_CSOCK_NAME  the private daemon's socket (libpcsclite reads it)
  MYNACARD_READER      the first card's reader
  MYNACARD_READERS     every card's reader, one per line, in order
  MYNACARD_CTL         the control socket: mynacard ctl "$MYNACARD_CTL" OP
stdin, stdout and stderr pass through; run exits with CMD's status (128+n
if a signal ended it, 124 if --timeout did) and tears everything down when
CMD ends, or on Ctrl-C or SIGTERM. Without --kind or --card: one fresh
normal card. --chip gives the --kind cards the ATR and capabilities of a
chip generation ('mynacard profile chips'); a card file keeps its own.
Card files are saved as serve saves them; --ephemeral keeps their changes
in memory (read-only files work). As root pcscd runs in its own mount
namespace, otherwise in an unprivileged user namespace.
`

// runCard is one --kind or --card, in command-line order.
type runCard struct{ kind, file string }

func runRun(e *env, args []string) error {
	fs := newFlags(e, "run", "[--kind K | --card FILE]... [--chip C] [--reader-style S] [--ephemeral] [--timeout D] -- CMD [ARGS...]")
	addHelp(e, fs, runHelp)
	var specs []runCard
	fs.Func("kind", "put a fresh in-memory card of `KIND` in a reader: "+kindList(), func(s string) error {
		if err := emulator.Kind(s).Validate(); err != nil {
			return err
		}
		specs = append(specs, runCard{kind: s})
		return nil
	})
	fs.Func("card", "put the card `FILE` in a reader (locked and saved while run runs)", func(s string) error {
		specs = append(specs, runCard{file: s})
		return nil
	})
	chip := fs.String("chip", "", "chip generation of the --kind cards (their ATR and capabilities), see 'mynacard profile chips' (default "+string(profile.DefaultChip)+")")
	style := readerStyleFlag(fs)
	ephemeral := fs.Bool("ephemeral", false, "keep card files' changes in memory; the files are only read")
	timeout := fs.Duration("timeout", 0, "kill CMD after `D` (e.g. 30s) and exit 124; 0 waits for ever")
	level := fs.String("log-level", "warn", "log level of the served cards: debug (one line per APDU), info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	argv := fs.Args()
	switch {
	case len(argv) == 0:
		return usagef("no command given; put it after --, e.g. mynacard run --kind normal -- opensc-tool -n")
	case len(specs) > pcscd.MaxSlots:
		return usagef("%d cards; one pcscd offers %d readers", len(specs), pcscd.MaxSlots)
	case *timeout < 0:
		return usagef("--timeout %v is negative", *timeout)
	case *chip != "" && !slices.ContainsFunc(specs, func(c runCard) bool { return c.kind != "" }) && len(specs) > 0:
		return usagef("--chip applies to --kind cards; a card file keeps the chip it was made with (profile new --chip)")
	}
	if _, err := profile.Chip(*chip).Spec(); *chip != "" && err != nil {
		return usagef("--chip %q: want one of %s ('mynacard profile chips' lists them)", *chip, chipNames())
	}
	if len(specs) == 0 {
		specs = []runCard{{kind: string(emulator.KindNormal)}}
	}
	log, err := logging.New(e.stderr, logging.Options{Level: *level})
	if err != nil {
		return usagef("%v", err)
	}
	// Signals are caught from here on, so that Ctrl-C while pcscd starts
	// still tears it down.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	cards, closeCards, err := openRunCards(specs, profile.Chip(*chip), *style, *ephemeral, log)
	if err != nil {
		return err
	}
	bed, err := testbed.Start(testbed.Options{Cards: cards, Log: log})
	if err != nil {
		return errors.Join(err, closeCards())
	}
	status, err := child{argv: argv, env: bed.Env(), stdin: os.Stdin, stdout: e.stdout, stderr: e.stderr, sigs: sigs, timeout: *timeout}.run()
	if err = errors.Join(err, bed.Close(), closeCards()); err != nil {
		fmt.Fprintf(e.stderr, "mynacard run: %v\n", err)
		status = max(status, 1)
	}
	return exitWith(status)
}

// openRunCards makes the cards of specs, the --kind ones presenting chip,
// each contactless one behind a reader of style; closeCards saves the card files
// (as serve does at exit) and unlocks them.
func openRunCards(specs []runCard, chip profile.Chip, style contactless.Style, ephemeral bool, log logrus.FieldLogger) (cards []testbed.Card, closeCards func() error, err error) {
	var closers []func() error
	closeCards = func() error {
		var errs []error
		for _, c := range closers {
			errs = append(errs, c())
		}
		return errors.Join(errs...)
	}
	for i, s := range specs {
		opt := emulator.WithLogger(log.WithFields(logrus.Fields{"slot": i}))
		c := testbed.Card{ReaderStyle: style}
		switch {
		case s.kind != "":
			c.Name = s.kind
			c.Card, err = testbed.NewChipCard(emulator.Kind(s.kind), chip, opt)
		case ephemeral:
			c.Name = s.file
			var st *emulator.State
			if st, err = cardfile.Load(s.file); err == nil {
				c.Card, err = emulator.New(st, opt)
			}
		default:
			c.Name = s.file
			if c.Socket, err = control.SocketPath(s.file); err != nil {
				break
			}
			var unlock func() error
			if c.Card, unlock, err = openCardFile(s.file, opt); err != nil {
				break
			}
			card, path := c.Card, s.file
			closers = append(closers, func() error {
				// Every change was saved when it happened; this save
				// makes the file match the card even if one failed.
				return errors.Join((cardfile.Store{Path: path}).Save(card.Snapshot()), unlock())
			})
		}
		if err != nil {
			return nil, nil, errors.Join(err, closeCards())
		}
		cards = append(cards, c)
	}
	return cards, closeCards, nil
}

func exitWith(status int) error {
	if status == 0 {
		return nil
	}
	return exitStatus(status)
}
