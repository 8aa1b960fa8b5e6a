#!/usr/bin/env bash
# Runs every Go benchmark side by side in one run (timings on a shared 2-core
# machine are noisy: compare ratios within one run, not absolute figures
# across runs) and summarises them with benchstat.
set -euo pipefail
count=${BENCH_COUNT:-5}
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
# Ratios the README quotes, each from benchmarks that ran in this same run.
awk '
/^Benchmark/ { name=$1; sub(/-[0-9]+$/, "", name); ns[name]+=$3; n[name]++ }
END {
	ratio("BenchmarkTransmitSign", "BenchmarkBareRSASign", "emulator sign / bare crypto/rsa")
	ratio("BenchmarkPCSCZeroWork/select", "BenchmarkPCSCEmulator/select", "PC/SC SELECT: emulator APDU/s / zero-work APDU/s")
	ratio("BenchmarkPCSCZeroWork/read", "BenchmarkPCSCEmulator/read", "PC/SC READ BINARY: emulator APDU/s / zero-work APDU/s")
}
function ratio(a, b, label) {
	if (n[a] && n[b]) printf "%-55s %.3f\n", label, (ns[a]/n[a]) / (ns[b]/n[b])
}' "$out"
