#!/usr/bin/env bash
# Runs every Go benchmark side by side in one run (timings on a shared 2-core
# machine are noisy: compare ratios within one run, not absolute figures
# across runs) and summarises them with benchstat.
set -euo pipefail
count=${BENCH_COUNT:-6}
out=bin/bench.txt
mkdir -p bin
benchstat=$(go env GOPATH)/bin/benchstat
if [ ! -x "$benchstat" ]; then
	go install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
fi
go test -run='^$' -bench=. -benchmem -count="$count" -timeout 30m ./... | tee "$out"
echo
"$benchstat" "$out"
echo
# The ratios the README quotes come from benchmarks that alternate the two
# sides in every iteration (BenchmarkSign: card vs bare crypto/rsa;
# BenchmarkPCSCRoundTrip: emulator vs zero-work card through pcscd), so
# load on the machine hits both alike.
awk '
$1 ~ /^Benchmark/ {
	for (i = 3; i < NF; i++) if ($(i+1) == "ratio") { name = $1; sub(/-[0-9]+$/, "", name); sum[name] += $i; n[name]++ }
}
END { for (k in sum) printf "%-40s ratio %.3f (mean of %d runs)\n", k, sum[k]/n[k], n[k] }' "$out"
