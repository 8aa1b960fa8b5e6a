package vpcd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mynacard/mynacard/internal/logging"
)

// fakeCard counts what the link does to it. Its one piece of state, n,
// counts commands, so a test can see that state survives a reconnect.
type fakeCard struct {
	mu            sync.Mutex
	n             int
	resets, offs  int
	panicOn       byte
	hugeResponses bool
}

var fakeATR = []byte{0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14}

func (c *fakeCard) ATR() []byte { return fakeATR }

func (c *fakeCard) Transmit(cmd []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.panicOn != 0 && len(cmd) > 1 && cmd[1] == c.panicOn {
		panic("fake card: told to panic")
	}
	if c.hugeResponses {
		return make([]byte, MaxPayload+1)
	}
	c.n++
	return []byte{byte(c.n), 0x90, 0x00}
}

func (c *fakeCard) Reset()    { c.mu.Lock(); c.resets++; c.mu.Unlock() }
func (c *fakeCard) PowerOff() { c.mu.Lock(); c.offs++; c.mu.Unlock() }

func (c *fakeCard) counts() (n, resets, offs int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n, c.resets, c.offs
}

// fakeVPCD plays pcscd's vpcd driver in normal mode: it listens and the
// Server dials it.
type fakeVPCD struct {
	ln    net.Listener
	conns chan net.Conn
}

func newFakeVPCD(t *testing.T) *fakeVPCD {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	v := &fakeVPCD{ln: ln, conns: make(chan net.Conn, 16)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			v.conns <- c
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return v
}

func (v *fakeVPCD) accept(t *testing.T, within time.Duration) net.Conn {
	t.Helper()
	select {
	case c := <-v.conns:
		t.Cleanup(func() { c.Close() })
		return c
	case <-time.After(within):
		t.Fatalf("card did not connect within %v", within)
		return nil
	}
}

// noConnect fails if the card connects within d.
func (v *fakeVPCD) noConnect(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case c := <-v.conns:
		c.Close()
		t.Fatal("card connected while removed")
	case <-time.After(d):
	}
}

// exchange sends one frame and returns the answer.
func exchange(t *testing.T, c net.Conn, payload []byte) []byte {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := WriteFrame(c, payload); err != nil {
		t.Fatalf("write % X: %v", payload, err)
	}
	resp, err := ReadFrame(c)
	if err != nil {
		t.Fatalf("answer to % X: %v", payload, err)
	}
	return resp
}

// send sends a frame that gets no answer.
func send(t *testing.T, c net.Conn, payload []byte) {
	t.Helper()
	if err := WriteFrame(c, payload); err != nil {
		t.Fatalf("write % X: %v", payload, err)
	}
}

// expectClosed waits until the card side hangs up c.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("link still open: read %d bytes, err %v", n, err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// startServer runs s until the test ends and checks that Run returns nil
// promptly once cancelled.
func startServer(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after cancel, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return within 5s of cancel")
		}
	})
}

// waitFor polls cond, since the card side acts on frames asynchronously.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestServerFramesAndControls(t *testing.T) {
	v := newFakeVPCD(t)
	card := &fakeCard{}
	startServer(t, &Server{Card: card, Addr: v.ln.Addr().String()})
	c := v.accept(t, 2*time.Second)

	if got := exchange(t, c, []byte{CtrlATR}); !bytes.Equal(got, fakeATR) {
		t.Errorf("get ATR = % X, want % X", got, fakeATR)
	}
	send(t, c, []byte{CtrlPowerOn})
	send(t, c, []byte{CtrlReset})
	if got, want := exchange(t, c, []byte{0x00, 0xA4, 0x04, 0x0C}), []byte{1, 0x90, 0x00}; !bytes.Equal(got, want) {
		t.Errorf("APDU answer = % X, want % X", got, want)
	}
	// A single byte that is not a control message is a client's APDU and
	// must be answered, or vpcd would wait for ever.
	if got, want := exchange(t, c, []byte{0x80}), []byte{2, 0x90, 0x00}; !bytes.Equal(got, want) {
		t.Errorf("1-byte APDU answer = % X, want % X", got, want)
	}
	send(t, c, []byte{CtrlPowerOff})
	exchange(t, c, []byte{CtrlATR}) // frames are handled in order: the power off is done
	if n, resets, offs := card.counts(); n != 2 || resets != 2 || offs != 1 {
		t.Errorf("card saw %d commands, %d resets, %d power-offs; want 2, 2, 1", n, resets, offs)
	}
}

