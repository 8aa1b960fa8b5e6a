package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/internal/pcscdtest"
	"github.com/mynacard/mynacard/vpcd"
)

// These tests kill, starve and confuse a real `mynacard serve` process and
// check that the card it serves never loses a retry-counter decrement,
// never gains a try it was not given, and never leaves a card file that
// does not load. The child is this test binary re-executed as mynacard
// (TestMain), so no separate build is needed and, under -race, the served
// card is race-checked too.

// childEnv selects what a re-executed test binary does instead of testing.
const childEnv = "MYNACARD_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "main":
		main()
	case "saveloop":
		os.Exit(saveLoop(os.Args[1]))
	}
	fmt.Fprintf(os.Stderr, "%s=%q: unknown child mode\n", childEnv, os.Getenv(childEnv))
	os.Exit(2)
}

// reliabilitySeed drives every random choice (kill delays, wrong or right
// PIN); MYNACARD_RELIABILITY_SEED replays another run.
func reliabilitySeed(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(20240601)
	if s := os.Getenv("MYNACARD_RELIABILITY_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("MYNACARD_RELIABILITY_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("seed %d (set MYNACARD_RELIABILITY_SEED to replay another)", seed)
	return rand.New(rand.NewPCG(seed, seed^0x6d796e61))
}

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// mynaProc is a re-executed test binary: mynacard (mode "main") or a helper.
type mynaProc struct {
	t              testing.TB
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
}

// startMyna runs mynacard with args, killing it when the test ends.
func startMyna(t testing.TB, args ...string) *mynaProc {
	return startMynaMode(t, "main", args...)
}

func startMynaMode(t testing.TB, mode string, args ...string) *mynaProc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := &mynaProc{t: t, done: make(chan struct{})}
	c.cmd = exec.Command(exe, args...)
	c.cmd.Env = append(os.Environ(), childEnv+"="+mode, "GORACE=halt_on_error=1")
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start mynacard %s: %v", strings.Join(args, " "), err)
	}
	go func() {
		c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.done
		c.checkRace()
		if t.Failed() {
			t.Logf("mynacard %s:\n%s", strings.Join(c.cmd.Args[1:], " "), c.output())
		}
	})
	return c
}

// checkRace fails the test if the race detector spoke in the child.
func (c *mynaProc) checkRace() {
	if strings.Contains(c.stderr.String(), "DATA RACE") {
		c.t.Errorf("data race in mynacard %s:\n%s", strings.Join(c.cmd.Args[1:], " "), c.stderr.String())
	}
}

// output is everything the child has written so far.
func (c *mynaProc) output() string { return c.stdout.String() + c.stderr.String() }

// waitOutput waits until the child has written substr.
func (c *mynaProc) waitOutput(substr string, within time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for !strings.Contains(c.output(), substr) {
		select {
		case <-c.done:
			c.t.Fatalf("mynacard exited (%v) before writing %q:\n%s", c.cmd.ProcessState, substr, c.output())
		default:
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("mynacard wrote no %q within %v:\n%s", substr, within, c.output())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (c *mynaProc) running() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *mynaProc) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// wait waits for the child to exit and returns its exit code (-1 if a
// signal ended it).
func (c *mynaProc) wait(within time.Duration) int {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(within):
		c.t.Fatalf("mynacard %s still running after %v:\n%s", strings.Join(c.cmd.Args[1:], " "), within, c.output())
	}
	return c.cmd.ProcessState.ExitCode()
}

// stop ends a serving child as an administrator would (SIGTERM) and
// checks that it saved and exited cleanly.
func (c *mynaProc) stop() {
	c.t.Helper()
	c.cmd.Process.Signal(syscall.SIGTERM)
	if code := c.wait(10 * time.Second); code != 0 {
		c.t.Errorf("mynacard serve exited %d after SIGTERM:\n%s", code, c.output())
	}
}

// runMyna runs mynacard to completion and returns its exit code and output.
func runMyna(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	c := startMyna(t, args...)
	code = c.wait(10 * time.Second)
	return code, c.stdout.String(), c.stderr.String()
}

// newCardFile saves the default normal card, changed by edit, under dir.
func newCardFile(t testing.TB, dir, name string, edit func(*emulator.State)) string {
	t.Helper()
	st, err := profile.Default(profile.Normal)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(st)
	}
	path := filepath.Join(dir, name)
	if err := emulator.Save(path, st); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadCardFile loads a card file that must be intact and owner-only.
func loadCardFile(t testing.TB, path string) *emulator.State {
	t.Helper()
	st, err := emulator.Load(path)
	if err != nil {
		t.Fatalf("card file no longer loads: %v", err)
	}
	if fi, err := os.Stat(path); err != nil {
		t.Fatal(err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want 0600 (it holds the PINs and keys)", path, fi.Mode().Perm())
	}
	return st
}

// Commands the tests send (spec §5).
var (
	cmdSelectJPKI   = hexBytes("00A4040C0AD392F000260100000001")
	cmdSelectCommon = hexBytes("00A4040C0AD3921000310001010100")
)

func hexBytes(s string) []byte {
	b, err := hexDecode(s)
	if err != nil {
		panic(err)
	}
	return b
}

func hexDecode(s string) ([]byte, error) {
	s = strings.ReplaceAll(s, " ", "")
	b := make([]byte, len(s)/2)
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("odd hex %q", s)
	}
	for i := range b {
		n, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("hex %q: %w", s, err)
		}
		b[i] = byte(n)
	}
	return b, nil
}

