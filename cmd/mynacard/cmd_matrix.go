//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/contactless"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/internal/junit"
	"github.com/mynacard/mynacard/internal/logging"
	"github.com/mynacard/mynacard/vpcd"
	"github.com/mynacard/mynacard/vpcd/control"
	"github.com/mynacard/mynacard/vpcd/pcscd"
	"github.com/mynacard/mynacard/vpcd/testbed"
	"github.com/sirupsen/logrus"
)

func init() {
	register(command{name: "matrix", summary: "run a program once per card kind, chip and state; a CI gate with --expect", run: runMatrix})
}

const matrixHelp = `
Runs CMD once per cell: each card kind or state of --kinds on each chip of
--chips, the card swapped in the reader of one private pcscd between cells.
The kinds are normal, face-auth, no-sign-cert, pin-blocked, expired-certs;
the states are reversed (a face-auth card the issuer reversed) and pulled (a
normal card removed from the reader mid-run, see --pull-after). A cell is
named KIND@CHIP, e.g. pin-blocked@jpki-02. CMD gets mynacard run's
variables (PCSCLITE_CSOCK_NAME, MYNACARD_READER, MYNACARD_CTL, ...) and
MYNACARD_CELL, the cell's name; its stdin is empty and its output is kept.

The table shows each cell's exit status, duration and last output line;
--json writes it as JSON instead, --junit as JUnit XML (one test case per
cell). Exit status: 1 when a cell breaks an --expect rule, 0 otherwise.
` + expectHelp

// Card states matrix offers besides the kinds.
const (
	stateReversed = "reversed"
	statePulled   = "pulled"
)

func matrixConditions() []string {
	var all []string
	for _, k := range emulator.Kinds() {
		all = append(all, string(k))
	}
	return append(all, stateReversed, statePulled)
}

// matrixCell is one run of CMD: a kind or state on a chip.
type matrixCell struct {
	cond string
	chip profile.Chip
}

func (c matrixCell) name() string { return c.cond + "@" + string(c.chip) }

// state is the card the cell puts in the reader.
func (c matrixCell) state() (*emulator.State, error) {
	k := emulator.Kind(c.cond)
	switch c.cond {
	case stateReversed:
		k = emulator.KindFaceAuth
	case statePulled:
		k = emulator.KindNormal
	}
	st, err := profile.Default(k)
	if err != nil {
		return nil, err
	}
	if c.cond == stateReversed {
		reverse, err := control.IssuerOp(control.Request{Op: "reverse"})
		if err != nil {
			return nil, err
		}
		if err := reverse(st); err != nil {
			return nil, err
		}
	}
	return st, profile.SetChip(st, c.chip)
}

// cellResult is what one cell did, as --json writes it.
type cellResult struct {
	Cell     string   `json:"cell"`
	Exit     int      `json:"exit"`
	TimedOut bool     `json:"timed_out,omitempty"`
	Seconds  float64  `json:"seconds"`
	Tail     []string `json:"tail"`
	// Failures are the --expect rules the cell broke; Checked says
	// whether any rule applied.
	Failures []string `json:"failures,omitempty"`
	Checked  bool     `json:"checked"`
}

// pullAfter is when the pulled cell's card leaves the reader: after
// apdus answered APDUs, or after delay if that is set.
type pullAfter struct {
	apdus int
	delay time.Duration
}

func (p *pullAfter) String() string {
	if p.delay > 0 {
		return p.delay.String()
	}
	return strconv.Itoa(p.apdus)
}

func (p *pullAfter) Set(s string) error {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		*p = pullAfter{apdus: n}
		return nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		*p = pullAfter{delay: d}
		return nil
	}
	return fmt.Errorf("want a number of APDUs (e.g. 3) or a duration (e.g. 500ms)")
}

type matrixFlags struct {
	kinds, chips, expect, junit string
	jsonOut                     bool
	pull                        pullAfter
	style                       *contactless.Style
	timeout                     time.Duration
	level                       string
}

