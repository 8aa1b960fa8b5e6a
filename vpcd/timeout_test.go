package vpcd_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/mynacard/mynacard/vpcd"
	"github.com/mynacard/mynacard/vpcd/vpcdtest"
)

// bigCard answers every APDU with the largest frame, so a peer that does
// not read fills the socket buffers after a few hundred answers.
type bigCard struct{ fakeCard }

func (c *bigCard) Transmit([]byte) []byte { return make([]byte, 0xFFFF) }

// A peer that sends commands and never reads the answers must not stall
// the slot for good: once an answer waits longer than WriteTimeout the
// card drops the link and dials again.
func TestPeerThatNeverReadsIsDropped(t *testing.T) {
	ln := listen(t)
	vpcdtest.Serve(t, &vpcd.Server{Card: &bigCard{}, Addr: ln.Addr().String(), WriteTimeout: 200 * time.Millisecond})
	stuck := vpcdtest.Accept(t, ln, 2*time.Second)
	go func() {
		for {
			stuck.Conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if vpcd.WriteFrame(stuck.Conn, []byte{0x00, 0xB0, 0x00, 0x00, 0x00}) != nil {
				return
			}
		}
	}()
	fresh := vpcdtest.Accept(t, ln, 5*time.Second)
	if got := fresh.Exchange([]byte{vpcd.CtrlATR}); len(got) == 0 {
		t.Error("no ATR on the new link")
	}
}

// A peer that starts a frame and stops must not hold the slot: in reversed
// mode the card serves one link at a time, so the vpcd waiting behind a
// half frame gets the card only once the half frame times out.
func TestHalfFrameIsDropped(t *testing.T) {
	addr := vpcdtest.FreeAddr(t)
	vpcdtest.Serve(t, &vpcd.Server{Card: &fakeCard{}, Addr: addr, Reversed: true, FrameTimeout: 100 * time.Millisecond})
	for _, half := range [][]byte{{0x00}, {0x00, 0x05, 0x00, 0xB0}} {
		stuck := vpcdtest.Dial(t, addr, 5*time.Second)
		if _, err := stuck.Conn.Write(half); err != nil {
			t.Fatal(err)
		}
		fresh := vpcdtest.Dial(t, addr, 5*time.Second)
		if got := fresh.Exchange([]byte{vpcd.CtrlATR}); !bytes.Equal(got, fakeATR) {
			t.Errorf("after a half frame % X: get ATR on the next link = % X", half, got)
		}
		if !stuck.Closed() {
			t.Errorf("the link with the half frame % X is still open", half)
		}
		fresh.Conn.Close()
	}
}

// A link idle between frames is kept: vpcd may have nothing to say.
func TestIdleLinkIsKept(t *testing.T) {
	ln := listen(t)
	vpcdtest.Serve(t, &vpcd.Server{Card: &fakeCard{}, Addr: ln.Addr().String(), FrameTimeout: 10 * time.Millisecond})
	l := vpcdtest.Accept(t, ln, 5*time.Second)
	l.Exchange([]byte{vpcd.CtrlATR})
	time.Sleep(100 * time.Millisecond) // ten frame timeouts of silence
	if got := l.Exchange([]byte{vpcd.CtrlATR}); !bytes.Equal(got, fakeATR) {
		t.Errorf("get ATR after an idle spell = % X", got)
	}
}
