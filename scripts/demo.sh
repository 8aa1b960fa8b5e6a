#!/usr/bin/env bash
# make demo: the built-in cards, in process, side by side; then the
# conformance suite on the embedded normal and face-auth cards.
set -euo pipefail
bin=${1:-bin/mynacard}
echo "== The same client sequence sent to a normal and a face-auth card"
"$bin" demo --kinds normal,face-auth
echo
for kind in normal face-auth; do
	echo "== Conformance suite, embedded $kind card"
	"$bin" conformance --target embedded --kind "$kind" --summary
	echo
done
