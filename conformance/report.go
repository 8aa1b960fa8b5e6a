package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mynacard/mynacard/internal/junit"
)

// shownBytes is how much response data a people-facing report shows per
// exchange; JSON and JUnit keep everything.
const shownBytes = 32

// shortResponse renders an exchange's answer for people.
func shortResponse(e Exchange) string {
	if len(e.Data) <= shownBytes {
		return e.Response
	}
	return fmt.Sprintf("%s … (%d bytes) %04X", spacedHex(e.Data[:shownBytes]), len(e.Data), uint16(e.SW))
}

// formatFailure renders a failed result's messages and its exchange.
func formatFailure(r Result, full bool) string {
	var b strings.Builder
	for _, f := range r.Failures {
		b.WriteString("    " + strings.ReplaceAll(f, "\n", "\n    ") + "\n")
	}
	b.WriteString("    exchange:\n")
	for _, e := range r.Exchange {
		b.WriteString("      > " + e.Command + "\n")
		switch {
		case e.Response == "":
		case full:
			b.WriteString("      < " + e.Response + "\n")
		default:
			b.WriteString("      < " + shortResponse(e) + "\n")
		}
	}
	return b.String()
}

// WriteTable writes the report for people: one line per case, then the
// details of each failure (expected vs got and the APDU exchange), then a
// summary.
func WriteTable(w io.Writer, rep *Report) error {
	fmt.Fprintf(w, "target %s, card kind %s (read off the card: %s)\n\n", rep.Target, rep.Kind, rep.DetectedKind)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rep.Results {
		note := r.Title
		if r.Status == Skip {
			note += " — " + r.Reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", strings.ToUpper(string(r.Status)), r.ID, r.Class, note)
	}
	tw.Flush()
	for _, r := range rep.Results {
		if r.Status == Fail {
			fmt.Fprintf(w, "\nFAIL %s: %s (card.md %s)\n%s", r.ID, r.Title, r.Spec, formatFailure(r, false))
		}
	}
	writeSpent(w, rep.Spent)
	pass, fail, skip := rep.Counts()
	_, err := fmt.Fprintf(w, "\n%d passed, %d failed, %d skipped\n", pass, fail, skip)
	return err
}

// WriteCatalogue lists the cases: ID, class, kinds, needs, card.md sections and title.
func WriteCatalogue(w io.Writer, cases []Case) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCLASS\tKINDS\tNEEDS\tCARD.MD\tTITLE")
	for _, c := range cases {
		kinds := "all"
		if c.Kinds != nil {
			kinds = joinKinds(c.Kinds, ",")
		}
		var needs []string
		for _, n := range c.Needs {
			needs = append(needs, n.String())
		}
		if c.Issuer {
			needs = append(needs, "issuer")
		}
		if needs == nil {
			needs = []string{"-"}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Class, kinds, strings.Join(needs, ","), c.Spec, c.Title)
	}
	return tw.Flush()
}

// Trimmed returns the report as the JSON form shows it: a copy with its
// summary, in which only failed cases keep their exchange.
func (rep *Report) Trimmed() *Report {
	out := *rep
	pass, fail, skip := rep.Counts()
	out.Summary = &Summary{Cases: len(rep.Results), Passed: pass, Failed: fail, Skipped: skip}
	out.Results = make([]Result, len(rep.Results))
	for i, r := range rep.Results {
		if r.Status != Fail {
			r.Exchange = nil
		}
		out.Results[i] = r
	}
	return &out
}

// WriteJSON writes the report as one indented JSON object. Passing and
// skipped cases are listed without their exchange.
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep.Trimmed())
}

// WriteJUnit writes the report as a JUnit XML test suite, one test case
// per conformance case, classname = the case's area (JPKI, TEXT, …).
func WriteJUnit(w io.Writer, rep *Report) error {
	var total time.Duration
	s := junit.Suite{Name: "mynacard conformance: " + rep.Target}
	for _, r := range rep.Results {
		area, _, _ := strings.Cut(r.ID, "-")
		c := junit.Case{Name: r.ID + " " + r.Title, Classname: "conformance." + area, Time: junit.Seconds(r.Duration)}
		total += r.Duration
		switch r.Status {
		case Fail:
			c.Failure = &junit.Message{Message: r.Failures[0], Body: "card.md " + r.Spec + "\n" + formatFailure(r, true)}
		case Skip:
			c.Skipped = &junit.Message{Message: r.Reason}
		}
		s.Cases = append(s.Cases, c)
	}
	s.Time = junit.Seconds(total)
	return junit.Write(w, s)
}
