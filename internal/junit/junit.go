// Package junit writes JUnit XML reports, the test-result format CI
// systems read: one test suite of test cases, each passed, failed or
// skipped.
package junit

import (
	"encoding/xml"
	"fmt"
	"io"
	"time"
)

// Suite is one <testsuite>. Write fills in its counts and total time.
type Suite struct {
	XMLName  xml.Name `xml:"testsuite"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Time     string   `xml:"time,attr"`
	Cases    []Case   `xml:"testcase"`
}

// Case is one <testcase>; a nil Failure and Skipped means it passed.
type Case struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *Message `xml:"failure,omitempty"`
	Skipped   *Message `xml:"skipped,omitempty"`
	// SystemOut is what the test printed, such as a program's last lines.
	SystemOut string `xml:"system-out,omitempty"`
}

// Message is a failure's or a skip's reason, with details as its body.
type Message struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

// Seconds formats d as JUnit's time attributes want it.
func Seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// Write counts s's cases and writes s as an XML document.
func Write(w io.Writer, s Suite) error {
	s.Tests, s.Failures, s.Skipped = len(s.Cases), 0, 0
	for _, c := range s.Cases {
		switch {
		case c.Failure != nil:
			s.Failures++
		case c.Skipped != nil:
			s.Skipped++
		}
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
