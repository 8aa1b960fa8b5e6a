#!/usr/bin/env bash
# make demo: a normal and a face-auth card, then a contactless one, meet
# OpenSC through mynacard run (a private pcscd); then the built-in cards, in process, side by side; then
# the conformance suite on the embedded normal and face-auth cards.
set -euo pipefail
bin=${1:-bin/mynacard}
echo "== OpenSC against a normal and a face-auth card: mynacard run --kind normal --kind face-auth -- scripts/demo_opensc.sh"
MYNACARD=$(realpath "$bin") "$bin" run --kind normal --kind face-auth -- bash "$(dirname "$0")/demo_opensc.sh"
echo
echo "== OpenSC against a contactless (Type B) card: mynacard run --kind normal --chip jpki-06 -- scripts/demo_opensc.sh"
MYNACARD=$(realpath "$bin") "$bin" run --kind normal --chip jpki-06 -- bash "$(dirname "$0")/demo_opensc.sh"
echo
echo "== The same client sequence sent to a normal, a face-auth and a contactless (jpki-06) card"
"$bin" demo --kinds normal,face-auth --chip jpki-06
report=$(mktemp)
trap 'rm -f "$report"' EXIT
for kind in normal face-auth; do
	echo
	echo "== Conformance suite on the embedded $kind card (face-auth and invariant cases; 'mynacard conformance --list' for all)"
	status=0
	"$bin" conformance --target embedded --kind "$kind" >"$report" || status=$?
	grep -E '^(FAIL|PASS +(FACE-AUTH|INV)-)' "$report" || true
	tail -n 1 "$report"
	[ "$status" -eq 0 ] || { cat "$report"; exit "$status"; }
done