func cmdSelectEF(fid uint16) []byte {
	return []byte{0x00, 0xA4, 0x02, 0x0C, 0x02, byte(fid >> 8), byte(fid)}
}

// cmdVerify is VERIFY of the current EF; an empty value queries the counter.
func cmdVerify(value string) []byte {
	if value == "" {
		return []byte{0x00, 0x20, 0x00, 0x80}
	}
	return append([]byte{0x00, 0x20, 0x00, 0x80, byte(len(value))}, value...)
}

// pcscReader is one PC/SC connection to a served card.
type pcscReader struct {
	ctx  *scard.Context
	name string
	card *scard.Card
}

func openPCSCReader(t testing.TB, name string) *pcscReader {
	t.Helper()
	ctx, err := scard.EstablishContext()
	if err != nil {
		t.Fatalf("SCardEstablishContext: %v", err)
	}
	r := &pcscReader{ctx: ctx, name: name}
	t.Cleanup(func() {
		r.disconnect()
		ctx.Release()
	})
	return r
}

// waitPresent waits until the reader holds a card (or, with present false,
// none) and reports how long that took.
func (r *pcscReader) waitPresent(present bool, within time.Duration) (time.Duration, error) {
	start := time.Now()
	rs := []scard.ReaderState{{Reader: r.name, CurrentState: scard.StateUnaware}}
	for {
		err := r.ctx.GetStatusChange(rs, 100*time.Millisecond)
		if err != nil && !errors.Is(err, scard.ErrTimeout) {
			return 0, fmt.Errorf("SCardGetStatusChange(%q): %w", r.name, err)
		}
		if (rs[0].EventState&scard.StatePresent != 0) == present && rs[0].EventState&scard.StateMute == 0 {
			return time.Since(start), nil
		}
		if time.Since(start) > within {
			return 0, fmt.Errorf("pcscReader %q: card present=%v not reached within %v (state %#x)", r.name, present, within, rs[0].EventState)
		}
		rs[0].CurrentState = rs[0].EventState &^ scard.StateChanged
	}
}

