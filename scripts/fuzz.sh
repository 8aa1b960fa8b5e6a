#!/usr/bin/env bash
# Runs every native Go fuzz target for N executions each (a count, not a
# time: go1.26.8 races on the fuzz deadline): scripts/fuzz.sh [N]
#
# Works from any directory. FUZZ_BUDGET (seconds, default 600) bounds the
# whole run: once it is spent the remaining targets are reported and skipped,
# so CI stays short; a crasher fails the script either way.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-${FUZZ_N:-2000}}
budget=${FUZZ_BUDGET:-600}
start=$SECONDS
skipped=()
while read -r pkg dir; do
	# Only top-level `func FuzzXxx(f *testing.F)` declarations in test files.
	targets=$(grep -hoE '^func Fuzz[A-Za-z0-9_]*\([a-z_]+ \*testing\.F\)' "$dir"/*_test.go 2>/dev/null |
		sed -E 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/' | sort -u || true)
	for t in $targets; do
		if (( SECONDS - start >= budget )); then
			skipped+=("$pkg $t")
			continue
		fi
		echo "fuzz: $pkg $t (${n}x)"
		go test -run='^$' -fuzz="^${t}\$" -fuzztime="${n}x" "$pkg"
	done
done < <(go list -f '{{.ImportPath}} {{.Dir}}' ./...)
echo "fuzz: done in $((SECONDS - start))s"
if (( ${#skipped[@]} > 0 )); then
	printf 'fuzz: budget of %ss spent; skipped %s\n' "$budget" "${skipped[@]}"
fi