func runMatrix(e *env, args []string) error {
	f := matrixFlags{pull: pullAfter{apdus: 2}}
	fs := newFlags(e, "matrix", "[--kinds LIST] [--chips LIST] [--expect FILE] [--junit FILE] [--json] -- CMD [ARGS...]")
	addHelp(e, fs, matrixHelp)
	fs.StringVar(&f.kinds, "kinds", strings.Join(matrixConditions(), ","), "comma-separated kinds and states to run")
	fs.StringVar(&f.chips, "chips", string(profile.DefaultChip), "comma-separated chips ('mynacard profile chips'), or all")
	fs.StringVar(&f.expect, "expect", "", "rules for each cell's exit status and output, from `FILE` (see below); a broken rule exits 1")
	fs.StringVar(&f.junit, "junit", "", "also write a JUnit XML report to `FILE` (- for stdout, instead of the table)")
	fs.BoolVar(&f.jsonOut, "json", false, "write the results as JSON instead of the table")
	fs.Var(&f.pull, "pull-after", "pulled cell: remove the card after `N` APDUs, or after a duration such as 500ms")
	f.style = readerStyleFlag(fs)
	fs.DurationVar(&f.timeout, "timeout", time.Minute, "kill CMD after `D` in a cell (its status is then 124)")
	fs.StringVar(&f.level, "log-level", "warn", "log level of the served card: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	argv := fs.Args()
	cells, err := f.cells()
	switch {
	case len(argv) == 0:
		return usagef("no command given; put it after --, e.g. mynacard matrix -- opensc-tool -n")
	case err != nil:
		return err
	case f.junit == "-" && f.jsonOut:
		return errJUnitJSON
	case f.timeout <= 0:
		return usagef("--timeout %v: want a positive duration", f.timeout)
	}
	var rules []expectRule
	if f.expect != "" {
		if rules, err = readExpect(f.expect); err == nil {
			err = unmatchedRule(rules, cells)
		}
		if err != nil {
			return usagef("%v", err)
		}
	}
	log, err := logging.New(e.stderr, logging.Options{Level: f.level})
	if err != nil {
		return usagef("%v", err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	mb, err := startMatrixBed(*f.style, log)
	if err != nil {
		return err
	}
	results, runErr := mb.runCells(e, cells, argv, rules, f, sigs)
	if err := errors.Join(runErr, mb.bed.Close()); err != nil {
		return err
	}
	return f.report(e, results)
}

func readExpect(path string) ([]expectRule, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--expect: %w", err)
	}
	defer fh.Close()
	rules, err := parseExpect(fh)
	if err != nil {
		return nil, fmt.Errorf("--expect %s: %w", path, err)
	}
	return rules, nil
}

func (f *matrixFlags) cells() ([]matrixCell, error) {
	var chips []profile.Chip
	if f.chips == "all" {
		for _, c := range profile.Chips() {
			chips = append(chips, c.Name)
		}
	} else {
		for _, s := range strings.Split(f.chips, ",") {
			if _, err := profile.Chip(s).Spec(); err != nil {
				return nil, usagef("--chips %q: want all or some of %s", s, chipNames())
			}
			chips = append(chips, profile.Chip(s))
		}
	}
	var cells []matrixCell
	for _, k := range strings.Split(f.kinds, ",") {
		if !slices.Contains(matrixConditions(), k) {
			return nil, usagef("--kinds %q: want some of %s", k, strings.Join(matrixConditions(), ", "))
		}
		for _, c := range chips {
			cells = append(cells, matrixCell{cond: k, chip: c})
		}
	}
	return cells, nil
}

// swapTimeout bounds pcscd's noticing a card leave or come.
const swapTimeout = 10 * time.Second

// matrixBed is the one reader of the matrix, whose card each cell swaps.
type matrixBed struct {
	bed    *testbed.Bed
	served vpcd.Card
	pull   *puller
	style  contactless.Style // of the reader of a contactless chip's cell
}

func startMatrixBed(style contactless.Style, log logrus.FieldLogger) (*matrixBed, error) {
	card, err := testbed.NewCard(emulator.KindNormal)
	if err != nil {
		return nil, err
	}
	mb := &matrixBed{style: style}
	mb.pull = &puller{left: -1, pull: func() { mb.bed.Do(control.Request{Op: "remove"}) }}
	// The first card is of a contact chip, so c is the served card
	// itself; each cell puts it behind the reader its chip needs.
	wrap := func(c vpcd.Card) vpcd.Card { mb.served, mb.pull.front = c, c; return mb.pull }
	mb.bed, err = testbed.Start(testbed.Options{Cards: []testbed.Card{{Name: "matrix", Card: card, Wrap: wrap}}, Log: log})
	return mb, err
}

// load puts st in the reader: the card leaves, pcscd sees the reader
// empty, the card becomes st and comes back, and pcscd reads its ATR.
func (mb *matrixBed) load(st *emulator.State) error {
	ctx, cancel := context.WithTimeout(context.Background(), swapTimeout)
	defer cancel()
	readers := mb.bed.Readers()
	if _, err := mb.bed.Do(control.Request{Op: "remove"}); err != nil {
		return err
	}
	if err := pcscd.WaitAbsent(ctx, readers); err != nil {
		return err
	}
	err := mb.bed.Cards[0].Card.Issue(func(s *emulator.State) error { *s = *st; return nil })
	if err != nil {
		return err
	}
	mb.pull.setFront(profile.Present(st, mb.served, mb.style))
	for _, r := range []control.Request{{Op: "hostile"}, {Op: "insert"}} {
		if _, err := mb.bed.Do(r); err != nil {
			return err
		}
	}
	return pcscd.WaitPresent(ctx, readers)
}

func (mb *matrixBed) runCells(e *env, cells []matrixCell, argv []string, rules []expectRule, f matrixFlags, sigs <-chan os.Signal) ([]cellResult, error) {
	prog := newProgress(e.stderr)
	defer prog.done()
	// A signal ends the running cell (CMD gets it) and the matrix.
	var stopped atomic.Pointer[os.Signal]
	childSigs := make(chan os.Signal, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case sig := <-sigs:
			stopped.Store(&sig)
			childSigs <- sig
		case <-stop:
		}
	}()
	var results []cellResult
	for i, c := range cells {
		if sig := stopped.Load(); sig != nil {
			return results, fmt.Errorf("stopped by %v after %d of %d cells", *sig, i, len(cells))
		}
		prog.show("matrix: cell %d/%d %s", i+1, len(cells), c.name())
		st, err := c.state()
		if err == nil {
			err = mb.load(st)
		}
		if err != nil {
			return results, fmt.Errorf("cell %s: %w", c.name(), err)
		}
		r, err := mb.runCell(c, argv, f, childSigs)
		if err != nil {
			return results, err
		}
		for _, rule := range rules {
			if rule.matches(r.Cell) {
				r.Checked = true
				r.Failures = append(r.Failures, rule.check(r.Exit, r.output)...)
			}
		}
		results = append(results, r.cellResult)
	}
	return results, nil
}

// cellRun is a cell's result with its whole output, for the rules.
type cellRun struct {
	cellResult
	output string
}

// tailLines is how many last lines of a cell's output reports keep.
const tailLines = 20

func (mb *matrixBed) runCell(c matrixCell, argv []string, f matrixFlags, sigs <-chan os.Signal) (cellRun, error) {
	if c.cond == statePulled {
		if f.pull.delay > 0 {
			t := time.AfterFunc(f.pull.delay, mb.pull.pull)
			defer t.Stop()
		} else {
			mb.pull.arm(f.pull.apdus)
		}
	}
	defer mb.pull.arm(-1)
	ch := child{argv: argv, env: append(mb.bed.Env(), "MYNACARD_CELL="+c.name()), sigs: sigs, timeout: f.timeout}
	r := cellRun{cellResult: cellResult{Cell: c.name()}}
	start := time.Now()
	var err error
	r.Exit, r.output, r.TimedOut, err = ch.runCaptured()
	r.Seconds = time.Since(start).Seconds()
	r.Tail = lastLines(r.output, tailLines)
	return r, err
}

// puller takes the card out of the reader mid-run: armed with n, it
// answers n APDUs and is removed before answering the next one.
type puller struct {
	pull func()

	mu    sync.Mutex
	front vpcd.Card // the cell's card, in its chip's reader
	left  int       // APDUs still to answer; -1 never pulls
}

func (p *puller) setFront(c vpcd.Card) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.front = c
}

