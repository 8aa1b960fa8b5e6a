package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Tests that signal, kill or starve `mynacard` run it as a child process:
// this test binary re-executed (TestMain), so no separate build is needed
// and, under -race, the child is race-checked too.

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
	// seen is how much of stdout expectLine has consumed.
	seen int
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

// expectLine waits up to 10 s for a stdout line containing want, after the
// lines earlier calls consumed, and returns it: so a test can wait for the
// same message twice, and for messages in order.
func (c *mynaProc) expectLine(want string) string {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		exited := !c.running() // before reading, so no line written before the exit is missed
		out := c.stdout.String()
		for {
			line, rest, ok := strings.Cut(out[c.seen:], "\n")
			if !ok {
				break
			}
			c.seen = len(out) - len(rest)
			if strings.Contains(line, want) {
				return line
			}
		}
		if exited {
			c.t.Fatalf("mynacard exited (%v) before writing %q:\n%s", c.cmd.ProcessState, want, c.output())
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("mynacard wrote no %q within 10s:\n%s", want, c.output())
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

// stop ends a serving child with sig, as an administrator (SIGTERM) or a
// user at the terminal (SIGINT) would, and checks that it exited cleanly.
func (c *mynaProc) stop(sig os.Signal) {
	c.t.Helper()
	c.cmd.Process.Signal(sig)
	if code := c.wait(10 * time.Second); code != 0 {
		c.t.Errorf("mynacard serve exited %d after %v:\n%s", code, sig, c.output())
	}
}

// runMyna runs mynacard to completion and returns its exit code and output.
func runMyna(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	c := startMyna(t, args...)
	code = c.wait(10 * time.Second)
	return code, c.stdout.String(), c.stderr.String()
}