func TestPresencePollsLeaveCardAlone(t *testing.T) {
	v := newFakeVPCD(t)
	card := &fakeCard{}
	startServer(t, &Server{Card: card, Addr: v.ln.Addr().String()})
	c := v.accept(t, 2*time.Second)
	exchange(t, c, []byte{0x00, 0x20, 0x00, 0x80})
	for range 50 {
		exchange(t, c, []byte{CtrlATR})
	}
	if n, resets, offs := card.counts(); n != 1 || resets != 0 || offs != 0 {
		t.Errorf("after 50 ATR polls card saw %d commands, %d resets, %d power-offs; want 1, 0, 0", n, resets, offs)
	}
}

func TestReconnectKeepsCard(t *testing.T) {
	v := newFakeVPCD(t)
	card := &fakeCard{}
	startServer(t, &Server{Card: card, Addr: v.ln.Addr().String()})
	c := v.accept(t, 2*time.Second)
	exchange(t, c, []byte{0x00, 0xB0, 0x00, 0x00, 0x04})
	c.Close() // pcscd went away

	c = v.accept(t, 2*time.Second)
	if got, want := exchange(t, c, []byte{0x00, 0xB0, 0x00, 0x00, 0x04}), []byte{2, 0x90, 0x00}; !bytes.Equal(got, want) {
		t.Errorf("after reconnect answer = % X, want % X (card state kept)", got, want)
	}
	if _, _, offs := card.counts(); offs != 1 {
		t.Errorf("power-offs = %d, want 1 (the lost link cut the card's power)", offs)
	}
}

func TestReconnectAfterVPCDRestart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // vpcd is down when the card starts
	startServer(t, &Server{Card: &fakeCard{}, Addr: addr})
	time.Sleep(3 * maxBackoff) // let the backoff reach its cap

	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	defer ln.Close()
	start := time.Now()
	ln.(*net.TCPListener).SetDeadline(start.Add(5 * time.Second))
	c, err := ln.Accept()
	if err != nil {
		t.Fatalf("card did not come back: %v", err)
	}
	defer c.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("card came back %v after vpcd, want within 1s", d)
	}
}

func TestBadFramesReconnect(t *testing.T) {
	tests := []struct {
		name  string
		bytes []byte
	}{
		{"zero length", []byte{0, 0}},
		{"truncated body", []byte{0x01, 0x00, 0x00, 0xA4}},
		{"half a length prefix", []byte{0x01}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newFakeVPCD(t)
			card := &fakeCard{}
			startServer(t, &Server{Card: card, Addr: v.ln.Addr().String()})
			c := v.accept(t, 2*time.Second)
			exchange(t, c, []byte{0x00, 0xB0, 0x00, 0x00, 0x01})
			if _, err := c.Write(tt.bytes); err != nil {
				t.Fatal(err)
			}
			if tt.name != "zero length" {
				c.(*net.TCPConn).CloseWrite() // end the stream inside the frame
			}
			expectClosed(t, c)
			c = v.accept(t, 2*time.Second)
			if got, want := exchange(t, c, []byte{0x00, 0xB0, 0x00, 0x00, 0x01}), []byte{2, 0x90, 0x00}; !bytes.Equal(got, want) {
				t.Errorf("after bad frame answer = % X, want % X", got, want)
			}
		})
	}
}

