package vpcd_test

import (
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
