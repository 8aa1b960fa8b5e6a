package pcscd

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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mynacard/mynacard/vpcd"
)

const (
	readyTimeout = 15 * time.Second
	stopTimeout  = 5 * time.Second
	// MaxSlots is what one pcscd offers: PCSCLITE_MAX_READERS_CONTEXTS.
	MaxSlots = 16
)

// Options configures Start.
type Options struct {
	// Slots is the number of vpcd slots, 1 to MaxSlots; slot n is reader
	// vpcd.ReaderName(n) and its card dials Addr(n).
	Slots int
	// Dir is the daemon's private directory, created by Start (it must
	// not exist) and removed by Close. Empty means a fresh temporary
	// directory. A process that starts several daemons in turn passes the
	// same Dir each time, because libpcsclite keeps the first socket path.
	Dir string
}

// Daemon is a running private pcscd.
type Daemon struct {
	// Dir holds the daemon's /run, its reader.conf and driver copies.
	Dir string
	// Socket is the daemon's socket; Start sets SocketEnv to it.
	Socket string
	// Base is the vpcd port of slot 0; slot n listens on Base+n.
	Base  int
	slots int

	cmd  *exec.Cmd
	exit chan error
	log  *lockedWriter
}

// Start starts a private pcscd with o.Slots vpcd readers, sets SocketEnv
// for this process, and returns once pcscd lists every reader. Errors that
// the machine causes wrap ErrUnavailable and say what to install or set.
func Start(o Options) (*Daemon, error) {
	if o.Slots < 1 || o.Slots > MaxSlots {
		return nil, fmt.Errorf("pcscd: %d slots; pcscd offers 1 to %d", o.Slots, MaxSlots)
	}
	if err := Available(); err != nil {
		return nil, err
	}
	d := &Daemon{Dir: o.Dir, slots: o.Slots}
	var err error
	if d.Dir == "" {
		d.Dir, err = os.MkdirTemp("", "mynacard-pcscd-")
	} else {
		err = os.Mkdir(d.Dir, 0o700)
	}
	if err != nil {
		return nil, fmt.Errorf("pcscd: private directory: %w", err)
	}
	d.Socket = SocketIn(d.Dir)
	if err := d.prepare(); err != nil {
		os.RemoveAll(d.Dir)
		return nil, err
	}
	// A port found free can be taken before pcscd binds it; then its
	// reader never appears and another range is tried.
	var lastErr error
	for range 3 {
		if d.Base, err = freePortRange(d.entries() * vpcd.SlotsPerReader); err != nil {
			break
		}
		conf := vpcd.ReaderConf(d.Base, d.drivers())
		if err = os.WriteFile(filepath.Join(d.Dir, "conf", "vpcd"), conf, 0o644); err != nil {
			break
		}
		if lastErr = d.start(); lastErr == nil {
			return d, nil
		}
		d.stop()
		err = fmt.Errorf("%w\npcscd log:\n%s", lastErr, d.log)
	}
	os.RemoveAll(d.Dir)
	return nil, fmt.Errorf("pcscd: %w", err)
}

func (d *Daemon) prepare() error {
	for _, sub := range []string{"run", "conf"} {
		if err := os.Mkdir(filepath.Join(d.Dir, sub), 0o755); err != nil {
			return fmt.Errorf("pcscd: %w", err)
		}
	}
	// Readers sharing one loaded driver share its slots (see
	// vpcd.ReaderConf), so every entry after the first loads a copy.
	for _, p := range d.drivers()[1:] {
		if err := copyFile(p, vpcd.DriverPath); err != nil {
			return fmt.Errorf("pcscd: driver copy: %w", err)
		}
	}
	return os.Setenv(SocketEnv, d.Socket)
}

// SocketIn is the socket path of a daemon whose Options.Dir is dir.
func SocketIn(dir string) string { return filepath.Join(dir, "run", "pcscd", "pcscd.comm") }

func (d *Daemon) entries() int { return (d.slots + vpcd.SlotsPerReader - 1) / vpcd.SlotsPerReader }

func (d *Daemon) drivers() []string {
	drivers := []string{vpcd.DriverPath}
	for i := 1; i < d.entries(); i++ {
		drivers = append(drivers, filepath.Join(d.Dir, fmt.Sprintf("libifdvpcd-%d.so", i)))
	}
	return drivers
}

