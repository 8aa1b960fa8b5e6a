//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
)

const expectHelp = `
An --expect FILE holds one rule per line ('#' starts a comment):
  CELL [exit=N | exit=nonzero] [output=/REGEXP/]
CELL is a cell name or a glob over them (path.Match: *, ?, [...]), e.g.
  *                 exit=0
  pin-blocked@*     exit=nonzero output=/6983|blocked/
  pulled@jpki-02    output=/removed/
Every rule whose CELL matches a cell applies to it; a rule that matches no
cell is an error, so a misspelt cell is not silently ignored. REGEXP (Go
syntax, to the line's last '/') is searched in the cell's whole output,
stdout and stderr together. A cell no rule matches passes whatever it does.
`

// expectRule is one line of an --expect file.
type expectRule struct {
	line int
	glob string
	// exit is the status wanted; nonzero wants any but 0; neither set
	// leaves the status free.
	exit    *int
	nonzero bool
	output  *regexp.Regexp
}

// parseExpect reads an --expect file.
func parseExpect(r io.Reader) ([]expectRule, error) {
	var rules []expectRule
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rule, err := parseExpectLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		rule.line = n
		rules = append(rules, rule)
	}
	return rules, sc.Err()
}

func parseExpectLine(line string) (expectRule, error) {
	glob, rest, _ := strings.Cut(line, " ")
	rule := expectRule{glob: glob}
	if _, err := path.Match(glob, ""); err != nil {
		return rule, fmt.Errorf("cell pattern %q: %v", glob, err)
	}
	for rest = strings.TrimSpace(rest); rest != ""; rest = strings.TrimSpace(rest) {
		switch {
		case strings.HasPrefix(rest, "exit="):
			var v string
			v, rest, _ = strings.Cut(rest[len("exit="):], " ")
			if v == "nonzero" {
				rule.nonzero = true
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 255 {
				return rule, fmt.Errorf("exit=%s: want a status 0-255 or nonzero", v)
			}
			rule.exit = &n
		case strings.HasPrefix(rest, "output=/"):
			body := rest[len("output=/"):]
			end := strings.LastIndex(body, "/")
			if end < 0 {
				return rule, fmt.Errorf("output=/%s: the pattern must end with /", body)
			}
			re, err := regexp.Compile(body[:end])
			if err != nil {
				return rule, fmt.Errorf("output pattern: %v", err)
			}
			rule.output, rest = re, body[end+1:]
		default:
			return rule, fmt.Errorf("%q: want exit=N, exit=nonzero or output=/REGEXP/ after the cell", rest)
		}
	}
	if rule.exit == nil && !rule.nonzero && rule.output == nil {
		return rule, fmt.Errorf("cell %s: no expectation; add exit=N or output=/REGEXP/", glob)
	}
	return rule, nil
}

func (r expectRule) matches(cell string) bool {
	ok, _ := path.Match(r.glob, cell)
	return ok
}

// check returns how a cell's result breaks the rule, "" if it does not.
func (r expectRule) check(exit int, output string) []string {
	var bad []string
	switch {
	case r.exit != nil && exit != *r.exit:
		bad = append(bad, fmt.Sprintf("exit status %d, want %d (--expect line %d)", exit, *r.exit, r.line))
	case r.nonzero && exit == 0:
		bad = append(bad, fmt.Sprintf("exit status 0, want non-zero (--expect line %d)", r.line))
	}
	if r.output != nil && !r.output.MatchString(output) {
		bad = append(bad, fmt.Sprintf("output does not match /%s/ (--expect line %d)", r.output, r.line))
	}
	return bad
}

// unmatchedRule returns an error for the first rule no cell matches.
func unmatchedRule(rules []expectRule, cells []matrixCell) error {
	for _, r := range rules {
		hit := false
		for _, c := range cells {
			hit = hit || r.matches(c.name())
		}
		if !hit {
			return fmt.Errorf("--expect line %d: %q matches no cell of this matrix", r.line, r.glob)
		}
	}
	return nil
}