// connect waits for a card and connects to it. pcscd may see the card a
// moment before it can power it, so a failed connect is retried.
func (r *pcscReader) connect(t testing.TB, within time.Duration) {
	t.Helper()
	r.disconnect()
	deadline := time.Now().Add(within)
	for {
		_, err := r.waitPresent(true, time.Until(deadline))
		if err == nil {
			r.card, err = r.ctx.Connect(r.name, scard.ShareShared, scard.ProtocolAny)
			if err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("connect to %q: %v", r.name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *pcscReader) disconnect() {
	if r.card != nil {
		r.card.Disconnect(scard.LeaveCard)
		r.card = nil
	}
}

// transmit sends cmd and splits the answer.
func (r *pcscReader) transmit(cmd []byte) (data []byte, sw apdu.SW, err error) {
	b, err := r.card.Transmit(cmd)
	if err != nil {
		return nil, 0, err
	}
	resp, err := apdu.ParseResponse(b)
	if err != nil {
		return nil, 0, fmt.Errorf("response % X: %w", b, err)
	}
	return slices.Clone(resp.Data), resp.SW, nil
}

// must sends cmd, which has to be answered with want.
func (r *pcscReader) must(t testing.TB, cmd []byte, want apdu.SW) []byte {
	t.Helper()
	data, sw, err := r.transmit(cmd)
	if err != nil {
		t.Fatalf("SCardTransmit(% X): %v", cmd, err)
	}
	if sw != want {
		t.Fatalf("% X: SW %v, want %v", cmd, sw, want)
	}
	return data
}

// counter reads the tries left of key reference fid of the selected AP
// with an empty VERIFY, which spends none.
func (r *pcscReader) counter(t testing.TB, fid uint16) int {
	t.Helper()
	r.must(t, cmdSelectEF(fid), apdu.SWOK)
	_, sw, err := r.transmit(cmdVerify(""))
	if err != nil {
		t.Fatalf("empty VERIFY of %04X: %v", fid, err)
	}
	n, ok := sw.Retries()
	if !ok {
		t.Fatalf("empty VERIFY of %04X: SW %v, want 63Cx", fid, sw)
	}
	return n
}

// jpkiSecret is one JPKI secret the tearing test spends tries of.
type jpkiSecret struct {
	ref   emulator.FileRef
	right string
	wrong string
}

var tornSecrets = []jpkiSecret{
	{emulator.JPKIAuthPIN, "1234", "9999"},
	{emulator.JPKISignPassword, "ABC123", "WRONG1"},
}

// inFlight is a VERIFY sent when the card process died, without an answer:
// the card may or may not have run it.
type inFlight struct {
	secret int
	right  bool
}

// TestKillServeDuringVerify SIGKILLs `mynacard serve` at random moments
// while a PC/SC client sends wrong and right VERIFYs, then restarts it and
// checks every counter against what the client saw: a 63Cx answer
// received means that decrement is on disk, and an unanswered VERIFY may
// have counted (one less, or the limit if it was right) or not.
func TestKillServeDuringVerify(t *testing.T) {
	const kills = 15
	rng := reliabilitySeed(t)
	d := pcscdtest.Start(t, 1)
	path := newCardFile(t, t.TempDir(), "card.json", nil)
	maxTries := make([]int, len(tornSecrets))
	known := make([]int, len(tornSecrets))
	for i, s := range tornSecrets {
		maxTries[i] = emulator.MaxTries(s.ref, emulator.DefaultSettings())
		known[i] = maxTries[i]
	}
	r := openPCSCReader(t, d.ReaderName(0))
	var verifies, answered, tornInFlight, blockedByTear int

	for round := 0; round <= kills; round++ {
		srv := startMyna(t, "serve", "--port", strconv.Itoa(d.Base), path)
		r.connect(t, 10*time.Second)
		r.must(t, cmdSelectJPKI, apdu.SWOK)
		for i, s := range tornSecrets {
			if got := r.counter(t, s.ref.FID); got != known[i] {
				t.Fatalf("round %d: %v has %d tries left after restart; the card file said %d", round, s.ref, got, known[i])
			}
		}
		if round == kills {
			srv.stop()
			break
		}

		killAt := time.Duration(rng.IntN(300)) * time.Millisecond
		killed := make(chan struct{})
		time.AfterFunc(killAt, func() { srv.kill(); close(killed) })
		var pending *inFlight
		for pending == nil {
			i := rng.IntN(len(tornSecrets))
			s := tornSecrets[i]
			// Keep one try in hand so the counters never block and every
			// round keeps testing decrements.
			right := known[i] <= 1 || rng.IntN(3) == 0
			if _, _, err := r.transmit(cmdSelectEF(s.ref.FID)); err != nil {
				break
			}
			value := s.wrong
			if right {
				value = s.right
			}
			verifies++
			_, sw, err := r.transmit(cmdVerify(value))
			if err != nil {
				pending = &inFlight{i, right}
				break
			}
			answered++
			switch {
			case right && sw == apdu.SWOK:
				known[i] = maxTries[i]
			case !right && sw == apdu.RetriesLeft(known[i]-1):
				known[i]--
			default:
				t.Fatalf("round %d: VERIFY %s of %v with %d tries left: SW %v", round, map[bool]string{true: "right", false: "wrong"}[right], s.ref, known[i], sw)
			}
		}
		<-killed
		// Restart only once pcscd has seen the card go: a card back before
		// its next presence poll would look never removed, and the
		// client's stale handle would fail.
		r.disconnect()
		if _, err := r.waitPresent(false, 10*time.Second); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}

		st := loadCardFile(t, path)
		for i, s := range tornSecrets {
			got := st.PINs[s.ref].Remaining
			allowed := []int{known[i]}
			if pending != nil && pending.secret == i {
				tornInFlight++
				allowed = append(allowed, known[i]-1)
				if pending.right {
					allowed = append(allowed, maxTries[i])
				}
			}
			if !slices.Contains(allowed, got) {
				t.Fatalf("round %d: after SIGKILL the card file has %d tries left for %v; the client's answers allow only %v", round, got, s.ref, allowed)
			}
			known[i] = got
			if got == 0 {
				// A right VERIFY on the last try, cut off between the
				// decrement and the reset, blocks the PIN, as power loss
				// would a real card: the municipality unblocks it.
				blockedByTear++
				if code, _, stderr := runMyna(t, "issuer", "unblock", path, "--key", s.ref.String(), "--value", s.right); code != 0 {
					t.Fatalf("issuer unblock %v: exit %d: %s", s.ref, code, stderr)
				}
				known[i] = maxTries[i]
			}
		}
	}
	if t.Failed() {
		return
	}
	t.Logf("%d SIGKILLs survived; %d VERIFYs sent, %d answered, %d torn (sent, unanswered), %d PINs blocked by a torn last try and unblocked; no decrement lost, no counter rose",
		kills, verifies, answered, tornInFlight, blockedByTear)
}

// saveLoop is the child that TestKillDuringSave kills: it saves the card at
// path over and over, each save with a new savedGeneration number and a file of
// a different length, and prints each savedGeneration once it is durable.
func saveLoop(path string) int {
	st, err := emulator.Load(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	w := bufio.NewWriter(os.Stdout)
	for gen := 1; ; gen++ {
		st.Holder.City = "gen-" + strconv.Itoa(gen) + strings.Repeat("x", gen%97)
		st.PINs[emulator.JPKISignPassword].Remaining = gen % 6
		if err := emulator.Save(path, st); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintf(w, "saved %d\n", gen)
		w.Flush()
	}
}

// savedGeneration is the save number saveLoop wrote into a card.
func savedGeneration(st *emulator.State) (int, error) {
	s, ok := strings.CutPrefix(st.Holder.City, "gen-")
	if !ok {
		return 0, nil
	}
	return strconv.Atoi(strings.TrimRight(s, "x"))
}

// lastSaved is the last savedGeneration a saveLoop child reported durable.
func lastSaved(out string) int {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if n, ok := strings.CutPrefix(lines[i], "saved "); ok {
			if g, err := strconv.Atoi(n); err == nil {
				return g
			}
		}
	}
	return 0
}

// TestKillDuringSave SIGKILLs a process in the middle of emulator.Save at
// random moments: the card file must always load and hold either the last
// save reported durable or the one in progress, never a torn mix.
func TestKillDuringSave(t *testing.T) {
	const kills = 15
	rng := reliabilitySeed(t)
	dir := t.TempDir()
	path := newCardFile(t, dir, "card.json", nil)
	prev := 0
	for k := range kills {
		c := startMynaMode(t, "saveloop", path)
		c.waitOutput("saved ", 10*time.Second)
		time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		c.kill()
		reported := lastSaved(c.stdout.String())
		st := loadCardFile(t, path)
		gen, err := savedGeneration(st)
		if err != nil {
			t.Fatalf("kill %d: savedGeneration: %v", k, err)
		}
		if gen != reported && gen != reported+1 {
			t.Fatalf("kill %d: card file holds save %d; the process had reported %d durable", k, gen, reported)
		}
		if want := gen % 6; st.PINs[emulator.JPKISignPassword].Remaining != want {
			t.Fatalf("kill %d: save %d has sign-password counter %d, want %d: the file mixes two saves", k, gen, st.PINs[emulator.JPKISignPassword].Remaining, want)
		}
		prev += reported
	}
	// A save cut short leaves its temporary file; it is never read, but
	// say how many, since they accumulate next to the card.
	tmps, _ := filepath.Glob(filepath.Join(dir, ".card.json.tmp*"))
	t.Logf("%d SIGKILLs during %d saves; card file loaded every time; %d orphaned temporary files", kills, prev, len(tmps))
}

// TestCorruptCardFile serves damaged card files: each must be refused with
// an error naming the file, and left byte for byte as it was.
func TestCorruptCardFile(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(newCardFile(t, dir, "good.json", nil))
	if err != nil {
		t.Fatal(err)
	}
	raised := bytes.Replace(good, []byte(`"remaining": 3`), []byte(`"remaining": 9`), 1)
	if bytes.Equal(raised, good) {
		t.Fatal(`card file has no "remaining": 3 to corrupt`)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not JSON"},
		{"truncated", good[:len(good)/2], "not JSON"},
		{"truncated-end", good[:len(good)-3], "not JSON"},
		{"garbage", []byte("\x00\xff\x13garbage"), "not JSON"},
		{"not-a-card", []byte(`{"hello": 1}`), "format_version"},
		{"future-version", bytes.Replace(good, []byte(`"format_version": 1`), []byte(`"format_version": 99`), 1), "format_version 99"},
		{"counter-above-max", raised, "remaining 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".json")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			code, _, stderr := runMyna(t, "serve", "--port", "1", path)
			if code != 1 || !strings.Contains(stderr, path) || !strings.Contains(stderr, tc.want) {
				t.Errorf("serve: exit %d, stderr %q; want exit 1 and an error naming %s and saying %q", code, stderr, path, tc.want)
			}
			if strings.Contains(stderr, "panic") {
				t.Errorf("serve panicked:\n%s", stderr)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(after, tc.data) {
				t.Errorf("the damaged card file was rewritten (%d bytes → %d)", len(tc.data), len(after))
			}
		})
	}
}

// TestServeLocksCardFile starts two `mynacard serve` on one card file,
// by the same name and through a symlink: the second must refuse.
func TestServeLocksCardFile(t *testing.T) {
	dir := t.TempDir()
	path := newCardFile(t, dir, "card.json", nil)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	// Nothing listens on the vpcd port: the first server keeps dialing,
	// holding the card, which is all this test needs.
	first := startMyna(t, "serve", "--port", "1", path)
	first.waitOutput("slot 0:", 10*time.Second)
	for _, p := range []string{path, link} {
		code, _, stderr := runMyna(t, "serve", "--port", "2", p)
		if code != 1 || !strings.Contains(stderr, "in use by another process") {
			t.Errorf("second serve of %s: exit %d, stderr %q; want exit 1 and \"in use by another process\"", p, code, stderr)
		}
	}
	if !first.running() {
		t.Fatalf("first serve exited:\n%s", first.output())
	}
	// A killed server's lock dies with it: the card can be served again.
	first.kill()
	again := startMyna(t, "serve", "--port", "1", path)
	again.waitOutput("slot 0:", 10*time.Second)
	again.stop()
}

// TestSaveThroughSymlink saves a card reached through a symlink: the card
// the link names must change, and the link stay a link.
func TestSaveThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	path := newCardFile(t, dir, "card.json", nil)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("card.json", link); err != nil {
		t.Fatal(err)
	}
	st := loadCardFile(t, link)
	st.PINs[emulator.JPKIAuthPIN].Remaining = 1
	if err := emulator.Save(link, st); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("after a save through it, %s is no longer a symlink (%v)", link, err)
	}
	if got := loadCardFile(t, path).PINs[emulator.JPKIAuthPIN].Remaining; got != 1 {
		t.Errorf("save through a symlink left the card it names at %d tries, want 1", got)
	}
}

