package hostile

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/fuzz"
	"github.com/mynacard/mynacard/internal/logging"
)

// hostileRun sends every client sequence through a hostile Card around a normal
// card and returns the answers and the log.
func hostileRun(t *testing.T, seed uint64) ([][]byte, string) {
	t.Helper()
	s, err := profile.Default(emulator.Kinds()[0])
	if err != nil {
		t.Fatal(err)
	}
	c, err := emulator.New(s)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	l, err := logging.New(&log, logging.Options{JSON: true})
	if err != nil {
		t.Fatal(err)
	}
	hc := New(c, seed, l)
	var out [][]byte
	for _, seq := range fuzz.ClientSequences(fuzz.SecretsOf(s)) {
		for _, st := range seq.Steps {
			if st.Reset {
				hc.Reset()
				continue
			}
			resp := hc.Transmit(st.Cmd)
			if st.Cmd[1] == 0x84 {
				resp = []byte{byte(len(resp))} // GET CHALLENGE is random by design
			}
			out = append(out, resp)
		}
	}
	return out, log.String()
}

func TestHostileIsReplayable(t *testing.T) {
	a, logA := hostileRun(t, 7)
	b, logB := hostileRun(t, 7)
	other, _ := hostileRun(t, 8)
	if len(a) != len(b) {
		t.Fatalf("%d vs %d answers", len(a), len(b))
	}
	same := true
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Errorf("answer %d differs between two runs with seed 7: %X vs %X", i, a[i], b[i])
		}
		same = same && bytes.Equal(a[i], other[i])
	}
	if same {
		t.Error("seeds 7 and 8 mutated the same answers the same way")
	}
	// The same exchanges are mutated the same way (the answers themselves
	// may differ where the card is random).
	if m, n := mutationsLogged(t, logA), mutationsLogged(t, logB); m != n {
		t.Errorf("logs of two runs with seed 7 differ:\n%s\n---\n%s", m, n)
	}
}

func mutationsLogged(t *testing.T, log string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var e struct {
			Seq      int
			Mutation string
			Cmd      string
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		fmt.Fprintf(&b, "%d %s %s\n", e.Seq, e.Mutation, e.Cmd)
	}
	return b.String()
}

func TestHostileLogsEveryMutation(t *testing.T) {
	answers, log := hostileRun(t, 3)
	lines := strings.Count(log, `"msg":"hostile answer"`)
	if lines == 0 || lines == len(answers) {
		t.Fatalf("%d of %d answers mutated; want some but not all (Rate 4)", lines, len(answers))
	}
	for _, want := range []string{`"seq":`, `"mutation":`, `"sent":`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
	// Commands are logged by description: the default persona's secrets
	// never appear, in text or hex.
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var entry struct{ Cmd string }
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		for _, secret := range []string{"1234", "ABC123"} {
			if c := strings.ToUpper(entry.Cmd); strings.Contains(c, secret) || strings.Contains(c, strings.ToUpper(hex.EncodeToString([]byte(secret)))) {
				t.Errorf("secret %q in logged command %q", secret, entry.Cmd)
			}
		}
	}
}

func TestHostileMutationsAllReachable(t *testing.T) {
	seen := map[string]bool{}
	der := append([]byte{0x30, 0x82, 0x00, 0x68, 0x30, 0x03, 0x02, 0x01, 0x05}, make([]byte, 95)...)
	// card.md §4: text AP 0002, FF 20 LL { DF21 …, DF22 … }.
	record := []byte{0xFF, 0x20, 0x08, 0xDF, 0x21, 0x01, 0x00, 0xDF, 0x22, 0x01, 0x41}
	for _, data := range [][]byte{der, record} {
		resp := append(bytes.Clone(data), 0x90, 0x00)
		for _, m := range mutations {
			for seed := range uint64(20) {
				rng := rand.New(rand.NewPCG(seed, 0))
				out := m.apply(rng, resp)
				if !bytes.Equal(out, resp) {
					seen[m.name] = true
				}
			}
		}
	}
	for _, m := range mutations {
		if !seen[m.name] && !m.delay {
			t.Errorf("mutation %s never changed an answer", m.name)
		}
	}
}

func TestPlannedCard(t *testing.T) {
	s, err := profile.Default(emulator.KindNormal)
	if err != nil {
		t.Fatal(err)
	}
	selectAP := []byte{0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01}
	selectEF := []byte{0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A}
	readBinary := []byte{0x00, 0xB0, 0x00, 0x00, 0x10}
	getResponse := []byte{0x00, 0xC0, 0x00, 0x00, 0x08}
	for _, tt := range []struct {
		name string
		plan []Step
		cmds [][]byte
		want func(faithful [][]byte) [][]byte
	}{
		{"no plan, no change", nil, [][]byte{selectAP, selectEF, readBinary},
			func(f [][]byte) [][]byte { return f }},
		{"only the planned exchange", []Step{{2, "ok-without-data"}}, [][]byte{selectAP, selectEF, readBinary},
			func(f [][]byte) [][]byte { return [][]byte{f[0], f[1], {0x90, 0x00}} }},
		{"61xx then GET RESPONSE in two parts", []Step{{2, "sw-61xx"}}, [][]byte{selectAP, selectEF, readBinary, getResponse, getResponse},
			func(f [][]byte) [][]byte {
				d := f[2][:16]
				return [][]byte{f[0], f[1], {0x61, 0x10}, append(bytes.Clone(d[:8]), 0x61, 0x08), append(bytes.Clone(d[8:]), 0x90, 0x00)}
			}},
		{"DER length of the certificate", []Step{{2, "der-length"}}, [][]byte{selectAP, selectEF, readBinary},
			func(f [][]byte) [][]byte {
				return [][]byte{f[0], f[1], append([]byte{0x30, 0x82, 0xFF, 0xFF}, f[2][4:]...)}
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			faithful, err := emulator.New(s)
			if err != nil {
				t.Fatal(err)
			}
			var want [][]byte
			for _, c := range tt.cmds {
				want = append(want, faithful.Transmit(c))
			}
			c, err := emulator.New(s)
			if err != nil {
				t.Fatal(err)
			}
			// The seed picks 61 10 (the true length) at exchange 2.
			h, err := NewPlanned(c, 1, tt.plan, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got [][]byte
			for _, cmd := range tt.cmds {
				got = append(got, h.Transmit(cmd))
			}
			if diff := cmp.Diff(tt.want(want), got); diff != "" {
				t.Errorf("answers (-want +got):\n%s", diff)
			}
			if n := len(h.Exchanges()); n != 3 {
				t.Errorf("%d exchanges recorded, want 3 (GET RESPONSE is not one)", n)
			}
		})
	}
	if _, err := NewPlanned(nil, 1, []Step{{0, "no-such"}}, nil); err == nil {
		t.Error("an unknown mutation was accepted")
	}
}
