//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/fuzz/hostile"
	"github.com/mynacard/mynacard/internal/junit"
	"github.com/mynacard/mynacard/internal/logging"
	"github.com/mynacard/mynacard/vpcd/testbed"
)

func init() {
	register(command{name: "fuzz-client", summary: "fuzz a host program black-box with hostile card answers; findings are replayable", run: runFuzzClient})
}

const fuzzClientHelp = `
Runs CMD again and again against one card in a private pcscd (as mynacard
run does; pcscd is not restarted between runs), mutating the card's answers:
  1. a clean run records the exchanges;
  2. a sweep mutates one exchange at a time with each mutation that changes
     its answer, so a bug one bad answer triggers is found in a bounded
     number of runs;
  3. random runs mutate two to four exchanges, until --runs runs in all.
Mutations: ` + "%s" + `.
A finding is CMD killed by a signal, an AddressSanitizer or UBSan report or
a Go panic in its output, or CMD running past --timeout; a non-zero exit is
one only with --fail-on-exit. Each is minimised to the fewest mutations and
written to --out as a JSON file (seed, mutations by exchange number, CMD,
last output lines); --replay FILE runs it again and exits 1 if it still
shows. Exit status 1 when there are findings.
`

type fuzzClientFlags struct {
	runs                int
	seed                uint64
	timeout             time.Duration
	kind, out, replay   string
	junit, level        string
	failOnExit, jsonOut bool
}

