package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/internal/pcscdtest"
	"github.com/mynacard/mynacard/vpcd"
)

// TestServeHelperProcess is not a test: it runs "mynacard serve" in a child
// process, so tests can signal it as a user would.
func TestServeHelperProcess(t *testing.T) {
	if os.Getenv("MYNACARD_SERVE_HELPER") != "1" {
		return
	}
	args := os.Args
	for len(args) > 0 && args[0] != "--" {
		args = args[1:]
	}
	os.Exit(run(&env{stdout: os.Stdout, stderr: os.Stderr}, append([]string{"serve"}, args[1:]...)))
}

type serveProc struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr *lockedBuffer
	exit   chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startServe(t *testing.T, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestServeHelperProcess$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "MYNACARD_SERVE_HELPER=1")
	p := &serveProc{cmd: cmd, lines: make(chan string, 100), stderr: &lockedBuffer{}, exit: make(chan error, 1)}
	cmd.Stderr = p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.exit <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		if t.Failed() {
			t.Logf("serve stderr:\n%s", p.stderr)
		}
	})
	return p
}

// expectLine waits for a stdout line containing want.
func (p *serveProc) expectLine(t *testing.T, want string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("serve exited before printing %q", want)
			}
			if strings.Contains(l, want) {
				return l
			}
		case <-timeout:
			t.Fatalf("serve did not print %q within 10s", want)
		}
	}
}

// stop sends sig and returns the exit code.
func (p *serveProc) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	p.cmd.Process.Signal(sig)
	for range p.lines {
	}
	select {
	case err := <-p.exit:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not exit within 10s of the signal")
		return -1
	}
}

func writeCard(t *testing.T, k profile.Kind) string {
	t.Helper()
	st, err := profile.Default(k)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), string(k)+".json")
	if err := emulator.Save(path, st); err != nil {
		t.Fatal(err)
	}
	return path
}

// fakeVPCD dials a card served in reversed mode, as vpcd with a reader.conf
// DEVICENAME of host:port does.
type fakeVPCD struct {
	t *testing.T
	c net.Conn
}