func (p *puller) card() vpcd.Card {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.front
}

func (p *puller) ATR() []byte { return p.card().ATR() }
func (p *puller) Reset()      { p.card().Reset() }
func (p *puller) PowerOff()   { p.card().PowerOff() }

func (p *puller) arm(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.left = n
}

func (p *puller) Transmit(cmd []byte) []byte {
	p.mu.Lock()
	front := p.front
	fire := p.left == 0
	switch {
	case fire:
		p.left = -1
	case p.left > 0:
		p.left--
	}
	p.mu.Unlock()
	if fire {
		p.pull()
		// Never delivered: removal closed the link.
		return []byte{0x6F, 0x00}
	}
	return front.Transmit(cmd)
}

func (f *matrixFlags) report(e *env, results []cellResult) error {
	failed := 0
	for _, r := range results {
		if len(r.Failures) > 0 {
			failed++
		}
	}
	if f.junit != "" {
		if err := writeTo(e, f.junit, "--junit", func(w io.Writer) error { return matrixJUnit(w, results) }); err != nil {
			return err
		}
	}
	switch {
	case f.jsonOut:
		if err := encodeJSON(e.stdout, struct {
			Cells  []cellResult `json:"cells"`
			Failed int          `json:"failed"`
		}{results, failed}); err != nil {
			return err
		}
	case f.junit != "-":
		matrixTable(e.stdout, results)
	}
	if failed > 0 {
		fmt.Fprintf(e.stderr, "mynacard matrix: %d of %d cells broke --expect rules\n", failed, len(results))
		return errFailed
	}
	return nil
}

