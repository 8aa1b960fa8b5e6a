package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"

	"github.com/mynacard/mynacard/fuzz"
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
	switch f.junit {
	case "":
	case "-":
		if err := writeFuzzJUnit(e.stdout, rep); err != nil {
			return err
		}
	default:
		out, err := os.Create(f.junit)
		if err != nil {
			return fmt.Errorf("--junit: %w", err)
		}
		if err := writeFuzzJUnit(out, rep); err != nil {
			out.Close()
			return fmt.Errorf("--junit %s: %w", f.junit, err)
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
	switch {
	case f.jsonOut:
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case f.junit == "-":
		return nil
	}
	_, err := fmt.Fprintf(e.stdout, "fuzz: %s on %s, seed %d: %s\n", f.target, rep.Target, f.seed, st)
	return err
}

// writeFuzzJUnit writes one test case per finding, failed, or one passing
// case for a clean run, so CI shows the run either way.
func writeFuzzJUnit(w io.Writer, rep *fuzzReport) error {
	type message struct {
		Message string `xml:"message,attr"`
		Body    string `xml:",chardata"`
	}
	type testCase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Failure   *message `xml:"failure,omitempty"`
	}
	suite := struct {
		XMLName  xml.Name   `xml:"testsuite"`
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Time     string     `xml:"time,attr"`
		Cases    []testCase `xml:"testcase"`
	}{Name: fmt.Sprintf("mynacard fuzz: %s, seed %d", rep.Target, rep.Seed), Time: fmt.Sprintf("%.3f", rep.Seconds)}
	for _, fd := range rep.Findings {
		suite.Cases = append(suite.Cases, testCase{
			Name:      fmt.Sprintf("sequence %d: %s %s", fd.Sequence, fd.Kind, fd.Rule),
			Classname: "fuzz." + fd.Kind,
			Failure:   &message{Message: firstLine(fd.Detail), Body: fd.Detail + "\nreplay: mynacard fuzz --replay " + fd.File},
		})
	}
	if len(suite.Cases) == 0 {
		suite.Cases = []testCase{{Name: fmt.Sprintf("%d sequences, %d APDUs: no finding", rep.Sequences, rep.APDUs), Classname: "fuzz"}}
	}
	suite.Tests, suite.Failures = len(suite.Cases), len(rep.Findings)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(suite); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