func runFuzzClient(e *env, args []string) error {
	var f fuzzClientFlags
	fs := newFlags(e, "fuzz-client", "[--runs N] [--seed S] [--timeout D] [--kind K] [--out DIR] [--fail-on-exit] [--replay FILE] -- CMD [ARGS...]")
	addHelp(e, fs, fmt.Sprintf(fuzzClientHelp, strings.Join(hostile.Mutations(), ", ")))
	fs.IntVar(&f.runs, "runs", 1000, "runs in all: the clean run, the sweep (cut short if N is smaller), then random runs")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the mutations' details and the random runs")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "a run longer than `D` is a hang (a finding)")
	fs.StringVar(&f.kind, "kind", string(emulator.KindNormal), "card kind: "+kindList())
	fs.StringVar(&f.out, "out", "fuzz-client-findings", "directory for the finding files")
	fs.StringVar(&f.replay, "replay", "", "run the finding `FILE` again (CMD after -- overrides the file's)")
	fs.BoolVar(&f.failOnExit, "fail-on-exit", false, "count a non-zero exit as a finding")
	fs.BoolVar(&f.jsonOut, "json", false, "write the summary as JSON")
	fs.StringVar(&f.junit, "junit", "", "also write a JUnit XML summary to `FILE` (- for stdout, instead of the summary)")
	fs.StringVar(&f.level, "log-level", "fatal", "log level of the served card: warn logs every mutation; the default, fatal, logs nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	argv := fs.Args()
	switch {
	case len(argv) == 0 && f.replay == "":
		return usagef("no command given; put it after --, e.g. mynacard fuzz-client -- opensc-tool -n")
	case emulator.Kind(f.kind).Validate() != nil:
		return usagef("--kind %q: want one of %s", f.kind, kindList())
	case f.runs < 1:
		return usagef("--runs %d: want at least 1", f.runs)
	case f.timeout <= 0:
		return usagef("--timeout %v: want a positive duration", f.timeout)
	case f.junit == "-" && f.jsonOut:
		return errJUnitJSON
	}
	log, err := logging.New(e.stderr, logging.Options{Level: f.level})
	if err != nil {
		return usagef("%v", err)
	}
	var replay clientFinding
	if f.replay != "" {
		if replay, err = readClientFinding(f.replay); err != nil {
			return err
		}
		f.seed, f.kind = replay.Seed, replay.CardKind
		if !flagSet(fs, "timeout") && replay.Timeout != "" {
			if f.timeout, err = time.ParseDuration(replay.Timeout); err != nil {
				return fmt.Errorf("--replay %s: timeout %q: %v", f.replay, replay.Timeout, err)
			}
		}
		if len(argv) == 0 {
			argv = replay.Command
		}
	}
	fz, card, err := newClientFuzzer(emulator.Kind(f.kind), log)
	if err != nil {
		return err
	}
	fz.argv, fz.seed, fz.timeout, fz.failOnExit = argv, f.seed, f.timeout, f.failOnExit
	bed, err := testbed.Start(testbed.Options{Cards: []testbed.Card{card}, Log: log})
	if err != nil {
		return err
	}
	fz.env = bed.Env()
	if f.replay != "" {
		err = replayFinding(e, fz, replay)
	} else {
		err = fuzzClient(e, fz, f)
	}
	if cerr := bed.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

func replayFinding(e *env, fz *clientFuzzer, fd clientFinding) error {
	o, err := fz.run(fd.Mutations)
	if err != nil {
		return err
	}
	kind, sig := fz.classify(o)
	for _, l := range reportLines(o.output) {
		fmt.Fprintf(e.stdout, "| %s\n", l)
	}
	if kind == "" {
		fmt.Fprintf(e.stdout, "does not reproduce: exit status %d (the finding was %s)\n", o.status, fd.Signature)
		return nil
	}
	fmt.Fprintf(e.stdout, "reproduces: %s\n", sig)
	return errFailed
}

// fuzzSummary is the --json summary.
type fuzzSummary struct {
	Runs          int             `json:"runs"`
	SweepRuns     int             `json:"sweep_runs"`
	SweepTotal    int             `json:"sweep_total"`
	RandomRuns    int             `json:"random_runs"`
	Exchanges     int             `json:"exchanges"`
	Seconds       float64         `json:"seconds"`
	RunsPerSecond float64         `json:"runs_per_second"`
	Findings      []clientFinding `json:"findings"`
	Files         []string        `json:"files"`
}

func fuzzClient(e *env, fz *clientFuzzer, f fuzzClientFlags) error {
	begin := time.Now()
	clean, err := fz.run(nil)
	if err != nil {
		return err
	}
	if kind, sig := fz.classify(clean); kind != "" {
		return fmt.Errorf("%s on the faithful card, before any mutation: %s; fix that first (last line: %s)", argv0(fz.argv), sig, strings.Join(lastLines(clean.output, 1), ""))
	}
	if len(clean.exchanges) == 0 {
		return fmt.Errorf("%s sent no APDU to the card in $%s; nothing to fuzz", argv0(fz.argv), testbed.ReaderEnv)
	}
	if clean.status != 0 {
		fmt.Fprintf(e.stderr, "mynacard fuzz-client: warning: %s exits %d on the faithful card\n", argv0(fz.argv), clean.status)
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	sum := fuzzSummary{Runs: 1, Exchanges: len(clean.exchanges), Findings: []clientFinding{}, Files: []string{}}
	var sweep [][]hostile.Step
	for n, x := range clean.exchanges {
		for _, m := range hostile.Mutations() {
			st := hostile.Step{Exchange: uint64(n), Mutation: m}
			if hostile.Changes(fz.seed, st, x.Answer) {
				sweep = append(sweep, []hostile.Step{st})
			}
		}
	}
	sum.SweepTotal = len(sweep)
	prog := newProgress(e.stderr)
	defer prog.done()
	lastShown := time.Now()
	seen := map[string]bool{}
	budget := f.runs - 1
	for i := 0; budget > 0; i++ {
		phase, plan := "sweep", []hostile.Step(nil)
		if i < len(sweep) {
			plan = sweep[i]
			sum.SweepRuns++
		} else {
			phase, plan = "random", randomPlan(fz.seed, i-len(sweep), len(clean.exchanges))
			sum.RandomRuns++
		}
		o, err := fz.run(plan)
		budget--
		sum.Runs++
		if err != nil {
			return err
		}
		if kind, sig := fz.classify(o); kind != "" && !seen[sig] {
			seen[sig] = true
			if plan, o, err = fz.minimise(plan, sig, o, &budget); err != nil {
				return err
			}
			fd := clientFinding{Kind: kind, Signature: sig, Phase: phase, Seed: fz.seed, CardKind: f.kind, Mutations: plan,
				Command: fz.argv, Timeout: fz.timeout.String(), Exit: o.status, Output: reportLines(o.output)}
			for _, st := range plan {
				fd.Commands = append(fd.Commands, clean.exchanges[st.Exchange].Command)
			}
			fd.File = filepath.Join(f.out, fmt.Sprintf("%s-%d.json", kind, len(sum.Findings)+1))
			if err := writeFinding(fd.File, fd); err != nil {
				return err
			}
			sum.Findings = append(sum.Findings, fd)
			sum.Files = append(sum.Files, fd.File)
		}
		if time.Since(lastShown) >= 2*time.Second {
			lastShown = time.Now()
			prog.show("fuzz-client: %d runs (sweep %d/%d), %d findings, %.1f runs/s", sum.Runs, sum.SweepRuns, len(sweep), len(sum.Findings), float64(sum.Runs)/time.Since(begin).Seconds())
		}
	}
	sum.Seconds = time.Since(begin).Seconds()
	sum.RunsPerSecond = float64(sum.Runs) / sum.Seconds
	prog.done()
	return reportFuzzClient(e, f, sum)
}

func argv0(argv []string) string { return filepath.Base(argv[0]) }

func reportFuzzClient(e *env, f fuzzClientFlags, sum fuzzSummary) error {
	if f.junit != "" {
		if err := writeTo(e, f.junit, "--junit", func(w io.Writer) error { return fuzzClientJUnit(w, sum) }); err != nil {
			return err
		}
	}
	switch {
	case f.jsonOut:
		if err := encodeJSON(e.stdout, sum); err != nil {
			return err
		}
	case f.junit != "-":
		fmt.Fprintf(e.stdout, "%d runs (1 clean, sweep %d of %d, %d random) over %d exchanges in %.1fs: %.1f runs/s; %d findings\n",
			sum.Runs, sum.SweepRuns, sum.SweepTotal, sum.RandomRuns, sum.Exchanges, sum.Seconds, sum.RunsPerSecond, len(sum.Findings))
		for _, fd := range sum.Findings {
			fmt.Fprintf(e.stdout, "  %s: %s  (%s)\n    replay: mynacard fuzz-client --replay %s\n", fd.Signature, describePlan(fd), fd.Phase, fd.File)
		}
	}
	if len(sum.Findings) > 0 {
		return errFailed
	}
	return nil
}

// describePlan says which answers a finding mutates.
func describePlan(fd clientFinding) string {
	parts := make([]string, len(fd.Mutations))
	for i, st := range fd.Mutations {
		parts[i] = fmt.Sprintf("%s on exchange %d (%s)", st.Mutation, st.Exchange, fd.Commands[i])
	}
	return strings.Join(parts, " + ")
}

func fuzzClientJUnit(w io.Writer, sum fuzzSummary) error {
	s := junit.Suite{Name: "mynacard fuzz-client", Time: junit.Seconds(time.Duration(sum.Seconds * float64(time.Second)))}
	s.Cases = append(s.Cases, junit.Case{Name: fmt.Sprintf("%d runs, %d exchanges", sum.Runs, sum.Exchanges), Classname: "fuzz-client", Time: s.Time})
	for _, fd := range sum.Findings {
		s.Cases = append(s.Cases, junit.Case{Name: fd.Signature, Classname: "fuzz-client." + fd.Kind, Time: "0.000",
			Failure:   &junit.Message{Message: describePlan(fd), Body: "replay: mynacard fuzz-client --replay " + fd.File},
			SystemOut: strings.Join(fd.Output, "\n")})
	}
	return junit.Write(w, s)
}
