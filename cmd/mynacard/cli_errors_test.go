package main

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynacard/mynacard/emulator"
)

// TestCommandLineErrors runs every bad command line a newcomer tried (and
// the damaged card files of docs/reliability.md): a usage error exits 2, a
// failure 1, each with exactly one line on stderr that names what to do,
// and none changes the card file or leaves a file behind.
func TestCommandLineErrors(t *testing.T) {
	dir := t.TempDir()
	card := newCardFile(t, emulator.KindNormal, dir, "card.json", nil)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	corrupt := write("corrupt.json", "{not json")
	badPersona := write("bad-persona.json", `{"my_number": "123456789012"}`)
	badChip := write("bad-chip.json", `{"chip": "jpki-00"}`)
	unknownField := write("unknown-field.json", `{"auth_pn": "1234"}`)
	finding := write("finding.txt", "# a finding made on a real card\ntarget pcsc:Virtual PCD 00 00\ncard normal\n> 00A4040C0AD392F000260100000001\n< 9000\n")
	missing := filepath.Join(dir, "missing.json")
	// The damaged card files of docs/reliability.md.
	good, err := os.ReadFile(card)
	if err != nil {
		t.Fatal(err)
	}
	damaged := map[string]string{
		"empty.json":      "",
		"truncated.json":  string(good[:len(good)/2]),
		"not-a-card.json": `{"hello": 1}`,
		"future.json":     strings.Replace(string(good), `"format_version": 1`, `"format_version": 99`, 1),
		"raised.json":     strings.Replace(string(good), `"remaining": 3`, `"remaining": 9`, 1),
	}
	newCard := filepath.Join(dir, "new.json")
	dirCard := filepath.Join(dir, "dir.json") // a directory where a card should be
	if err := os.Mkdir(dirCard, 0o700); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		args []string
		code int
		want string // in the one stderr line
	}{
		// main
		{[]string{}, 2, "want a command"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"help", "frobnicate"}, 2, `unknown command "frobnicate"`},
		// conformance
		{[]string{"conformance", "--target", "bogus"}, 2, `--target "bogus"`},
		{[]string{"conformance", "--reader", "0"}, 2, "--reader and --pins apply to --target pcsc"},
		{[]string{"conformance", "--pins", card}, 2, "--reader and --pins apply to --target pcsc"},
		{[]string{"conformance", "--target", "pcsc", "--card", card}, 2, "--card applies to --target embedded"},
		{[]string{"conformance", "--kind", "normal", "--card", card}, 2, "--kind or --card"},
		{[]string{"conformance", "--diff-target", "bogus"}, 2, `target "bogus"`},
		{[]string{"conformance", "--diff-target", "embedded:plastic"}, 2, `kind "plastic"`},
		{[]string{"conformance", "--diff-pins", card}, 2, "--diff-pins applies"},
		{[]string{"conformance", "--kind", "plastic"}, 2, `--kind "plastic"`},
		{[]string{"conformance", "--run", "NOPE"}, 2, `--run "NOPE" matches no case`},
		{[]string{"conformance", "--list", "--json"}, 2, "--json would be ignored"},
		{[]string{"conformance", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"conformance", "--bogus"}, 2, "-bogus"},
		{[]string{"conformance", "--allow-unrecoverable"}, 2, "--allow-unrecoverable goes with --allow-destructive"},
		{[]string{"conformance", "--json", "--junit", "-"}, 2, "both write to stdout"},
		{[]string{"conformance", "--card", missing}, 1, "missing.json"},
		{[]string{"conformance", "--card", corrupt}, 1, "corrupt.json"},
		// fuzz
		{[]string{"fuzz", "--target", "bogus"}, 2, `--target "bogus"`},
		{[]string{"fuzz", "--kind", "bogus"}, 2, `--kind "bogus"`},
		{[]string{"fuzz", "--diff"}, 2, "--diff compares a pcsc target"},
		{[]string{"fuzz", "--count", "-1"}, 2, "--count -1"},
		{[]string{"fuzz", "--reader", "0"}, 2, "--reader applies to --target pcsc"},
		{[]string{"fuzz", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"fuzz", "--replay", missing}, 1, "missing.json"},
		{[]string{"fuzz", "--replay", finding, "--count", "5"}, 2, "--count"},
		{[]string{"fuzz", "--replay", finding, "--target", "embedded"}, 2, "found on pcsc:Virtual PCD 00 00"},
		{[]string{"fuzz", "--json", "--junit", "-"}, 2, "both write to stdout"},
		// profile
		{[]string{"profile"}, 2, "want a subcommand"},
		{[]string{"profile", "frob"}, 2, `unknown subcommand "frob"`},
		{[]string{"profile", "new"}, 2, "-o FILE is required"},
		{[]string{"profile", "new", "-o", newCard, "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"profile", "new", "--kind", "gold", "-o", newCard}, 2, `--kind "gold"`},
		{[]string{"profile", "new", "--persona", badPersona, "-o", newCard}, 1, "mynacard profile new: persona " + badPersona + ": my_number: check digit"},
		{[]string{"profile", "new", "--chip", "jpki-99", "-o", newCard}, 2, `--chip "jpki-99": want one of jpki-01`},
		{[]string{"profile", "new", "--persona", badChip, "-o", newCard}, 1, `chip: unknown chip "jpki-00"`},
		{[]string{"profile", "chips", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"profile", "new", "--persona", unknownField, "-o", newCard}, 1, "auth_pn"},
		{[]string{"profile", "new", "--persona", missing, "-o", newCard}, 1, "no such file"},
		{[]string{"profile", "new", "-o", card}, 1, "--force"},
		{[]string{"profile", "show", missing}, 1, "no such file"},
		{[]string{"profile", "show", card, card}, 2, "want one card file, got 2"},
		{[]string{"profile", "persona", "extra"}, 2, `unexpected argument "extra"`},
		// issuer
		{[]string{"issuer"}, 2, "want an operation"},
		{[]string{"issuer", "melt", card}, 2, `unknown operation "melt"`},
		{[]string{"issuer", "face-auth"}, 2, "exactly one card file"},
		{[]string{"issuer", "reverse", card}, 1, `not "face-auth"`},
		{[]string{"issuer", "unblock", card, "--key", "jpki/9999", "--value", "1234"}, 1, "unknown key reference jpki/9999"},
		{[]string{"issuer", "unblock", card, "--key", "jpki/000A", "--value", "1234"}, 1, "jpki/000A is a file, not a key reference"},
		{[]string{"issuer", "unblock", card, "--key", "nope"}, 2, `key "nope"`},
		{[]string{"issuer", "unblock", card, "--key", "text/0014", "--value", "123456789013"}, 1, "not the one the card's data implies"},
		{[]string{"issuer", "unblock", card, "--key", "text/0012"}, 1, "blocked on every card"},
		{[]string{"issuer", "unblock", card, "--key", "jpki/0018", "--value", "12"}, 1, "mynacard issuer unblock: value for jpki/0018 has 2 characters, want 4 digits"},
		{[]string{"issuer", "issue-sign-cert", card, "--password", "short"}, 1, "jpki/001B"},
		{[]string{"issuer", "face-auth", corrupt}, 1, "corrupt.json"},
		{[]string{"issuer", "face-auth", missing}, 1, "missing.json"},
		{[]string{"issuer", "face-auth", dirCard}, 1, "not a regular file"},
		{[]string{"profile", "new", "--force", "-o", dirCard}, 1, "not a regular file"},
		{[]string{"profile", "new", "--force", "-o", "/dev/stdout"}, 1, "not a regular file"},
		// apdu
		{[]string{"apdu", card}, 2, "at least one APDU"},
		{[]string{"apdu", card, "00A4ZZ"}, 2, "APDU argument 1: character 5 is not a hex digit"},
		{[]string{"apdu", card, "00A4040"}, 2, "odd number of hex digits (7)"},
		{[]string{"apdu", "-f", missing, card}, 1, "missing.json"},
		{[]string{"apdu", "-f", finding, card, "00A40000"}, 2, "not both"},
		{[]string{"apdu", "-f", finding, card}, 2, "line 2: character 1 is not a hex digit"},
		{[]string{"apdu", missing, "00A40000"}, 1, "missing.json"},
		{[]string{"apdu", corrupt, "00A40000"}, 1, "corrupt.json"},
		{[]string{"apdu", dirCard, "00A40000"}, 1, "not a regular file"},
		// demo
		{[]string{"demo", "--kinds", "bogus"}, 2, `"bogus"`},
		{[]string{"demo", "extra"}, 2, `unexpected argument "extra"`},
		// serve
		{[]string{"serve"}, 2, "no card file"},
		{[]string{"serve", "--slot", "-1", card}, 2, "do not fit"},
		{[]string{"serve", "--slot", "15", card, card + "2"}, 2, "do not fit"},
		{[]string{"serve", "--slots", card + ",,x.json"}, 2, "empty file name"},
		{[]string{"serve", card, card}, 2, "given twice"},
		{[]string{"serve", "--reversed", "nohost", card}, 2, "--reversed"},
		{[]string{"serve", "--port", "0", card}, 2, "--port 0"},
		{[]string{"serve", "--log-level", "loud", card}, 2, "loud"},
		{[]string{"serve", "--bogus", card}, 2, "bogus"},
		{[]string{"serve", "--hostile", "x7", card}, 2, "--hostile"},
		{[]string{"serve", "--wait", "-1s", card}, 2, "--wait -1s"},
		{[]string{"serve", "--log-apdu", "--log-level", "info", card}, 2, "--log-level info would hide them"},
		{[]string{"serve", "--hostile-rate", "2", card}, 2, "go with --hostile SEED"},
		{[]string{"serve", "--hostile", "1", "--hostile-rate", "0", card}, 2, "--hostile-rate 0"},
		{[]string{"serve", "--hostile", "1", "--hostile-mutations", "melt", card}, 2, `unknown mutation "melt"`},
		{[]string{"serve", "--reversed", "127.0.0.1:9", "--port", "5", card}, 2, "--port is the port vpcd listens on"},
		{[]string{"run", "--bogus", "--", "true"}, 2, "-bogus"},
		{[]string{"matrix", "--bogus", "--", "true"}, 2, "-bogus"},
		{[]string{"fuzz-client", "--bogus", "--", "true"}, 2, "-bogus"},
		{[]string{"ctl", card, "status", "--bogus"}, 2, "-bogus"},
		{[]string{"serve", missing}, 1, "missing.json"},
		{[]string{"serve", corrupt}, 1, "corrupt.json"},
		{[]string{"serve", dirCard}, 1, "not a regular file"},
	}
	for name, content := range damaged {
		if content == string(good) {
			t.Fatalf("%s: the card file has nothing to damage that way", name)
		}
		p := write(name, content)
		for _, args := range [][]string{{"apdu", p, "00A40000"}, {"issuer", "face-auth", p}, {"profile", "pins", p}, {"conformance", "--card", p}} {
			tests = append(tests, struct {
				args []string
				code int
				want string
			}{args, 1, name})
		}
	}
	sum := func() [32]byte {
		b, err := os.ReadFile(card)
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	before, files := sum(), dirList(t, dir)
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if code != tt.code || len(lines) != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and one line saying %q", code, stderr, tt.code, tt.want)
			}
			msg := regexp.MustCompile(`^mynacard [a-z -]+: `).ReplaceAllString(stderr, "")
			for _, p := range packagePrefixes {
				if strings.Contains(msg, p) {
					t.Errorf("stderr %q repeats the package prefix %q", stderr, p)
				}
			}
			if tt.code == 2 && !strings.Contains(stderr, "for usage") && !strings.Contains(stderr, "for the list") {
				t.Errorf("usage error %q does not say where the usage is", stderr)
			}
			if tt.code == 2 && stdout != "" {
				t.Errorf("usage error printed %d bytes on stdout besides its line on stderr:\n%s", len(stdout), stdout)
			}
			if sum() != before {
				t.Fatal("the card file changed")
			}
			if d := cmp.Diff(files, dirList(t, dir)); d != "" {
				t.Fatalf("files in the card's directory changed (-before +after):\n%s", d)
			}
		})
	}
}