// Addr is the address the card for slot n dials.
func (d *Daemon) Addr(slot int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.Base+slot))
}

// ReaderName is the PC/SC name of slot n.
func (d *Daemon) ReaderName(slot int) string { return vpcd.ReaderName(slot) }

// Readers lists the reader names of every slot.
func (d *Daemon) Readers() []string {
	names := make([]string, d.slots)
	for i := range names {
		names[i] = d.ReaderName(i)
	}
	return names
}

// Log returns what pcscd has printed, for error reports.
func (d *Daemon) Log() string { return d.log.String() }

// Restart stops pcscd and starts it again on the same socket and ports,
// as an administrator restarting the service would.
func (d *Daemon) Restart() error {
	d.stop()
	if err := d.start(); err != nil {
		return fmt.Errorf("pcscd: restart: %w\npcscd log:\n%s", err, d.log)
	}
	return nil
}

// Close stops pcscd and removes Dir.
func (d *Daemon) Close() error {
	d.stop()
	return os.RemoveAll(d.Dir)
}

func (d *Daemon) start() error {
	pcscd, _ := tool("pcscd")
	unshare, _ := tool("unshare")
	args := []string{"--mount", "--propagation", "private"}
	if os.Geteuid() != 0 {
		// An unprivileged user may mount inside its own user namespace.
		args = append([]string{"--user", "--map-root-user"}, args...)
	}
	runDir := filepath.Join(d.Dir, "run")
	os.RemoveAll(filepath.Join(runDir, "pcscd")) // a killed daemon leaves its socket
	args = append(args, "sh", "-c", `mount --bind "$0" /run && exec "$@"`,
		runDir, pcscd, "--foreground", "--info", "--config", filepath.Join(d.Dir, "conf"))
	d.log = &lockedWriter{}
	d.cmd = exec.Command(unshare, args...)
	d.cmd.Stdout = d.log
	d.cmd.Stderr = d.log
	// pcscd must not outlive its parent, even one that crashes, or it
	// would keep its ports. Pdeathsig fires when the forking thread ends,
	// so that thread is held until pcscd exits.
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
	want := d.Readers()
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
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("pcscd did not list readers %q within %v (listed %q, last error %v)", want, readyTimeout, got, err)
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

// Available reports, wrapping ErrUnavailable, why a private pcscd cannot
// run here, and what to do about it.
func Available() error {
	for _, name := range []string{"pcscd", "unshare"} {
		if _, err := tool(name); err != nil {
			return err
		}
	}
	if _, err := os.Stat(vpcd.DriverPath); err != nil {
		return fmt.Errorf("%w: vpcd driver %s missing (install Debian package vsmartcard-vpcd, or run make deps)", ErrUnavailable, vpcd.DriverPath)
	}
	if os.Geteuid() == 0 {
		return nil
	}
	unshare, _ := tool("unshare")
	out, err := exec.Command(unshare, "--user", "--map-root-user", "--mount", "true").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: not root and unprivileged user namespaces are refused (%s); run as root (sudo), or as root allow them: %s",
			ErrUnavailable, strings.TrimSpace(string(out)), usernsSysctl())
	}
	return nil
}

// usernsSysctl names the setting that refuses user namespaces here.
func usernsSysctl() string {
	for _, s := range []struct{ file, want, cmd string }{
		{"/proc/sys/kernel/unprivileged_userns_clone", "0", "sysctl -w kernel.unprivileged_userns_clone=1"},
		{"/proc/sys/user/max_user_namespaces", "0", "sysctl -w user.max_user_namespaces=15000"},
		{"/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1", "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"},
	} {
		if b, err := os.ReadFile(s.file); err == nil && strings.TrimSpace(string(b)) == s.want {
			return s.cmd
		}
	}
	return "sysctl -w kernel.unprivileged_userns_clone=1 (or user.max_user_namespaces=15000)"
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
	return "", fmt.Errorf("%w: %s not found (install Debian packages pcscd, util-linux and vsmartcard-vpcd, or run make deps)", ErrUnavailable, name)
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
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

// lockedWriter collects pcscd's output while others may print it.
type lockedWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (l *lockedWriter) String() string {
	if l == nil {
		return ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
