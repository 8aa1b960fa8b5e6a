package fuzz

import (
	"math/rand/v2"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// Generator makes command sequences for the APDU fuzzer: client sequences
// and grammar-built sessions (the right CLA/INS/P1/P2/Lc/Le shapes for each
// command of card.md §5, the five AIDs, known FIDs and key references), then
// mutated at the sequence level (insert, drop, repeat, reset, splice) and
// the field level (chained or odd CLA, off-by-one Lc, truncated data,
// extended lengths, moved offsets). The same seed gives the same sequences.
type Generator struct {
	rng   *rand.Rand
	sec   Secrets
	seeds []Sequence
	// Destructive allows commands that may spend a retry counter or change
	// a card (VERIFY with a value, CHANGE REFERENCE DATA, issuer and unknown
	// instructions). Without it every sequence passes Harmless.
	Destructive bool
}

// NewGenerator returns a generator seeded with seed that presents the
// secrets in sec where a grammar rule wants a right one.
func NewGenerator(seed uint64, sec Secrets, destructive bool) *Generator {
	return &Generator{
		rng:         rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15)),
		sec:         sec,
		seeds:       ClientSequences(sec),
		Destructive: destructive,
	}
}

// Harmless reports whether cmd can be sent to a real card without risk of
// spending a retry counter or changing the card: only selection, reads,
// GET DATA/CHALLENGE/RESPONSE, signing (refused without a verified key, and
// never stateful) and the empty VERIFY that only reads a counter, in any
// class but FF (reader pseudo-APDUs). Anything shorter than a header is
// refused too: one-byte APDUs hang pcscd and vpcd.
func Harmless(cmd []byte) bool {
	if len(cmd) < 4 || cmd[0] == 0xFF {
		return false
	}
	switch cmd[1] {
	case apdu.INSSelect, apdu.INSReadBinary, apdu.INSReadBinaryOdd, apdu.INSReadRecord, apdu.INSGetData,
		apdu.INSGetChallenge, apdu.INSGetResponse, apdu.INSComputeSignature, apdu.INSInternalAuthenticate:
		return true
	case apdu.INSVerify:
		return len(cmd) == 4
	}
	return false
}

// Sequence returns the next sequence.
func (g *Generator) Sequence() []Step {
	var steps []Step
	if g.rng.IntN(2) == 0 {
		steps = append(steps, g.seeds[g.rng.IntN(len(g.seeds))].Steps...)
	} else {
		for n := 1 + g.rng.IntN(10); n > 0; n-- {
			steps = append(steps, g.command())
		}
	}
	for n := g.rng.IntN(5); n > 0; n-- {
		steps = g.mutateSequence(steps)
	}
	if !g.Destructive {
		kept := steps[:0]
		for _, s := range steps {
			if s.Reset || Harmless(s.Cmd) {
				kept = append(kept, s)
			}
		}
		steps = kept
	}
	return steps
}

func (g *Generator) mutateSequence(steps []Step) []Step {
	at := func(extra int) int { return g.rng.IntN(len(steps) + extra) }
	switch g.rng.IntN(8) {
	case 0, 1:
		i := at(1)
		return insert(steps, i, g.command())
	case 2:
		if len(steps) > 1 {
			i := at(0)
			return append(steps[:i:i], steps[i+1:]...)
		}
	case 3:
		if len(steps) > 0 {
			i := at(0)
			return insert(steps, i, steps[i])
		}
	case 4:
		return insert(steps, at(1), Step{Reset: true})
	case 5:
		other := g.seeds[g.rng.IntN(len(g.seeds))].Steps
		cut := at(1)
		return append(steps[:cut:cut], other[g.rng.IntN(len(other)):]...)
	}
	for i := range steps {
		if !steps[i].Reset && g.rng.IntN(len(steps)) == 0 {
			steps[i] = Step{Cmd: g.mutateCommand(steps[i].Cmd)}
		}
	}
	return steps
}

func insert(steps []Step, i int, s Step) []Step {
	out := make([]Step, 0, len(steps)+1)
	out = append(append(append(out, steps[:i]...), s), steps[i:]...)
	return out
}

func (g *Generator) pick(bs ...byte) byte { return bs[g.rng.IntN(len(bs))] }

func (g *Generator) app() emulator.App { return emulator.Apps()[g.rng.IntN(len(emulator.Apps()))] }

func (g *Generator) key() emulator.FileRef { return keyRefs[g.rng.IntN(len(keyRefs))] }