func dirList(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return slices.Sorted(slices.Values(names))
}

// Help goes to stdout with exit status 0, whichever way it is asked for.
func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{
		{"-h"}, {"--help"}, {"help"},
		{"help", "conformance"}, {"conformance", "-h"}, {"fuzz", "--help"},
		{"help", "issuer"}, {"issuer", "-h"}, {"profile", "-h"}, {"profile", "new", "-h"},
		{"apdu", "-h"}, {"serve", "-h"}, {"demo", "-h"},
		{"run", "-h"}, {"matrix", "-h"}, {"fuzz-client", "-h"}, {"ctl", "-h"},
		{"--version"},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 || stdout == "" || stderr != "" {
			t.Errorf("%q: exit %d, stdout %d bytes, stderr %q; want 0, the help on stdout and nothing on stderr", args, code, len(stdout), stderr)
		}
		if n := strings.Count(stdout, "usage: mynacard"); n > 1 {
			t.Errorf("%q: the usage is printed %d times:\n%s", args, n, stdout)
		}
		if strings.Contains(stdout, "[flags] [flags]") {
			t.Errorf("%q: usage line says [flags] twice:\n%s", args, stdout)
		}
	}
	// The issuer help lists each operation's flags.
	_, stdout, _ := runCLI(t, "issuer", "-h")
	for _, flag := range []string{"-auth-pin", "-key", "-value", "-password"} {
		if !strings.Contains(stdout, flag) {
			t.Errorf("issuer -h does not list %s:\n%s", flag, stdout)
		}
	}
	if _, stdout, _ := runCLI(t, "--version"); !strings.HasPrefix(stdout, "mynacard ") {
		t.Errorf("--version = %q", stdout)
	}
}
