#!/usr/bin/env bash
# Judges the gremlins mutants that gremlins v0.6.0 itself cannot:
#  - NOT COVERED ones: Go's coverage profile has no counter for the
#    condition of a `case` (nor for constant expressions), so gremlins
#    never tests a mutant there, however often the tests run it
#    (go-gremlins/gremlins#298). They are applied here one by one and
#    judged by `go test ./emulator` as gremlins would.
#  - KILLED ARITHMETIC_BASE ones: gremlins has no type information and
#    turns a string concatenation's + into -, which does not compile; `go
#    test` then exits 1, which gremlins counts as killed. They are built
#    here and, when they do not compile, reported NOT VIABLE.
# Input: bin/mutation.json from scripts/mutation.sh. Output: one line per
# mutant on stdout, bin/mutation-recheck.txt, and a summary.
set -euo pipefail
cd "$(dirname "$0")/.."

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

# judge MODE TYPE FILE:LINE:COL in a private copy of the module.
judge() {
	local mode=$1 type=$2 pos=$3 dir status
	local file=${pos%%:*} rest=${pos#*:}
	local line=${rest%%:*} col=${rest#*:}
	[ -f "$file" ] || file=emulator/$file
	dir=$(mktemp -d)
	tar --exclude=./.git --exclude=./bin -cf - . | tar -xf - -C "$dir"
	mutate "$dir/$file" "$line" "$col" "$type"
	if ! (cd "$dir" && go build ./emulator) >/dev/null 2>&1; then
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
	printf '%s %s %s %s\n' "$mode" "$status" "$type" "${file#emulator/}:$line:$col"
}
export -f mutate judge

json=bin/mutation.json
[ -s "$json" ] || { echo "mutation-recheck: no $json; run make mutation first" >&2; exit 1; }
{
	jq -r '.files[] | .file_name as $f | .mutations[] | select(.status == "NOT COVERED") | "test \(.type) \($f):\(.line):\(.column)"' "$json"
	jq -r '.files[] | .file_name as $f | .mutations[] | select(.status == "KILLED" and .type == "ARITHMETIC_BASE") | "build \(.type) \($f):\(.line):\(.column)"' "$json"
} | xargs -P "${MUTATION_WORKERS:-2}" -L 1 bash -c 'judge "$@"' _ | tee bin/mutation-recheck.txt

count() { grep -c "^$1 $2" bin/mutation-recheck.txt || true; }
echo "NOT COVERED by gremlins, judged here: killed $(count test KILLED), lived $(count test LIVED), timed out $(count test 'TIMED OUT'), not viable $(count test 'NOT VIABLE')"
echo "KILLED ARITHMETIC_BASE that do not compile: $(count build 'NOT VIABLE') of $(grep -c '^build' bin/mutation-recheck.txt || true)"