// TestCardFileModes checks that the card file stays 0600 however
// it changes: served VERIFYs, issuer operations.
func TestCardFileModes(t *testing.T) {
	dir := t.TempDir()
	path := newCardFile(t, dir, "card.json", nil)
	// A card file someone made world-readable is made private again by
	// the first save.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := emulator.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := emulator.New(st, emulator.WithStore(emulator.FileStore{Path: path}))
	if err != nil {
		t.Fatal(err)
	}
	c.Transmit(cmdSelectJPKI)
	c.Transmit(cmdSelectEF(emulator.JPKIAuthPIN.FID))
	if got := apdu.SW(respSW(c.Transmit(cmdVerify("9999")))); got != apdu.RetriesLeft(2) {
		t.Fatalf("wrong VERIFY: %v", got)
	}
	loadCardFile(t, path)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.Issue(func(s *emulator.State) error { return s.ConvertToFaceAuth(rand.NewChaCha8([32]byte{})) }); err != nil {
		t.Fatal(err)
	}
	if s := loadCardFile(t, path); s.Kind != string(profile.FaceAuth) {
		t.Errorf("issuer operation saved kind %q, want %q", s.Kind, profile.FaceAuth)
	}
	unlock, err := emulator.LockFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if fi, err := os.Stat(path + ".lock"); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("lock file: %v, mode %v; want no access for group and others", err, fi.Mode().Perm())
	}
}

