package fuzz

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynacard/mynacard/vpcd"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpora under testdata/fuzz from card.md's client sequences")

// seedCorpora are the committed seed inputs of each byte-slice fuzz target:
// card.md's client sequences (§6) for every card kind, their commands, the
// default card's files and the vpcd frames that carry the commands, plus
// the inputs of findings kept as regressions (testdata/findings).
func seedCorpora(t *testing.T) map[string][][]byte {
	out := map[string][][]byte{}
	states := defaultStates(t)
	out["FuzzTransmitSequence"] = transmitSeeds(t)
	paths, _ := filepath.Glob("testdata/findings/*.txt")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		fd, err := ReadFinding(strings.NewReader(string(b)))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		card, exs := string(fd.Card), fd.Exchanges
		kind := 0
		for i, s := range states {
			if string(s.Kind) == card {
				kind = i
			}
		}
		steps := make([]Step, len(exs))
		for i, ex := range exs {
			steps[i] = ex.Step
		}
		out["FuzzTransmitSequence"] = append(out["FuzzTransmitSequence"], EncodeInput(byte(kind), steps))
	}
	for _, seq := range ClientSequences(SecretsOf(states[0])) {
		for _, s := range seq.Steps {
			if s.Reset {
				continue
			}
			out["FuzzParseCommand"] = append(out["FuzzParseCommand"], s.Cmd)
			frame, _ := vpcd.AppendFrame(nil, s.Cmd)
			out["FuzzVPCDFrame"] = append(out["FuzzVPCDFrame"], frame)
		}
	}
	for ref, data := range states[0].Files {
		if ref.App().String() == "juki" || ref.App().String() == "common" {
			out["FuzzSimpleTLV"] = append(out["FuzzSimpleTLV"], data)
		} else {
			out["FuzzParseBER"] = append(out["FuzzParseBER"], data[:min(len(data), 1024)])
		}
	}
	return out
}

// TestSeedCorpus keeps testdata/fuzz in step with seedCorpora (run with
// -update-corpus to rewrite it). With MYNACARD_RAW_CORPUS=DIR set it also
// writes the seeds as raw files, DIR/<Target>/<hash>, which is what
// libFuzzer and OSS-Fuzz seed corpora hold (scripts/oss-fuzz-build.sh).
func TestSeedCorpus(t *testing.T) {
	raw := os.Getenv("MYNACARD_RAW_CORPUS")
	for target, seeds := range seedCorpora(t) {
		for _, s := range seeds {
			name := fmt.Sprintf("%x", sha256.Sum256(s))[:16]
			goFile := filepath.Join("testdata", "fuzz", target, "seed-"+name)
			enc := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
			if *updateCorpus {
				if err := os.MkdirAll(filepath.Dir(goFile), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(goFile, []byte(enc), 0o644); err != nil {
					t.Fatal(err)
				}
			} else if got, err := os.ReadFile(goFile); err != nil || string(got) != enc {
				t.Errorf("%s missing or stale: run go test ./fuzz -run TestSeedCorpus -update-corpus", goFile)
			}
			if raw != "" {
				dir := filepath.Join(raw, target)
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, name), s, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
