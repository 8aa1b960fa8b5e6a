//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// child is one run of a user's program against a testbed: run, matrix
// and fuzz-client start their CMD through it.
type child struct {
	argv, env      []string // env is added to this process's environment
	stdin          io.Reader
	stdout, stderr io.Writer
	// sigs are passed on to the program, which decides how to end.
	sigs <-chan os.Signal
	// timeout kills the program when it runs longer; 0 waits for ever.
	timeout time.Duration
	// ownGroup runs the program in a process group of its own, killed as a
	// whole at the timeout, so that a hung grandchild (CMD run through a
	// shell) cannot hold its output open. Only for programs whose output
	// is captured: a group of its own loses the terminal.
	ownGroup bool
}

// errTimedOut is the error run returns with exitTimeout when the timeout
// killed the program.
var errTimedOut = errors.New("timed out")

// runCaptured runs the program with its output kept, the end of it, in
// its own process group, as matrix and fuzz-client run CMD; the timeout
// killing it is timedOut, not an error.
func (c child) runCaptured() (status int, output string, timedOut bool, err error) {
	var out tailBuffer
	c.stdout, c.stderr, c.ownGroup = &out, &out, true
	status, err = c.run()
	if errors.Is(err, errTimedOut) {
		timedOut, err = true, nil
	}
	return status, out.String(), timedOut, err
}

// run runs the program and returns its exit status: 128+n for signal n,
// exitTimeout (with errTimedOut) when the timeout killed it.
func (c child) run() (int, error) {
	cmd := exec.Command(c.argv[0], c.argv[1:]...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.stdin, c.stdout, c.stderr
	// CMD must not outlive us even if we are killed: Pdeathsig fires when
	// the forking thread ends, so that thread is held until CMD exits.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: c.ownGroup}
	// A grandchild that keeps a captured stream open must not hold Wait.
	cmd.WaitDelay = time.Second
	exited := make(chan error, 1)
	started := make(chan error)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		exited <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return 127, fmt.Errorf("%s: command not found; give its path or fix PATH", c.argv[0])
		}
		return 126, fmt.Errorf("cannot start %s: %v", c.argv[0], err)
	}
	var deadline <-chan time.Time
	if c.timeout > 0 {
		t := time.NewTimer(c.timeout)
		defer t.Stop()
		deadline = t.C
	}
	timedOut := false
	for {
		select {
		case sig := <-c.sigs:
			cmd.Process.Signal(sig)
			continue
		case <-deadline:
			timedOut = true
			if !c.ownGroup || syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) != nil {
				cmd.Process.Kill()
			}
			continue
		case <-exited:
		}
		break
	}
	if c.ownGroup {
		// What CMD left behind goes with it.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if timedOut {
		return exitTimeout, fmt.Errorf("%s still running after --timeout %v; killed it: %w", c.argv[0], c.timeout, errTimedOut)
	}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return cmd.ProcessState.ExitCode(), nil
}