func respSW(resp []byte) uint16 {
	return uint16(resp[len(resp)-2])<<8 | uint16(resp[len(resp)-1])
}

// fakeVPCDPort listens where serve dials for two consecutive slots, as
// vpcd does, so the test can be a misbehaving vpcd.
func fakeVPCDPorts(t *testing.T) (base int, lns [2]net.Listener) {
	t.Helper()
	for range 50 {
		a, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base = a.Addr().(*net.TCPAddr).Port
		b, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(base+1)))
		if err != nil {
			a.Close()
			continue
		}
		t.Cleanup(func() { a.Close(); b.Close() })
		return base, [2]net.Listener{a, b}
	}
	t.Fatal("no two consecutive free ports")
	return 0, lns
}

// vpcdPeer is the vpcd side of one card link.
type vpcdPeer struct {
	t testing.TB
	c net.Conn
}

// acceptCard waits for the card to dial ln and reports how long it took.
func acceptCard(t testing.TB, ln net.Listener, within time.Duration) (vpcdPeer, time.Duration) {
	t.Helper()
	start := time.Now()
	ln.(*net.TCPListener).SetDeadline(start.Add(within))
	c, err := ln.Accept()
	if err != nil {
		t.Fatalf("card did not dial %s within %v: %v", ln.Addr(), within, err)
	}
	t.Cleanup(func() { c.Close() })
	return vpcdPeer{t, c}, time.Since(start)
}

