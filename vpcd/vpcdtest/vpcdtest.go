// Package vpcdtest plays vpcd, pcscd's driver for virtual cards, against a
// card served with package vpcd, so that tests can send it what pcscd
// would (or never would) without pcscd.
package vpcdtest

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/vpcd"
)

// ioTimeout bounds every read and write on a link, so that a card that
// stops answering fails the test instead of hanging it.
const ioTimeout = 5 * time.Second

// Serve runs s until the test ends. Run must then return nil promptly:
// an error, or a server still running 5 s after the test, fails the test.
func Serve(tb testing.TB, s *vpcd.Server) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("vpcd server %s: Run returned %v, want nil", s.Addr, err)
			}
		case <-time.After(5 * time.Second):
			tb.Errorf("vpcd server %s: Run did not return within 5s of cancel", s.Addr)
		}
	})
}

// FreeAddr returns a loopback address nobody listens on, for a card in
// reversed mode to listen on.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Link is vpcd's end of one connection to a card. It is closed when the
// test ends.
type Link struct {
	tb   testing.TB
	Conn net.Conn
}

func newLink(tb testing.TB, c net.Conn) *Link {
	tb.Cleanup(func() { c.Close() })
	return &Link{tb: tb, Conn: c}
}

// Accept waits up to within for a card to dial ln, as vpcd in normal mode
// waits for one.
func Accept(tb testing.TB, ln net.Listener, within time.Duration) *Link {
	tb.Helper()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(within))
	c, err := ln.Accept()
	if err != nil {
		tb.Fatalf("card did not dial %s within %v: %v", ln.Addr(), within, err)
	}
	return newLink(tb, c)
}

// Dial connects to a card listening on addr, as vpcd in reversed mode
// does, retrying until the card listens or within has passed: the card
// may still be starting.
func Dial(tb testing.TB, addr string, within time.Duration) *Link {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			return newLink(tb, c)
		}
		if time.Now().After(deadline) {
			tb.Fatalf("card did not listen on %s within %v: %v", addr, within, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Exchange sends one frame and returns the card's answer.
func (l *Link) Exchange(payload []byte) []byte {
	l.tb.Helper()
	l.Conn.SetDeadline(time.Now().Add(ioTimeout))
	l.Send(payload)
	resp, err := vpcd.ReadFrame(l.Conn)
	if err != nil {
		l.tb.Fatalf("answer to % X: %v", head(payload), err)
	}
	return resp
}

// Send sends a frame that gets no answer, such as a power control.
func (l *Link) Send(payload []byte) {
	l.tb.Helper()
	l.Conn.SetWriteDeadline(time.Now().Add(ioTimeout))
	if err := vpcd.WriteFrame(l.Conn, payload); err != nil {
		l.tb.Fatalf("write % X: %v", head(payload), err)
	}
}

// SW sends an APDU and returns the status word of the answer.
func (l *Link) SW(cmd []byte) apdu.SW {
	l.tb.Helper()
	b := l.Exchange(cmd)
	r, err := apdu.ParseResponse(b)
	if err != nil {
		l.tb.Fatalf("answer to % X: % X: %v", head(cmd), b, err)
	}
	return r.SW
}

// Closed reports whether the card hangs up the link within 5 s without
// sending anything more.
func (l *Link) Closed() bool {
	l.Conn.SetReadDeadline(time.Now().Add(ioTimeout))
	_, err := l.Conn.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// head shortens a frame for a message: they can be 64 KiB.
func head(b []byte) []byte { return b[:min(len(b), 8)] }
