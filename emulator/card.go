// Package emulator is a virtual My Number card (個人番号カード): the five
// applications of card.md §3 with their file maps, secrets, retry counters and
// keys, answering command APDUs byte for byte as card.md §5–§8 describe.
package emulator

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/internal/logging"
	"github.com/sirupsen/logrus"
)

// Card is the running card. It is safe for concurrent use: one mutex
// serialises commands, as the single contact interface does.
type Card struct {
	mu    sync.Mutex
	state *State
	fs    *fileSystem
	store Store
	log   *logging.Logger
	debug bool // cached: the per-APDU line costs nothing unless enabled
	hex   bool // the per-APDU line carries the command in redacted hex
	rand  io.Reader

	// Session state, lost on reset (card.md §7.2).
	app      App
	cur      *node      // current EF, nil if none
	verified uint32     // bit n: key ref FID n of app verified this session
	sm       *smSession // text AP secure messaging, nil if none

	// scratch holds an answer a handler builds (a challenge, an FCI)
	// until answer copies it into the response.
	scratch [apdu.MaxShortNe]byte
}

// Store persists the card state after each change to a counter, secret or
// file. Save must not return until the state is durable.
type Store interface {
	Save(*State) error
}

// Option configures New.
type Option func(*Card)

// WithStore persists every state change through st. Without it the card
// lives in memory only.
func WithStore(st Store) Option { return func(c *Card) { c.store = st } }

// WithLogger sends the card's log lines to l; at debug level it writes one
// line per APDU.
func WithLogger(l logrus.FieldLogger) Option { return func(c *Card) { c.log = logging.Wrap(l) } }

// WithAPDUHex adds the command's bytes to the per-APDU debug line, as
// apdu.Redact shows them (no PIN bytes). Answers stay out: they can hold
// the My Number, which is 照合番号A.
func WithAPDUHex() Option { return func(c *Card) { c.hex = true } }

// New validates s and starts a card holding a private copy of it. Keys are
// parsed here, once.
func New(s *State, opts ...Option) (*Card, error) {
	if s == nil {
		return nil, errors.New("emulator: nil state")
	}
	st := s.Clone()
	fs, err := st.compile()
	if err != nil {
		return nil, err
	}
	c := &Card{state: st, fs: fs, log: logging.Wrap(nil), rand: rand.Reader}
	for _, o := range opts {
		o(c)
	}
	c.debug = c.log.DebugEnabled()
	return c, nil
}

// ATR returns the card's answer to reset.
func (c *Card) ATR() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.state.ATR...)
}

// Reset is a warm reset: no application selected, no key verified.
func (c *Card) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resetSession()
}

// PowerOff removes the card from the field; the session ends as on Reset.
func (c *Card) PowerOff() { c.Reset() }

func (c *Card) resetSession() {
	c.app, c.cur, c.verified, c.sm = AppNone, nil, 0, nil
}

// Selected reports the application currently selected (AppNone after reset).
func (c *Card) Selected() App {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.app
}

// Verified lists the key references verified in this session (card.md
// §7.2), for checks of the security status from outside the card.
func (c *Card) Verified() []FileRef {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []FileRef
	for fid := range uint16(maxFID) {
		if c.verified&(1<<fid) != 0 {
			out = append(out, Ref(c.app, fid))
		}
	}
	return out
}

// Issue runs an issuer operation on a copy of the state, checks the result
// and persists it, then swaps it in and ends the session, as when the
// municipal terminal hands the card back. If op, the check or the save
// fails, the card keeps its old state.
func (c *Card) Issue(op func(*State) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := c.state.Clone()
	if err := op(next); err != nil {
		return err
	}
	fs, err := next.compile()
	if err != nil {
		return fmt.Errorf("emulator: issuer operation left an invalid card: %w", err)
	}
	if c.store != nil {
		if err := c.store.Save(next); err != nil {
			return err
		}
	}
	c.state, c.fs = next, fs
	c.resetSession()
	return nil
}

// Snapshot returns a deep copy of the current state.
func (c *Card) Snapshot() *State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.Clone()
}

// persist saves the state after a counter or secret changed.
func (c *Card) persist() error {
	if c.store == nil {
		return nil
	}
	if err := c.store.Save(c.state); err != nil {
		c.log.Error("cannot persist card state", logging.Fields{"error": err.Error()})
		return err
	}
	return nil
}

// Transmit runs one command APDU and returns the response APDU. It never
// panics and always returns at least the two status bytes.
func (c *Card) Transmit(cmd []byte) (resp []byte) {
	var (
		start time.Time
		desc  string
	)
	c.mu.Lock()
	if c.debug {
		start, desc = time.Now(), Describe(cmd, c.app)
	}
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("internal error answering APDU", logging.Fields{"cmd": Describe(cmd, c.app), "panic": fmt.Sprint(r)})
			resp = status(apdu.SWUnknown)
		}
		c.mu.Unlock()
		if c.debug {
			sw := apdu.SW(uint16(resp[len(resp)-2])<<8 | uint16(resp[len(resp)-1]))
			f := logging.Fields{"cmd": desc, "sw": sw.String(), "resp_len": len(resp) - 2, "duration": time.Since(start).String()}
			if c.hex {
				f["hex"] = apdu.Redact(cmd)
			}
			c.log.Debug("apdu", f)
		}
	}()
	return c.dispatch(cmd)
}
