#!/usr/bin/env bash
# Static checks `make test` runs before the tests: formatting, go vet,
# staticcheck and deadcode (code nothing calls, tests included). The tools
# are pinned and installed from the Go module proxy on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(go env GOPATH)/bin
install() { [ -x "$bin/$1" ] || GOFLAGS= go install "$2"; }
install staticcheck honnef.co/go/tools/cmd/staticcheck@v0.8.2
install deadcode golang.org/x/tools/cmd/deadcode@v0.52.0

unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "lint: not gofmt-ed:" $unformatted >&2
	exit 1
fi
go vet ./...
"$bin/staticcheck" ./...
dead=$("$bin/deadcode" -test ./...)
if [ -n "$dead" ]; then
	printf 'lint: code nothing calls:\n%s\n' "$dead" >&2
	exit 1
fi
echo "lint: clean"
