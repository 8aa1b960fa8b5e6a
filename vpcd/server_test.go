package vpcd_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mynacard/mynacard/internal/logging"
	"github.com/mynacard/mynacard/vpcd"
	"github.com/mynacard/mynacard/vpcd/vpcdtest"
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
		return make([]byte, vpcd.MaxPayload+1)
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

// listen plays pcscd's vpcd driver in normal mode: it listens and the
// Server dials it.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// serveFake serves a fresh fakeCard, dialling a listener the test holds
// as pcscd's vpcd would, and accepts its first connection.
func serveFake(t *testing.T) (net.Listener, *fakeCard, *vpcdtest.Link) {
	t.Helper()
	ln := listen(t)
	card := &fakeCard{}
	vpcdtest.Serve(t, &vpcd.Server{Card: card, Addr: ln.Addr().String()})
	return ln, card, vpcdtest.Accept(t, ln, 2*time.Second)
}

// noConnect fails if the card dials ln within d.
func noConnect(t *testing.T, ln net.Listener, d time.Duration) {
	t.Helper()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(d))
	c, err := ln.Accept()
	if err == nil {
		c.Close()
		t.Fatal("card connected while removed")
	}
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("accept: %v", err)
	}
}

// expectClosed waits until the card side hangs up.
func expectClosed(t *testing.T, l *vpcdtest.Link) {
	t.Helper()
	if !l.Closed() {
		t.Fatal("link still open")
	}
}

func TestServerFramesAndControls(t *testing.T) {
	_, card, c := serveFake(t)

	if got := c.Exchange([]byte{vpcd.CtrlATR}); !bytes.Equal(got, fakeATR) {
		t.Errorf("get ATR = % X, want % X", got, fakeATR)
	}
	c.Send([]byte{vpcd.CtrlPowerOn})
	c.Send([]byte{vpcd.CtrlReset})
	if got, want := c.Exchange([]byte{0x00, 0xA4, 0x04, 0x0C}), []byte{1, 0x90, 0x00}; !bytes.Equal(got, want) {
		t.Errorf("APDU answer = % X, want % X", got, want)
	}
	// A single byte that is not a control message is a client's APDU and
	// must be answered, or vpcd would wait for ever.
	if got, want := c.Exchange([]byte{0x80}), []byte{2, 0x90, 0x00}; !bytes.Equal(got, want) {
		t.Errorf("1-byte APDU answer = % X, want % X", got, want)
	}
	c.Send([]byte{vpcd.CtrlPowerOff})
	c.Exchange([]byte{vpcd.CtrlATR}) // frames are handled in order: the power off is done
	if n, resets, offs := card.counts(); n != 2 || resets != 2 || offs != 1 {
		t.Errorf("card saw %d commands, %d resets, %d power-offs; want 2, 2, 1", n, resets, offs)
	}
}

func TestPresencePollsLeaveCardAlone(t *testing.T) {
	_, card, c := serveFake(t)
	c.Exchange([]byte{0x00, 0x20, 0x00, 0x80})
	for range 50 {
		c.Exchange([]byte{vpcd.CtrlATR})
	}
	if n, resets, offs := card.counts(); n != 1 || resets != 0 || offs != 0 {
		t.Errorf("after 50 ATR polls card saw %d commands, %d resets, %d power-offs; want 1, 0, 0", n, resets, offs)
	}
}

func TestReconnectKeepsCard(t *testing.T) {
	ln, card, c := serveFake(t)
	c.Exchange([]byte{0x00, 0xB0, 0x00, 0x00, 0x04})
	c.Conn.Close() // pcscd went away

	c = vpcdtest.Accept(t, ln, 2*time.Second)
	if got, want := c.Exchange([]byte{0x00, 0xB0, 0x00, 0x00, 0x04}), []byte{2, 0x90, 0x00}; !bytes.Equal(got, want) {
		t.Errorf("after reconnect answer = % X, want % X (card state kept)", got, want)
	}
	if _, _, offs := card.counts(); offs != 1 {
		t.Errorf("power-offs = %d, want 1 (the lost link cut the card's power)", offs)
	}
}

// fakeClock stands in for the Server's timer: each pause the Server asks
// for is recorded, and lasts until the test releases it.
type fakeClock struct {
	asked chan time.Duration
	fire  chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{asked: make(chan time.Duration, 64), fire: make(chan time.Time)}
}

func (c *fakeClock) after(d time.Duration) <-chan time.Time {
	c.asked <- d
	return c.fire
}

// next returns the delay of the pause the Server is in.
func (c *fakeClock) next(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.asked:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("the card asked for no pause")
		return 0
	}
}

// release ends the pause the Server is in.
func (c *fakeClock) release() { c.fire <- time.Time{} }

