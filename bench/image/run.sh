#!/usr/bin/env bash
# Image-scan benchmark: sightline vs osv-scanner v2 on the same image and the
# same OSV data, with `gzip -dc` over all layers as the I/O baseline.
# Usage: bench/image/run.sh [WORK]   (after bench/image/build.sh)
# Prints a table of wall times and peak RSS, and the finding comparison.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=${1:-$top/bench/work}
shared=${SHARED:-$top/../shared}
img=$work/image.tar
[ -f "$img" ] || { echo "no $img: run bench/image/build.sh first" >&2; exit 2; }
bin=$work/bin; mkdir -p "$bin"

# Tools: sightline from this tree, osv-scanner v2.5.1 from the module proxy.
(cd "$top" && go build -o "$bin/sightline" ./cmd/sightline)
[ -x "$bin/osv-scanner" ] || GOBIN=$bin go install github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.5.1

# The same OSV data for both: Go vulndb, Debian OSV, npm GHSA.
vulndb=$(go mod download -json golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018 | sed -n 's/.*"Dir": "\(.*\)",/\1/p')/data/osv
osvsrc=("$vulndb" "$shared/data/debian/osv-debian-2025-02-12" "$shared/data/advisories/ghsa-osv-vulsio-2025-02/npm")
db=$work/sightline-cache
if [ ! -f "$work/osvdb/osv-scalibr/Go/all.zip" ]; then
  echo "bench: building osv-scanner's offline DB" >&2
  rm -rf "$work/osvdb"; mkdir -p "$work/osvdb/osv-scalibr"
  (cd "$here/tools" && go run ./osvzip -o "$work/osvdb/osv-scalibr" "${osvsrc[@]}")
fi
rm -rf "$db"; "$bin/sightline" --cache-dir "$db" db import "${osvsrc[@]}" >/dev/null

measure() { # measure NAME CMD...: wall seconds and peak RSS (MiB) of CMD
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time.$name" "$@" >"$work/out.$name" 2>"$work/err.$name" || true
  read -r secs kb < <(tail -n 1 "$work/time.$name")
  printf '%-22s %8.2f s %8.0f MiB\n' "$name" "$secs" "$((kb / 1024))"
}

echo "== image $(du -m "$img" | cut -f1) MiB, $(tar -tf "$img" | grep -c 'tar.gz$') gzip layers"
measure gzip-baseline sh -c "tar -xOf '$img' --wildcards '*.tar.gz' | gzip -dc >/dev/null"
rm -rf "$db/layers"
measure sightline-cold "$bin/sightline" --cache-dir "$db" scan image --offline --format json "docker-archive:$img"
measure sightline-warm "$bin/sightline" --cache-dir "$db" scan image --offline --format json "docker-archive:$img"
measure osv-scanner "$bin/osv-scanner" scan image --archive --offline --local-db-path "$work/osvdb" --format json "$img"

(cd "$here/tools" && go run ./compare "$work/out.sightline-cold" "$work/out.osv-scanner")
