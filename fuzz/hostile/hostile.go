// Package hostile wraps a card so that it fuzzes host software: `mynacard
// serve --hostile` and host-software fuzzing serve a hostile card, whose
// mutated answers are replayable from a seed.
package hostile

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/internal/logging"
	"github.com/mynacard/mynacard/vpcd"
	"github.com/sirupsen/logrus"
)

// Card wraps a card so that it fuzzes host software: some of its answers
// are mutated (truncated or padded data, odd status words, broken BER,
// DER and TLV lengths, a missing status word, 61xx and 6Cxx protocols, a
// delay). Serve it through vpcd and point the host stack (pcscd, OpenSC, a
// client) at it.
//
// New mutates a share of the answers, drawn from a seed; NewPlanned
// mutates exactly the exchanges of a plan. Either way how the answer to
// exchange n is mutated depends only on the seed and n, and every mutation
// is logged at warn level with its sequence number, so a host crash can be
// replayed by sending the same commands to a Card with the same seed (and
// plan). Commands are logged by description only: no secret reaches the
// log.
type Card struct {
	card vpcd.Card
	seed uint64
	log  *logging.Logger
	// Rate: one answer in Rate is mutated (New sets 4). A planned Card
	// ignores it.
	Rate int
	// MaxDelay bounds the delay mutation's pause (New sets 300 ms).
	MaxDelay time.Duration
	plan     map[uint64]string // nil: mutations drawn at Rate
	set      []mutation        // what is drawn from at Rate

	mu    sync.Mutex
	seq   uint64 // number of the next exchange
	app   emulator.App
	held  []byte     // what a GET RESPONSE gets after a 61xx answer
	trace []Exchange // a planned Card's exchanges
}

// Step is one planned mutation: the answer to exchange Exchange (0 is the
// first command the Card receives) gets Mutation.
type Step struct {
	Exchange uint64 `json:"exchange"`
	Mutation string `json:"mutation"`
}

// Exchange is one command a planned Card answered: its description
// (emulator.Describe, no secrets) and the card's true answer.
type Exchange struct {
	Command string
	Answer  []byte
}

// New wraps c; mutations are drawn from seed and logged to log.
func New(c vpcd.Card, seed uint64, log logrus.FieldLogger, opts ...Option) *Card {
	h := &Card{card: c, seed: seed, log: logging.Wrap(log), Rate: 4, MaxDelay: defaultMaxDelay, set: mutations}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Option changes how a Card mutates at Rate.
type Option func(*Card)

// WithRate mutates one answer in n; 1 mutates every answer.
func WithRate(n int) Option { return func(h *Card) { h.Rate = n } }

// WithMutations draws only from the named mutations (see Mutations);
// names it does not know are left out, and with none left every mutation
// is drawn from.
func WithMutations(names ...string) Option {
	return func(h *Card) {
		var set []mutation
		for _, n := range names {
			if m, err := mutationNamed(n); err == nil {
				set = append(set, *m)
			}
		}
		if set != nil {
			h.set = set
		}
	}
}

const defaultMaxDelay = 300 * time.Millisecond

// maxTrace bounds the exchanges a planned Card keeps: a host stuck in a
// loop sends commands without end.
const maxTrace = 4096

// NewPlanned wraps c so that it mutates the answers plan names and no
// other; seed picks the details (which byte, which length).
func NewPlanned(c vpcd.Card, seed uint64, plan []Step, log logrus.FieldLogger) (*Card, error) {
	h := New(c, seed, log)
	h.plan = map[uint64]string{}
	for _, st := range plan {
		if _, err := mutationNamed(st.Mutation); err != nil {
			return nil, err
		}
		h.plan[st.Exchange] = st.Mutation
	}
	return h, nil
}

// Mutations names every mutation, in a fixed order.
func Mutations() []string {
	names := make([]string, len(mutations))
	for i, m := range mutations {
		names[i] = m.name
	}
	return names
}

func mutationNamed(name string) (*mutation, error) {
	for i := range mutations {
		if mutations[i].name == name {
			return &mutations[i], nil
		}
	}
	return nil, fmt.Errorf("hostile: unknown mutation %q (want one of %s)", name, strings.Join(Mutations(), ", "))
}

// Changes reports whether step st, with seed, changes answer: a mutation
// that leaves an answer as it is (no DER in it, no data to truncate) need
// not be tried on it. A delay always counts as a change.
func Changes(seed uint64, st Step, answer []byte) bool {
	m, err := mutationNamed(st.Mutation)
	if err != nil {
		return false
	}
	return m.delay || !bytes.Equal(m.apply(rand.New(rand.NewPCG(seed, st.Exchange)), answer), answer)
}

// Exchanges returns the exchanges a planned Card has answered so far.
func (h *Card) Exchanges() []Exchange {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.trace)
}