func dialServe(t *testing.T, addr string) fakeVPCD {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			t.Cleanup(func() { c.Close() })
			return fakeVPCD{t, c}
		}
		if time.Now().After(deadline) {
			t.Fatalf("dial %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (v fakeVPCD) exchange(payload []byte) ([]byte, error) {
	v.c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := vpcd.WriteFrame(v.c, payload); err != nil {
		return nil, err
	}
	return vpcd.ReadFrame(v.c)
}

func (v fakeVPCD) sw(hexCmd string, data ...byte) apdu.SW {
	v.t.Helper()
	cmd, err := hex.DecodeString(hexCmd)
	if err != nil {
		v.t.Fatal(err)
	}
	resp, err := v.exchange(append(cmd, data...))
	if err != nil {
		v.t.Fatalf("% X: %v", cmd, err)
	}
	r, err := apdu.ParseResponse(resp)
	if err != nil {
		v.t.Fatal(err)
	}
	return r.SW
}

// closed reports whether the card hung up.
func (v fakeVPCD) closed() bool {
	v.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := v.c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestServeReversedSignalsAndPersistence(t *testing.T) {
	path := writeCard(t, profile.Normal)
	addr := freePort(t)
	p := startServe(t, path, "--reversed", addr, "--log-level", "debug", "--log-json")
	p.expectLine(t, "slot 0: "+path+", waiting for vpcd on "+addr)

	v := dialServe(t, addr)
	atr, err := v.exchange([]byte{vpcd.CtrlATR})
	st, _ := emulator.Load(path)
	if err != nil || !bytes.Equal(atr, st.ATR) {
		t.Fatalf("ATR = % X, %v; want % X", atr, err, st.ATR)
	}
	v.sw("00A4040C0AD392F000260100000001")
	v.sw("00A4020C020018")
	if sw := v.sw("0020008004", []byte("0246")...); sw != apdu.RetriesLeft(2) {
		t.Errorf("wrong PIN: SW %v, want 63C2", sw)
	}

	if _, err := emulator.LockFile(path); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("LockFile while served = %v, want an in-use error", err)
	}
	var stderr bytes.Buffer
	if code := run(&env{stdout: &bytes.Buffer{}, stderr: &stderr}, []string{"serve", path, "--reversed", freePort(t)}); code != 1 || !strings.Contains(stderr.String(), "in use") {
		t.Errorf("second serve of the card: exit %d, stderr %q; want 1 and an in-use error", code, stderr.String())
	}

	p.cmd.Process.Signal(syscall.SIGUSR1)
	p.expectLine(t, "cards removed")
	if !v.closed() {
		t.Error("link still open after removal")
	}
	if v = dialServe(t, addr); !v.closed() {
		t.Error("removed card answered a new vpcd connection")
	}
	p.cmd.Process.Signal(syscall.SIGUSR1)
	p.expectLine(t, "cards inserted")
	v = dialServe(t, addr)
	v.sw("00A4040C0AD392F000260100000001")
	v.sw("00A4020C020018")
	if sw := v.sw("00200080"); sw != apdu.RetriesLeft(2) {
		t.Errorf("re-inserted card: empty VERIFY SW %v, want 63C2", sw)
	}

	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
	st, err = emulator.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.PINs[emulator.JPKIAuthPIN].Remaining; got != 2 {
		t.Errorf("saved auth PIN counter = %d, want 2", got)
	}
	checkAPDULog(t, p.stderr.String(), "0246")
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
	d := pcscdtest.Start(t, 2)
	normal, faceAuth := writeCard(t, profile.Normal), writeCard(t, profile.FaceAuth)
	p := startServe(t, "--slots", normal+","+faceAuth, "--port", fmt.Sprint(d.Base))
	p.expectLine(t, fmt.Sprintf("slot 0: %s on reader %q", normal, d.ReaderName(0)))
	p.expectLine(t, fmt.Sprintf("slot 1: %s on reader %q", faceAuth, d.ReaderName(1)))

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
	if code := p.stop(t, os.Interrupt); code != 0 {
		t.Errorf("exit code after SIGINT = %d, want 0", code)
	}
}

func TestServeUsageErrors(t *testing.T) {
	card := writeCard(t, profile.Normal)
	corrupt := filepath.Join(t.TempDir(), "corrupt.json")
	os.WriteFile(corrupt, []byte("{not json"), 0o600)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "no card file"},
		{[]string{"--slot", "-1", card}, 2, "do not fit"},
		{[]string{"--slot", "15", card, card + "2"}, 2, "do not fit"},
		{[]string{"--slots", card + ",,x.json"}, 2, "empty file name"},
		{[]string{card, card}, 2, "given twice"},
		{[]string{"--reversed", "nohost", card}, 2, "--reversed"},
		{[]string{"--port", "0", card}, 2, "--port 0"},
		{[]string{"--log-level", "loud", card}, 2, "loud"},
		{[]string{"--bogus", card}, 2, "bogus"},
		{[]string{"--hostile", "x7", card}, 2, "--hostile"},
		{[]string{filepath.Join(t.TempDir(), "missing.json")}, 1, "missing.json"},
		{[]string{corrupt}, 1, "corrupt.json"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(&env{stdout: &stdout, stderr: &stderr}, append([]string{"serve"}, tt.args...))
		if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("serve %q: exit %d, stderr %q; want exit %d mentioning %q", tt.args, code, stderr.String(), tt.code, tt.want)
		}
	}
}

// A hostile card answers some commands with mutated responses, each logged
// with its sequence number so a host crash can be replayed, and leaves the
// others as the card sent them.
func TestServeHostile(t *testing.T) {
	path := writeCard(t, profile.Normal)
	addr := freePort(t)
	p := startServe(t, path, "--reversed", addr, "--hostile", "7", "--log-json")
	p.expectLine(t, "slot 0: "+path+", waiting for vpcd on "+addr)
	v := dialServe(t, addr)
	selectJPKI, _ := hex.DecodeString("00A4040C0AD392F000260100000001")
	const n = 40
	clean := 0
	for range n {
		resp, err := v.exchange(selectJPKI)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		if bytes.Equal(resp, []byte{0x90, 0x00}) {
			clean++
		}
	}
	if clean == 0 || clean == n {
		t.Errorf("%d of %d SELECTs answered 9000; a hostile card mutates some answers, not all or none", clean, n)
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("serve exit %d", code)
	}
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
