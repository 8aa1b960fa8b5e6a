//go:build cgo || windows

package conformance

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/ebfe/scard"
)

// PCSC is a card in a PC/SC reader: a real card, or anything pcscd serves.
// The suite treats it as real, so the safety rules apply.
type PCSC struct {
	ctx    *scard.Context
	card   *scard.Card
	reader string
	named  bool
}

// OpenPCSC connects to the card in a reader chosen by its exact name, by
// its index in the reader list ("0", "1", …), or, when reader is "", the
// only reader that holds a card. It asks for T=1, the protocol of every
// known contact ATR (card.md §1.1), and exclusive access for the run.
func OpenPCSC(reader string) (*PCSC, error) {
	ctx, err := scard.EstablishContext()
	if err != nil {
		return nil, fmt.Errorf("PC/SC: establishing a context (is pcscd running?): %w", err)
	}
	p := &PCSC{ctx: ctx}
	if err := p.connect(reader); err != nil {
		ctx.Release()
		return nil, err
	}
	return p, nil
}

func (p *PCSC) connect(reader string) error {
	readers, err := p.ctx.ListReaders()
	if err != nil && !errors.Is(err, scard.ErrNoReadersAvailable) {
		return fmt.Errorf("PC/SC: listing readers: %w", err)
	}
	switch n, err := strconv.Atoi(reader); {
	case reader == "":
		withCard := p.readersWithCard(readers)
		if len(withCard) != 1 {
			return fmt.Errorf("PC/SC: %d readers hold a card (%q); choose one with --reader", len(withCard), withCard)
		}
		p.reader = withCard[0]
	case err == nil:
		if n < 0 || n >= len(readers) {
			return fmt.Errorf("PC/SC: reader index %d: there are %d readers %q", n, len(readers), readers)
		}
		p.reader = readers[n]
	default:
		if !slices.Contains(readers, reader) {
			return fmt.Errorf("PC/SC: no reader named %q (readers: %q)", reader, readers)
		}
		p.reader, p.named = reader, true
	}
	card, err := p.ctx.Connect(p.reader, scard.ShareExclusive, scard.ProtocolT1)
	if err != nil {
		return fmt.Errorf("PC/SC: connecting to the card in %q with T=1: %w", p.reader, err)
	}
	p.card = card
	return nil
}

func (p *PCSC) readersWithCard(readers []string) []string {
	if len(readers) == 0 {
		return nil
	}
	rs := make([]scard.ReaderState, len(readers))
	for i, r := range readers {
		rs[i] = scard.ReaderState{Reader: r, CurrentState: scard.StateUnaware}
	}
	if err := p.ctx.GetStatusChange(rs, 0); err != nil {
		return nil
	}
	var out []string
	for _, r := range rs {
		if r.EventState&scard.StatePresent != 0 {
			out = append(out, r.Reader)
		}
	}
	return out
}

func (p *PCSC) Name() string { return "pcsc:" + p.reader }

func (p *PCSC) Transmit(cmd []byte) ([]byte, error) { return p.card.Transmit(cmd) }

// ATR is the ATR the reader reports now (for a contactless card, the one
// it built at the last activation).
func (p *PCSC) ATR() ([]byte, error) {
	st, err := p.card.Status()
	if err != nil {
		return nil, fmt.Errorf("PC/SC: card status in %q: %w", p.reader, err)
	}
	return st.Atr, nil
}

// Reset warm-resets the card through the reader and reconnects.
func (p *PCSC) Reset() error {
	return p.card.Reconnect(scard.ShareExclusive, scard.ProtocolT1, scard.ResetCard)
}

func (p *PCSC) Caps() Caps { return Caps{Real: true, ReaderNamed: p.named} }

// Close leaves the card powered and in its state, as the reader found it.
func (p *PCSC) Close() error {
	return errors.Join(p.card.Disconnect(scard.LeaveCard), p.ctx.Release())
}
