package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/cardfile"
	"github.com/mynacard/mynacard/emulator/profile"
)

// newCardFile saves the default card of kind k, changed by edit unless it
// is nil, as dir/name.
func newCardFile(t testing.TB, k emulator.Kind, dir, name string, edit func(*emulator.State)) string {
	t.Helper()
	st, err := profile.Default(k)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(st)
	}
	path := filepath.Join(dir, name)
	if err := cardfile.Save(path, st); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadCardFile loads a card file that must be intact and owner-only.
func loadCardFile(t testing.TB, path string) *emulator.State {
	t.Helper()
	st, err := cardfile.Load(path)
	if err != nil {
		t.Fatalf("card file no longer loads: %v", err)
	}
	if fi, err := os.Stat(path); err != nil {
		t.Fatal(err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want 0600 (it holds the PINs and keys)", path, fi.Mode().Perm())
	}
	return st
}

// Commands the tests send (card.md §5).
var (
	cmdSelectJPKI   = apdu.SelectAID(emulator.AppJPKI.AID()).Bytes()
	cmdSelectCommon = apdu.SelectAID(emulator.AppCommon.AID()).Bytes()
)

func cmdSelectEF(fid uint16) []byte {
	return apdu.SelectEF(fid).Bytes()
}

// cmdVerify is VERIFY of the current EF; an empty value queries the counter.
func cmdVerify(value string) []byte {
	if value == "" {
		return apdu.VerifyQuery(apdu.CurrentEF).Bytes()
	}
	return apdu.Verify(apdu.CurrentEF, []byte(value)).Bytes()
}

// pcscReader is one PC/SC connection to a served card.
type pcscReader struct {
	ctx  *scard.Context
	name string
	card *scard.Card
}

func openPCSCReader(t testing.TB, name string) *pcscReader {
	t.Helper()
	ctx, err := scard.EstablishContext()
	if err != nil {
		t.Fatalf("SCardEstablishContext: %v", err)
	}
	r := &pcscReader{ctx: ctx, name: name}
	t.Cleanup(func() {
		r.disconnect()
		ctx.Release()
	})
	return r
}

// waitPresent waits until the reader holds a card (or, with present false,
// none) and reports how long that took.
func (r *pcscReader) waitPresent(present bool, within time.Duration) (time.Duration, error) {
	start := time.Now()
	rs := []scard.ReaderState{{Reader: r.name, CurrentState: scard.StateUnaware}}
	for {
		err := r.ctx.GetStatusChange(rs, 100*time.Millisecond)
		if err != nil && !errors.Is(err, scard.ErrTimeout) {
			return 0, fmt.Errorf("SCardGetStatusChange(%q): %w", r.name, err)
		}
		if (rs[0].EventState&scard.StatePresent != 0) == present && rs[0].EventState&scard.StateMute == 0 {
			return time.Since(start), nil
		}
		if time.Since(start) > within {
			return 0, fmt.Errorf("pcscReader %q: card present=%v not reached within %v (state %#x)", r.name, present, within, rs[0].EventState)
		}
		rs[0].CurrentState = rs[0].EventState &^ scard.StateChanged
	}
}

// connect waits for a card and connects to it. pcscd may see the card a
// moment before it can power it, so a failed connect is retried.
func (r *pcscReader) connect(t testing.TB, within time.Duration) {
	t.Helper()
	r.disconnect()
	deadline := time.Now().Add(within)
	for {
		_, err := r.waitPresent(true, time.Until(deadline))
		if err == nil {
			r.card, err = r.ctx.Connect(r.name, scard.ShareShared, scard.ProtocolAny)
			if err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("connect to %q: %v", r.name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *pcscReader) disconnect() {
	if r.card != nil {
		r.card.Disconnect(scard.LeaveCard)
		r.card = nil
	}
}

// transmit sends cmd and splits the answer.
func (r *pcscReader) transmit(cmd []byte) (data []byte, sw apdu.SW, err error) {
	b, err := r.card.Transmit(cmd)
	if err != nil {
		return nil, 0, err
	}
	resp, err := apdu.ParseResponse(b)
	if err != nil {
		return nil, 0, fmt.Errorf("response % X: %w", b, err)
	}
	return slices.Clone(resp.Data), resp.SW, nil
}

// must sends cmd, which has to be answered with want.
func (r *pcscReader) must(t testing.TB, cmd []byte, want apdu.SW) []byte {
	t.Helper()
	data, sw, err := r.transmit(cmd)
	if err != nil {
		t.Fatalf("SCardTransmit(% X): %v", cmd, err)
	}
	if sw != want {
		t.Fatalf("% X: SW %v, want %v", cmd, sw, want)
	}
	return data
}

// counter reads the tries left of key reference fid of the selected AP
// with an empty VERIFY, which spends none.
func (r *pcscReader) counter(t testing.TB, fid uint16) int {
	t.Helper()
	r.must(t, cmdSelectEF(fid), apdu.SWOK)
	_, sw, err := r.transmit(cmdVerify(""))
	if err != nil {
		t.Fatalf("empty VERIFY of %04X: %v", fid, err)
	}
	n, ok := sw.Retries()
	if !ok {
		t.Fatalf("empty VERIFY of %04X: SW %v, want 63Cx", fid, sw)
	}
	return n
}
