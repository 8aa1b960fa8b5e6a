//go:build linux

// Package pcscdtest starts a private pcscd with vpcd readers for tests that
// need the real PC/SC stack.
//
// Debian's pcscd 1.9.9 ignores PCSCLITE_CSOCK_NAME (only libpcsclite, the
// client side, reads it), so the daemon cannot simply be pointed at another
// socket. Instead it runs in its own mount namespace with a test directory
// bound over /run: its /run/pcscd/pcscd.comm is then <dir>/pcscd/pcscd.comm
// on the host, which this package exports as PCSCLITE_CSOCK_NAME for the
// in-process client and for the tools tests spawn. Its vpcd readers listen
// on a free port range. So test packages running in parallel, and a
// system pcscd, never see each other's readers.
package pcscdtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/mynacard/mynacard/vpcd"
)

// SocketEnv is the variable libpcsclite reads for the daemon's socket.
const SocketEnv = "PCSCLITE_CSOCK_NAME"

const (
	readyTimeout = 15 * time.Second
	stopTimeout  = 5 * time.Second
)

// Daemon is a running private pcscd.
type Daemon struct {
	// Socket is the daemon's socket; SocketEnv is set to it.
	Socket string
	// Base is the vpcd port of slot 0; slot n listens on Base+n.
	Base  int
	slots int

	cmd  *exec.Cmd
	exit chan error
	log  *lockedWriter
}

// proc is the per-process state. libpcsclite reads SocketEnv once per
// process, so every daemon a test binary starts must use the same socket
// path, and only one can run at a time.
var proc struct {
	once sync.Once
	err  error
	dir  string
	busy sync.Mutex
}

func setup() error {
	proc.once.Do(func() {
		parent := filepath.Join(os.TempDir(), "mynacard-pcscd")
		removeStale(parent)
		dir := filepath.Join(parent, strconv.Itoa(os.Getpid()))
		os.RemoveAll(dir) // a dead process's, reusing our pid
		if err := os.MkdirAll(dir, 0o755); err != nil {
			proc.err = err
			return
		}
		proc.dir = dir
		for _, d := range []string{"run", "conf"} {
			if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
				proc.err = err
				return
			}
		}
		proc.err = os.Setenv(SocketEnv, filepath.Join(dir, "run", "pcscd", "pcscd.comm"))
	})
	return proc.err
}

// tool finds a program the daemon needs, also in sbin directories a
// non-root PATH lacks.
func tool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/bin"} {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found (install Debian packages pcscd and vsmartcard-vpcd: make deps)", name)
}

// unavailable skips the test when the PC/SC stack is missing, except under
// CI=true, where a missing stack is a broken build machine.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("pcscdtest: %v (CI=true: not skipping)", err)
	}
	t.Skipf("pcscdtest: %v", err)
}

// Start starts a private pcscd whose vpcd readers give the test the given
// number of slots, waits until pcscd lists them, and stops it when the test
// ends. It skips the test when pcscd or vpcd is not installed (fails under
// CI=true). Call it before any other PC/SC use in the process.
func Start(t testing.TB, slots int) *Daemon {
	t.Helper()
	if slots < 1 || slots > 16 {
		t.Fatalf("pcscdtest: %d slots; pcscd offers 1 to 16", slots)
	}
	for _, name := range []string{"pcscd", "unshare"} {
		if _, err := tool(name); err != nil {
			unavailable(t, err)
		}
	}
	if _, err := os.Stat(vpcd.DriverPath); err != nil {
		unavailable(t, fmt.Errorf("vpcd driver: %v (install vsmartcard-vpcd: make deps)", err))
	}
	if err := setup(); err != nil {
		t.Fatalf("pcscdtest: %v", err)
	}
	proc.busy.Lock()
	d := &Daemon{Socket: os.Getenv(SocketEnv), slots: slots}
	t.Cleanup(func() {
		if t.Failed() && d.log != nil {
			t.Logf("pcscd log:\n%s", d.log)
		}
		d.stop()
		proc.busy.Unlock()
	})

	entries := (slots + vpcd.SlotsPerReader - 1) / vpcd.SlotsPerReader
	drivers, err := driverCopies(entries)
	if err != nil {
		t.Fatalf("pcscdtest: %v", err)
	}
	// A port found free can be taken before pcscd binds it; then its
	// reader never appears and another range is tried.
	var lastErr error
	for range 3 {
		d.Base, err = freePortRange(entries * vpcd.SlotsPerReader)
		if err != nil {
			t.Fatalf("pcscdtest: %v", err)
		}
		conf := vpcd.ReaderConf(d.Base, drivers)
		if err := os.WriteFile(filepath.Join(proc.dir, "conf", "vpcd"), conf, 0o644); err != nil {
			t.Fatalf("pcscdtest: %v", err)
		}
		if lastErr = d.start(); lastErr == nil {
			return d
		}
		d.stop()
	}
	t.Fatalf("pcscdtest: %v\npcscd log:\n%s", lastErr, d.log)
	return nil
}