func (p vpcdPeer) exchange(payload []byte) []byte {
	p.t.Helper()
	p.c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := vpcd.WriteFrame(p.c, payload); err != nil {
		p.t.Fatalf("write % X: %v", payload[:min(len(payload), 8)], err)
	}
	resp, err := vpcd.ReadFrame(p.c)
	if err != nil {
		p.t.Fatalf("answer to % X: %v", payload[:min(len(payload), 8)], err)
	}
	return resp
}

func (p vpcdPeer) sw(cmd []byte) apdu.SW {
	p.t.Helper()
	resp := p.exchange(cmd)
	if len(resp) < 2 {
		p.t.Fatalf("answer to % X: % X, want at least SW1 SW2", cmd, resp)
	}
	return apdu.SW(respSW(resp))
}

// authPINCounter powers the card up as vpcd does and reads the auth PIN
// counter.
func (p vpcdPeer) authPINCounter() int {
	p.t.Helper()
	p.c.SetDeadline(time.Now().Add(5 * time.Second))
	vpcd.WriteFrame(p.c, []byte{vpcd.CtrlPowerOn})
	if atr := p.exchange([]byte{vpcd.CtrlATR}); len(atr) < 2 || atr[0] != 0x3B {
		p.t.Fatalf("ATR % X", atr)
	}
	for _, cmd := range [][]byte{cmdSelectJPKI, cmdSelectEF(emulator.JPKIAuthPIN.FID)} {
		if sw := p.sw(cmd); sw != apdu.SWOK {
			p.t.Fatalf("% X: %v", cmd, sw)
		}
	}
	n, ok := p.sw(cmdVerify("")).Retries()
	if !ok {
		p.t.Fatal("empty VERIFY: no 63Cx")
	}
	return n
}