func (g *Generator) fid() uint16 {
	switch g.rng.IntN(6) {
	case 0:
		return g.key().FID()
	case 1:
		return []uint16{0x3F00, 0x2F10, 0x2F11, 0x001E, 0x0016, 0x0017, 0x0019, 0x001A, 0x0013}[g.rng.IntN(9)]
	case 2:
		return uint16(g.rng.IntN(0x20))
	}
	fids := files[g.app()]
	return fids[g.rng.IntN(len(fids))]
}

// le picks an expected length: absent, a client's probe size, a full short
// chunk, or an extended one.
func (g *Generator) le() (ne int, ext bool) {
	switch g.rng.IntN(8) {
	case 0:
		return 0, false
	case 1:
		return []int{1, 2, 3, 4, 7, 9, 0x11, 0x14, 0x20, 0x71, 0xC3, 0xFF}[g.rng.IntN(12)], false
	case 2:
		return []int{0x100, 0x101, 0x800, 0x7FFF, apdu.MaxExtendedNe}[g.rng.IntN(5)], true
	case 3:
		return 1 + g.rng.IntN(256), false
	}
	return apdu.MaxShortNe, false
}

func (g *Generator) offset() int {
	switch g.rng.IntN(4) {
	case 0:
		return 0
	case 1:
		return []int{4, 7, 0x11, 0x9F, 0xA4, 0xFF, 0x100, 0x150, 0x238, 0x4AA, 0x4AE, 0x7FFF}[g.rng.IntN(12)] + g.rng.IntN(3) - 1
	case 2:
		return g.rng.IntN(0x800)
	}
	return 0x100 * g.rng.IntN(8)
}

// secret returns a value to VERIFY for ref: the right one, a wrong one of
// the right shape, one of the wrong length, or a lower-case password.
func (g *Generator) secret(ref emulator.FileRef) []byte {
	v := append([]byte(nil), g.sec.value(ref)...)
	switch g.rng.IntN(5) {
	case 0, 1:
		return v
	case 2:
		v[g.rng.IntN(len(v))] ^= 0x01
	case 3:
		if g.rng.IntN(2) == 0 && len(v) > 1 {
			return v[:len(v)-1]
		}
		return append(v, '0')
	case 4:
		for i, b := range v {
			if b >= 'A' && b <= 'Z' {
				v[i] = b + 'a' - 'A'
			}
		}
	}
	return v
}

// keyP2 addresses a key by the current EF (80) or by SFI (80|SFI).
func (g *Generator) keyP2(fid uint16) byte {
	if g.rng.IntN(3) == 0 {
		return apdu.KeyRef(fid)
	}
	return apdu.CurrentEF
}

