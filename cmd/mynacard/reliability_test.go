package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/cardfile"
	"github.com/mynacard/mynacard/vpcd"
	"github.com/mynacard/mynacard/vpcd/pcsctest"
	"github.com/mynacard/mynacard/vpcd/vpcdtest"
)

// These tests kill, starve and confuse a real `mynacard serve` process
// (see child_test.go) and check that the card it serves never loses a
// retry-counter decrement, never gains a try it was not given, and never
// leaves a card file that does not load.

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
	d := pcsctest.Daemon(t, 1)
	path := newCardFile(t, emulator.KindNormal, t.TempDir(), "card.json", nil)
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
			if got := r.counter(t, s.ref.FID()); got != known[i] {
				t.Fatalf("round %d: %v has %d tries left after restart; the card file said %d", round, s.ref, got, known[i])
			}
		}
		if round == kills {
			srv.stop(syscall.SIGTERM)
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
			if _, _, err := r.transmit(cmdSelectEF(s.ref.FID())); err != nil {
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
	st, err := cardfile.Load(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	w := bufio.NewWriter(os.Stdout)
	for gen := 1; ; gen++ {
		st.Holder.City = "gen-" + strconv.Itoa(gen) + strings.Repeat("x", gen%97)
		st.PINs[emulator.JPKISignPassword].Remaining = gen % 6
		if err := cardfile.Save(path, st); err != nil {
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

// TestKillDuringSave SIGKILLs a process in the middle of cardfile.Save at
// random moments: the card file must always load and hold either the last
// save reported durable or the one in progress, never a torn mix.
func TestKillDuringSave(t *testing.T) {
	const kills = 15
	rng := reliabilitySeed(t)
	dir := t.TempDir()
	path := newCardFile(t, emulator.KindNormal, dir, "card.json", nil)
	prev := 0
	for k := range kills {
		c := startMynaMode(t, "saveloop", path)
		c.expectLine("saved ")
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
	good, err := os.ReadFile(newCardFile(t, emulator.KindNormal, dir, "good.json", nil))
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
	path := newCardFile(t, emulator.KindNormal, dir, "card.json", nil)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	// Nothing listens on the vpcd port: the first server keeps dialing,
	// holding the card, which is all this test needs.
	first := startMyna(t, "serve", "--port", "1", path)
	first.expectLine("slot 0:")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Every command that writes a card file takes its lock: none may
	// write a card that serve would overwrite with its own state on exit.
	for _, p := range []string{path, link} {
		for _, args := range [][]string{
			{"serve", "--port", "2", p},
			{"profile", "new", "--force", "-o", p},
			{"issuer", "face-auth", p},
			{"issuer", "unblock", p, "--key", "jpki/0018", "--value", "4321"},
			{"apdu", p, "00A4040C0AD392F000260100000001"},
		} {
			code, _, stderr := runMyna(t, args...)
			if code != 1 || !strings.Contains(stderr, "in use by another process") {
				t.Errorf("%q while served: exit %d, stderr %q; want exit 1 and \"in use by another process\"", args, code, stderr)
			}
		}
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Error("a command changed the card file while it was served")
	}
	if !first.running() {
		t.Fatalf("first serve exited:\n%s", first.output())
	}
	// A killed server's lock dies with it: the card can be served again.
	first.kill()
	again := startMyna(t, "serve", "--port", "1", path)
	again.expectLine("slot 0:")
	again.stop(syscall.SIGTERM)
}

// TestSaveThroughSymlink saves a card reached through a symlink: the card
// the link names must change, and the link stay a link.
func TestSaveThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	path := newCardFile(t, emulator.KindNormal, dir, "card.json", nil)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("card.json", link); err != nil {
		t.Fatal(err)
	}
	st := loadCardFile(t, link)
	st.PINs[emulator.JPKIAuthPIN].Remaining = 1
	if err := cardfile.Save(link, st); err != nil {
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
	path := newCardFile(t, emulator.KindNormal, dir, "card.json", nil)
	// A card file someone made world-readable is made private again by
	// the first save.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := cardfile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := emulator.New(st, emulator.WithStore(cardfile.Store{Path: path}))
	if err != nil {
		t.Fatal(err)
	}
	c.Transmit(cmdSelectJPKI)
	c.Transmit(cmdSelectEF(emulator.JPKIAuthPIN.FID()))
	if r, err := apdu.ParseResponse(c.Transmit(cmdVerify("9999"))); err != nil || r.SW != apdu.RetriesLeft(2) {
		t.Fatalf("wrong VERIFY: %v, %v", r.SW, err)
	}
	loadCardFile(t, path)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.Issue(func(s *emulator.State) error { return s.ConvertToFaceAuth(rand.NewChaCha8([32]byte{})) }); err != nil {
		t.Fatal(err)
	}
	if s := loadCardFile(t, path); s.Kind != emulator.KindFaceAuth {
		t.Errorf("issuer operation saved kind %q, want %q", s.Kind, emulator.KindFaceAuth)
	}
	unlock, err := cardfile.Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if fi, err := os.Stat(path + ".lock"); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("lock file: %v, mode %v; want no access for group and others", err, fi.Mode().Perm())
	}
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

// authPINCounter powers the card up as vpcd does and reads the auth PIN
// counter.
func authPINCounter(t testing.TB, l *vpcdtest.Link) int {
	t.Helper()
	l.Send([]byte{vpcd.CtrlPowerOn})
	if atr := l.Exchange([]byte{vpcd.CtrlATR}); len(atr) < 2 || atr[0] != 0x3B {
		t.Fatalf("ATR % X", atr)
	}
	for _, cmd := range [][]byte{cmdSelectJPKI, cmdSelectEF(emulator.JPKIAuthPIN.FID())} {
		if sw := l.SW(cmd); sw != apdu.SWOK {
			t.Fatalf("% X: %v", cmd, sw)
		}
	}
	n, ok := l.SW(cmdVerify("")).Retries()
	if !ok {
		t.Fatal("empty VERIFY: no 63Cx")
	}
	return n
}

// vpcdAway names the fault after which the card must pause before
// redialling.
const vpcdAway = "vpcd away"

// The card's redial schedule (vpcd/server.go): 50 ms after the first
// refused dial, doubling up to a cap of 500 ms.
const (
	firstRedialMS = 50
	capRedialMS   = 500
)

// redialPauses returns the redial delays, in ms, that serve logged for the
// vpcd port since byte from of its stderr (serve runs with --log-level
// debug --log-json).
func redialPauses(p *mynaProc, port, from int) []int64 {
	var out []int64
	for _, line := range strings.Split(p.stderr.String()[from:], "\n") {
		var e struct {
			Msg   string `json:"msg"`
			Addr  string `json:"addr"`
			Delay int64  `json:"delay_ms"`
		}
		if json.Unmarshal([]byte(line), &e) != nil || e.Msg != "redialling vpcd" || !strings.HasSuffix(e.Addr, ":"+strconv.Itoa(port)) {
			continue
		}
		out = append(out, e.Delay)
	}
	return out
}

// checkRedialSchedule fails unless every run of pauses starts at 50 ms and
// doubles up to the 500 ms cap.
func checkRedialSchedule(t *testing.T, what string, pauses []int64) {
	t.Helper()
	for i, d := range pauses {
		if d == firstRedialMS || (i > 0 && d == min(2*pauses[i-1], capRedialMS)) {
			continue
		}
		t.Errorf("%s: redial pauses %v ms: pause %d breaks the schedule (50 ms doubling to a 500 ms cap)", what, pauses, i)
		return
	}
}

// TestServeSurvivesVPCDFaults plays a broken vpcd against `mynacard
// serve` on slot 0 while slot 1 keeps working: connection resets,
// truncated and empty frames, the largest frames, stray control bytes, a
// peer that never reads, and vpcd gone for a while. After each fault the
// card must dial back with its counters intact: at once after a link that
// served, and after pauses on the redial schedule while vpcd is gone.
func TestServeSurvivesVPCDFaults(t *testing.T) {
	base, lns := fakeVPCDPorts(t)
	dir := t.TempDir()
	a := newCardFile(t, emulator.KindNormal, dir, "a.json", nil)
	b := newCardFile(t, emulator.KindNormal, dir, "b.json", nil)
	srv := startMyna(t, "serve", "--port", strconv.Itoa(base), "--slots", a+","+b, "--log-level", "debug", "--log-json")
	peer := vpcdtest.Accept(t, lns[0], 10*time.Second)
	other := vpcdtest.Accept(t, lns[1], 10*time.Second)
	authPINCounter(t, peer)
	if sw := peer.SW(cmdVerify(leakWrongPIN)); sw != apdu.RetriesLeft(2) {
		t.Fatalf("wrong VERIFY: %v, want 63C2", sw)
	}
	var worst time.Duration
	faults := 0
	// reconnected checks the card's state after the fault and returns the
	// new link. A card that served on its last link redials with no pause,
	// so the log since the fault (byte from of stderr) holds none.
	reconnected := func(name string, from int) *vpcdtest.Link {
		t.Helper()
		start := time.Now()
		p := vpcdtest.Accept(t, lns[0], 10*time.Second)
		worst = max(worst, time.Since(start))
		if pauses := redialPauses(srv, base, from); name != vpcdAway && len(pauses) > 0 {
			t.Errorf("after %s: the card paused %v ms before redialling a vpcd that was there", name, pauses)
		}
		if !srv.running() {
			t.Fatalf("after %s: mynacard serve exited:\n%s", name, srv.output())
		}
		if n := authPINCounter(t, p); n != 2 {
			t.Fatalf("after %s: auth PIN counter %d, want 2", name, n)
		}
		if n := authPINCounter(t, other); n != 3 {
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
			peer.Conn.Write(f.send)
		}
		if f.name == "empty frame" {
			if !peer.Closed() { // the card drops a peer that is out of step
				t.Fatal("card did not hang up")
			}
		}
		peer.Conn.(*net.TCPConn).SetLinger(0) // close with RST
		from := len(srv.stderr.String())
		peer.Conn.Close()
		faults++
		peer = reconnected(f.name, from)
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
		if resp := peer.Exchange(cmd); len(resp) < 2 {
			t.Errorf("%d-byte frame % X…: answer % X, want a status word", len(cmd), cmd[:min(4, len(cmd))], resp)
		}
		faults++
	}
	if n := authPINCounter(t, peer); n != 2 {
		t.Fatalf("after odd frames: counter %d, want 2", n)
	}

	// A peer that sends and never reads: the card's writes block; the
	// other slot must not notice, and the card must come back once the
	// peer goes.
	// 21 MB of READ BINARY, more than the loopback socket buffers of both
	// sides hold, asking for 770 MB of answers: the card must block
	// writing and stop reading.
	flood := bytes.Repeat(append([]byte{0x00, 0x05}, 0x00, 0xB0, 0x00, 0x00, 0x00), 3_000_000)
	stall := func(p *vpcdtest.Link) {
		t.Helper()
		p.SW(cmdSelectEF(emulator.JPKIAuthCert.FID()))
		p.Conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
		n, err := p.Conn.Write(flood)
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			t.Fatalf("flood: wrote %d bytes, err %v; want the card to stop reading (a write timeout)", n, err)
		}
		faults++
	}
	stall(peer)
	if c := authPINCounter(t, other); c != 3 {
		t.Fatalf("slot 1 while slot 0 is flooded: counter %d, want 3", c)
	}
	from := len(srv.stderr.String())
	peer.Conn.Close()
	peer = reconnected("a peer that never reads", from)

	// vpcd gone (pcscd stopped) until the card's pauses reach their cap.
	addr := lns[0].Addr().String()
	lns[0].Close()
	from = len(srv.stderr.String())
	peer.Conn.Close()
	faults++
	for deadline := time.Now().Add(10 * time.Second); !slices.Contains(redialPauses(srv, base, from), capRedialMS); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("vpcd away: no %d ms redial pause logged; pauses %v", capRedialMS, redialPauses(srv, base, from))
		}
	}
	var err error
	if lns[0], err = net.Listen("tcp4", addr); err != nil {
		t.Fatalf("re-listen on %s: %v", addr, err)
	}
	defer lns[0].Close()
	peer = reconnected(vpcdAway, from)
	pauses := redialPauses(srv, base, from)
	if len(pauses) < 5 || !slices.Equal(pauses[:5], []int64{50, 100, 200, 400, 500}) {
		t.Errorf("vpcd away: redial pauses %v ms, want 50, 100, 200, 400, then 500 each", pauses)
	}
	checkRedialSchedule(t, "vpcd away", pauses)

	// SIGTERM stops a server stalled on a peer that never reads, and
	// saves.
	stall(peer)
	srv.stop(syscall.SIGTERM)
	if got := loadCardFile(t, a).PINs[emulator.JPKIAuthPIN].Remaining; got != 2 {
		t.Errorf("card file a: auth PIN counter %d after SIGTERM, want 2", got)
	}
	t.Logf("%d vpcd faults survived; slowest reconnect %v", faults, worst.Round(time.Millisecond))
}

// pcscdPID finds the pcscd this test process started (pcscd.Daemon execs it
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
	d := pcsctest.Daemon(t, 1)
	path := newCardFile(t, emulator.KindNormal, t.TempDir(), "card.json", nil)
	srv := startMyna(t, "serve", "--port", strconv.Itoa(d.Base), path, "--log-level", "debug", "--log-json")
	r := openPCSCReader(t, d.ReaderName(0))
	r.connect(t, 10*time.Second)
	r.must(t, cmdSelectJPKI, apdu.SWOK)
	r.must(t, cmdSelectEF(emulator.JPKIAuthPIN.FID()), apdu.SWOK)
	r.must(t, cmdVerify(leakWrongPIN), apdu.RetriesLeft(2))
	var worst time.Duration
	for i, how := range []string{"SIGKILL", "restart", "SIGKILL"} {
		r.disconnect()
		if how == "SIGKILL" {
			if err := syscall.Kill(pcscdPID(t), syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Restart(); err != nil {
			t.Fatal(err)
		}
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
		if n := r.counter(t, emulator.JPKIAuthPIN.FID()); n != 2 {
			t.Fatalf("after pcscd %s: auth PIN counter %d, want 2", how, n)
		}
	}
	r.must(t, cmdVerify("1234"), apdu.SWOK)
	r.disconnect()
	srv.stop(syscall.SIGTERM)
	if got := loadCardFile(t, path).PINs[emulator.JPKIAuthPIN].Remaining; got != 3 {
		t.Errorf("card file: auth PIN counter %d, want 3", got)
	}
	// pcscd polls presence every 400 ms on its own; the card's part is its
	// redial schedule, capped at 500 ms.
	pauses := redialPauses(srv, d.Base, 0)
	checkRedialSchedule(t, "pcscd restarts", pauses)
	t.Logf("3 pcscd restarts (2 SIGKILL) survived; card present again at most %v after pcscd was up; redial pauses %v ms", worst.Round(time.Millisecond), pauses)
}