func matrixTable(w io.Writer, results []cellResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tEXIT\tTIME\tEXPECT\tLAST OUTPUT")
	for _, r := range results {
		exit := strconv.Itoa(r.Exit)
		if r.TimedOut {
			exit += " (timeout)"
		}
		verdict := "-"
		switch {
		case len(r.Failures) > 0:
			verdict = "FAILED"
		case r.Checked:
			verdict = "met"
		}
		last := ""
		if len(r.Tail) > 0 {
			last = oneLine(r.Tail[len(r.Tail)-1], 60)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2fs\t%s\t%s\n", r.Cell, exit, r.Seconds, verdict, last)
	}
	tw.Flush()
	for _, r := range results {
		if len(r.Failures) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", r.Cell)
		for _, f := range r.Failures {
			fmt.Fprintf(w, "  %s\n", f)
		}
		for _, l := range r.Tail[max(0, len(r.Tail)-5):] {
			fmt.Fprintf(w, "  | %s\n", l)
		}
	}
}

func matrixJUnit(w io.Writer, results []cellResult) error {
	s := junit.Suite{Name: "mynacard matrix"}
	var total time.Duration
	for _, r := range results {
		d := time.Duration(r.Seconds * float64(time.Second))
		total += d
		c := junit.Case{Name: r.Cell, Classname: "matrix", Time: junit.Seconds(d), SystemOut: strings.Join(r.Tail, "\n")}
		if len(r.Failures) > 0 {
			c.Failure = &junit.Message{Message: r.Failures[0], Body: strings.Join(r.Failures, "\n")}
		}
		s.Cases = append(s.Cases, c)
	}
	s.Time = junit.Seconds(total)
	return junit.Write(w, s)
}
