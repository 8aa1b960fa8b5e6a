package main

import (
	"fmt"
	"io"

	"github.com/mynacard/mynacard/fuzz"
	"github.com/mynacard/mynacard/internal/junit"
)

// fuzzReport is a fuzz run as --json writes it.
type fuzzReport struct {
	Tool      string              `json:"tool"`
	Revision  string              `json:"revision,omitempty"`
	Target    string              `json:"target"`
	Seed      uint64              `json:"seed"`
	Sequences int                 `json:"sequences"`
	APDUs     int                 `json:"apdus"`
	Seconds   float64             `json:"seconds"`
	Findings  []fuzzReportFinding `json:"findings"`
}

type fuzzReportFinding struct {
	Kind     string `json:"kind"`
	Rule     string `json:"rule,omitempty"`
	Detail   string `json:"detail"`
	Sequence int    `json:"sequence"`
	File     string `json:"file"`
}

func (r *fuzzReport) add(fd *fuzz.Finding, file string) {
	r.Findings = append(r.Findings, fuzzReportFinding{Kind: fd.Kind, Rule: fd.Rule, Detail: fd.Detail, Sequence: fd.Sequence, File: file})
}

func (r *fuzzReport) setStats(st *fuzz.Stats) {
	r.Tool, r.Revision = version(), buildRevision()
	r.Sequences, r.APDUs, r.Seconds = st.Sequences, st.APDUs, st.Elapsed.Seconds()
}

// writeReport writes the run's outcome: the summary line, or JSON, and
// the JUnit file if asked for.
func (f *fuzzFlags) writeReport(e *env, rep *fuzzReport, st *fuzz.Stats) error {
	if f.junit != "" {
		if err := writeTo(e, f.junit, "--junit", func(w io.Writer) error { return writeFuzzJUnit(w, rep) }); err != nil {
			return err
		}
	}
	switch {
	case f.jsonOut:
		return encodeJSON(e.stdout, rep)
	case f.junit == "-":
		return nil
	}
	_, err := fmt.Fprintf(e.stdout, "fuzz: %s on %s, seed %d: %s\n", f.target, rep.Target, f.seed, st)
	return err
}

// writeFuzzJUnit writes one test case per finding, failed, or one passing
// case for a clean run, so CI shows the run either way.
func writeFuzzJUnit(w io.Writer, rep *fuzzReport) error {
	s := junit.Suite{Name: fmt.Sprintf("mynacard fuzz: %s, seed %d", rep.Target, rep.Seed), Time: fmt.Sprintf("%.3f", rep.Seconds)}
	for _, fd := range rep.Findings {
		s.Cases = append(s.Cases, junit.Case{
			Name:      fmt.Sprintf("sequence %d: %s %s", fd.Sequence, fd.Kind, fd.Rule),
			Classname: "fuzz." + fd.Kind,
			Time:      "0.000",
			Failure:   &junit.Message{Message: firstLine(fd.Detail), Body: fd.Detail + "\nreplay: mynacard fuzz --replay " + fd.File},
		})
	}
	if len(s.Cases) == 0 {
		s.Cases = []junit.Case{{Name: fmt.Sprintf("%d sequences, %d APDUs: no finding", rep.Sequences, rep.APDUs), Classname: "fuzz", Time: s.Time}}
	}
	return junit.Write(w, s)
}
