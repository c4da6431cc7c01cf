#!/usr/bin/env bash
# Builds the kube-apiserver the live Kubernetes tests start (internal/kubetest)
# from the Go module proxy, once per machine, and prints its path.
#
# The binary is cached by version under the user cache dir
# ($XDG_CACHE_HOME or ~/.cache)/sightline/kube-apiserver-v1.37.2, the path
# internal/kubetest looks for (it follows Go's os.UserCacheDir on Linux).
# KUBE_APISERVER_BIN=/path overrides the output path.
#
# Cold build: ~8 minutes on 2 idle cores, ~2.8 GB peak RAM, ~2.7 GB of Go
# build cache, a ~170 MB binary. See docs/workloads-kubernetes-live.md.
set -euo pipefail
cd "$(dirname "$0")"

version=v1.37.2
minor=37
cache=${XDG_CACHE_HOME:-${HOME:?}/.cache}
out=${KUBE_APISERVER_BIN:-$cache/sightline/kube-apiserver-$version}

if [ -x "$out" ] && "$out" --version 2>/dev/null | grep -qx "Kubernetes $version"; then
  echo "$out"
  exit 0
fi

mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
echo "kube-apiserver: building $version into $out (about 8 minutes on 2 cores)" >&2
# Version ldflags: without them the server reports v0.0.0 and client-go's
# discovery of the server version is meaningless.
nice go build -trimpath -o "$tmp" \
  -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
  k8s.io/kubernetes/cmd/kube-apiserver
mv "$tmp" "$out"
echo "$out"