// TestReconnectAfterVPCDRestart: while vpcd is down the card redials after
// pauses of 50 ms doubling to the 500 ms cap, comes back at the first dial
// after vpcd returns, and starts the schedule again at 50 ms after a link
// that served.
func TestReconnectAfterVPCDRestart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // vpcd is down when the card starts
	clock := newFakeClock()
	s := &vpcd.Server{Card: &fakeCard{}, Addr: addr}
	vpcd.SetAfter(s, clock.after)
	vpcdtest.Serve(t, s)

	ms := time.Millisecond
	want := []time.Duration{50 * ms, 100 * ms, 200 * ms, 400 * ms, 500 * ms, 500 * ms, 500 * ms}
	var got []time.Duration
	for i := range want {
		got = append(got, clock.next(t))
		if i < len(want)-1 {
			clock.release()
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pauses between refused dials (-want +got):\n%s", diff)
	}

	if ln, err = net.Listen("tcp", addr); err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	defer ln.Close()
	clock.release() // the pause in progress ends: the next dial must connect
	c := vpcdtest.Accept(t, ln, 10*time.Second)
	c.Exchange([]byte{vpcd.CtrlATR})

	ln.Close() // vpcd goes away again after a link that served
	c.Conn.Close()
	if d := clock.next(t); d != 50*ms {
		t.Errorf("first pause after a served link = %v, want 50ms", d)
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
			ln, _, c := serveFake(t)
			c.Exchange([]byte{0x00, 0xB0, 0x00, 0x00, 0x01})
			if _, err := c.Conn.Write(tt.bytes); err != nil {
				t.Fatal(err)
			}
			if tt.name != "zero length" {
				c.Conn.(*net.TCPConn).CloseWrite() // end the stream inside the frame
			}
			expectClosed(t, c)
			c = vpcdtest.Accept(t, ln, 2*time.Second)
			if got, want := c.Exchange([]byte{0x00, 0xB0, 0x00, 0x00, 0x01}), []byte{2, 0x90, 0x00}; !bytes.Equal(got, want) {
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
			ln := listen(t)
			logs := &syncWriter{w: &bytes.Buffer{}}
			l, _ := logging.New(logs, logging.Options{Level: "error"})
			vpcdtest.Serve(t, &vpcd.Server{Card: tt.card, Addr: ln.Addr().String(), Log: l})
			c := vpcdtest.Accept(t, ln, 2*time.Second)
			if got, want := c.Exchange([]byte{0x80, 0x2A, 0x00, 0x80, 0x01, 0xFF, 0x00}), []byte{0x6F, 0x00}; !bytes.Equal(got, want) {
				t.Errorf("answer = % X, want % X", got, want)
			}
			if got := c.Exchange([]byte{vpcd.CtrlATR}); !bytes.Equal(got, fakeATR) {
				t.Errorf("link unusable afterwards: ATR = % X", got)
			}
			if !strings.Contains(logs.String(), "answered 6F00") {
				t.Errorf("no error logged:\n%s", logs.String())
			}
		})
	}
}

func TestRemoveInsertNormalMode(t *testing.T) {
	ln := listen(t)
	card := &fakeCard{}
	s := &vpcd.Server{Card: card, Addr: ln.Addr().String()}
	vpcdtest.Serve(t, s)
	c := vpcdtest.Accept(t, ln, 2*time.Second)
	c.Exchange([]byte{0x00, 0xB0, 0x00, 0x00, 0x01})

	s.Remove()
	if s.Inserted() {
		t.Error("Inserted() = true after Remove")
	}
	expectClosed(t, c)
	noConnect(t, ln, 3*vpcd.MaxBackoff)

	s.Insert()
	c = vpcdtest.Accept(t, ln, time.Second)
	if got, want := c.Exchange([]byte{0x00, 0xB0, 0x00, 0x00, 0x01}), []byte{2, 0x90, 0x00}; !bytes.Equal(got, want) {
		t.Errorf("re-inserted card answer = % X, want % X", got, want)
	}
}

func TestReversedMode(t *testing.T) {
	addr := vpcdtest.FreeAddr(t)
	card := &fakeCard{}
	s := &vpcd.Server{Card: card, Addr: addr, Reversed: true}
	vpcdtest.Serve(t, s)

	c := vpcdtest.Dial(t, addr, 5*time.Second)
	if got := c.Exchange([]byte{vpcd.CtrlATR}); !bytes.Equal(got, fakeATR) {
		t.Errorf("get ATR = % X", got)
	}
	c.Exchange([]byte{0x00, 0xB0, 0x00, 0x00, 0x01})
	c.Conn.Close() // vpcd ejects and dials again

	c = vpcdtest.Dial(t, addr, 5*time.Second)
	if got, want := c.Exchange([]byte{0x00, 0xB0, 0x00, 0x00, 0x01}), []byte{2, 0x90, 0x00}; !bytes.Equal(got, want) {
		t.Errorf("after redial answer = % X, want % X", got, want)
	}

	s.Remove()
	expectClosed(t, c)
	// vpcd keeps dialling at every presence poll; a removed card hangs up.
	c = vpcdtest.Dial(t, addr, 5*time.Second)
	expectClosed(t, c)

	s.Insert()
	c = vpcdtest.Dial(t, addr, 5*time.Second)
	if got := c.Exchange([]byte{vpcd.CtrlATR}); !bytes.Equal(got, fakeATR) {
		t.Errorf("re-inserted: ATR = % X", got)
	}
}

func TestRunRejectsBadAddress(t *testing.T) {
	for _, addr := range []string{"", "localhost", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:x"} {
		for _, rev := range []bool{false, true} {
			s := &vpcd.Server{Card: &fakeCard{}, Addr: addr, Reversed: rev}
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
	s := &vpcd.Server{Card: &fakeCard{}, Addr: ln.Addr().String(), Reversed: true}
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
