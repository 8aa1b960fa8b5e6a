//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/fuzz/hostile"
	"github.com/mynacard/mynacard/vpcd/pcsctest"
)

// buildClients builds the planted-bug clients of testdata/fuzzclient: the
// C ones against libpcsclite, one with AddressSanitizer and one with
// UndefinedBehaviorSanitizer (aborting at the first report), the Go one
// with ebfe/scard. It skips (fails under CI=true) without gcc, its
// sanitizer runtimes or winscard.h.
func buildClients(t *testing.T) (asan, ubsan, goclient string) {
	t.Helper()
	dir := t.TempDir()
	asan, ubsan, goclient = filepath.Join(dir, "asanclient"), filepath.Join(dir, "ubsanclient"), filepath.Join(dir, "goclient")
	for _, c := range []struct {
		out   string
		flags []string
	}{
		{asan, []string{"-fsanitize=address"}},
		{ubsan, []string{"-fsanitize=undefined", "-fno-sanitize-recover=all"}},
	} {
		args := append(c.flags, "-g", "-o", c.out, "testdata/fuzzclient/"+filepath.Base(c.out)+".c", "-I/usr/include/PCSC", "-lpcsclite")
		if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("gcc %s: %v\n%s", c.flags, err, out)
			}
			t.Skipf("no gcc %s with libpcsclite-dev: %v\n%s", c.flags, err, out)
		}
	}
	if out, err := exec.Command("go", "build", "-o", goclient, "./testdata/fuzzclient/goclient").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return asan, ubsan, goclient
}

// runFuzzClientTest runs mynacard fuzz-client and returns its exit status and
// findings.
func runFuzzClientTest(t *testing.T, out string, args ...string) (int, []clientFinding) {
	t.Helper()
	c := startMyna(t, append([]string{"fuzz-client", "--timeout", "2s", "--out", out}, args...)...)
	code := c.wait(3 * time.Minute)
	files, _ := filepath.Glob(filepath.Join(out, "*.json"))
	var fds []clientFinding
	for _, f := range files {
		fd, err := readClientFinding(f)
		if err != nil {
			t.Fatal(err)
		}
		fd.File = f
		fds = append(fds, fd)
	}
	t.Logf("fuzz-client %s: exit %d\n%s%s", strings.Join(args, " "), code, c.stdout.String(), c.stderr.String())
	return code, fds
}

func TestFuzzClientFindsPlantedBugs(t *testing.T) {
	needPrivatePCSCD(t)
	asan, ubsan, goclient := buildClients(t)
	for _, tt := range []struct {
		name   string
		client []string
		want   map[string]bool // the finding kinds
	}{
		{"c-asan", []string{asan}, map[string]bool{findASan: true}},
		{"c-ubsan", []string{ubsan}, map[string]bool{findUBSan: true}},
		{"go", []string{goclient}, map[string]bool{findPanic: true, findHang: true}},
		{"go-correct", []string{goclient, "-correct"}, map[string]bool{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			// --runs 120 covers each client's sweep (under 100 runs).
			code, fds := runFuzzClientTest(t, out, append([]string{"--runs", "120", "--"}, tt.client...)...)
			if want := map[bool]int{true: 1, false: 0}[len(tt.want) > 0]; code != want {
				t.Errorf("exit %d, want %d", code, want)
			}
			got := map[string]bool{}
			places := map[string]bool{}
			for _, fd := range fds {
				got[fd.Kind] = true
				// Found in the sweep, so minimal: one mutation; and no two
				// bugs need the same exchange and mutation.
				if fd.Phase != "sweep" || len(fd.Mutations) != 1 {
					t.Errorf("%s: phase %s, mutations %v; want one, from the sweep", fd.Signature, fd.Phase, fd.Mutations)
					continue
				}
				m := fd.Mutations[0]
				for _, p := range []string{fmt.Sprint("exchange ", m.Exchange), m.Mutation} {
					if places[p] {
						t.Errorf("%s: %s shared with another finding", fd.Signature, p)
					}
					places[p] = true
				}
				if c := startMyna(t, "fuzz-client", "--replay", fd.File); c.wait(time.Minute) != 1 || !strings.Contains(c.stdout.String(), "reproduces: "+fd.Signature) {
					t.Errorf("replay of %s does not reproduce it:\n%s%s", fd.File, c.stdout.String(), c.stderr.String())
				}
			}
			if len(got) != len(tt.want) || len(fds) != len(tt.want) {
				t.Errorf("finding kinds %v (%d files), want %v", got, len(fds), tt.want)
			}
			for k := range tt.want {
				if !got[k] {
					t.Errorf("no %s finding", k)
				}
			}
		})
	}
}

// BenchmarkFuzzClient compares a fuzz-client run (card restored, hostile
// plan installed, CMD run, output classified) with CMD run alone against
// the same private pcscd: their ratio is what fuzz-client costs over the
// client's own speed.
func BenchmarkFuzzClient(b *testing.B) {
	needPrivatePCSCD(b)
	argv := []string{"opensc-tool", "-n"}
	if _, err := exec.LookPath(argv[0]); err != nil {
		b.Skip("no opensc-tool")
	}
	fz, card, err := newClientFuzzer(emulator.KindNormal, nil)
	if err != nil {
		b.Fatal(err)
	}
	bed := pcsctest.StartCards(b, card)
	fz.argv, fz.env, fz.seed, fz.timeout = argv, bed.Env(), 1, 10*time.Second
	perSecond := func(b *testing.B) { b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s") }
	b.Run("client-alone", func(b *testing.B) {
		for b.Loop() {
			if st, err := (child{argv: argv, env: bed.Env(), stdout: io.Discard, stderr: io.Discard}).run(); st != 0 || err != nil {
				b.Fatalf("exit %d: %v", st, err)
			}
		}
		perSecond(b)
	})
	b.Run("fuzz-run", func(b *testing.B) {
		plan := []hostile.Step{{Exchange: 3, Mutation: "flip-byte"}}
		for b.Loop() {
			if _, err := fz.run(plan); err != nil {
				b.Fatal(err)
			}
		}
		perSecond(b)
	})
}
