package vpcd

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/mynacard/mynacard/internal/logging"
	"github.com/sirupsen/logrus"
)

// Card is the card a Server exposes. emulator.Card satisfies it.
type Card interface {
	ATR() []byte
	Transmit(cmd []byte) []byte
	Reset()
	PowerOff()
}

// Reconnect delays: a refused dial is cheap, and the cap bounds how long a
// card stays away after pcscd comes back.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 500 * time.Millisecond
)

// nextBackoff is the redial schedule: each failure in a row doubles the
// pause, up to maxBackoff.
func nextBackoff(d time.Duration) time.Duration { return min(2*d, maxBackoff) }

// DefaultWriteTimeout bounds one answer's write unless Server.WriteTimeout
// says otherwise. vpcd reads each answer at once; a peer that leaves one
// unread this long is stuck or hostile, and the link is dropped and
// redialled rather than left to stall the slot.
const DefaultWriteTimeout = 5 * time.Second

// DefaultFrameTimeout bounds the read of the rest of a frame once its
// first byte has come, unless Server.FrameTimeout says otherwise. vpcd
// writes each frame at once; a peer that starts one and stops is stuck or
// hostile, and in reversed mode it would hold the only listening slot for
// good. Between frames a link may idle for as long as it likes.
const DefaultFrameTimeout = 5 * time.Second

// swNoDiagnosis answers an APDU the card could not answer in a frame.
var swNoDiagnosis = []byte{0x6F, 0x00}

// Server links one card to one vpcd slot. In normal mode vpcd listens (on
// port CHANNELID+slot of its reader.conf entry) and the Server dials it; in
// reversed mode (a reader.conf DEVICENAME of host:port) the Server listens
// and vpcd dials. Either way the Server reconnects until Run's context ends,
// so the card survives pcscd restarts with its state.
type Server struct {
	Card     Card
	Addr     string // host:port to dial, or to listen on when Reversed
	Reversed bool
	Log      logrus.FieldLogger // nil logs nothing
	// WriteTimeout bounds the write of one answer; 0 means DefaultWriteTimeout.
	WriteTimeout time.Duration
	// FrameTimeout bounds the read of a frame that has started; 0 means
	// DefaultFrameTimeout.
	FrameTimeout time.Duration

	log        *logging.Logger // Log, set by Run
	noQuickAck bool            // lets benchmarks measure what TCP_QUICKACK saves
	// after starts a pause's timer; nil means time.After. Tests replace it
	// to see the delays asked for without waiting them out.
	after func(time.Duration) <-chan time.Time

	mu      sync.Mutex
	served  bool  // a frame has been handled since Run began
	dialErr error // the last dial's error, nil after a dial that connected
	removed bool
	conn    net.Conn      // the live link, closed on removal
	changed chan struct{} // closed and replaced when removed flips
}

// Run serves the card until ctx ends, then returns nil. It returns an error
// only when it cannot start: a malformed Addr, or in reversed mode an
// address it cannot listen on.
func (s *Server) Run(ctx context.Context) error {
	if _, port, err := net.SplitHostPort(s.Addr); err != nil {
		return fmt.Errorf("vpcd: address %q: %w", s.Addr, err)
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 0xFFFF {
		return fmt.Errorf("vpcd: address %q: port must be 1-65535", s.Addr)
	}
	s.log = logging.Wrap(s.Log)
	if s.Reversed {
		return s.runListen(ctx)
	}
	return s.runDial(ctx)
}

// Remove takes the card out of the reader: the link is closed and not
// re-established until Insert, so pcscd reports the slot empty.
func (s *Server) Remove() { s.setRemoved(true) }

// Insert puts a removed card back.
func (s *Server) Insert() { s.setRemoved(false) }

// Inserted reports whether the card is in the reader.
func (s *Server) Inserted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.removed
}

func (s *Server) setRemoved(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removed == v {
		return
	}
	s.removed = v
	if v && s.conn != nil {
		s.conn.Close()
	}
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// watch returns the removed flag and a channel closed when it next flips.
func (s *Server) watch() (removed bool, changed <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.removed, s.changed
}

// pause waits d, or until ctx ends (false) or the card is removed or
// inserted (true, so a re-inserted card need not sit out a backoff).
func (s *Server) pause(ctx context.Context, d time.Duration) bool {
	_, changed := s.watch()
	after := s.after
	if after == nil {
		after = time.After
	}
	select {
	case <-ctx.Done():
		return false
	case <-changed:
	case <-after(d):
	}
	return true
}

// Linked reports whether vpcd has sent the card a frame since Run began,
// and the error of the last dial that failed since (nil if the last dial
// connected, or in reversed mode): what a caller tells someone whose card
// never shows up.
func (s *Server) Linked() (served bool, dialErr error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served, s.dialErr
}

// dialTimeout bounds one dial: a vpcd slot another server holds leaves
// the dial in SYN-SENT, and a dial that never ends is never retried.
const dialTimeout = 5 * time.Second

func (s *Server) runDial(ctx context.Context) error {
	d := net.Dialer{Timeout: dialTimeout}
	delay := minBackoff
	reachable := true // log each change between reachable and not once
	for ctx.Err() == nil {
		if removed, changed := s.watch(); removed {
			select {
			case <-ctx.Done():
			case <-changed:
			}
			continue
		}
		c, err := d.DialContext(ctx, "tcp", s.Addr)
		s.mu.Lock()
		s.dialErr = err
		s.mu.Unlock()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if reachable {
				s.log.Info("vpcd not reachable; retrying", logging.Fields{"addr": s.Addr, "err": err.Error()})
				reachable = false
			}
			s.redialPause(ctx, delay)
			delay = nextBackoff(delay)
			continue
		}
		reachable = true
		if s.serveConn(ctx, c) {
			delay = minBackoff
			continue
		}
		// vpcd accepted and hung up before a single frame: it is going
		// away, so back off as if it had refused.
		s.redialPause(ctx, delay)
		delay = nextBackoff(delay)
	}
	return nil
}

