package conformance

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynacard/mynacard/internal/columns"
)

// TestWriteSpentAligns checks that the text after a key's name starts at
// the same terminal column whether the name is Japanese or ASCII.
func TestWriteSpentAligns(t *testing.T) {
	for _, c := range []struct {
		name  string
		spent []KeySpend
	}{
		{"Japanese then ASCII", []KeySpend{
			{Key: "text/0012", Name: "text 照合番号A", WrongTries: 10, Before: 10, After: 0, Blocked: true},
			{Key: "jpki/0018", Name: "auth PIN", WrongTries: 1, Before: 3, After: 2},
		}},
		{"ASCII then Japanese", []KeySpend{
			{Key: "common/001C", Name: "common PIN", WrongTries: 2, Before: 3, After: 1},
			{Key: "juki/001C", Name: "住基 PIN", WrongTries: 3, Before: 3, After: 0, Blocked: true},
			{Key: "vis/0015", Name: "visual 照合番号B", Before: -1, After: 10},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			writeSpent(&b, c.spent)
			lines := strings.Split(strings.TrimSpace(b.String()), "\n")[1:]
			var starts []int
			for i, l := range lines {
				at := strings.Index(l, c.spent[i].Name) + len(c.spent[i].Name)
				rest := strings.TrimLeft(l[at:], " ")
				starts = append(starts, columns.Width(l[:len(l)-len(rest)]))
			}
			want := make([]int, len(starts))
			for i := range want {
				want[i] = starts[0]
			}
			if diff := cmp.Diff(want, starts); diff != "" {
				t.Errorf("the column after the names starts at different columns (-want +got):\n%s\n%s", diff, b.String())
			}
		})
	}
}
