package emulator

import (
	"fmt"
	"slices"
	"strings"
)

// choice is the text of a setting whose values are 1, 2, …: names[v-1] is
// value v's text in a card file, and 0 means unset.
type choice[T ~uint8] struct {
	field string
	names []string
}

func (c choice[T]) String(v T) string {
	if v == 0 || int(v) > len(c.names) {
		return fmt.Sprintf("%s(%d)", c.field, uint8(v))
	}
	return c.names[v-1]
}

func (c choice[T]) validate(v T) error {
	if v == 0 || int(v) > len(c.names) {
		return fmt.Errorf("%s %s: want %s", c.field, c.quoted(v), c.want())
	}
	return nil
}

// validateOptional is validate for a choice added after card files
// existed, whose unset value stands for its first name.
func (c choice[T]) validateOptional(v T) error {
	if v == 0 {
		return nil
	}
	return c.validate(v)
}

// quoted is v as an error shows it: the text of a known value, else the
// number.
func (c choice[T]) quoted(v T) string {
	if v == 0 {
		return `""`
	}
	if int(v) > len(c.names) {
		return fmt.Sprint(uint8(v))
	}
	return fmt.Sprintf("%q", c.names[v-1])
}

func (c choice[T]) want() string {
	q := make([]string, len(c.names))
	for i, n := range c.names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, " or ")
}

// marshal writes an unset value as "", which unmarshal reads back, so a
// State round-trips through JSON before Validate judges it.
func (c choice[T]) marshal(v T) ([]byte, error) {
	if v == 0 {
		return []byte{}, nil
	}
	if err := c.validate(v); err != nil {
		return nil, err
	}
	return []byte(c.names[v-1]), nil
}

func (c choice[T]) unmarshal(v *T, b []byte) error {
	if len(b) == 0 {
		*v = 0
		return nil
	}
	i := slices.Index(c.names, string(b))
	if i < 0 {
		return fmt.Errorf("%s %q: want %s", c.field, b, c.want())
	}
	*v = T(i + 1)
	return nil
}
