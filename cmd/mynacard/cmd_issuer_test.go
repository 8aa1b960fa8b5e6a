package main

import (
	"strings"
	"testing"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/cardfile"
)

func TestIssuerCommands(t *testing.T) {
	path := newCardFile(t, emulator.KindNormal, t.TempDir(), "card.json", nil)
	step := func(args ...string) string {
		t.Helper()
		code, out, errs := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		return out
	}
	query := func() string {
		return step("apdu", path, "00A4040C0AD392F000260100000001", "00 20 00 98")
	}

	if out := step("issuer", "face-auth", path); !strings.Contains(out, "kind face-auth") {
		t.Errorf("face-auth output: %s", out)
	}
	if out := query(); !strings.Contains(out, "63C0") {
		t.Errorf("auth PIN after face-auth:\n%s", out)
	}
	st, err := cardfile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Files[emulator.JPKISignCert]; ok {
		t.Error("face-auth kept the sign certificate")
	}

	step("issuer", "reverse", path, "--auth-pin", "5678")
	if out := step("apdu", path, "00A4040C0AD392F000260100000001", "00 20 00 98 04 35363738"); !strings.Contains(out, "< 9000") {
		t.Errorf("new auth PIN after reverse:\n%s", out)
	}

	step("issuer", "issue-sign-cert", path, "--password", "NEWPASS9")
	out := step("apdu", path, "00A4040C0AD392F000260100000001",
		"00 20 00 9B 08 4E45575041535339", "00 B0 81 00 04")
	if !strings.Contains(out, "< 3082") {
		t.Errorf("sign cert after issue-sign-cert:\n%s", out)
	}

	step("apdu", path, "00A4040C0AD392F000260100000001", "00 20 00 98 04 30303030", "00 20 00 98 04 30303030", "00 20 00 98 04 30303030")
	if out := query(); !strings.Contains(out, "63C0") {
		t.Errorf("auth PIN after three wrong tries:\n%s", out)
	}
	step("issuer", "unblock", path, "--key", "jpki/0018")
	if out := query(); !strings.Contains(out, "63C3") {
		t.Errorf("auth PIN after unblock:\n%s", out)
	}
}
