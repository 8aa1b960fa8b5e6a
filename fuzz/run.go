package fuzz

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// Exchange is one step as it happened: the response of the target and, in
// differential mode, of the reference.
type Exchange struct {
	Step
	Resp []byte
	Ref  []byte
}

// Finding kinds.
const (
	KindViolation = "violation" // an answer broke a card.md invariant (Rule names it)
	KindCrash     = "crash"     // Transmit panicked
	KindHang      = "hang"      // no answer within the watchdog timeout
	KindTransport = "transport" // the target reported a transport error
	KindDiff      = "diff"      // target and reference answered differently
)

// Finding is one problem with the exchanges that led to it, enough to
// replay it (see WriteFinding and Replay).
type Finding struct {
	Kind      string
	Rule      string // for violations: Violation.Rule
	Detail    string
	Card      emulator.Kind // card kind the embedded target ran, for replay
	Target    string
	Seed      uint64
	Sequence  int // number of the sequence in the run
	Exchanges []Exchange
}

func (f *Finding) key() string {
	last := f.Exchanges[len(f.Exchanges)-1]
	ins := byte(0)
	if len(last.Cmd) > 1 {
		ins = last.Cmd[1]
	}
	return fmt.Sprintf("%s/%s/%02X", f.Kind, f.Rule, ins)
}

func (f *Finding) String() string {
	if f.Rule != "" {
		return fmt.Sprintf("%s %s: %s", f.Kind, f.Rule, f.Detail)
	}
	return fmt.Sprintf("%s: %s", f.Kind, f.Detail)
}

// Stats are a run's counters; Fuzzer.Run reports them as it goes.
type Stats struct {
	Sequences, APDUs int
	Findings         int // distinct findings (kind, rule, instruction)
	Elapsed          time.Duration
	insSent          [256]bool
	insKnown         [256]bool // answered with something other than 6D00/6E00
	pairs            map[[3]byte]bool
}

// Coverage returns how many instructions were sent, how many of them the
// card knew, and how many distinct (INS, SW) pairs came back.
func (s *Stats) Coverage() (sent, known, pairs int) {
	for i := range 256 {
		if s.insSent[i] {
			sent++
		}
		if s.insKnown[i] {
			known++
		}
	}
	return sent, known, len(s.pairs)
}

func (s *Stats) String() string {
	sent, known, pairs := s.Coverage()
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.APDUs) / s.Elapsed.Seconds()
	}
	return fmt.Sprintf("%d sequences, %d APDUs (%.0f execs/s), %d findings, INS %d known of %d sent, %d INS/SW pairs",
		s.Sequences, s.APDUs, rate, s.Findings, known, sent, pairs)
}

func (s *Stats) record(cmd, resp []byte) {
	if len(cmd) < 2 || len(resp) < 2 {
		return
	}
	ins := cmd[1]
	s.insSent[ins] = true
	sw := apdu.SW(uint16(resp[len(resp)-2])<<8 | uint16(resp[len(resp)-1]))
	// Only a plain class reaches the instruction decoder; other classes
	// are refused before the card looks at INS.
	if (cmd[0] == 0x00 || cmd[0] == 0x80) && sw != apdu.SWINSNotSupported && sw != apdu.SWCLANotSupported {
		s.insKnown[ins] = true
	}
	if s.pairs == nil {
		s.pairs = map[[3]byte]bool{}
	}
	s.pairs[[3]byte{ins, sw.SW1(), sw.SW2()}] = true
}

// Fuzzer sends generated sequences to a target, checks every answer with
// an Oracle and reports findings.
type Fuzzer struct {
	Target Target
	// Reference, if set, gets the same sequences (differential mode); a
	// status word that differs from the target's is a finding.
	Reference Target
	Gen       *Generator
	// Known gives the retry counters at the start of every sequence, when
	// the target restores its state before each (embedded); nil otherwise.
	Known map[emulator.FileRef]int
	// Card is the kind of card the target holds, written into findings.
	Card emulator.Kind
	Seed uint64
	// Timeout is the per-APDU watchdog; a target that does not answer in
	// time is a "hang" finding and ends the run.
	Timeout time.Duration
	// Progress, if set, gets a status line every ProgressEvery.
	Progress      io.Writer
	ProgressEvery time.Duration
	// Found is called once per distinct finding; an error stops the run.
	Found func(*Finding) error
}

// errHung ends a run: the target may still be inside Transmit.
var errHung = errors.New("fuzz: target hung")

// Run sends count sequences (or runs until ctx ends when count is 0).
func (f *Fuzzer) Run(ctx context.Context, count int) (Stats, error) {
	var st Stats
	start := time.Now()
	lastProgress := start
	seen := map[string]bool{}
	for n := 0; count == 0 || n < count; n++ {
		if ctx.Err() != nil {
			break
		}
		_, fd, err := f.sequence(f.Gen.Sequence(), &st)
		st.Sequences++
		if fd != nil {
			fd.Card, fd.Target, fd.Seed, fd.Sequence = f.Card, f.Target.Name(), f.Seed, n
			if k := fd.key(); !seen[k] {
				seen[k] = true
				st.Findings++
				if f.Found != nil {
					if ferr := f.Found(fd); ferr != nil {
						return st, ferr
					}
				}
			}
		}
		st.Elapsed = time.Since(start)
		if err != nil {
			return st, err
		}
		if f.Progress != nil && time.Since(lastProgress) >= f.ProgressEvery {
			lastProgress = time.Now()
			fmt.Fprintf(f.Progress, "fuzz: %s\n", &st)
		}
	}
	st.Elapsed = time.Since(start)
	return st, nil
}

