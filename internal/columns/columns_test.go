package columns

import "testing"

func TestWidth(t *testing.T) {
	for _, c := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{"auth PIN", 8},
		{"照合番号A", 9},
		{"住基 PIN", 8},
		{"ＡＢ", 4},  // fullwidth Latin
		{"ｶﾅ", 2},  // halfwidth katakana
		{"→ é", 3}, // ambiguous and neutral runes take one column
		{"　", 2},   // ideographic space
	} {
		if got := Width(c.s); got != c.want {
			t.Errorf("Width(%q) = %d, want %d", c.s, got, c.want)
		}
	}
}