// redialPause waits d before the next dial, and logs the delay at debug
// level so that a test of the whole program can check the schedule.
func (s *Server) redialPause(ctx context.Context, d time.Duration) {
	s.log.Debug("redialling vpcd", logging.Fields{"addr": s.Addr, "delay_ms": d.Milliseconds()})
	s.pause(ctx, d)
}

func (s *Server) runListen(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("vpcd: listen for vpcd: %w", err)
	}
	defer ln.Close()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	s.log.Info("waiting for vpcd to connect", logging.Fields{"addr": ln.Addr().String()})
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// Out of descriptors and the like: the listener itself is fine.
			s.log.Warn("accept failed", logging.Fields{"err": err.Error()})
			if !s.pause(ctx, minBackoff) {
				return nil
			}
			continue
		}
		// A removed card still accepts, then hangs up: vpcd dials again at
		// every presence poll and reads the hang-up as "no card".
		s.serveConn(ctx, c)
	}
}

// serveConn answers frames on c until it fails, ctx ends or the card is
// removed. It reports whether at least one frame was handled. The card is
// powered off afterwards: a reader that is gone supplies no power.
func (s *Server) serveConn(ctx context.Context, c net.Conn) (served bool) {
	s.mu.Lock()
	if s.removed {
		s.mu.Unlock()
		c.Close()
		return false
	}
	s.conn = c
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer func() {
		stop()
		c.Close()
		s.mu.Lock()
		s.conn = nil
		s.mu.Unlock()
		s.Card.PowerOff()
	}()

	tc, _ := c.(*net.TCPConn)
	var src io.Reader = c
	if tc != nil {
		// Go sets TCP_NODELAY by default; say so, since a delayed response
		// costs a round trip per APDU.
		tc.SetNoDelay(true)
		if !s.noQuickAck {
			src = &quickAckReader{tc}
		}
	}
	r := bufio.NewReader(src)
	s.log.Info("vpcd connected", logging.Fields{"addr": c.RemoteAddr().String()})
	var out []byte
	for {
		p, err := s.readFrame(c, r)
		if err != nil {
			s.logDisconnect(ctx, err)
			return served
		}
		resp, answer := s.handle(p)
		if !served {
			s.mu.Lock()
			s.served = true
			s.mu.Unlock()
			served = true
		}
		if !answer {
			continue
		}
		out, err = AppendFrame(out[:0], resp)
		if err == nil {
			c.SetWriteDeadline(time.Now().Add(cmp.Or(s.WriteTimeout, DefaultWriteTimeout)))
			_, err = c.Write(out)
		}
		if err != nil {
			s.logDisconnect(ctx, err)
			return served
		}
	}
}

// readFrame waits as long as it takes for a frame to start, then reads
// the rest of it within the frame timeout.
func (s *Server) readFrame(c net.Conn, r *bufio.Reader) ([]byte, error) {
	if _, err := r.Peek(1); err != nil {
		return nil, err
	}
	c.SetReadDeadline(time.Now().Add(cmp.Or(s.FrameTimeout, DefaultFrameTimeout)))
	p, err := ReadFrame(r)
	if err == nil {
		c.SetReadDeadline(time.Time{})
	}
	return p, err
}

func (s *Server) logDisconnect(ctx context.Context, err error) {
	switch {
	case ctx.Err() != nil:
		return
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		s.log.Info("vpcd disconnected", nil)
	default:
		s.log.Warn("vpcd link dropped", logging.Fields{"err": err.Error()})
	}
}

// handle acts on one frame and returns the answer, if the frame gets one.
func (s *Server) handle(p []byte) (resp []byte, answer bool) {
	if len(p) == 1 {
		switch p[0] {
		case CtrlPowerOff:
			s.log.Debug("power off", nil)
			s.Card.PowerOff()
			return nil, false
		case CtrlPowerOn, CtrlReset:
			s.log.Debug("power on/reset", logging.Fields{"ctrl": p[0]})
			s.Card.Reset()
			return nil, false
		case CtrlATR:
			// pcscd polls this about every 400 ms for presence; it must
			// not touch the card's state.
			return s.Card.ATR(), true
		}
		// Any other single byte can only be an APDU a client sent: answer
		// it, since vpcd is now waiting for a response.
	}
	// The card logs each APDU itself, knowing what it addresses.
	return s.transmit(p), true
}

// transmit runs the command on the card. A response no frame can carry, or
// a card that panics, gets 6F00 instead of taking down every served card.
func (s *Server) transmit(cmd []byte) (resp []byte) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("card panicked; answered 6F00", logging.Fields{"panic": fmt.Sprint(v)})
			resp = swNoDiagnosis
		}
	}()
	resp = s.Card.Transmit(cmd)
	// A card answers at least a status word; a shorter answer (a hostile
	// card's, fuzz/hostile) is still framed, down to the 1 byte a vpcd
	// frame can carry.
	if len(resp) < 1 || len(resp) > MaxPayload {
		s.log.Error("card response cannot be framed; answered 6F00", logging.Fields{"len": len(resp)})
		return swNoDiagnosis
	}
	return resp
}

type quickAckReader struct{ c *net.TCPConn }

func (r *quickAckReader) Read(p []byte) (int, error) {
	// A failure here only costs latency; a dead socket fails the Read.
	_ = quickAck(r.c)
	return r.c.Read(p)
}