// Target is a card the fuzzer talks to. conformance.Target satisfies it, so
// the suite's embedded and PC/SC targets serve the fuzzer too.
type Target interface {
	// Name identifies the target in findings, e.g. "embedded:normal".
	Name() string
	// Transmit sends one command APDU and returns the response APDU; an
	// error means the transport failed, not the card.
	Transmit(cmd []byte) ([]byte, error)
	// Reset warm-resets the card.
	Reset() error
}

// Restorer is a Target that can go back to the state it started with (an
// emulated card); the fuzzer then starts every sequence from that state.
type Restorer interface {
	Restore() error
}

// restart gives a target the state it started with when it can, else
// warm-resets it.
func restart(t Target) error {
	if r, ok := t.(Restorer); ok {
		return r.Restore()
	}
	return t.Reset()
}

// sequence runs one sequence and returns the exchanges made, up to and
// including the first finding; a non-nil error means the run cannot go on.
func (f *Fuzzer) sequence(steps []Step, st *Stats) ([]Exchange, *Finding, error) {
	if err := restart(f.Target); err != nil {
		return nil, nil, fmt.Errorf("fuzz: restarting %s: %w", f.Target.Name(), err)
	}
	if f.Reference != nil {
		if err := restart(f.Reference); err != nil {
			return nil, nil, fmt.Errorf("fuzz: restarting reference %s: %w", f.Reference.Name(), err)
		}
	}
	o := NewOracle(f.Known)
	done := make([]Exchange, 0, len(steps))
	found := func(kind, rule, detail string) ([]Exchange, *Finding, error) {
		return done, &Finding{Kind: kind, Rule: rule, Detail: detail, Exchanges: done}, nil
	}
	for _, s := range steps {
		ex := Exchange{Step: s}
		if s.Reset {
			done = append(done, ex)
			o.Reset()
			if err := f.Target.Reset(); err != nil {
				return found(KindTransport, "", "reset: "+err.Error())
			}
			if f.Reference != nil {
				if err := f.Reference.Reset(); err != nil {
					return done, nil, fmt.Errorf("fuzz: reset of reference %s: %w", f.Reference.Name(), err)
				}
			}
			continue
		}
		resp, err := Transmit(f.Target, s.Cmd, f.Timeout)
		st.APDUs++
		ex.Resp = resp
		done = append(done, ex)
		var crash *CrashError
		switch {
		case errors.Is(err, ErrTimeout):
			ex, fd, _ := found(KindHang, "", fmt.Sprintf("no answer to %X within %v", s.Cmd, f.Timeout))
			return ex, fd, errHung
		case errors.As(err, &crash):
			return found(KindCrash, "", crash.Error())
		case err != nil:
			return found(KindTransport, "", fmt.Sprintf("%X: %v", s.Cmd, err))
		}
		st.record(s.Cmd, resp)
		if err := o.Check(s.Cmd, resp); err != nil {
			var v *Violation
			errors.As(err, &v)
			return found(KindViolation, v.Rule, v.Detail)
		}
		if f.Reference != nil {
			ref, err := Transmit(f.Reference, s.Cmd, f.Timeout)
			if err != nil {
				return done, nil, fmt.Errorf("fuzz: reference %s: %w", f.Reference.Name(), err)
			}
			done[len(done)-1].Ref = ref
			if !sameSW(resp, ref) {
				return found(KindDiff, "", fmt.Sprintf("%X: %s answered %X, %s answered %X", s.Cmd, f.Target.Name(), resp, f.Reference.Name(), ref))
			}
		}
	}
	return done, nil, nil
}

func sameSW(a, b []byte) bool {
	return len(a) >= 2 && len(b) >= 2 && a[len(a)-2] == b[len(b)-2] && a[len(a)-1] == b[len(b)-1]
}

// ErrTimeout is returned by Transmit when the watchdog fires.
var ErrTimeout = errors.New("fuzz: no answer before the watchdog timeout")

// CrashError is a panic inside a target's Transmit.
type CrashError struct {
	Value any
	Stack []byte
}

func (e *CrashError) Error() string { return fmt.Sprintf("panic: %v\n%s", e.Value, e.Stack) }

// Transmit sends cmd to t under a watchdog: after timeout it returns
// ErrTimeout and leaves the call running (the target is then unusable). A
// panic in t comes back as a *CrashError. timeout 0 means no watchdog.
func Transmit(t Target, cmd []byte, timeout time.Duration) (resp []byte, err error) {
	if timeout <= 0 {
		return transmitCatching(t, cmd)
	}
	type result struct {
		resp []byte
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		r, err := transmitCatching(t, cmd)
		ch <- result{r, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-ch:
		return r.resp, r.err
	case <-timer.C:
		return nil, ErrTimeout
	}
}

// transmitCatching is t.Transmit with a panic returned as a *CrashError.
func transmitCatching(t Target, cmd []byte) (resp []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &CrashError{Value: r, Stack: debug.Stack()}
		}
	}()
	return t.Transmit(cmd)
}