// ATR is left intact: a host that cannot parse the ATR never sends an APDU.
func (h *Card) ATR() []byte { return h.card.ATR() }

func (h *Card) Reset()    { h.card.Reset() }
func (h *Card) PowerOff() { h.card.PowerOff() }

// Transmit forwards cmd to the card and returns its answer, mutated for
// one exchange in Rate, or as planned.
func (h *Card) Transmit(cmd []byte) []byte {
	if out, ok := h.getResponse(cmd); ok {
		return out
	}
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
	var m *mutation
	if h.plan != nil {
		if len(h.trace) < maxTrace {
			h.trace = append(h.trace, Exchange{Command: desc, Answer: resp})
		}
		name, ok := h.plan[n]
		if !ok {
			return resp
		}
		m, _ = mutationNamed(name)
	} else {
		if h.Rate > 1 && rng.IntN(h.Rate) != 0 {
			return resp
		}
		m = &h.set[rng.IntN(len(h.set))]
	}
	out := m.apply(rng, resp)
	fields := logging.Fields{
		"seq": n, "seed": h.seed, "mutation": m.name, "cmd": desc,
		"answer": hex.EncodeToString(resp), "sent": hex.EncodeToString(out),
	}
	switch {
	case m.delay:
		d := time.Duration(1 + rng.Int64N(int64(max(h.MaxDelay, 1))))
		fields["delay"] = d.String()
		time.Sleep(d)
	case m.name == "sw-61xx" && len(out) == 2 && out[0] == 0x61:
		h.held = resp
	}
	h.log.Warn("hostile answer", fields)
	return out
}

// getResponse answers a GET RESPONSE after a 61xx answer with the data
// held back, Le bytes at a time (ISO 7816-4 §5.3.4), without counting it
// as an exchange. Any other command drops what was held.
func (h *Card) getResponse(cmd []byte) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	held := h.held
	h.held = nil
	if held == nil || len(cmd) < 4 || cmd[1] != 0xC0 {
		return nil, false
	}
	data, sw := split(held)
	le := 256
	if len(cmd) == 5 && cmd[4] != 0 {
		le = int(cmd[4])
	}
	if len(data) <= le {
		return join(data, sw), true
	}
	h.held = held[le:]
	return join(data[:le], []byte{0x61, byte(min(len(data)-le, 256))}), true
}

