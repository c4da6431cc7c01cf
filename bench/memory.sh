#!/usr/bin/env bash
# Peak RSS and CPU of `sightline scan image` on generated hostile and large
# images (bench/imagegen), against a baseline binary in the same run:
#   dpkg200k      one dpkg status of 200k entries (real Debian 12 stanzas, copied)
#   dpkg200k-old  the same, every version 0.1-1 (each copy affected by all its source's advisories)
#   npm100k-same  100k node_modules copies of one package.json
#   npm1m         1M distinct package.json files
#   big4g         4 GiB of large files in 16 layers (random executables, fat jars, data)
# Usage: bench/memory.sh [WORK] [BASELINE_BINARY]
#   WORK defaults to bench/work; KINDS="dpkg200k big4g" picks images.
#   With ../shared/data (SHARED=...), advisories are imported so findings count too.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$top/bench/work}
base=${2:-}
shared=${SHARED:-$top/../shared}
mkdir -p "$work/bin"
cd "$top"
go build -o "$work/bin/sightline" ./cmd/sightline
go build -o "$work/bin/imagegen" ./bench/imagegen
gen() { # gen NAME ARGS...: generate once
  local name=$1; shift
  [ -f "$work/$name.tar" ] || "$work/bin/imagegen" -o "$work/$name.tar" "$@"
}
kinds=${KINDS:-dpkg200k dpkg200k-old npm100k-same npm1m big4g}
for k in $kinds; do
  case $k in
    dpkg200k) gen "$k" -kind dpkg -n 200000 ;;
    dpkg200k-old) gen "$k" -kind dpkg -n 200000 -version 0.1-1 ;;
    npm100k-same) gen "$k" -kind npm -n 100000 -same-name ;;
    npm1m) gen "$k" -kind npm -n 1000000 ;;
    big4g) gen "$k" -kind big -size 4096 -layers 16 -gobin "$work/bin/imagegen" ;;
    *) echo "unknown kind $k" >&2; exit 2 ;;
  esac
done

cache=$work/memory-cache
if [ -d "$shared/data/debian" ] && [ ! -f "$cache/db/sightline.db" ]; then
  vulndb=$(go mod download -json golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018 | sed -n 's/.*"Dir": "\(.*\)",/\1/p')/data/osv
  "$work/bin/sightline" --cache-dir "$cache" db import "$vulndb" "$shared/data/debian/osv-debian-2025-02-12" \
    "$shared/data/advisories/ghsa-osv-vulsio-2025-02/npm" >/dev/null
fi

bins=("$work/bin/sightline")
[ -n "$base" ] && bins=("$base" "${bins[@]}")
printf '%-14s %-30s %9s %9s %10s\n' image binary wall_s cpu_s peak_MiB
for k in $kinds; do
  for b in "${bins[@]}"; do
    rm -rf "$cache/layers"
    /usr/bin/time -f "%e %U %S %M" -o "$work/time.mem" timeout 900 "$b" --cache-dir "$cache" \
      scan image --format json "docker-archive:$work/$k.tar" >/dev/null 2>"$work/err.mem" || true
    read -r wall user sys kb <"$work/time.mem" || { echo "$k $b: $(tail -1 "$work/time.mem")"; continue; }
    printf '%-14s %-30s %9.2f %9.2f %10d\n' "$k" "$(basename "$b")" "$wall" "$(echo "$user + $sys" | bc)" "$((kb / 1024))"
  done
done
