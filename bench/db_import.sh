#!/usr/bin/env bash
# Advisory DB speed figures (issue 2) on the real data in ../shared/data:
#   - import of Go vulndb + Debian OSV + npm GHSA (~21k records), wall and CPU time,
#     against a baseline that only reads the same files (same run);
#   - DB open and lookups/s (Go benchmarks, one core), against a bare bbolt Get.
# Usage: bench/db_import.sh   (needs ../shared/data and the Go module proxy)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SHARED:-/work/shared/data}
vulndb=$(go mod download -json golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018 | sed -n 's/.*"Dir": "\(.*\)",/\1/p')/data/osv
srcs=("$vulndb" "$shared/debian/osv-debian-2025-02-12" "$shared/advisories/ghsa-osv-vulsio-2025-02/npm")
bin=$(mktemp -d)/sightline
go build -o "$bin" ./cmd/sightline
cache=$(mktemp -d)
echo "== baseline: read the same files (cat > /dev/null)"
time (find "${srcs[@]}" -type f -name '*.json' -print0 | xargs -0 cat >/dev/null)
echo "== import (GOMAXPROCS=2)"
time GOMAXPROCS=2 "$bin" --cache-dir "$cache" db import "${srcs[@]}"
ls -l "$cache/db/sightline.db"
echo "== open / lookups (one core)"
go test ./internal/match -run XXX -bench 'Open|Lookup' -cpu 1 -benchtime 2s
rm -rf "$cache" "$(dirname "$bin")"