type mutation struct {
	name  string
	apply func(rng *rand.Rand, resp []byte) []byte
	// delay pauses before the answer, which it leaves as it is.
	delay bool
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
	{name: "truncate-data", apply: func(rng *rand.Rand, resp []byte) []byte {
		data, sw := split(resp)
		return join(data[:rng.IntN(len(data)+1)], sw)
	}},
	{name: "extra-data", apply: func(rng *rand.Rand, resp []byte) []byte {
		data, sw := split(resp)
		extra := make([]byte, 1+rng.IntN(300))
		for i := range extra {
			extra[i] = byte(rng.UintN(256))
		}
		return join(append(append([]byte(nil), data...), extra...), sw)
	}},
	{name: "odd-sw", apply: func(rng *rand.Rand, resp []byte) []byte {
		data, _ := split(resp)
		return join(data, oddSWs[rng.IntN(len(oddSWs))])
	}},
	{name: "error-with-data", apply: func(rng *rand.Rand, resp []byte) []byte {
		data, _ := split(resp)
		if len(data) == 0 {
			data = []byte{0x30, 0x82, 0x04, 0xAA}
		}
		return join(data, []byte{0x69, 0x82})
	}},
	{name: "ok-without-data", apply: func(_ *rand.Rand, _ []byte) []byte { return []byte{0x90, 0x00} }},
	// One byte is the shortest answer vpcd carries: a zero-length frame
	// is no answer at all (vpcd.ReadFrame), so the host would never see it.
	{name: "short-answer", apply: func(_ *rand.Rand, resp []byte) []byte {
		return append([]byte(nil), resp[:min(1, len(resp))]...)
	}},
	{name: "bad-ber-length", apply: func(rng *rand.Rand, resp []byte) []byte {
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
	{name: "flip-byte", apply: func(rng *rand.Rand, resp []byte) []byte {
		out := append([]byte(nil), resp...)
		if len(out) > 0 {
			out[rng.IntN(len(out))] ^= byte(1 + rng.IntN(255))
		}
		return out
	}},
	// The length of a DER value (a certificate, a key) claims more than
	// follows: the outermost one, where a host sizes its buffer.
	{name: "der-length", apply: func(_ *rand.Rand, resp []byte) []byte {
		data, sw := split(resp)
		if len(data) == 0 || data[0] != 0x30 {
			return resp
		}
		return join(setLength(data, berLengths(data, 0)[:1], lengthMax), sw)
	}},
	// The FF x0 LL header of a text or visual AP record (card.md §4)
	// claims more than the file holds.
	{name: "ff-header", apply: func(_ *rand.Rand, resp []byte) []byte {
		data, sw := split(resp)
		if len(data) < 3 || data[0] != 0xFF || data[1]&0x0F != 0 {
			return resp
		}
		return join(setLength(data, berLengths(data, 0)[:1], lengthMax), sw)
	}},
	// A length inside a record or certificate, past its header, claims
	// too much or nothing.
	{name: "tlv-length", apply: func(rng *rand.Rand, resp []byte) []byte {
		data, sw := split(resp)
		inner := berLengths(data, 0)
		if len(inner) < 2 {
			return resp
		}
		at := inner[1+rng.IntN(len(inner)-1):][:1]
		return join(setLength(data, at, []int{lengthMax, lengthZero}[rng.IntN(2)]), sw)
	}},
	// 61xx: the data waits for a GET RESPONSE, which the Card answers;
	// xx is the true length or, one time in three, a wrong one.
	{name: "sw-61xx", apply: func(rng *rand.Rand, resp []byte) []byte {
		data, _ := split(resp)
		if len(data) == 0 {
			return resp
		}
		return []byte{0x61, wrongLength(rng, len(data))}
	}},
	// 6Cxx: the host is to resend with Le = xx, which the card answers.
	{name: "sw-6cxx", apply: func(rng *rand.Rand, resp []byte) []byte {
		data, _ := split(resp)
		if len(data) == 0 {
			return resp
		}
		return []byte{0x6C, wrongLength(rng, len(data))}
	}},
	{name: "delay", delay: true, apply: func(_ *rand.Rand, resp []byte) []byte { return resp }},
}

// wrongLength is n as a short Le (256 is 00), or one time in three a
// random other one.
func wrongLength(rng *rand.Rand, n int) byte {
	if rng.IntN(3) == 0 {
		return byte(rng.UintN(256))
	}
	return byte(n)
}

// How setLength rewrites a length field.
const (
	lengthMax  = iota // the largest the field's width can say
	lengthZero        // zero
)

// maxBERLengths bounds the length fields berLengths collects.
const maxBERLengths = 256

// berLengths returns the offsets of the length fields of the BER TLVs in b,
// outermost first, descending into constructed ones. A length past the end
// of b still counts; the walk stops where b stops parsing.
func berLengths(b []byte, depth int) []int {
	var out []int
	for i := 0; i < len(b) && len(out) < maxBERLengths; {
		tag := b[i]
		if tag == 0x00 || tag == 0xFF && depth > 0 {
			break // filler (in records, card.md §4)
		}
		j := i + 1
		if tag&0x1F == 0x1F {
			for j < len(b) && j < i+4 && b[j]&0x80 != 0 {
				j++
			}
			j++
		}
		if j >= len(b) {
			break
		}
		n, w := berLength(b[j:])
		if w == 0 {
			break
		}
		out = append(out, j)
		start := j + w
		end := min(start+n, len(b))
		if tag&0x20 != 0 && depth < 8 {
			for _, k := range berLengths(b[start:end], depth+1) {
				out = append(out, start+k)
			}
		}
		if end <= i {
			break
		}
		i = end
	}
	return out
}

// berLength decodes a definite length: its value and width, or width 0.
func berLength(b []byte) (n, width int) {
	switch {
	case b[0] < 0x80:
		return int(b[0]), 1
	case b[0] > 0x80 && b[0] <= 0x83 && len(b) > int(b[0]&0x7F):
		w := int(b[0] & 0x7F)
		for _, x := range b[1 : 1+w] {
			n = n<<8 | int(x)
		}
		return n, 1 + w
	}
	return 0, 0
}

// setLength returns a copy of b whose length fields at offsets say how.
func setLength(b []byte, offsets []int, how int) []byte {
	out := append([]byte(nil), b...)
	for _, at := range offsets {
		_, w := berLength(out[at:])
		switch {
		case how == lengthZero && w == 1:
			out[at] = 0
		case how == lengthZero:
			clear(out[at+1 : at+w])
		case w == 1:
			out[at] = 0x7F
		default:
			for k := at + 1; k < at+w; k++ {
				out[k] = 0xFF
			}
		}
	}
	return out
}
