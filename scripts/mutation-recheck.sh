#!/usr/bin/env bash
# Judges again the gremlins mutants that gremlins v0.6.0 cannot judge, or
# judged against older tests:
#  - NOT COVERED ones: Go's coverage profile has no counter for the
#    condition of a `case` (nor for constant expressions), so gremlins
#    never tests a mutant there, however often the tests run it
#    (go-gremlins/gremlins#298). They are applied here one by one and
#    judged by `go test ./emulator` as gremlins would.
#  - LIVED ones, with the tests as they are now: a survivor a new test
#    kills counts as killed without another whole run.
#  - KILLED ARITHMETIC_BASE ones: gremlins has no type information and
#    turns a string concatenation's + into -, which does not compile; `go
#    test` then exits 1, which gremlins counts as killed. They are built
#    here and, when they do not compile, counted NOT VIABLE.
# A mutant whose line no longer holds its token (the code changed since
# the run) is STALE and keeps gremlins' status.
# Input: bin/mutation.json from scripts/mutation.sh. Output: one line per
# rechecked mutant in bin/mutation-recheck.txt, every mutant's final
# status in bin/mutation-final.txt, and the figures. Fails when the final
# kill rate is not above MUTATION_THRESHOLD percent.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v jq >/dev/null || { echo "mutation-recheck: needs jq" >&2; exit 1; }
# mutate FILE LINE COL TYPE: apply gremlins' token mutation in place.
mutate() {
	LC_ALL=C awk -v L="$2" -v C="$3" -v T="$4" '
	NR == L {
		two = substr($0, C, 2); one = substr($0, C, 1); tok = two; n = 2
		if (two != "==" && two != "!=" && two != ">=" && two != "<=" && two != "++" && two != "--") { tok = one; n = 1 }
		if (T == "CONDITIONALS_NEGATION") { m["=="] = "!="; m["!="] = "=="; m[">="] = "<"; m[">"] = "<="; m["<="] = ">"; m["<"] = ">=" }
		if (T == "CONDITIONALS_BOUNDARY") { m[">="] = ">"; m[">"] = ">="; m["<="] = "<"; m["<"] = "<=" }
		if (T == "ARITHMETIC_BASE") { m["+"] = "-"; m["-"] = "+"; m["*"] = "/"; m["/"] = "*"; m["%"] = "*" }
		if (T == "INVERT_NEGATIVES") m["-"] = "+"
		if (T == "INCREMENT_DECREMENT") { m["++"] = "--"; m["--"] = "++" }
		if (!(tok in m)) { print "no " T " mutation for " tok > "/dev/stderr"; exit 3 }
		$0 = substr($0, 1, C - 1) m[tok] substr($0, C + n)
	}
	{ print }' "$1" >"$1.mut" && mv "$1.mut" "$1"
}

# judge MODE TYPE FILE:LINE:COL in a private copy of the module; MODE is
# build (does it compile) or test (does go test fail).
judge() {
	local mode=$1 type=$2 pos=$3 dir status
	local file=${pos%%:*} rest=${pos#*:}
	local line=${rest%%:*} col=${rest#*:}
	[ -f "$file" ] || file=emulator/$file
	dir=$(mktemp -d)
	tar --exclude=./.git --exclude=./bin -cf - . | tar -xf - -C "$dir"
	if ! mutate "$dir/$file" "$line" "$col" "$type" 2>/dev/null; then
		status=STALE
	elif ! (cd "$dir" && go build ./emulator) >/dev/null 2>&1; then
		status="NOT VIABLE"
	elif [ "$mode" = build ]; then
		status=KILLED
	else
		set +e
		(cd "$dir" && timeout "${MUTATION_TEST_TIMEOUT:-300}" go test -count=1 -failfast ./emulator) >/dev/null 2>&1
		case $? in
		0) status=LIVED ;;
		124) status="TIMED OUT" ;;
		*) status=KILLED ;;
		esac
		set -e
	fi
	rm -rf "$dir"
	printf '%s|%s|%s\n' "$status" "$type" "${file#emulator/}:$line:$col"
}
export -f mutate judge

json=bin/mutation.json
[ -s "$json" ] || { echo "mutation-recheck: no $json; run make mutation first" >&2; exit 1; }
# Every mutant as STATUS|TYPE|FILE:LINE:COL.
jq -r '.files[] | .file_name as $f | .mutations[] | "\(.status)|\(.type)|\($f):\(.line):\(.column)"' "$json" >bin/mutation-gremlins.txt
awk -F'|' '$1 == "NOT COVERED" || $1 == "LIVED" { print "test", $2, $3 } $1 == "KILLED" && $2 == "ARITHMETIC_BASE" { print "build", $2, $3 }' bin/mutation-gremlins.txt |
	xargs -P "${MUTATION_WORKERS:-2}" -L 1 bash -c 'judge "$@"' _ | tee bin/mutation-recheck.txt

# Final status: the recheck's, unless STALE, else gremlins'.
awk -F'|' 'NR == FNR { if ($1 != "STALE") re[$2 "|" $3] = $1; next }
	{ k = $2 "|" $3; print ((k in re) ? re[k] : $1) "|" k }' bin/mutation-recheck.txt bin/mutation-gremlins.txt >bin/mutation-final.txt
awk -F'|' -v t="${MUTATION_THRESHOLD:-90}" '{ n[$1]++; total++ }
END {
	k = n["KILLED"]; l = n["LIVED"]
	printf "final: %d mutants: %d killed, %d lived, %d not covered, %d timed out, %d not viable\n", total, k, l, n["NOT COVERED"], n["TIMED OUT"], n["NOT VIABLE"]
	printf "final kill rate (killed / (killed + lived)): %.2f%%\n", 100 * k / (k + l)
	exit (100 * k / (k + l) > t) ? 0 : 1
}' bin/mutation-final.txt
