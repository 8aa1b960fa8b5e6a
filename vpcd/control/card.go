package control

import (
	"sync"

	"github.com/sirupsen/logrus"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/contactless"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/fuzz/hostile"
	"github.com/mynacard/mynacard/vpcd"
)

// Card is an emulator card served in one vpcd slot. It is the vpcd.Card
// its Server serves: it forwards to the emulator, or to a hostile wrapper
// of it while one is switched on.
type Card struct {
	// Name is what status reports: the card file, or the kind of an
	// in-memory card.
	Name   string
	Reader string
	Card   *emulator.Card
	Server *vpcd.Server
	log    logrus.FieldLogger

	mu    sync.Mutex
	front vpcd.Card
	seed  *uint64
}

// NewCard serves c as the card of a vpcd.Server dialling (or, reversed,
// listening on) addr; run the Server to put it in the reader. A card of a
// contactless chip is read through a contactless reader of style s
// (profile.Present): a fresh PUPI on every insertion, and GET UID. A nil
// log logs nothing.
func NewCard(name, reader string, c *emulator.Card, addr string, s contactless.Style, log logrus.FieldLogger) *Card {
	cc := &Card{Name: name, Reader: reader, Card: c, log: log, front: c}
	cc.Server = &vpcd.Server{Card: profile.Present(c.Snapshot(), cc, s), Addr: addr, Log: log}
	return cc
}

func (c *Card) current() vpcd.Card {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.front
}

func (c *Card) ATR() []byte                { return c.current().ATR() }
func (c *Card) Transmit(cmd []byte) []byte { return c.current().Transmit(cmd) }
func (c *Card) Reset()                     { c.current().Reset() }
func (c *Card) PowerOff()                  { c.current().PowerOff() }

// SetHostile mutates answers from seed (see package hostile), or with nil
// answers faithfully again.
func (c *Card) SetHostile(seed *uint64, opts ...hostile.Option) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seed == nil {
		c.front, c.seed = c.Card, nil
		return
	}
	s := *seed
	c.front, c.seed = hostile.New(c.Card, s, c.log, opts...), &s
}

func (c *Card) status(slot int) Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Status{Slot: slot, Name: c.Name, Reader: c.Reader, Kind: string(c.Card.Snapshot().Kind),
		Inserted: c.Server.Inserted(), Hostile: c.seed}
}
