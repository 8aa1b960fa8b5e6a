package conformance

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mynacard/mynacard/emulator"
)

// Options choose which cases may run.
type Options struct {
	// AllowSpend lets spends-a-try cases run on a real card.
	AllowSpend bool
	// AllowDestructive lets destructive cases run on a real card, and then
	// only when its reader was chosen by name.
	AllowDestructive bool
	// AllowUnrecoverable lets destructive cases on a real card exhaust the
	// keys that are not PINs (照合番号A/B, the birth-date key), which no
	// holder operation resets.
	AllowUnrecoverable bool
	// Only keeps the cases whose ID starts with one of these prefixes.
	Only []string
	// Now is the time certificates are checked against; nil means time.Now.
	Now func() time.Time
}

// Status is a case's outcome.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is one case's outcome and the exchange that led to it.
type Result struct {
	ID       string        `json:"id"`
	Title    string        `json:"title"`
	Spec     string        `json:"card_md"`
	Class    Class         `json:"class"`
	Status   Status        `json:"status"`
	Reason   string        `json:"reason,omitempty"`   // why it was skipped
	Failures []string      `json:"failures,omitempty"` // what went wrong, expected vs got
	Exchange []Exchange    `json:"exchange,omitempty"` // kept for failures and for diffs
	Duration time.Duration `json:"duration_ns"`
}

// Report is the outcome of one run on one target.
type Report struct {
	Target       string        `json:"target"`
	Kind         emulator.Kind `json:"kind"`          // the kind the cases assumed
	DetectedKind emulator.Kind `json:"detected_kind"` // the kind read off the card
	Results      []Result      `json:"results"`
	// Spent is what the run cost the card, per key that anything happened to.
	Spent []KeySpend `json:"spent"`
	// Summary counts the outcomes; the JSON form fills it in.
	Summary *Summary `json:"summary,omitempty"`
	// Tool and Revision name the program that ran the suite, when its
	// caller knows them.
	Tool     string `json:"tool,omitempty"`
	Revision string `json:"revision,omitempty"`
}

// Summary counts a report's outcomes.
type Summary struct {
	Cases   int `json:"cases"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

// Failed reports whether any case failed.
func (r *Report) Failed() bool {
	return slices.ContainsFunc(r.Results, func(x Result) bool { return x.Status == Fail })
}

// Counts returns how many cases passed, failed and were skipped.
func (r *Report) Counts() (pass, fail, skip int) {
	for _, x := range r.Results {
		switch x.Status {
		case Pass:
			pass++
		case Fail:
			fail++
		default:
			skip++
		}
	}
	return
}

// Run runs the catalogue on tgt with what prof says of the card. When
// prof.Kind is empty the kind read off the card is used.
func Run(tgt Target, prof Profile, opts Options) (*Report, error) {
	return RunCases(Catalogue(), tgt, prof, opts)
}

// RunCases runs the given cases in order.
func RunCases(cases []Case, tgt Target, prof Profile, opts Options) (*Report, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &runner{tgt: tgt, caps: tgt.Caps(), prof: prof, opts: opts, memo: newSecretMemo(), given: prof.Kind}
	detect := r.run(&Case{ID: "detect", Run: func(t *T) { r.detected = detectKind(t) }})
	if detect.Status != Pass {
		return nil, fmt.Errorf("conformance: reading the card kind from %s: %s%s", tgt.Name(), detect.Reason, strings.Join(detect.Failures, "; "))
	}
	if r.prof.Kind == "" {
		r.prof.Kind = r.detected
	}
	rep := &Report{Target: tgt.Name(), Kind: r.prof.Kind, DetectedKind: r.detected}
	before := r.readCounters()
	for _, c := range runOrder(cases) {
		if len(opts.Only) > 0 && !slices.ContainsFunc(opts.Only, func(p string) bool { return strings.HasPrefix(c.ID, p) }) {
			continue
		}
		res := Result{ID: c.ID, Title: c.Title, Spec: c.Spec, Class: c.Class}
		if why := r.refuse(c); why != "" {
			res.Status, res.Reason = Skip, why
		} else {
			ran := r.run(c)
			res.Status, res.Reason, res.Failures, res.Exchange, res.Duration = ran.Status, ran.Reason, ran.Failures, ran.Exchange, ran.Duration
			if c.Class != ReadOnly && r.caps.Issuer != nil {
				if err := r.caps.Issuer.Restore(); err != nil {
					return rep, fmt.Errorf("conformance: restoring %s after %s: %w", tgt.Name(), c.ID, err)
				}
			}
		}
		rep.Results = append(rep.Results, res)
	}
	rep.Spent = r.spent(before, r.readCounters())
	return rep, nil
}

// runOrder puts the cases that exhaust a key after all others, keeping
// the catalogue order otherwise: no case may find a key blocked by an
// earlier one.
func runOrder(cases []Case) []*Case {
	out := make([]*Case, 0, len(cases))
	for _, last := range []bool{false, true} {
		for i := range cases {
			if (len(cases[i].Exhausts) > 0) == last {
				out = append(out, &cases[i])
			}
		}
	}
	return out
}

type runner struct {
	tgt      Target
	caps     Caps
	prof     Profile
	opts     Options
	memo     *secretMemo
	given    emulator.Kind // the kind the caller stated, "" if none
	detected emulator.Kind
}

// refuse says why c must not run here, or "" if it may.
func (r *runner) refuse(c *Case) string {
	switch {
	case !c.appliesTo(r.prof.Kind):
		return fmt.Sprintf("applies to %s cards; this one is %s", joinKinds(c.Kinds, ", "), r.prof.Kind)
	case c.Issuer && r.caps.Issuer == nil:
		return "needs issuer operations, which " + r.tgt.Name() + " lacks"
	case r.caps.Real && c.Class == SpendsTry && !r.opts.AllowSpend:
		return "spends a PIN try; on a real card run with --allow-spend"
	case r.caps.Real && c.Class == Destructive && !(r.opts.AllowDestructive && r.caps.ReaderNamed):
		return "destructive; on a real card run with --allow-destructive and --reader naming the reader"
	case r.caps.Real && !r.opts.AllowUnrecoverable && slices.ContainsFunc(c.Exhausts, unrecoverable):
		return "would block a key that is not a PIN, which its holder cannot get reset; run with --allow-unrecoverable to spend it"
	}
	var missing []string
	for _, ref := range c.Needs {
		if !r.prof.has(ref) {
			missing = append(missing, ref.String())
		}
	}
	if missing != nil {
		return "needs the secret of " + strings.Join(missing, ", ") + ", which was not given"
	}
	return ""
}

// run resets the card and runs one case, turning its end (normal, Fatalf,
// Skipf or a panic) into a Result.
func (r *runner) run(c *Case) (res Result) {
	prof := r.prof
	t := &T{tgt: r.tgt, caps: r.caps, prof: &prof, memo: r.memo, class: c.Class, givenKind: r.given, now: r.opts.Now}
	start := time.Now()
	defer func() {
		res.Duration = time.Since(start)
		if p := recover(); p != nil {
			if _, ok := p.(stop); !ok {
				t.errs = append(t.errs, fmt.Sprintf("panic: %v", p))
			}
		}
		switch {
		case len(t.errs) > 0:
			res.Status, res.Failures = Fail, t.errs
		case t.skipped != "":
			res.Status, res.Reason = Skip, t.skipped
		default:
			res.Status = Pass
		}
		res.Exchange = t.log
	}()
	t.Reset()
	c.Run(t)
	return res
}