// waitHangUp waits until the card closes the link.
func (p vpcdPeer) waitHangUp() {
	p.t.Helper()
	p.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, p.c); err != nil && !errors.Is(err, syscall.ECONNRESET) {
		p.t.Fatalf("card did not hang up: %v", err)
	}
}

// TestServeSurvivesVPCDFaults plays a broken vpcd against `mynacard
// serve` on slot 0 while slot 1 keeps working: connection resets,
// truncated and empty frames, the largest frames, stray control bytes, a
// peer that never reads, and vpcd gone for a while. After each fault the
// card must dial back within a second with its counters intact.
func TestServeSurvivesVPCDFaults(t *testing.T) {
	base, lns := fakeVPCDPorts(t)
	dir := t.TempDir()
	a := newCardFile(t, dir, "a.json", nil)
	b := newCardFile(t, dir, "b.json", nil)
	srv := startMyna(t, "serve", "--port", strconv.Itoa(base), "--slots", a+","+b)
	peer, _ := acceptCard(t, lns[0], 10*time.Second)
	other, _ := acceptCard(t, lns[1], 10*time.Second)
	peer.authPINCounter()
	if sw := peer.sw(cmdVerify(leakWrongPIN)); sw != apdu.RetriesLeft(2) {
		t.Fatalf("wrong VERIFY: %v, want 63C2", sw)
	}
	var worst time.Duration
	faults := 0
	// reconnected checks the card's state after the fault and returns the
	// new link.
	reconnected := func(name string, within time.Duration) vpcdPeer {
		t.Helper()
		p, took := acceptCard(t, lns[0], within)
		worst = max(worst, took)
		if !srv.running() {
			t.Fatalf("after %s: mynacard serve exited:\n%s", name, srv.output())
		}
		if n := p.authPINCounter(); n != 2 {
			t.Fatalf("after %s: auth PIN counter %d, want 2", name, n)
		}
		if n := other.authPINCounter(); n != 3 {
			t.Fatalf("after %s: slot 1 counter %d, want 3", name, n)
		}
		return p
	}

	for _, f := range []struct {
		name string
		send []byte
	}{
		{"truncated frame", []byte{0x00, 0x10, 0x00, 0xA4, 0x04}},
		{"truncated length prefix", []byte{0x00}},
		{"empty frame", []byte{0x00, 0x00}},
		{"connection reset", nil},
	} {
		if f.send != nil {
			peer.c.Write(f.send)
		}
		if f.name == "empty frame" {
			peer.waitHangUp() // the card drops a peer that is out of step
		}
		peer.c.(*net.TCPConn).SetLinger(0) // close with RST
		peer.c.Close()
		faults++
		peer = reconnected(f.name, time.Second)
	}

	// The largest frames and stray bytes are answered, not fatal.
	big := make([]byte, vpcd.MaxPayload)
	copy(big, []byte{0x00, 0xCA, 0x01, 0x00, 0x00, (vpcd.MaxPayload - 7) >> 8, (vpcd.MaxPayload - 7) & 0xFF})
	for i := 7; i < len(big); i++ {
		big[i] = byte(i)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	garbage := make([]byte, vpcd.MaxPayload)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	for _, cmd := range [][]byte{big, garbage, {0x7F}, {0x00, 0x20}, {0xFF, 0xFF, 0xFF}} {
		if resp := peer.exchange(cmd); len(resp) < 2 {
			t.Errorf("%d-byte frame % X…: answer % X, want a status word", len(cmd), cmd[:min(4, len(cmd))], resp)
		}
		faults++
	}
	if n := peer.authPINCounter(); n != 2 {
		t.Fatalf("after odd frames: counter %d, want 2", n)
	}

	// A peer that sends and never reads: the card's writes block; the
	// other slot must not notice, and the card must come back once the
	// peer goes.
	// 21 MB of READ BINARY, more than the loopback socket buffers of both
	// sides hold, asking for 770 MB of answers: the card must block
	// writing and stop reading.
	flood := bytes.Repeat(append([]byte{0x00, 0x05}, 0x00, 0xB0, 0x00, 0x00, 0x00), 3_000_000)
	stall := func(p vpcdPeer) {
		t.Helper()
		p.sw(cmdSelectEF(emulator.JPKIAuthCert.FID))
		p.c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		n, err := p.c.Write(flood)
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			t.Fatalf("flood: wrote %d bytes, err %v; want the card to stop reading (a write timeout)", n, err)
		}
		faults++
	}
	stall(peer)
	if c := other.authPINCounter(); c != 3 {
		t.Fatalf("slot 1 while slot 0 is flooded: counter %d, want 3", c)
	}
	peer.c.Close()
	peer = reconnected("a peer that never reads", time.Second)

	// vpcd gone (pcscd stopped) for longer than the card's backoff cap.
	addr := lns[0].Addr().String()
	lns[0].Close()
	peer.c.Close()
	faults++
	time.Sleep(1500 * time.Millisecond)
	var err error
	if lns[0], err = net.Listen("tcp4", addr); err != nil {
		t.Fatalf("re-listen on %s: %v", addr, err)
	}
	defer lns[0].Close()
	peer = reconnected("vpcd away 1.5 s", time.Second)

	// SIGTERM stops a server stalled on a peer that never reads, and
	// saves.
	stall(peer)
	srv.stop()
	if got := loadCardFile(t, a).PINs[emulator.JPKIAuthPIN].Remaining; got != 2 {
		t.Errorf("card file a: auth PIN counter %d after SIGTERM, want 2", got)
	}
	t.Logf("%d vpcd faults survived; slowest reconnect %v", faults, worst.Round(time.Millisecond))
}