func TestUnframeableAnswers(t *testing.T) {
	tests := []struct {
		name string
		card *fakeCard
	}{
		{"panic", &fakeCard{panicOn: 0x2A}},
		{"oversized response", &fakeCard{hugeResponses: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newFakeVPCD(t)
			logs := &syncWriter{w: &bytes.Buffer{}}
			l, _ := logging.New(logs, logging.Options{Level: "error"})
			startServer(t, &Server{Card: tt.card, Addr: v.ln.Addr().String(), Log: l})
			c := v.accept(t, 2*time.Second)
			if got, want := exchange(t, c, []byte{0x80, 0x2A, 0x00, 0x80, 0x01, 0xFF, 0x00}), []byte{0x6F, 0x00}; !bytes.Equal(got, want) {
				t.Errorf("answer = % X, want % X", got, want)
			}
			if got := exchange(t, c, []byte{CtrlATR}); !bytes.Equal(got, fakeATR) {
				t.Errorf("link unusable afterwards: ATR = % X", got)
			}
			if !strings.Contains(logs.String(), "answered 6F00") {
				t.Errorf("no error logged:\n%s", logs.String())
			}
		})
	}
}

func TestRemoveInsertNormalMode(t *testing.T) {
	v := newFakeVPCD(t)
	card := &fakeCard{}
	s := &Server{Card: card, Addr: v.ln.Addr().String()}
	startServer(t, s)
	c := v.accept(t, 2*time.Second)
	exchange(t, c, []byte{0x00, 0xB0, 0x00, 0x00, 0x01})

	s.Remove()
	if s.Inserted() {
		t.Error("Inserted() = true after Remove")
	}
	expectClosed(t, c)
	v.noConnect(t, 3*maxBackoff)

	s.Insert()
	c = v.accept(t, time.Second)
	if got, want := exchange(t, c, []byte{0x00, 0xB0, 0x00, 0x00, 0x01}), []byte{2, 0x90, 0x00}; !bytes.Equal(got, want) {
		t.Errorf("re-inserted card answer = % X, want % X", got, want)
	}
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// dialCard plays vpcd in reversed mode: it connects to the listening card.
func dialCard(t *testing.T, addr string) net.Conn {
	t.Helper()
	var c net.Conn
	waitFor(t, "card to listen on "+addr, func() bool {
		var err error
		c, err = net.Dial("tcp", addr)
		return err == nil
	})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestReversedMode(t *testing.T) {
	addr := freeAddr(t)
	card := &fakeCard{}
	s := &Server{Card: card, Addr: addr, Reversed: true}
	startServer(t, s)

	c := dialCard(t, addr)
	if got := exchange(t, c, []byte{CtrlATR}); !bytes.Equal(got, fakeATR) {
		t.Errorf("get ATR = % X", got)
	}
	exchange(t, c, []byte{0x00, 0xB0, 0x00, 0x00, 0x01})
	c.Close() // vpcd ejects and dials again

	c = dialCard(t, addr)
	if got, want := exchange(t, c, []byte{0x00, 0xB0, 0x00, 0x00, 0x01}), []byte{2, 0x90, 0x00}; !bytes.Equal(got, want) {
		t.Errorf("after redial answer = % X, want % X", got, want)
	}

	s.Remove()
	expectClosed(t, c)
	// vpcd keeps dialling at every presence poll; a removed card hangs up.
	c = dialCard(t, addr)
	expectClosed(t, c)

	s.Insert()
	c = dialCard(t, addr)
	if got := exchange(t, c, []byte{CtrlATR}); !bytes.Equal(got, fakeATR) {
		t.Errorf("re-inserted: ATR = % X", got)
	}
}

func TestRunRejectsBadAddress(t *testing.T) {
	for _, addr := range []string{"", "localhost", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:x"} {
		for _, rev := range []bool{false, true} {
			s := &Server{Card: &fakeCard{}, Addr: addr, Reversed: rev}
			if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "vpcd:") {
				t.Errorf("Run(Addr %q, Reversed %v) = %v, want an error", addr, rev, err)
			}
		}
	}
}

func TestReversedListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := &Server{Card: &fakeCard{}, Addr: ln.Addr().String(), Reversed: true}
	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("Run on a taken port = %v, want a listen error", err)
	}
}

// syncWriter serialises writes from the server goroutine and the test.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.(*bytes.Buffer).String()
}
