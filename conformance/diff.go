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
	Step    int      `json:"step"` // index in the exchange; -1 for the outcome
	Command string   `json:"command,omitempty"`
	A       string   `json:"a"`
	B       string   `json:"b"`
}

// Diff compares two reports of the same cases, case by case and APDU by
// APDU, up to where the cases' command sequences part.
func Diff(a, b *Report) []Difference {
	byID := map[string]Result{}
	for _, r := range b.Results {
		byID[r.ID] = r
	}
	var out []Difference
	for _, ra := range a.Results {
		rb, ok := byID[ra.ID]
		if !ok {
			continue
		}
		if ra.Status != rb.Status {
			out = append(out, Difference{ID: ra.ID, Kind: DiffOutcome, Step: -1, A: outcome(ra), B: outcome(rb)})
		}
		for i := range min(len(ra.Exchange), len(rb.Exchange)) {
			ea, eb := ra.Exchange[i], rb.Exchange[i]
			if ea.Command != eb.Command {
				out = append(out, Difference{ID: ra.ID, Kind: DiffDiverge, Step: i, A: ea.Command, B: eb.Command})
				break
			}
			switch {
			case ea.SW != eb.SW:
				out = append(out, Difference{ID: ra.ID, Kind: DiffSW, Step: i, Command: ea.Command, A: shortResponse(ea), B: shortResponse(eb)})
			case !bytes.Equal(ea.Data, eb.Data):
				out = append(out, Difference{ID: ra.ID, Kind: DiffData, Step: i, Command: ea.Command, A: shortResponse(ea), B: shortResponse(eb)})
			}
		}
	}
	return out
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
		fmt.Fprintf(tw, "%s\t%s\tstep %d\t%s\n", d.ID, d.Kind, d.Step, d.Command)
		fmt.Fprintf(tw, "\t\tA\t%s\n\t\tB\t%s\n", d.A, d.B)
	}
	tw.Flush()
	sig := 0
	for _, d := range diffs {
		if d.Significant() {
			sig++
		}
	}
	_, err := fmt.Fprintf(w, "\n%d differences (%d in status words, outcomes or command flow; %d in data only)\n", len(diffs), sig, len(diffs)-sig)
	return err
}
