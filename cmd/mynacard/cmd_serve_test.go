package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
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

func TestServeReversedSignalsAndPersistence(t *testing.T) {
	path := newCardFile(t, emulator.KindNormal, t.TempDir(), "card.json", nil)
	addr := vpcdtest.FreeAddr(t)
	p := startMyna(t, "serve", path, "--reversed", addr, "--log-apdu", "--log-json")
	p.expectLine("slot 0: " + path + ", waiting for vpcd on " + addr)

	v := vpcdtest.Dial(t, addr, 10*time.Second)
	atr := v.Exchange([]byte{vpcd.CtrlATR})
	st, _ := cardfile.Load(path)
	if !bytes.Equal(atr, st.ATR) {
		t.Fatalf("ATR = % X; want % X", atr, st.ATR)
	}
	v.SW(cmdSelectJPKI)
	v.SW(cmdSelectEF(emulator.JPKIAuthPIN.FID()))
	if sw := v.SW(cmdVerify("0246")); sw != apdu.RetriesLeft(2) {
		t.Errorf("wrong PIN: SW %v, want 63C2", sw)
	}

	if _, err := cardfile.Lock(path); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("Lock while served = %v, want an in-use error", err)
	}
	var stderr bytes.Buffer
	if code := run(&env{stdout: &bytes.Buffer{}, stderr: &stderr}, []string{"serve", path, "--reversed", vpcdtest.FreeAddr(t)}); code != 1 || !strings.Contains(stderr.String(), "in use") {
		t.Errorf("second serve of the card: exit %d, stderr %q; want 1 and an in-use error", code, stderr.String())
	}

	p.cmd.Process.Signal(syscall.SIGUSR1)
	p.expectLine("cards removed")
	if !v.Closed() {
		t.Error("link still open after removal")
	}
	if v = vpcdtest.Dial(t, addr, 10*time.Second); !v.Closed() {
		t.Error("removed card answered a new vpcd connection")
	}
	p.cmd.Process.Signal(syscall.SIGUSR1)
	p.expectLine("cards inserted")
	v = vpcdtest.Dial(t, addr, 10*time.Second)
	v.SW(cmdSelectJPKI)
	v.SW(cmdSelectEF(emulator.JPKIAuthPIN.FID()))
	if sw := v.SW(cmdVerify("")); sw != apdu.RetriesLeft(2) {
		t.Errorf("re-inserted card: empty VERIFY SW %v, want 63C2", sw)
	}

	p.stop(syscall.SIGTERM)
	st, err := cardfile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.PINs[emulator.JPKIAuthPIN].Remaining; got != 2 {
		t.Errorf("saved auth PIN counter = %d, want 2", got)
	}
	checkAPDULog(t, p.stderr.String(), "0246")
	// Each APDU line names the card file and, with --log-apdu, shows the
	// command's bytes with the PIN masked.
	hexes := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
		var f struct{ Msg, Card, Hex string }
		if json.Unmarshal([]byte(line), &f) == nil && f.Msg == "apdu" {
			if f.Card != path {
				t.Errorf("apdu line names card %q, want %s: %s", f.Card, path, line)
			}
			hexes[f.Hex] = true
		}
	}
	for _, want := range []string{"00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01", "00 20 00 80 04 ** ** ** **"} {
		if !hexes[want] {
			t.Errorf("no apdu line with hex %q (got %v)", want, hexes)
		}
	}
}

// checkAPDULog wants a debug line per APDU, VERIFY among them, and the PIN
// in none of the log's fields.
func checkAPDULog(t *testing.T, logs, pin string) {
	t.Helper()
	var verifies int
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var f map[string]any
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		if f["msg"] == "apdu" && strings.HasPrefix(fmt.Sprint(f["cmd"]), "VERIFY") {
			verifies++
		}
		delete(f, "time") // digits that may match the PIN by chance
		delete(f, "duration")
		for k, v := range f {
			if s := fmt.Sprint(v); strings.Contains(s, pin) || strings.Contains(strings.ToUpper(s), fmt.Sprintf("%X", pin)) {
				t.Errorf("log field %s = %q shows the PIN", k, s)
			}
		}
	}
	if verifies != 2 {
		t.Errorf("log has %d VERIFY apdu lines, want 2:\n%s", verifies, logs)
	}
}