// Addr is the address the card for slot n dials.
func (d *Daemon) Addr(slot int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.Base+slot))
}

// ReaderName is the PC/SC name of slot n.
func (d *Daemon) ReaderName(slot int) string { return vpcd.ReaderName(slot) }

// Restart stops pcscd and starts it again on the same socket and ports,
// as an administrator restarting the service would.
func (d *Daemon) Restart(t testing.TB) {
	t.Helper()
	d.stop()
	if err := d.start(); err != nil {
		t.Fatalf("pcscdtest: restart: %v\npcscd log:\n%s", err, d.log)
	}
}

func (d *Daemon) start() error {
	pcscd, _ := tool("pcscd")
	unshare, _ := tool("unshare")
	args := []string{"--mount", "--propagation", "private"}
	if os.Geteuid() != 0 {
		// An unprivileged user may mount inside its own user namespace.
		args = append([]string{"--user", "--map-root-user"}, args...)
	}
	runDir := filepath.Join(proc.dir, "run")
	os.RemoveAll(filepath.Join(runDir, "pcscd")) // a killed daemon leaves its socket
	args = append(args, "sh", "-c", `mount --bind "$0" /run && exec "$@"`,
		runDir, pcscd, "--foreground", "--info", "--config", filepath.Join(proc.dir, "conf"))
	d.log = &lockedWriter{}
	d.cmd = exec.Command(unshare, args...)
	d.cmd.Stdout = d.log
	d.cmd.Stderr = d.log
	// pcscd must not outlive a test binary that crashes or times out, or
	// it would keep its ports. Pdeathsig fires when the forking thread
	// ends, so that thread is held until pcscd exits.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	d.exit = make(chan error, 1)
	started := make(chan error)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := d.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		d.exit <- d.cmd.Wait()
	}()
	if err := <-started; err != nil {
		d.cmd = nil
		return fmt.Errorf("start pcscd: %w", err)
	}
	return d.waitReaders()
}

// waitReaders waits until pcscd lists a reader for every slot.
func (d *Daemon) waitReaders() error {
	want := make([]string, d.slots)
	for i := range want {
		want[i] = d.ReaderName(i)
	}
	deadline := time.Now().Add(readyTimeout)
	var got []string
	var err error
	for time.Now().Before(deadline) {
		select {
		case werr := <-d.exit:
			d.exit <- werr
			return fmt.Errorf("pcscd exited during startup: %v", werr)
		default:
		}
		got, err = listReaders()
		if err == nil && containsAll(got, want) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("pcscd did not list readers %q within %v (listed %q, last error %v)", want, readyTimeout, got, err)
}

func listReaders() ([]string, error) {
	ctx, err := scard.EstablishContext()
	if err != nil {
		return nil, err
	}
	defer ctx.Release()
	return ctx.ListReaders()
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func (d *Daemon) stop() {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exit:
	case <-time.After(stopTimeout):
		d.cmd.Process.Kill()
		<-d.exit
	}
	d.cmd = nil
}

// driverCopies returns a driver file per reader entry: the first is
// Debian's; the others are copies, since readers sharing one loaded driver
// share its slots (see vpcd.ReaderConf).
func driverCopies(entries int) ([]string, error) {
	drivers := []string{vpcd.DriverPath}
	for i := 1; i < entries; i++ {
		p := filepath.Join(proc.dir, fmt.Sprintf("libifdvpcd-%d.so", i))
		if _, err := os.Stat(p); err != nil {
			if err := copyFile(p, vpcd.DriverPath); err != nil {
				return nil, err
			}
		}
		drivers = append(drivers, p)
	}
	return drivers, nil
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// freePortRange finds n consecutive ports free on all interfaces, where
// vpcd binds them.
func freePortRange(n int) (int, error) {
	for range 100 {
		base := 20000 + rand.IntN(40000)
		if allFree(base, n) {
			return base, nil
		}
	}
	return 0, errors.New("no free port range found")
}

func allFree(base, n int) bool {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for p := base; p < base+n; p++ {
		ln, err := net.Listen("tcp4", ":"+strconv.Itoa(p))
		if err != nil {
			return false
		}
		lns = append(lns, ln)
	}
	return true
}

// lockedWriter collects pcscd's output while tests may print it.
type lockedWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// removeStale deletes the directories of test processes that have exited;
// each process keeps one (named by its pid) for its whole life, because its
// socket path cannot change.
func removeStale(parent string) {
	ents, _ := os.ReadDir(parent)
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
}
