//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/vpcd/pcscd"
)

// needPrivatePCSCD skips when this machine cannot run a private pcscd
// (fails under CI=true).
func needPrivatePCSCD(t testing.TB) {
	t.Helper()
	if err := pcscd.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

func TestRunExitStatus(t *testing.T) {
	needPrivatePCSCD(t)
	for _, tt := range []struct {
		args []string
		want int
	}{
		{[]string{"--", "true"}, 0},
		{[]string{"--kind", "face-auth", "--", "sh", "-c", "exit 3"}, 3},
		{[]string{"--", "sh", "-c", "kill -SEGV $$"}, 128 + int(syscall.SIGSEGV)},
		{[]string{"--", "/nonexistent/cmd"}, 127},
		{[]string{"--timeout", "100ms", "--", "sleep", "10"}, exitTimeout},
		{[]string{"--kind", "bogus", "--", "true"}, 2},
		{[]string{"--kind", "normal"}, 2},
	} {
		if code, _, stderr := runMyna(t, append([]string{"run"}, tt.args...)...); code != tt.want {
			t.Errorf("run %q: exit %d, want %d\n%s", tt.args, code, tt.want, stderr)
		}
	}
}

// runChildren lists the processes whose parent is pid: pcscd (exec'd in
// place of unshare) and CMD.
func runChildren(t *testing.T, pid int) []int {
	t.Helper()
	var kids []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			n, _ := strconv.Atoi(s)
			kids = append(kids, n)
		}
	}
	return kids
}

// TestRunTearsDown ends run in each way it can end while CMD runs, and
// checks that pcscd and CMD are gone, by PID, and so is the private
// directory.
func TestRunTearsDown(t *testing.T) {
	needPrivatePCSCD(t)
	for _, tt := range []struct {
		name string
		sig  syscall.Signal // sent to run; 0: CMD crashes by itself
		want int
	}{
		{"CMD crashes", 0, 128 + int(syscall.SIGSEGV)},
		{"SIGTERM", syscall.SIGTERM, 128 + int(syscall.SIGTERM)},
		{"Ctrl-C", syscall.SIGINT, 128 + int(syscall.SIGINT)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gate := filepath.Join(t.TempDir(), "crash")
			script := fmt.Sprintf(`echo "dir=$PCSCLITE_CSOCK_NAME"; while [ ! -e %q ]; do sleep 0.02; done; kill -SEGV $$`, gate)
			p := startMyna(t, "run", "--kind", "normal", "--kind", "face-auth", "--", "sh", "-c", script)
			line := p.expectLine("dir=")
			dir := strings.TrimSuffix(strings.TrimPrefix(line, "dir="), "/run/pcscd/pcscd.comm")
			kids := runChildren(t, p.cmd.Process.Pid)
			if len(kids) != 2 {
				t.Fatalf("run has children %v, want pcscd and CMD", kids)
			}
			if tt.sig == 0 {
				os.WriteFile(gate, nil, 0o600)
			} else {
				p.cmd.Process.Signal(tt.sig)
			}
			if code := p.wait(10 * time.Second); code != tt.want {
				t.Errorf("exit %d, want %d\n%s", code, tt.want, p.output())
			}
			for _, pid := range kids {
				if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
					t.Errorf("process %d still there after run exited (kill 0: %v)", pid, err)
				}
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("private directory %s left behind (%v)", dir, err)
			}
		})
	}
}

