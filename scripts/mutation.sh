#!/usr/bin/env bash
# Mutation testing of the card (package emulator) with gremlins: each
# mutant of emulator/*.go is judged by `go test ./emulator`, which runs the
# package's own tests and, in-process, the whole conformance catalogue on
# every card kind (emulator/conformance_test.go). profile/, pki/, contactless/,
# cardfile/ and embedded/ make or carry card contents, not card
# behaviour, and are left out. Slow (about 9 s a mutant on 2 cores),
# hence not part of `make test`. Budget: MUTATION_WORKERS workers, each
# test run stopped after MUTATION_TIMEOUT_COEFF times the coverage run.
# Then scripts/mutation-recheck.sh judges what gremlins cannot (case
# conditions it calls NOT COVERED, "kills" that do not compile) and the
# survivors against the current tests, and fails when the final kill rate
# is not above MUTATION_THRESHOLD percent. Results in bin/: mutation.json
# and mutation.log (gremlins), mutation-recheck.txt, mutation-final.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(go env GOPATH)/bin
bash scripts/deps.sh jq # the recheck reads gremlins' JSON report
[ -x "$bin/gremlins" ] || GOFLAGS= go install github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
mkdir -p bin
start=$(date +%s)
set +o pipefail
"$bin/gremlins" unleash \
	--workers "${MUTATION_WORKERS:-2}" \
	--timeout-coefficient "${MUTATION_TIMEOUT_COEFF:-10}" \
	--exclude-files 'profile/' --exclude-files 'pki/' --exclude-files 'embedded/' --exclude-files 'cardfile/' --exclude-files 'contactless/' \
	-o bin/mutation.json ./emulator 2>&1 | tee bin/mutation.log
rc=${PIPESTATUS[0]}
set -o pipefail
[ "$rc" = 0 ] || exit "$rc"
echo "gremlins: $(( $(date +%s) - start )) s"
rc=0
bash scripts/mutation-recheck.sh || rc=$?
echo "mutation: $(( $(date +%s) - start )) s"
exit "$rc"
