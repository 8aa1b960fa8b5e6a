// Command mynacard runs a virtual Japanese My Number card: it makes card
// files, sends APDUs to them, serves them to PC/SC through vpcd, runs the
// conformance suite and fuzzes card and host software.
package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"sort"
	"strings"

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
	stdin          io.Reader // nil: none (tests)
	stdout, stderr io.Writer
}

var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

// usageError is a command line that cannot run as given. main prints it
// as one line pointing at the command's help and exits 2, as flag does.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError.
func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// errJUnitJSON refuses --junit - with --json in the commands that have both.
var errJUnitJSON = usagef("--junit - and --json would both write to stdout; give --junit a file")

func main() {
	os.Exit(run(&env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:]))
}

func run(e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "mynacard: want a command; run 'mynacard help' for the list")
		return 2
	}
	switch args[0] {
	case "-h", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			if _, ok := commands[args[1]]; ok {
				return run(e, []string{args[1], "-h"})
			}
			fmt.Fprintf(e.stderr, "mynacard help: unknown command %q; run 'mynacard help' for the list\n", args[1])
			return 2
		}
		usage(e.stdout)
		return 0
	case "--version", "version":
		fmt.Fprintln(e.stdout, version())
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "mynacard: unknown command %q; run 'mynacard help' for the list\n", args[0])
		return 2
	}
	err := c.run(e, args[1:])
	name, help := c.name, "mynacard help "+c.name
	var sub *subcommandError
	if errors.As(err, &sub) {
		name, help = sub.name, "mynacard "+sub.name+" -h"
	}
	var ue *usageError
	var st exitStatus
	switch {
	case errors.As(err, &st):
		return int(st)
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "mynacard %s: %s; run '%s' for usage\n", name, withoutPackage(ue), help)
		return 2
	case errors.Is(err, errFailed):
		return 1
	}
	fmt.Fprintf(e.stderr, "mynacard %s: %s\n", name, withoutPackage(err))
	return 1
}

// subcommandError names the subcommand (profile new, issuer unblock) an
// error comes from, for the one line main prints.
type subcommandError struct {
	name string
	err  error
}

func (e *subcommandError) Error() string { return e.err.Error() }
func (e *subcommandError) Unwrap() error { return e.err }

// inSubcommand marks err as coming from subcommand name.
func inSubcommand(name string, err error) error {
	if err == nil {
		return nil
	}
	return &subcommandError{name, err}
}

// packagePrefixes are the prefixes the project's packages put on their
// errors; after "mynacard CMD:" they only repeat where the error is from.
var packagePrefixes = []string{"emulator: ", "cardfile: ", "profile: ", "conformance: ", "fuzz: ", "vpcd: "}

// withoutPackage is err's text without the package prefixes that wrapped
// errors carry at their start and after each ": ".
func withoutPackage(err error) string {
	msg := err.Error()
	for _, p := range packagePrefixes {
		msg = strings.ReplaceAll(strings.TrimPrefix(msg, p), ": "+p, ": ")
	}
	return msg
}

// exitStatus makes main exit with that status and print nothing: the
// command has reported for itself (run passes its CMD's status on).
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// errFailed means the command ran and reported a failure itself (e.g. a
// conformance case failed); main only sets the exit code.
var errFailed = errors.New("failed")

// version is the module version and VCS revision the binary was built
// from, as the Go toolchain recorded them.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "mynacard (no build information)"
	}
	v := "mynacard " + cmp.Or(bi.Main.Version, "(devel)")
	var rev, when, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", modified"
			}
		}
	}
	if rev != "" {
		v += fmt.Sprintf(" (revision %s, %s%s)", rev, when, dirty)
	}
	return v + " " + bi.GoVersion
}

// buildRevision is the VCS revision of the binary, "" if unknown.
func buildRevision() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return ""
}

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
	fmt.Fprintln(w, "\nRun 'mynacard help <command>' for a command's flags; 'mynacard --version' for the build.")
}

// newFlags returns a FlagSet that reports errors instead of exiting. Its
// help (-h) goes to stdout: "usage: mynacard NAME ARGSUSAGE" and the
// flags. argsUsage says what follows the name, flags included.
func newFlags(e *env, name, argsUsage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// flag prints its own errors and the usage on every bad flag; main
	// prints one line instead, so flag's output is dropped.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "usage: mynacard %s %s\n", name, argsUsage)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// addHelp prints help, the command's longer explanation, after the flags
// in its -h output.
func addHelp(e *env, fs *flag.FlagSet, help string) {
	usage := fs.Usage
	fs.Usage = func() { usage(); fmt.Fprint(e.stdout, help) }
}

// parseFlags parses args, turning flag's own errors into usage errors.
// -h prints the help, to stdout, and gives flag.ErrHelp (exit 0).
func parseFlags(fs *flag.FlagSet, args []string) error {
	// flag calls Usage itself on -h and on every bad flag; the help is
	// printed here for -h alone, so that a bad flag gives one line on
	// stderr and nothing on stdout.
	usage := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = usage
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return err
		}
		return usagef("%v", err)
	}
	return nil
}

// parseOnlyFlags is parseFlags for a command that takes nothing but flags.
func parseOnlyFlags(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q: %s takes only flags", fs.Arg(0), fs.Name())
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

// flagSet reports whether name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool { return setFlagsOf(fs, name) != "" }

// setFlagsOf names the flags among names that were given, or "".
func setFlagsOf(fs *flag.FlagSet, names ...string) string {
	var set []string
	fs.Visit(func(fl *flag.Flag) {
		if slices.Contains(names, fl.Name) {
			set = append(set, "--"+fl.Name)
		}
	})
	return strings.Join(set, ", ")
}

// setFlagsExcept names the first flag given on the command line other than
// the ones listed, "" if none: for flags that would be ignored.
func setFlagsExcept(fs *flag.FlagSet, keep ...string) string {
	found := ""
	fs.Visit(func(fl *flag.Flag) {
		if found == "" && !slices.Contains(keep, fl.Name) {
			found = "--" + fl.Name
		}
	})
	return found
}
