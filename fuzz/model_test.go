package fuzz

import (
	"testing"

	"pgregory.net/rapid"
)

// modelProperty draws a card kind and runs the Model's actions on it.
func modelProperty(tb testing.TB) func(*rapid.T) {
	states := defaultStates(tb)
	return func(t *rapid.T) {
		s := states[rapid.IntRange(0, len(states)-1).Draw(t, "kind")]
		m, err := NewModel(s)
		if err != nil {
			t.Fatal(err)
		}
		t.Repeat(m.Actions())
	}
}

func TestCardModel(t *testing.T) { rapid.Check(t, modelProperty(t)) }

// FuzzCardModel lets the fuzzing engine drive the model's choices. Its
// regression input, testdata/fuzz/FuzzCardModel/55b3e97a5add6c72, repeats
// one action; testdata/README.md says why it is kept.
func FuzzCardModel(f *testing.F) { f.Fuzz(rapid.MakeFuzz(modelProperty(f))) }