// TestRunsInParallel runs two runs at once: each lists only its own
// readers, and /etc/reader.conf.d and the system socket stay as they were.
func TestRunsInParallel(t *testing.T) {
	needPrivatePCSCD(t)
	if _, err := exec.LookPath("opensc-tool"); err != nil {
		t.Skip("opensc-tool not installed (Debian package opensc)")
	}
	before, err := os.ReadDir("/etc/reader.conf.d")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	socketBefore := fmt.Sprint(os.Stat("/run/pcscd/pcscd.comm"))
	dir := t.TempDir()
	var wg sync.WaitGroup
	outs := make([]string, 2)
	for i, kinds := range [][]string{{"--kind", "normal"}, {"--kind", "normal", "--kind", "face-auth", "--kind", "no-sign-cert"}} {
		// Each waits for the other to be up before it ends.
		script := fmt.Sprintf(`opensc-tool -l; touch %s/up%d; while [ ! -e %s/up%d ]; do sleep 0.02; done`, dir, i, dir, 1-i)
		wg.Go(func() {
			args := append(append([]string{"run"}, kinds...), "--", "sh", "-c", script)
			code, stdout, stderr := runMyna(t, args...)
			if code != 0 {
				t.Errorf("run %d: exit %d\n%s", i, code, stderr)
			}
			outs[i] = stdout
		})
	}
	wg.Wait()
	// A vpcd reader entry has two slots: an odd count leaves one empty.
	for i, want := range []struct{ cards, readers int }{{1, 2}, {3, 4}} {
		if got := strings.Count(outs[i], "Virtual PCD"); got != want.readers || strings.Count(outs[i], " Yes ") != want.cards {
			t.Errorf("run %d lists %d readers, want %d with %d cards:\n%s", i, got, want.readers, want.cards, outs[i])
		}
	}
	after, _ := os.ReadDir("/etc/reader.conf.d")
	if diff := cmp.Diff(fmt.Sprint(before), fmt.Sprint(after)); diff != "" {
		t.Errorf("/etc/reader.conf.d changed (-before +after):\n%s", diff)
	}
	if got := fmt.Sprint(os.Stat("/run/pcscd/pcscd.comm")); got != socketBefore {
		t.Errorf("system pcscd socket: %s, was %s", got, socketBefore)
	}
}

