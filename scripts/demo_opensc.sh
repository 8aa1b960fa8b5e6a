#!/usr/bin/env bash
# Runs inside `mynacard run --kind normal --kind face-auth` (make demo), and
# inside `mynacard run --kind normal --chip jpki-06` for a contactless card:
# the host software a user would point at a real card, against the virtual
# ones, on a private pcscd. Reader n of MYNACARD_READERS is OpenSC's -r n.
set -uo pipefail
module=$(find /usr/lib -name opensc-pkcs11.so -print -quit)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "hello from make demo" >"$work/msg"
n=0
while IFS= read -r reader; do
	kind=$("$MYNACARD" ctl "$MYNACARD_CTL" status | sed -n "$((n + 1))s/.*, kind \([^,]*\),.*/\1/p")
	echo
	echo "== $kind card in \"$reader\""
	echo "-- opensc-tool -n -a (a contactless card's ATR is the one its reader builds from ATQB)"
	opensc-tool -r "$n" -n -a
	echo "-- opensc-tool -s FF:CA:00:00:00 (GET UID: a contactless reader gives the PUPI, a contact card refuses the class)"
	opensc-tool -r "$n" -s FF:CA:00:00:00 | grep -E '^Received|^[0-9A-F]{2} '
	echo "-- pkcs15-tool --list-certificates --list-pins"
	pkcs15-tool -r "$n" --list-certificates --list-pins | grep -E '^(X.509|PIN)|Tries left'
	echo "-- pkcs11-tool: SHA256-RSA-PKCS signature with the auth key (PIN 1234)"
	# Each reader gives OpenSC two PKCS#11 slots: auth PIN, then sign password.
	if pkcs11-tool --module "$module" --slot-index $((2 * n)) --login --pin 1234 --sign --id 01 \
		--mechanism SHA256-RSA-PKCS -i "$work/msg" -o "$work/sig" >/dev/null 2>"$work/err"; then
		pkcs15-tool -r "$n" --read-certificate 01 >"$work/cert.pem"
		openssl x509 -in "$work/cert.pem" -pubkey -noout >"$work/pub.pem"
		echo "signed; openssl: $(openssl dgst -sha256 -verify "$work/pub.pem" -signature "$work/sig" "$work/msg")"
	else
		echo "refused, as a $kind card must: $(grep -o 'C_Login failed.*' "$work/err")"
	fi
	n=$((n + 1))
done <<<"$MYNACARD_READERS"
