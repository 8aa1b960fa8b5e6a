package conformance

import (
	"bytes"
	"fmt"
	"io"
	"text/tabwriter"
)

// DiffKind says how two targets' answers to one case differ.
type DiffKind string

const (
	DiffOutcome DiffKind = "outcome" // pass/fail/skip differ
	DiffDiverge DiffKind = "diverge" // the cases sent different commands from here on
	DiffSW      DiffKind = "sw"
	DiffData    DiffKind = "data" // same SW, different data (certificates and signatures differ between any two cards)
)

// Difference is one place where two targets answered a case differently.
type Difference struct {
	ID      string   `json:"id"`
	Kind    DiffKind `json:"kind"`
	Step    int      `json:"step,omitempty"` // 1-based position in the exchange; 0 for the outcome
	Command string   `json:"command,omitempty"`
	A       string   `json:"a"`
	B       string   `json:"b"`
}

// Diff compares two reports of the same cases, case by case and APDU by
// APDU, up to where the cases' command sequences part. Only cases that
// ran on both targets are compared (a case skipped on one side says
// nothing about the card), and data random by design is not compared.
func Diff(a, b *Report) []Difference {
	byID := map[string]Result{}
	for _, r := range b.Results {
		byID[r.ID] = r
	}
	var out []Difference
	for _, ra := range a.Results {
		rb, ok := byID[ra.ID]
		if !ok || ra.Status == Skip || rb.Status == Skip {
			continue
		}
		if ra.Status != rb.Status {
			out = append(out, Difference{ID: ra.ID, Kind: DiffOutcome, A: outcome(ra), B: outcome(rb)})
		}
		for i := range min(len(ra.Exchange), len(rb.Exchange)) {
			ea, eb := ra.Exchange[i], rb.Exchange[i]
			if !sameCommand(ea, eb) {
				out = append(out, Difference{ID: ra.ID, Kind: DiffDiverge, Step: i + 1, A: ea.Command, B: eb.Command})
				break
			}
			switch {
			case ea.SW != eb.SW:
				out = append(out, Difference{ID: ra.ID, Kind: DiffSW, Step: i + 1, Command: ea.Command, A: shortResponse(ea), B: shortResponse(eb)})
			case !ea.Random && !bytes.Equal(ea.Data, eb.Data):
				out = append(out, Difference{ID: ra.ID, Kind: DiffData, Step: i + 1, Command: ea.Command, A: shortResponse(ea), B: shortResponse(eb)})
			}
		}
	}
	return out
}

// compared counts the cases Diff compares and those it leaves out because
// they ran on one side only.
func compared(a, b *Report) (both, oneSide int) {
	byID := map[string]Status{}
	for _, r := range b.Results {
		byID[r.ID] = r.Status
	}
	for _, r := range a.Results {
		sb, ok := byID[r.ID]
		switch {
		case !ok:
		case r.Status != Skip && sb != Skip:
			both++
		case r.Status != Skip || sb != Skip:
			oneSide++
		}
	}
	return both, oneSide
}

func outcome(r Result) string {
	if r.Reason != "" {
		return fmt.Sprintf("%s (%s)", r.Status, r.Reason)
	}
	return string(r.Status)
}

// Significant reports whether a difference is more than the data every
// two cards differ in.
func (d Difference) Significant() bool { return d.Kind != DiffData }

// WriteDiff writes the differences for people.
func WriteDiff(w io.Writer, a, b *Report, diffs []Difference) error {
	fmt.Fprintf(w, "differences between A = %s and B = %s\n\n", a.Target, b.Target)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, d := range diffs {
		where := "outcome"
		if d.Step > 0 {
			where = fmt.Sprintf("step %d", d.Step)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.ID, d.Kind, where, d.Command)
		fmt.Fprintf(tw, "\t\tA\t%s\n\t\tB\t%s\n", d.A, d.B)
	}
	tw.Flush()
	sig := 0
	for _, d := range diffs {
		if d.Significant() {
			sig++
		}
	}
	both, oneSide := compared(a, b)
	_, err := fmt.Fprintf(w, "\n%d %s in %d %s run on both targets (%d in status words, outcomes or command flow; %d in data only); %d %s ran on one target only and %s not compared\n",
		len(diffs), plural(len(diffs), "difference", "differences"), both, plural(both, "case", "cases"), sig, len(diffs)-sig,
		oneSide, plural(oneSide, "case", "cases"), plural(oneSide, "was", "were"))
	return err
}
