// Package columns aligns text in columns as a terminal shows it, where an
// East Asian Wide or Fullwidth character (照合番号A, 住基) takes two
// columns; text/tabwriter and fmt's %-Ns count it as one.
package columns

import (
	"io"
	"strings"

	"golang.org/x/text/width"
)

// Width is the number of terminal columns s takes.
func Width(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// Write writes rows with every cell but the last of a row padded to its
// column's widest cell, and gap spaces between columns.
func Write(w io.Writer, rows [][]string, gap int) error {
	var widths []int
	for _, r := range rows {
		for i, cell := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], Width(cell))
		}
	}
	var sb strings.Builder
	for _, r := range rows {
		for i, cell := range r {
			sb.WriteString(cell)
			if i < len(r)-1 {
				sb.WriteString(strings.Repeat(" ", widths[i]-Width(cell)+gap))
			}
		}
		sb.WriteByte('\n')
	}
	_, err := io.WriteString(w, sb.String())
	return err
}
