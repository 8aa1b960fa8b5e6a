#!/usr/bin/env bash
# OSS-Fuzz / ClusterFuzzLite build script (projects/mynacard/build.sh): builds
# every native Go fuzz target of the fuzz package as a libFuzzer binary and
# zips its seed corpus. libFuzzer seeds are raw bytes, not the "go test fuzz
# v1" files of fuzz/testdata/fuzz, so TestSeedCorpus writes the same seeds
# raw into a scratch directory first.
# Run inside the oss-fuzz base-builder-go image, where $SRC, $OUT and
# compile_native_go_fuzzer_v2 are defined.
set -euo pipefail
cd "$SRC/mynacard"
pkg=github.com/mynacard/mynacard/fuzz
corpus=$(mktemp -d)
MYNACARD_RAW_CORPUS="$corpus" go test -count=1 -run '^TestSeedCorpus$' ./fuzz
targets=$(grep -hoE '^func Fuzz[A-Za-z0-9_]*\([a-z_]+ \*testing\.F\)' fuzz/*_test.go | sed -E 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/' | sort -u)
for t in $targets; do
	compile_native_go_fuzzer_v2 "$pkg" "$t" "$t"
	if [ -d "$corpus/$t" ]; then
		zip -q -j -r "$OUT/${t}_seed_corpus.zip" "$corpus/$t"
	fi
done
