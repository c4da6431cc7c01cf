#!/usr/bin/env bash
# Cold scan vs `gzip -dc` of the same layers, warm rescan, and peak RSS of
# `sightline scan image` on the benchmark archive built by
# internal/scan/bench_test.go (test image + a GOROOT layer of real files).
# Ratios only mean something within one run on one machine.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SIGHTLINE_BENCH_ARCHIVE="$work/bench.tar"
go test ./internal/scan -run '^$' -bench . -benchtime "${BENCHTIME:-5x}" | tee "$work/bench.txt"
go build -o "$work/sightline" ./cmd/sightline
for run in cold warm; do
  /usr/bin/time -f "$run: wall %e s, user %U s, sys %S s, peak RSS %M KB" \
    "$work/sightline" --cache-dir "$work/cache" scan image --format json "$work/bench.tar" >/dev/null 2>"$work/$run.err" || true
  tail -n 1 "$work/$run.err"
done
awk '/BenchmarkGunzipBaseline/{g=$3} /BenchmarkScanCold/{c=$3} /BenchmarkScanWarm/{w=$3}
     END{printf "cold/gzip = %.2f, warm = %.1f ms\n", c/g, w/1e6}' "$work/bench.txt"
