#!/usr/bin/env bash
# Mutation testing of the card (package emulator) with gremlins: each
# mutant of emulator/*.go is judged by `go test ./emulator`, which runs the
# package's own tests, the rapid model and, in-process, the whole
# conformance catalogue on every card kind (emulator/conformance_test.go).
# profile/ and pki/ make card contents, not card behaviour, and are left
# out. Slow (about 9 s a mutant on 2 cores), hence not part of `make test`.
# Budget: MUTATION_WORKERS workers, each test run stopped after
# MUTATION_TIMEOUT_COEFF times the coverage run. Results: bin/mutation.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(go env GOPATH)/bin
[ -x "$bin/gremlins" ] || GOFLAGS= go install github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
mkdir -p bin
start=$(date +%s)
"$bin/gremlins" unleash \
	--workers "${MUTATION_WORKERS:-2}" \
	--timeout-coefficient "${MUTATION_TIMEOUT_COEFF:-10}" \
	--exclude-files 'profile/' --exclude-files 'pki/' --exclude-files 'embedded/' --exclude-files 'cardfile/' \
	--threshold-efficacy "${MUTATION_THRESHOLD:-90}" \
	-o bin/mutation.json ./emulator
echo "mutation: $(( $(date +%s) - start )) s"