// TestRunAsNonRoot runs run as user nobody, through an unprivileged user
// namespace.
func TestRunAsNonRoot(t *testing.T) {
	needPrivatePCSCD(t)
	setpriv, err := exec.LookPath("setpriv")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and setpriv to become nobody")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// nobody must be able to read the binary and write its temp dir.
	dir, err := os.MkdirTemp("", "mynacard-nonroot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	bin := filepath.Join(dir, "mynacard")
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", bin, "run", "--", "sh", "-c", `test -S "$PCSCLITE_CSOCK_NAME" && echo "$MYNACARD_READER"`)
	cmd.Env = append(os.Environ(), childEnv+"=main", "TMPDIR="+dir)
	out, err := cmd.CombinedOutput()
	switch {
	case err == nil:
		if !strings.Contains(string(out), "Virtual PCD 00 00") {
			t.Errorf("as nobody: output %q, want the reader name", out)
		}
	case strings.Count(strings.TrimSpace(string(out)), "\n") == 0 && strings.Contains(string(out), "sysctl"):
		t.Skipf("unprivileged user namespaces refused here; run says so in one line: %s", out)
	default:
		t.Errorf("as nobody: %v\n%s", err, out)
	}
}

// TestCtlIssuerOnServedCard changes a card while serve serves it: after
// serve exits the file holds what the card reported.
func TestCtlIssuerOnServedCard(t *testing.T) {
	path := newCardFile(t, emulator.KindNormal, t.TempDir(), "card.json", nil)
	srv := startMyna(t, "serve", "--port", "1", path)
	srv.expectLine("slot 0")
	for _, args := range [][]string{
		{"ctl", path, "tries", "--key", "jpki/0018", "--tries", "1"},
		{"ctl", path, "face-auth"},
		{"ctl", path, "reverse", "--auth-pin", "4321"},
		{"ctl", path, "unblock", "--key", "jpki/0018", "--value", "5678"},
		{"ctl", path, "tries", "--key", "jpki/0018", "--tries", "2"},
		{"ctl", path, "issue-sign-cert"},
	} {
		if code, _, stderr := runMyna(t, args...); code != 0 {
			t.Fatalf("%q: exit %d\n%s", args, code, stderr)
		}
	}
	_, status, _ := runMyna(t, "ctl", path, "status")
	srv.stop(syscall.SIGTERM)
	st := loadCardFile(t, path)
	pin := st.PINs[emulator.JPKIAuthPIN]
	if !strings.Contains(status, "kind "+string(st.Kind)) || string(pin.Value) != "5678" || pin.Remaining != 2 || st.Keys[emulator.JPKISignKey] == nil {
		t.Errorf("card file after serve: kind %s, auth PIN %d tries, sign key %t; the served card said:\n%s",
			st.Kind, pin.Remaining, st.Keys[emulator.JPKISignKey] != nil, status)
	}
}

// BenchmarkRunTrue measures `mynacard run -- true`: private pcscd up,
// card present, CMD run, everything torn down.
func BenchmarkRunTrue(b *testing.B) {
	needPrivatePCSCD(b)
	for b.Loop() {
		if code, _, stderr := runMyna(b, "run", "--", "true"); code != 0 {
			b.Fatalf("exit %d\n%s", code, stderr)
		}
	}
}

// TestRunChip checks that --chip puts the preset's ATR in the reader, as
// pcscd reports it to a client (opensc-tool -a), for a contact and a
// contactless preset, and that an unknown chip is a usage error.
func TestRunChip(t *testing.T) {
	needPrivatePCSCD(t)
	if _, err := exec.LookPath("opensc-tool"); err != nil {
		t.Skip("opensc-tool (Debian package opensc) is not installed")
	}
	for _, name := range []profile.Chip{"jpki-03", "jpki-07"} {
		spec, err := name.Spec()
		if err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runMyna(t, "run", "--chip", string(name), "--kind", "face-auth", "--", "opensc-tool", "-r", "0", "-a")
		if code != 0 {
			t.Fatalf("run --chip %s: exit %d\n%s", name, code, stderr)
		}
		want := strings.ToLower(strings.ReplaceAll(fmt.Sprintf("% X", spec.ATR), " ", ":"))
		if got := strings.TrimSpace(stdout); got != want {
			t.Errorf("run --chip %s: reader ATR %s, want %s", name, got, want)
		}
	}
	for _, args := range [][]string{
		{"--chip", "jpki-99", "--", "true"},
		{"--chip", "jpki-02", "--card", "card.json", "--", "true"},
	} {
		code, _, stderr := runMyna(t, append([]string{"run"}, args...)...)
		if code != 2 || !strings.Contains(stderr, "profile") {
			t.Errorf("run %q: exit %d, want 2 and a pointer to 'mynacard profile chips'/'profile new --chip'\n%s", args, code, stderr)
		}
	}
}

// TestRunReaderStyle checks that --reader-style atqb puts the whole ATQB,
// PUPI included, in the ATR a client reads, and that an unknown style is
// a usage error naming the styles.
func TestRunReaderStyle(t *testing.T) {
	needPrivatePCSCD(t)
	if _, err := exec.LookPath("opensc-tool"); err != nil {
		t.Skip("opensc-tool (Debian package opensc) is not installed")
	}
	code, stdout, stderr := runMyna(t, "run", "--chip", "jpki-07", "--reader-style", "atqb", "--", "opensc-tool", "-r", "0", "-a")
	if got := strings.TrimSpace(stdout); code != 0 || !strings.HasPrefix(got, "3b:8c:80:01:50:") || !strings.HasSuffix(got, ":00:00:41:e0:b3:81:a1:"+got[len(got)-2:]) {
		t.Errorf("run --reader-style atqb: exit %d, ATR %s, want 3b:8c:80:01:50, the PUPI, 00:00:41:e0:b3:81:a1 and TCK\n%s", code, got, stderr)
	}
	if code, _, stderr := runMyna(t, "run", "--reader-style", "part4", "--", "true"); code != 2 || !strings.Contains(stderr, "part3 or atqb") {
		t.Errorf("run --reader-style part4: exit %d, want 2 and the styles\n%s", code, stderr)
	}
}
