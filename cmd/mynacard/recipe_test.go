//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// ciRecipeSteps extracts the run: steps of the GitHub Actions job in the
// README's "Use it in your tests" section, so that the job the README
// shows is the job this test runs.
func ciRecipeSteps(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "**CI.**")
	if !ok {
		t.Fatal(`README.md has no "**CI.**" recipe`)
	}
	_, block, ok := strings.Cut(after, "```yaml\n")
	if ok {
		block, _, ok = strings.Cut(block, "```")
	}
	if !ok {
		t.Fatal("README.md: the CI recipe has no yaml block")
	}
	var steps []string
	for _, m := range regexp.MustCompile(`(?m)^\s*- run: (.+)$`).FindAllStringSubmatch(block, -1) {
		steps = append(steps, m[1])
	}
	if len(steps) == 0 || !strings.Contains(steps[len(steps)-1], "mynacard\" run ") {
		t.Fatalf("README.md CI recipe: run steps %q, want the last to be mynacard run", steps)
	}
	return steps
}

// TestCIRecipe runs the README's CI job steps as one shell script. What
// only a fresh runner has is stood in for on PATH: sudo runs its command,
// apt-get checks that the packages are installed, and go install puts
// this build of mynacard (the test binary in its mynacard mode) where the
// job expects it. The job's test script, ./your-tests.sh, checks what the
// README promises a CI job: two readers with cards that OpenSC reads.
func TestCIRecipe(t *testing.T) {
	steps := ciRecipeSteps(t)
	needPrivatePCSCD(t)
	if _, err := exec.LookPath("opensc-tool"); err != nil {
		t.Skip("opensc-tool (Debian package opensc) is not installed")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin, gopath := filepath.Join(dir, "shims"), filepath.Join(dir, "gopath")
	for _, d := range []string{bin, filepath.Join(gopath, "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		filepath.Join(bin, "sudo"): `exec "$@"`,
		filepath.Join(bin, "apt-get"): `[ "$1 $2" = "install -y" ] || { echo "apt-get shim: unexpected $*" >&2; exit 1; }
shift 2
for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || { echo "apt-get shim: $p is not installed" >&2; exit 1; }; done`,
		filepath.Join(bin, "go"): `case "$*" in
"env GOPATH") echo "$RECIPE_GOPATH" ;;
"install github.com/mynacard/mynacard/cmd/mynacard@latest") cp "$RECIPE_MYNACARD" "$RECIPE_GOPATH/bin/mynacard" ;;
*) echo "go shim: unexpected $*" >&2; exit 1 ;;
esac`,
		filepath.Join(dir, "your-tests.sh"): `set -e
test "$(printf '%s\n' "$MYNACARD_READERS" | wc -l)" -eq 2
for r in 0 1; do opensc-tool -r "$r" -n | grep -qx jpki; done
echo "your tests ran against $(printf '%s\n' "$MYNACARD_READERS" | wc -l) readers"`,
	}
	for path, body := range files {
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script := "set -e\n" + strings.Join(steps, "\n") + "\n"
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"RECIPE_GOPATH="+gopath, "RECIPE_MYNACARD="+exe, childEnv+"=main")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "your tests ran against 2 readers") {
		t.Fatalf("the README's CI steps:\n%s\nfailed: %v\n%s", script, err, out)
	}
}
