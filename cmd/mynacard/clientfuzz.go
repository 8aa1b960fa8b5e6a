//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/fuzz/hostile"
	"github.com/mynacard/mynacard/vpcd"
	"github.com/mynacard/mynacard/vpcd/testbed"
)

// clientFuzzer runs a host program against one card in a private pcscd,
// the card's answers mutated by a plan that changes from run to run
// without restarting pcscd.
type clientFuzzer struct {
	argv       []string
	env        []string
	seed       uint64
	timeout    time.Duration
	failOnExit bool
	log        logrus.FieldLogger

	card  *emulator.Card
	start *emulator.Checkpoint // every run starts from this card
	front *fuzzFront
}

// fuzzFront is the card vpcd sees: this run's hostile wrapper.
type fuzzFront struct {
	vpcd.Card // the served card, which the wrappers wrap
	mu        sync.Mutex
	cur       *hostile.Card
}

func (f *fuzzFront) set(h *hostile.Card) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cur = h
}

func (f *fuzzFront) Transmit(cmd []byte) []byte {
	f.mu.Lock()
	h := f.cur
	f.mu.Unlock()
	if h == nil {
		return f.Card.Transmit(cmd)
	}
	return h.Transmit(cmd)
}

// fuzzCard is the testbed card a clientFuzzer serves, and the fuzzer
// once the bed runs (attach).
func newClientFuzzer(kind emulator.Kind, log logrus.FieldLogger) (*clientFuzzer, testbed.Card, error) {
	card, err := testbed.NewCard(kind)
	if err != nil {
		return nil, testbed.Card{}, err
	}
	f := &clientFuzzer{card: card, start: card.Checkpoint(), front: &fuzzFront{}, log: log}
	wrap := func(c vpcd.Card) vpcd.Card { f.front.Card = c; return f.front }
	return f, testbed.Card{Name: string(kind), Card: card, Wrap: wrap}, nil
}

// runOutcome is what one run of the program did.
type runOutcome struct {
	status    int
	timedOut  bool
	output    string
	exchanges []hostile.Exchange
}

// run runs the program once with plan's mutations.
func (f *clientFuzzer) run(plan []hostile.Step) (runOutcome, error) {
	h, err := hostile.NewPlanned(f.front.Card, f.seed, plan, f.log)
	if err != nil {
		return runOutcome{}, err
	}
	if err := f.card.Restore(f.start); err != nil {
		return runOutcome{}, err
	}
	f.front.set(h)
	defer f.front.set(nil)
	o := runOutcome{}
	o.status, o.output, o.timedOut, err = child{argv: f.argv, env: f.env, timeout: f.timeout}.runCaptured()
	o.exchanges = h.Exchanges()
	return o, err
}

// Kinds of finding.
const (
	findHang   = "hang"
	findASan   = "asan"
	findUBSan  = "ubsan"
	findPanic  = "go-panic"
	findSignal = "signal"
	findExit   = "exit"
)

var (
	asanError  = regexp.MustCompile(`ERROR: AddressSanitizer: (\S+)`)
	asanFrame  = regexp.MustCompile(`(?m)^\s+#\d+ 0x[0-9a-f]+ in (\S+)`)
	ubsanError = regexp.MustCompile(`(?m)^\S+:\d+:\d+: runtime error: (.*)$`)
	goPanic    = regexp.MustCompile(`(?m)^(panic: .*|fatal error: .*)$`)
	goFrame    = regexp.MustCompile(`(?m)^goroutine \d+ \[running\]:\n(?:panic\(.*\n.*\n)?([^\s(]+)`)
	numbers    = regexp.MustCompile(`0x[0-9a-fA-F]+|\d+`)
)

