#!/usr/bin/env bash
# Mutation testing of the card (package emulator) with gremlins: each
# mutant of emulator/*.go is judged by `go test ./emulator`, which runs the
# package's own tests, the rapid model and, in-process, the whole
# conformance catalogue on every card kind (emulator/conformance_test.go).
# profile/ and pki/ make card contents, not card behaviour, and are left
# out. Slow (about 9 s a mutant on 2 cores), hence not part of `make test`.
# Budget: MUTATION_WORKERS workers, each test run stopped after
# MUTATION_TIMEOUT_COEFF times the coverage run. Results: bin/mutation.json
# and bin/mutation.log (gremlins), bin/mutation-recheck.txt (the mutants
# gremlins cannot judge, scripts/mutation-recheck.sh). Fails when either
# kill rate, gremlins' own or the rechecked one, is not above
# MUTATION_THRESHOLD percent.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(go env GOPATH)/bin
[ -x "$bin/gremlins" ] || GOFLAGS= go install github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
mkdir -p bin
threshold=${MUTATION_THRESHOLD:-90}
start=$(date +%s)
set +o pipefail
"$bin/gremlins" unleash \
	--workers "${MUTATION_WORKERS:-2}" \
	--timeout-coefficient "${MUTATION_TIMEOUT_COEFF:-10}" \
	--exclude-files 'profile/' --exclude-files 'pki/' --exclude-files 'embedded/' --exclude-files 'cardfile/' \
	--threshold-efficacy "$threshold" \
	-o bin/mutation.json ./emulator 2>&1 | tee bin/mutation.log
rc=${PIPESTATUS[0]}
set -o pipefail
[ "$rc" = 0 ] || [ "$rc" = 10 ] || exit "$rc"
echo "gremlins: $(( $(date +%s) - start )) s"
bash scripts/mutation-recheck.sh
echo "mutation: $(( $(date +%s) - start )) s"

# The rechecked kill rate: gremlins' killed less those that do not
# compile, plus the NOT COVERED mutants the recheck killed.
killed=$(jq .mutants_killed bin/mutation.json)
lived=$(jq .mutants_lived bin/mutation.json)
r=bin/mutation-recheck.txt
rk=$(grep -c '^test KILLED' "$r" || true)
rl=$(grep -c '^test LIVED' "$r" || true)
nv=$(grep -c '^build NOT VIABLE' "$r" || true)
awk -v k="$killed" -v l="$lived" -v rk="$rk" -v rl="$rl" -v nv="$nv" -v t="$threshold" -v g="$rc" 'BEGIN {
	ke = k - nv + rk; le = l + rl
	printf "gremlins efficacy %.2f%% (%d killed, %d lived)\n", 100 * k / (k + l), k, l
	printf "rechecked kill rate %.2f%% (%d killed, %d lived)\n", 100 * ke / (ke + le), ke, le
	exit (g != 0 || 100 * ke / (ke + le) <= t) ? 1 : 0
}'