// TestServeThroughPCSCD runs the command as a user would, two card files
// on the two slots of a pcscd, and finds them with OpenSC.
func TestServeThroughPCSCD(t *testing.T) {
	d := pcsctest.Daemon(t, 2)
	dir := t.TempDir()
	normal := newCardFile(t, emulator.KindNormal, dir, "normal.json", nil)
	faceAuth := newCardFile(t, emulator.KindFaceAuth, dir, "face-auth.json", nil)
	p := startMyna(t, "serve", "--slots", normal+","+faceAuth, "--port", fmt.Sprint(d.Base))
	p.expectLine(fmt.Sprintf("slot 0: %s, dialling vpcd on 127.0.0.1:%d", normal, d.Base))
	p.expectLine(fmt.Sprintf("slot 1: %s, dialling vpcd on 127.0.0.1:%d", faceAuth, d.Base+1))
	p.expectLine("vpcd linked") // slot 0's or 1's line, whichever links first

	tool, err := exec.LookPath("pkcs15-tool")
	if err != nil {
		t.Skip("pkcs15-tool not installed (make deps)")
	}
	var out []byte
	deadline := time.Now().Add(10 * time.Second)
	for {
		cmd := exec.Command(tool, "--reader", "1", "--list-pins")
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
		out, err = cmd.CombinedOutput()
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond) // the card connects at pcscd's next poll
	}
	if err != nil || !strings.Contains(string(out), "Tries left     : 0") {
		t.Errorf("pkcs15-tool --list-pins on the face-auth slot: %v\n%s", err, out)
	}
	p.stop(os.Interrupt)
}

// A hostile card answers some commands with mutated responses, each logged
// with its sequence number so a host crash can be replayed, and leaves the
// others as the card sent them.
func TestServeHostile(t *testing.T) {
	path := newCardFile(t, emulator.KindNormal, t.TempDir(), "card.json", nil)
	addr := vpcdtest.FreeAddr(t)
	p := startMyna(t, "serve", path, "--reversed", addr, "--hostile", "7", "--log-json")
	p.expectLine("slot 0: " + path + ", waiting for vpcd on " + addr)
	v := vpcdtest.Dial(t, addr, 10*time.Second)
	const n = 40
	clean := 0
	for range n {
		if bytes.Equal(v.Exchange(cmdSelectJPKI), []byte{0x90, 0x00}) {
			clean++
		}
	}
	if clean == 0 || clean == n {
		t.Errorf("%d of %d SELECTs answered 9000; a hostile card mutates some answers, not all or none", clean, n)
	}
	p.stop(syscall.SIGTERM)
	var mutations int
	for _, line := range strings.Split(p.stderr.String(), "\n") {
		var rec struct {
			Msg    string `json:"msg"`
			Seq    *int   `json:"seq"`
			Seed   int    `json:"seed"`
			Answer string `json:"answer"`
			Sent   string `json:"sent"`
		}
		// A mutation can leave a bare 9000 as it was (e.g. truncating data
		// it does not have); only those that changed it show on the wire.
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "hostile answer" && rec.Seq != nil && rec.Seed == 7 && rec.Sent != rec.Answer {
			mutations++
		}
	}
	if mutations != n-clean {
		t.Errorf("%d changed answers logged, want %d (one per answer that was not 9000)", mutations, n-clean)
	}
}

// The short-answer mutation reaches the host as the 1-byte frame vpcd
// carries, at the rate and from the set the flags choose.
func TestServeHostileShortAnswer(t *testing.T) {
	path := newCardFile(t, emulator.KindNormal, t.TempDir(), "card.json", nil)
	addr := vpcdtest.FreeAddr(t)
	p := startMyna(t, "serve", path, "--reversed", addr, "--hostile", "3", "--hostile-rate", "1", "--hostile-mutations", "short-answer")
	p.expectLine("slot 0: " + path + ", waiting for vpcd on " + addr)
	v := vpcdtest.Dial(t, addr, 10*time.Second)
	for range 5 {
		if got := v.Exchange(cmdSelectJPKI); !bytes.Equal(got, []byte{0x90}) {
			t.Errorf("answer % X, want the 1-byte short answer 90", got)
		}
	}
	p.stop(syscall.SIGTERM)
	if strings.Contains(p.stderr.String(), "cannot be framed") {
		t.Errorf("a short answer was replaced:\n%s", p.stderr.String())
	}
}

// serve --wait gives up when vpcd never links, saying why: nothing
// listening, or a listener that takes no frames (a slot another server
// holds).
func TestServeWaitNamesTheCause(t *testing.T) {
	card := newCardFile(t, emulator.KindNormal, t.TempDir(), "card.json", nil)
	free := vpcdtest.FreeAddr(t)
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	go func() {
		for {
			c, err := held.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accepted, never a frame
		}
	}()
	for _, tt := range []struct {
		addr, want string
	}{
		{free, "nothing listens on " + free},
		{held.Addr().String(), "another server (mynacard serve, vicc) probably holds slot 0"},
	} {
		_, port, _ := net.SplitHostPort(tt.addr)
		code, stdout, stderr := runCLI(t, "serve", "--port", port, "--wait", "300ms", "--log-level", "error", card)
		if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "no vpcd link within 300ms: ") || !strings.Contains(stderr, tt.want) {
			t.Errorf("serve on %s: exit %d, stderr %q; want exit 1 and one line saying %q", tt.addr, code, stderr, tt.want)
		}
		if strings.Contains(stdout, "reader \"") {
			t.Errorf("serve named a reader before any vpcd linked:\n%s", stdout)
		}
	}
}
