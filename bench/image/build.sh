#!/usr/bin/env bash
# Builds the image-scan benchmark image reproducibly from real parts:
#   layer 1: Debian 12 minbase + openssl curl libxml2 nginx python3 (debootstrap
#            from the Debian mirror; ~87 MB gzip)
#   layer 2: a Go binary linking old golang.org/x/text and x/net (goapp/)
#   layer 3: an npm app (express 4.17.1, lodash 4.17.15, minimist 1.2.0): the
#            real install metadata from shared/data/images/nodeapp-metadata
# Output: $WORK/image.tar (docker-archive with gzip layers).
# Usage: bench/image/build.sh [WORK]   (default bench/work; reuses the rootfs)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=${1:-$top/bench/work}
shared=${SHARED:-$top/../shared}
mkdir -p "$work/bin"
export SOURCE_DATE_EPOCH=1761955200 # 2025-11-01, fixed mtimes in every layer

if [ ! -f "$work/rootfs/etc/os-release" ]; then
  echo "bench: debootstrap Debian 12 (needs root and the Debian mirror)" >&2
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
  rm -rf "$work/rootfs"
  debootstrap --variant=minbase --include=openssl,curl,libxml2,nginx,python3 \
    bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log"
  # As Debian's official images do: no apt caches or package lists.
  rm -rf "$work/rootfs/var/cache/apt/"* "$work/rootfs/var/lib/apt/lists/"* \
         "$work/rootfs/dev/"* "$work/rootfs/proc/"* "$work/rootfs/sys/"*
fi

tarit() { # tarit DIR OUT: deterministic tar of DIR's content
  tar --sort=name --numeric-owner --owner=0 --group=0 --mtime="@$SOURCE_DATE_EPOCH" \
      -C "$1" -cf "$2" .
}
tarit "$work/rootfs" "$work/layer-rootfs.tar"

app=$(mktemp -d); trap 'rm -rf "$app"' EXIT
mkdir -p "$app/go/usr/local/bin" "$app/npm/srv"
(cd "$here/goapp" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$app/go/usr/local/bin/benchapp" .)
tarit "$app/go" "$work/layer-go.tar"
cp -r "$shared/data/images/nodeapp-metadata" "$app/npm/srv/nodeapp"
rm -f "$app/npm/srv/nodeapp/PROVENANCE.md"
tarit "$app/npm" "$work/layer-npm.tar"

(cd "$here/tools" && go build -o "$work/bin/mkimage" ./mkimage)
"$work/bin/mkimage" -o "$work/image.tar" -tag sightline-bench:latest \
  "$work/layer-rootfs.tar=/bin/sh -c debootstrap --variant=minbase --include=openssl,curl,libxml2,nginx,python3 bookworm" \
  "$work/layer-go.tar=COPY benchapp /usr/local/bin/benchapp # buildkit" \
  "$work/layer-npm.tar=COPY nodeapp /srv/nodeapp # buildkit"
ls -l "$work/image.tar" >&2
