//go:build linux

package control_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/contactless"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/vpcd/control"
	"github.com/mynacard/mynacard/vpcd/pcsctest"
)

// TestRequests sends good and bad lines on one connection: each gets one
// answer, bad ones a message saying what is wrong, and the server keeps
// serving.
func TestRequests(t *testing.T) {
	card := pcsctest.Card(t, emulator.KindNormal)
	path := filepath.Join(t.TempDir(), "ctl.sock")
	srv, err := control.Listen(path, []*control.Card{control.NewCard("normal", "Virtual PCD 00 00", card, "127.0.0.1:1", contactless.Part3, nil)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode: %v %v, want 0600", fi.Mode(), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for _, tc := range []struct {
		line string
		want string // substring of the error; "" means ok
	}{
		{`not json`, "bad request"},
		{`{"op":"status","extra":1}`, "unknown field"},
		{`{"op":"frobnicate"}`, `unknown op "frobnicate"`},
		{`{"op":"remove","slot":4}`, "slot 4: no such slot; this socket serves slots 0-0"},
		{`{"op":"tries","key":"jpki/0018"}`, "give the number of tries"},
		{`{"op":"tries","key":"jpki/0018","tries":9}`, "want 0 to 3"},
		{`{"op":"tries","key":"nope","tries":1}`, `key "nope"`},
		{`{"op":"unblock","key":"text/0012"}`, "blocked on every card"},
		{`{"op":"unblock","key":"jpki/0099"}`, "unknown key reference jpki/0099"},
		{`{"op":"unblock","key":"text/0014","value":"123456789013"}`, "not the one the card's data implies"},
		{`{"op":"unblock","key":"text/0015"}`, ""},
		{`{"op":"tries","key":"jpki/0018","tries":1}`, ""},
		{`{"op":"unblock"}`, ""},
		{`{"op":"hostile","seed":7}`, ""},
		{`{"op":"hostile"}`, ""},
		{`{"op":"remove"}`, ""},
		{`{"op":"insert"}`, ""},
		{`{"op":"face-auth"}`, ""},
		{`{"op":"reverse","pins":{"auth":"4321"}}`, ""},
		{`{"op":"issue-sign-cert"}`, ""},
		{strings.Repeat("x", 70<<10), "longer than"},
	} {
		if _, err := c.Write([]byte(tc.line + "\n")); err != nil {
			t.Fatal(err)
		}
		line, err := r.ReadBytes('\n')
		if err != nil {
			t.Fatalf("%.40s: no answer: %v", tc.line, err)
		}
		var resp control.Response
		if err := json.Unmarshal(line, &resp); err != nil {
			t.Fatalf("%.40s: answer %q: %v", tc.line, line, err)
		}
		switch {
		case tc.want == "" && !resp.OK:
			t.Errorf("%.40s: error %q, want ok", tc.line, resp.Error)
		case tc.want != "" && (resp.OK || !strings.Contains(resp.Error, tc.want)):
			t.Errorf("%.40s: answer %+v, want an error containing %q", tc.line, resp, tc.want)
		}
	}
	st := card.Snapshot()
	if st.Kind != emulator.KindNormal || st.PINs[emulator.JPKIAuthPIN].Remaining != 3 || string(st.PINs[emulator.JPKIAuthPIN].Value) != "4321" {
		t.Errorf("after reverse and issue-sign-cert: kind %q, auth PIN %d tries", st.Kind, st.PINs[emulator.JPKIAuthPIN].Remaining)
	}
}

// TestPINLockedMidSession blocks the auth PIN through the control channel
// under a client that keeps its connection: the next VERIFY of the right
// PIN answers 69 84, in the session the client opened.
func TestPINLockedMidSession(t *testing.T) {
	bed := pcsctest.Start(t, emulator.KindNormal)
	card := pcsctest.Connect(t, bed.Readers()[0])
	pin := []byte(profile.DefaultPersona().AuthPIN)
	zero := 0
	for _, step := range []struct {
		cmd  apdu.Command
		ctl  *control.Request
		want apdu.SW
	}{
		{cmd: apdu.SelectAID(emulator.AppJPKI.AID()), want: apdu.SWOK},
		{cmd: apdu.SelectEF(emulator.JPKIAuthPIN.FID()), want: apdu.SWOK},
		{cmd: apdu.Verify(0x80, pin), want: apdu.SWOK},
		{ctl: &control.Request{Op: "tries", Key: "jpki/0018", Tries: &zero}},
		{cmd: apdu.Verify(0x80, pin), want: apdu.SWAuthBlocked},
	} {
		if step.ctl != nil {
			if _, err := bed.Do(*step.ctl); err != nil {
				t.Fatal(err)
			}
			continue
		}
		resp, err := card.Transmit(step.cmd.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		r, err := apdu.ParseResponse(resp)
		if err != nil {
			t.Fatal(err)
		}
		if r.SW != step.want {
			t.Errorf("%v: %v, want %v", step.cmd, r.SW, step.want)
		}
	}
}
