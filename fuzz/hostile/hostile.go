// Package hostile wraps a card so that it fuzzes host software: `mynacard
// serve --hostile` and host-software fuzzing serve a hostile card, whose
// mutated answers are replayable from a seed.
package hostile

import (
	"encoding/hex"
	"math/rand/v2"
	"sync"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/internal/logging"
	"github.com/mynacard/mynacard/vpcd"
	"github.com/sirupsen/logrus"
)

// Card wraps a card so that it fuzzes host software: a share of its
// answers are mutated (truncated or padded data, odd status words, broken
// BER lengths, a missing status word). Serve it through vpcd and point the
// host stack (pcscd, OpenSC, a client) at it.
//
// Whether and how the answer to exchange n is mutated depends only on the
// seed and n, and every mutation is logged at warn level with its sequence
// number, so a host crash can be replayed by sending the same commands to
// a Card with the same seed. Commands are logged by description only:
// no secret reaches the log.
type Card struct {
	card vpcd.Card
	seed uint64
	log  *logging.Logger
	// Rate: one answer in Rate is mutated (New sets 4).
	Rate int

	mu  sync.Mutex
	seq uint64 // number of the next exchange
	app emulator.App
}

// New wraps c; mutations are drawn from seed and logged to log.
func New(c vpcd.Card, seed uint64, log logrus.FieldLogger) *Card {
	return &Card{card: c, seed: seed, log: logging.Wrap(log), Rate: 4}
}

// ATR is left intact: a host that cannot parse the ATR never sends an APDU.
func (h *Card) ATR() []byte { return h.card.ATR() }

func (h *Card) Reset()    { h.card.Reset() }
func (h *Card) PowerOff() { h.card.PowerOff() }

// Transmit forwards cmd to the card and returns its answer, mutated for
// one exchange in Rate.
func (h *Card) Transmit(cmd []byte) []byte {
	resp := h.card.Transmit(cmd)
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.seq
	h.seq++
	desc := emulator.Describe(cmd, h.app)
	if len(cmd) > 4 && cmd[1] == 0xA4 && cmd[2] == 0x04 && len(resp) >= 2 && resp[len(resp)-2] == 0x90 {
		h.app, _ = emulator.AppByAID(cmd[5:min(len(cmd), 5+int(cmd[4]))])
	}
	rng := rand.New(rand.NewPCG(h.seed, n))
	if h.Rate > 1 && rng.IntN(h.Rate) != 0 {
		return resp
	}
	m := mutations[rng.IntN(len(mutations))]
	out := m.apply(rng, resp)
	h.log.Warn("hostile answer", logging.Fields{
		"seq": n, "seed": h.seed, "mutation": m.name, "cmd": desc,
		"answer": hex.EncodeToString(resp), "sent": hex.EncodeToString(out),
	})
	return out
}

type mutation struct {
	name  string
	apply func(rng *rand.Rand, resp []byte) []byte
}

func split(resp []byte) (data, sw []byte) {
	if len(resp) < 2 {
		return nil, resp
	}
	return resp[:len(resp)-2], resp[len(resp)-2:]
}

func join(data, sw []byte) []byte {
	return append(append(make([]byte, 0, len(data)+len(sw)), data...), sw...)
}

// oddSWs are status words a My Number card never sends (card.md §8) or sends
// only elsewhere, including the 61xx/6Cxx a host must handle by itself.
var oddSWs = [][]byte{
	{0x61, 0x10}, {0x61, 0x00}, {0x6C, 0x04}, {0x6C, 0x00}, {0x62, 0x83}, {0x64, 0x00},
	{0x65, 0x81}, {0x6F, 0x00}, {0x69, 0x84}, {0x63, 0xC0}, {0x90, 0x01}, {0x00, 0x00},
}

var mutations = []mutation{
	{"truncate-data", func(rng *rand.Rand, resp []byte) []byte {
		data, sw := split(resp)
		return join(data[:rng.IntN(len(data)+1)], sw)
	}},
	{"extra-data", func(rng *rand.Rand, resp []byte) []byte {
		data, sw := split(resp)
		extra := make([]byte, 1+rng.IntN(300))
		for i := range extra {
			extra[i] = byte(rng.UintN(256))
		}
		return join(append(append([]byte(nil), data...), extra...), sw)
	}},
	{"odd-sw", func(rng *rand.Rand, resp []byte) []byte {
		data, _ := split(resp)
		return join(data, oddSWs[rng.IntN(len(oddSWs))])
	}},
	{"error-with-data", func(rng *rand.Rand, resp []byte) []byte {
		data, _ := split(resp)
		if len(data) == 0 {
			data = []byte{0x30, 0x82, 0x04, 0xAA}
		}
		return join(data, []byte{0x69, 0x82})
	}},
	{"ok-without-data", func(_ *rand.Rand, _ []byte) []byte { return []byte{0x90, 0x00} }},
	{"short-answer", func(rng *rand.Rand, resp []byte) []byte {
		return append([]byte(nil), resp[:rng.IntN(min(2, len(resp))+1)]...)
	}},
	{"bad-ber-length", func(rng *rand.Rand, resp []byte) []byte {
		data, sw := split(resp)
		out := append([]byte(nil), data...)
		if len(out) < 2 {
			out = append(out, 0x30, 0x00)
		}
		// The length byte after a 1- or 2-byte tag: indefinite, too long
		// a length-of-length, or a length far past the data.
		i := 1
		if out[0]&0x1F == 0x1F && len(out) > 2 {
			i = 2
		}
		out[i] = []byte{0x80, 0x84, 0x89, 0x82, 0xFF}[rng.IntN(5)]
		if out[i] == 0x82 && len(out) > i+2 {
			out[i+1], out[i+2] = 0xFF, 0xFF
		}
		return join(out, sw)
	}},
	{"flip-byte", func(rng *rand.Rand, resp []byte) []byte {
		out := append([]byte(nil), resp...)
		if len(out) > 0 {
			out[rng.IntN(len(out))] ^= byte(1 + rng.IntN(255))
		}
		return out
	}},
}
