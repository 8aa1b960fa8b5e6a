// Command mynacard runs a virtual Japanese My Number card: it makes card
// files, sends APDUs to them, serves them to PC/SC through vpcd, runs the
// conformance suite and fuzzes card and host software.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/cardfile"
)

// command is one subcommand. Each lives in its own file and registers
// itself from init, so main stays a dispatcher.
type command struct {
	name    string
	summary string
	run     func(env *env, args []string) error
}

// env is what a subcommand may touch: its output streams and a way to
// stop on Ctrl-C. Tests build one with buffers.
type env struct {
	stdout, stderr io.Writer
}

var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

// errUsage marks an error whose message is already a usage text; main
// prints it and exits 2 as flag does.
var errUsage = errors.New("usage")

func main() {
	os.Exit(run(&env{stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:]))
}

func run(e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		return 2
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "mynacard: unknown command %q\n\n", args[0])
		usage(e.stderr)
		return 2
	}
	err := c.run(e, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errFailed):
		return 1
	}
	fmt.Fprintf(e.stderr, "mynacard %s: %v\n", c.name, err)
	return 1
}

// errFailed means the command ran and reported a failure itself (e.g. a
// conformance case failed); main only sets the exit code.
var errFailed = errors.New("failed")

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: mynacard <command> [flags] [args]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'mynacard <command> -h' for a command's flags.")
}

// newFlags returns a FlagSet that reports errors instead of exiting, with
// usage text naming the subcommand.
func newFlags(e *env, name, argsUsage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: mynacard %s [flags] %s\n", name, argsUsage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, turning flag's own errors into errUsage (flag has
// already printed them).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

// openCardFile locks the card file before reading it, so no other process
// can change its counters while this one holds the card, and returns the
// card, saving every change back to path. The caller unlocks when done.
func openCardFile(path string, opts ...emulator.Option) (card *emulator.Card, unlock func() error, err error) {
	unlock, err = cardfile.Lock(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := cardfile.Load(path)
	if err == nil {
		card, err = emulator.New(st, append([]emulator.Option{emulator.WithStore(cardfile.Store{Path: path})}, opts...)...)
	}
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return card, unlock, nil
}
