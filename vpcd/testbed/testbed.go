//go:build linux

// Package testbed puts emulator cards in the readers of a private pcscd
// (package pcscd), serves them through vpcd and opens a control channel
// (package control) for them: what `mynacard run`, Go tests and other
// harnesses share. Close tears it all down.
package testbed

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/contactless"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/vpcd"
	"github.com/mynacard/mynacard/vpcd/control"
	"github.com/mynacard/mynacard/vpcd/pcscd"
)

// Variables a testbed gives the programs it runs (Env), besides
// pcscd.SocketEnv.
const (
	// ReaderEnv names the reader of the first card.
	ReaderEnv = "MYNACARD_READER"
	// ReadersEnv names every card's reader, one per line, in slot order.
	ReadersEnv = "MYNACARD_READERS"
	// ControlEnv is the control socket of every card (package control).
	ControlEnv = "MYNACARD_CTL"
)

// presentTimeout bounds the wait for pcscd to see the cards.
const presentTimeout = 15 * time.Second

// Card is one card to put in a reader.
type Card struct {
	// Name is what the control channel's status reports: a card file or
	// a kind.
	Name string
	Card *emulator.Card
	// Socket, when set, is a further control socket for this card alone,
	// such as the one beside its card file (control.SocketPath).
	Socket string
	// Wrap, when set, puts a card of the caller's between vpcd and the
	// served card (which switches hostile answers on and off, behind the
	// contactless reader of a contactless chip): to count or mutate
	// exchanges, as matrix and fuzz-client do.
	Wrap func(vpcd.Card) vpcd.Card
	// ReaderStyle is how the reader of a contactless chip builds its ATR
	// (package contactless); empty is contactless.Part3.
	ReaderStyle contactless.Style
}

// NewCard returns a fresh in-memory card of kind k with the default
// persona.
func NewCard(k emulator.Kind, opts ...emulator.Option) (*emulator.Card, error) {
	return NewChipCard(k, "", opts...)
}

// NewChipCard is NewCard presenting chip generation c (profile.Chips);
// "" keeps the default persona's chip.
func NewChipCard(k emulator.Kind, c profile.Chip, opts ...emulator.Option) (*emulator.Card, error) {
	st, err := profile.DefaultWithChip(k, c)
	if err != nil {
		return nil, err
	}
	return emulator.New(st, opts...)
}

// Options configures Start.
type Options struct {
	Cards []Card
	// Dir is the private pcscd's directory (pcscd.Options.Dir); empty
	// means a fresh temporary one.
	Dir string
	// Log receives the servers' and the control channel's lines; nil
	// discards them.
	Log logrus.FieldLogger
}

// Bed is a running private pcscd with cards in its readers.
type Bed struct {
	Daemon *pcscd.Daemon
	// Cards are the served cards; Cards[n] is in slot n.
	Cards []*control.Card
	// Control is the socket controlling every card (ControlEnv).
	Control string

	cancel context.CancelFunc
	wg     sync.WaitGroup
	errMu  sync.Mutex
	errs   []error
}

// Start starts pcscd with a reader per card, serves the cards and returns
// once pcscd reports every card present. Errors the machine causes wrap
// pcscd.ErrUnavailable.
func Start(o Options) (*Bed, error) {
	if len(o.Cards) == 0 {
		return nil, errors.New("testbed: no cards")
	}
	d, err := pcscd.Start(pcscd.Options{Slots: len(o.Cards), Dir: o.Dir})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Bed{Daemon: d, Control: filepath.Join(d.Dir, "ctl.sock"), cancel: cancel}
	for i, c := range o.Cards {
		var log logrus.FieldLogger
		if o.Log != nil {
			log = o.Log.WithFields(logrus.Fields{"card": c.Name, "slot": i})
		}
		cc := control.NewCard(c.Name, d.ReaderName(i), c.Card, d.Addr(i), c.ReaderStyle, log)
		if c.Wrap != nil {
			cc.Server.Card = c.Wrap(cc.Server.Card)
		}
		b.Cards = append(b.Cards, cc)
	}
	for _, cc := range b.Cards {
		b.goRun(func() error { return cc.Server.Run(ctx) })
	}
	listen := func(path string, cards []*control.Card) error {
		srv, err := control.Listen(path, cards, o.Log)
		if err != nil {
			return err
		}
		b.goRun(func() error { srv.Serve(ctx); return nil })
		return nil
	}
	err = listen(b.Control, b.Cards)
	for i, c := range o.Cards {
		if err == nil && c.Socket != "" {
			err = listen(c.Socket, b.Cards[i:i+1])
		}
	}
	if err == nil {
		wctx, wcancel := context.WithTimeout(ctx, presentTimeout)
		err = pcscd.WaitPresent(wctx, b.Readers())
		wcancel()
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("testbed: %w", err), b.Close())
	}
	return b, nil
}

func (b *Bed) goRun(f func() error) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		if err := f(); err != nil {
			b.errMu.Lock()
			b.errs = append(b.errs, err)
			b.errMu.Unlock()
		}
	}()
}

// Readers names the readers, slot n first at n.
func (b *Bed) Readers() []string {
	names := make([]string, len(b.Cards))
	for i, c := range b.Cards {
		names[i] = c.Reader
	}
	return names
}

// Env is what a program run on the bed needs in its environment:
// pcscd.SocketEnv, ReaderEnv, ReadersEnv and ControlEnv.
func (b *Bed) Env() []string {
	return []string{
		pcscd.SocketEnv + "=" + b.Daemon.Socket,
		ReaderEnv + "=" + b.Cards[0].Reader,
		ReadersEnv + "=" + strings.Join(b.Readers(), "\n"),
		ControlEnv + "=" + b.Control,
	}
}

// Close stops serving the cards, closes the control sockets, stops pcscd
// and removes its directory. The cards themselves stay usable.
func (b *Bed) Close() error {
	b.cancel()
	b.wg.Wait()
	b.errMu.Lock()
	errs := append(b.errs, b.Daemon.Close())
	b.errMu.Unlock()
	return errors.Join(errs...)
}

// Do sends one request to the bed's control channel.
func (b *Bed) Do(r control.Request) (control.Response, error) { return control.Do(b.Control, r) }
