#!/usr/bin/env bash
# Runs each native Go fuzz target for N executions: scripts/fuzz.sh N
set -euo pipefail
n=${1:-2000}
go list -f '{{.ImportPath}} {{.Dir}}' ./... | while read -r pkg dir; do
	for t in $(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)\(' "$dir"/*_test.go 2>/dev/null | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/' | sort -u); do
		echo "fuzz: $pkg $t (${n}x)"
		go test -run='^$' -fuzz="^${t}\$" -fuzztime="${n}x" "$pkg"
	done
done