// classify says whether a run is a finding: its kind and a signature that
// tells one bug from another ("" for no finding).
func (f *clientFuzzer) classify(o runOutcome) (kind, sig string) {
	norm := func(s string) string { return numbers.ReplaceAllString(s, "N") }
	switch {
	case o.timedOut:
		return findHang, fmt.Sprintf("hang: still running after %v", f.timeout)
	case strings.Contains(o.output, "ERROR: AddressSanitizer"):
		sig := "asan: " + asanError.FindStringSubmatch(o.output)[1]
		// The first frame of the program, past the sanitizer's own.
		for _, m := range asanFrame.FindAllStringSubmatch(o.output, -1) {
			if !strings.HasPrefix(m[1], "__") && !strings.Contains(m[1], "interceptor") {
				sig += " in " + m[1]
				break
			}
		}
		return findASan, sig
	case strings.Contains(o.output, "runtime error:") && ubsanError.MatchString(o.output):
		return findUBSan, "ubsan: " + norm(ubsanError.FindStringSubmatch(o.output)[1])
	case goPanic.MatchString(o.output) && strings.Contains(o.output, "goroutine "):
		sig := "go: " + norm(goPanic.FindString(o.output))
		if m := goFrame.FindStringSubmatch(o.output); m != nil {
			sig += " in " + m[1]
		}
		return findPanic, sig
	case o.status > 128 && o.status <= 128+64:
		return findSignal, fmt.Sprintf("killed by signal %d", o.status-128)
	case f.failOnExit && o.status != 0:
		return findExit, fmt.Sprintf("exit status %d", o.status)
	}
	return "", ""
}

// clientFinding is a finding file: enough to replay it (--replay).
type clientFinding struct {
	Kind      string `json:"kind"`
	Signature string `json:"signature"`
	// Phase is where it was found: sweep (one mutation at a time) or
	// random (several, then minimised).
	Phase     string         `json:"phase"`
	Seed      uint64         `json:"seed"`
	CardKind  string         `json:"card_kind"`
	Mutations []hostile.Step `json:"mutations"`
	// Commands describe the mutated exchanges' commands, in the clean
	// run, in the order of Mutations.
	Commands []string `json:"commands"`
	Command  []string `json:"command"`
	Timeout  string   `json:"timeout"`
	Exit     int      `json:"exit"`
	Output   []string `json:"output"`
	File     string   `json:"-"`
}

// minimise drops the steps of plan, whose run was o, that the finding
// does not need: each in turn, keeping the drop when the run still shows
// the same signature. It spends at most *budget runs.
func (f *clientFuzzer) minimise(plan []hostile.Step, sig string, o runOutcome, budget *int) ([]hostile.Step, runOutcome, error) {
	last := o
	for i := 0; i < len(plan) && len(plan) > 1 && *budget > 0; {
		try := append(append([]hostile.Step(nil), plan[:i]...), plan[i+1:]...)
		o, err := f.run(try)
		*budget--
		if err != nil {
			return nil, last, err
		}
		if _, s := f.classify(o); s == sig {
			plan, last = try, o
			continue
		}
		i++
	}
	return plan, last, nil
}

// randomPlan is random run i's mutations: two to four exchanges of the
// clean run's n, each with a mutation.
func randomPlan(seed uint64, i, n int) []hostile.Step {
	rng := rand.New(rand.NewPCG(seed, 1<<32|uint64(i)))
	names := hostile.Mutations()
	seen := map[uint64]bool{}
	var plan []hostile.Step
	for k := 2 + rng.IntN(3); len(plan) < min(k, n); {
		x := uint64(rng.IntN(n))
		if seen[x] {
			continue
		}
		seen[x] = true
		plan = append(plan, hostile.Step{Exchange: x, Mutation: names[rng.IntN(len(names))]})
	}
	return plan
}

// reportLines is what a finding file keeps of a run's output: from the
// start of a sanitizer's or Go's report if there is one (its stack is what
// matters), else the last lines.
func reportLines(output string) []string {
	for _, marker := range []string{"ERROR: AddressSanitizer", "runtime error:", "panic: ", "fatal error: "} {
		if i := strings.Index(output, marker); i >= 0 {
			start := strings.LastIndexByte(output[:i], '\n') + 1
			lines := lastLines(output[start:], maxOutput)
			return lines[:min(len(lines), 2*tailLines)]
		}
	}
	return lastLines(output, tailLines)
}

func writeFinding(path string, fd clientFinding) error {
	b, err := json.MarshalIndent(fd, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func readClientFinding(path string) (clientFinding, error) {
	var fd clientFinding
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &fd)
	}
	if err != nil {
		return fd, fmt.Errorf("--replay %s: %w", path, err)
	}
	if len(fd.Command) == 0 {
		return fd, fmt.Errorf("--replay %s: no command in the file; give it after --", path)
	}
	return fd, nil
}