// pcscdPID finds the pcscd this test process started (pcscdtest execs it
// in place of its launcher, so it is a direct child).
func pcscdPID(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …
		i := bytes.LastIndexByte(stat, ')')
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(os.Getpid()) && bytes.Contains(stat[:i], []byte("(pcscd")) {
			return pid
		}
	}
	t.Fatal("no pcscd child process found")
	return 0
}

// TestServeSurvivesPCSCDRestart kills pcscd (SIGKILL) and restarts it
// (SIGTERM, start) under a served card: the card must be back in the
// reader promptly with its counters.
func TestServeSurvivesPCSCDRestart(t *testing.T) {
	d := pcscdtest.Start(t, 1)
	path := newCardFile(t, t.TempDir(), "card.json", nil)
	srv := startMyna(t, "serve", "--port", strconv.Itoa(d.Base), path)
	r := openPCSCReader(t, d.ReaderName(0))
	r.connect(t, 10*time.Second)
	r.must(t, cmdSelectJPKI, apdu.SWOK)
	r.must(t, cmdSelectEF(emulator.JPKIAuthPIN.FID), apdu.SWOK)
	r.must(t, cmdVerify(leakWrongPIN), apdu.RetriesLeft(2))
	var worst time.Duration
	for i, how := range []string{"SIGKILL", "restart", "SIGKILL"} {
		r.disconnect()
		if how == "SIGKILL" {
			if err := syscall.Kill(pcscdPID(t), syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
		d.Restart(t)
		// The old context died with the daemon.
		r = openPCSCReader(t, d.ReaderName(0))
		took, err := r.waitPresent(true, 10*time.Second)
		if err != nil {
			t.Fatalf("pcscd %s %d: %v", how, i, err)
		}
		worst = max(worst, took)
		if !srv.running() {
			t.Fatalf("mynacard serve exited:\n%s", srv.output())
		}
		r.connect(t, 5*time.Second)
		r.must(t, cmdSelectJPKI, apdu.SWOK)
		if n := r.counter(t, emulator.JPKIAuthPIN.FID); n != 2 {
			t.Fatalf("after pcscd %s: auth PIN counter %d, want 2", how, n)
		}
	}
	r.must(t, cmdVerify("1234"), apdu.SWOK)
	r.disconnect()
	srv.stop()
	if got := loadCardFile(t, path).PINs[emulator.JPKIAuthPIN].Remaining; got != 3 {
		t.Errorf("card file: auth PIN counter %d, want 3", got)
	}
	// pcscd polls presence every 400 ms on its own; the card's part is its
	// redial backoff, capped at 500 ms.
	if worst > 1500*time.Millisecond {
		t.Errorf("card back in the reader %v after pcscd was up; want within 1 s of redial plus pcscd's 0.4 s poll", worst)
	}
	t.Logf("3 pcscd restarts (2 SIGKILL) survived; card present again at most %v after pcscd was up", worst.Round(time.Millisecond))
}