// command builds one well-formed command from the grammar of card.md §5.
func (g *Generator) command() Step {
	c := apdu.Command{}
	switch g.rng.IntN(16) {
	case 0, 1: // SELECT AP
		c = apdu.SelectAID(g.app().AID())
		switch g.rng.IntN(6) {
		case 0:
			c = apdu.SelectAIDFCI(c.Data, apdu.MaxShortNe)
		case 1:
			c = apdu.SelectAIDFCI(c.Data[:1+g.rng.IntN(len(c.Data)-1)], apdu.MaxShortNe)
		case 2:
			c.Data = ispAID
		}
	case 2, 3: // SELECT EF
		fid := g.fid()
		c = apdu.SelectEF(fid)
		if g.rng.IntN(6) == 0 {
			c.P1, c.P2 = g.pick(0x00, 0x01, 0x08, 0x09), g.pick(0x00, 0x04, 0x0C)
		}
	case 4: // SELECT MF
		c = apdu.SelectMF()
		if g.rng.IntN(2) == 0 {
			c.Data = apdu.FID(0x3F00)
		}
	case 5, 6, 7: // READ BINARY
		off := g.offset()
		c = apdu.ReadBinary(off, 0)
		if g.rng.IntN(4) == 0 {
			c = apdu.ReadBinarySFI(byte(g.fid()), byte(off), 0)
		}
		c.Ne, c.Extended = g.le()
	case 8: // READ RECORD
		c = apdu.ReadRecord(byte(g.rng.IntN(4)), 0, apdu.MaxShortNe)
		c.P2 = g.pick(0x04, 0x0C, 0x14, 0x05, 0x0D)
	case 9, 10: // VERIFY
		ref := g.key()
		c = apdu.VerifyQuery(g.keyP2(ref.FID()))
		if g.rng.IntN(3) > 0 {
			c = apdu.Verify(c.P2, g.secret(ref))
		}
	case 11: // CHANGE REFERENCE DATA / CHANGE KEY
		ref := g.key()
		c = apdu.ChangeReferenceData(g.keyP2(ref.FID()), g.secret(ref))
		if g.rng.IntN(3) == 0 {
			c = apdu.ChangeKey(c.P2, c.Data)
		}
	case 12: // COMPUTE DIGITAL SIGNATURE / INTERNAL AUTHENTICATE
		n := []int{1, 32, 51, 83, 245, 246, 255}[g.rng.IntN(7)]
		data := append([]byte(nil), sha256DigestInfo...)
		for len(data) < n {
			data = append(data, byte(len(data)))
		}
		c = apdu.ComputeSignature(byte(g.rng.IntN(7)), data[:n])
		c.P2 = g.pick(0x80, 0x97, 0x9A, 0x00, 0x93)
		if g.rng.IntN(4) == 0 {
			c = apdu.InternalAuthenticate(g.pick(0x80, 0x97, 0x99, 0x9A), c.Data)
		}
	case 13: // GET CHALLENGE / GET RESPONSE
		c = apdu.Command{INS: g.pick(apdu.INSGetChallenge, apdu.INSGetChallenge, apdu.INSGetResponse)}
		c.Ne, c.Extended = g.le()
	case 14: // GET DATA
		tag := getDataTags[g.rng.IntN(len(getDataTags))]
		c = apdu.GetData(tag, 0)
		c.Ne, c.Extended = g.le()
	case 15: // proprietary and unknown instructions
		switch g.rng.IntN(4) {
		case 0:
			c = apdu.Command{CLA: apdu.CLAProprietary, INS: apdu.INSSetSessionKey, Data: make([]byte, 256), Extended: true}
		case 1:
			c = apdu.Command{CLA: apdu.CLAProprietary, INS: apdu.INSVerifyCertificate, P1: g.pick(0x00, 0x80), P2: g.pick(0x00, 0xAE, 0xB6), Data: make([]byte, 307), Extended: true}
		case 2:
			c = apdu.Command{CLA: apdu.CLAProprietary, INS: apdu.INSLastCommand}
		default:
			c = apdu.Command{CLA: g.pick(apdu.CLAInterindustry, apdu.CLAProprietary), INS: byte(g.rng.UintN(256)), P1: byte(g.rng.UintN(256)), P2: byte(g.rng.UintN(256))}
		}
	}
	return Step{Cmd: c.Bytes()}
}

// mutateCommand changes one field of b, keeping it parseable most of the time.
func (g *Generator) mutateCommand(b []byte) []byte {
	c, err := apdu.ParseCommand(b)
	if err != nil || g.rng.IntN(6) == 0 {
		return g.mutateBytes(b)
	}
	c.Data = append([]byte(nil), c.Data...)
	switch g.rng.IntN(8) {
	case 0:
		c.CLA = g.pick(0x00, 0x80, 0x10, 0x90, 0x01, 0x03, 0x40, 0x41, 0x08, 0x0C, 0x84, 0x20, 0xFF)
	case 1:
		c.P1 += byte(g.rng.IntN(3)) - 1
	case 2:
		c.P2 ^= 1 << g.rng.IntN(8)
	case 3:
		c.Ne, c.Extended = g.le()
	case 4:
		c.Extended = !c.Extended
	case 5:
		if len(c.Data) > 0 {
			c.Data = c.Data[:g.rng.IntN(len(c.Data))]
		}
	case 6:
		c.Data = append(c.Data, byte(g.rng.UintN(256)))
	case 7:
		if len(c.Data) > 0 {
			c.Data[g.rng.IntN(len(c.Data))] ^= byte(1 + g.rng.IntN(255))
		}
	}
	return c.Bytes()
}

// mutateBytes breaks the encoding itself: an Lc off by one, a byte cut or
// added at the end, an extended length marker where none belongs.
func (g *Generator) mutateBytes(b []byte) []byte {
	out := append([]byte(nil), b...)
	switch g.rng.IntN(4) {
	case 0:
		if len(out) > 5 {
			out[4] += byte(g.rng.IntN(2)*2) - 1
			return out
		}
	case 1:
		if len(out) > 4 {
			return out[:len(out)-1]
		}
	case 2:
		if len(out) >= 4 {
			return append(out[:4:4], append([]byte{0x00}, out[4:]...)...)
		}
	}
	return append(out, byte(g.rng.UintN(256)))
}
