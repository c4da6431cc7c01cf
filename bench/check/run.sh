#!/bin/sh
# The issue 10 `sightline check` benchmark on real inputs, multiplied:
#   - 5k+ Kubernetes objects: the microservices-demo release manifest (35
#     objects) copied 143 times, names suffixed so every object is distinct;
#   - 2k+ Terraform resources: the CloudGoat AWS scenarios (~670 resource
#     instances with the Dockerfile they ship) copied 3 times;
#   - 200 Dockerfiles: the official python, node and nginx Dockerfiles,
#     copied until there are 200.
# Then `sightline check DIR --format json` is timed (wall, CPU, peak RSS)
# and the JSON summary printed. Target: ≤ 5 s on 2 cores.
#
#   bench/check/run.sh [SIGHTLINE-BINARY] [SHARED-ENVS-DIR]
set -eu
bin=${1:-}
envs=${2:-../shared/data/envs}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$bin" ]; then
	bin=$work/sightline
	go build -o "$bin" ./cmd/sightline
fi
mkdir -p "$work/in/k8s" "$work/in/tf" "$work/in/docker"
i=0
while [ $i -lt 143 ]; do
	sed "s/^  name: \(.*\)$/  name: \1-$i/" "$envs/microservices-demo/release/kubernetes-manifests.yaml" >"$work/in/k8s/demo-$i.yaml"
	i=$((i + 1))
done
for c in 1 2 3; do
	cp -r "$envs/cloudgoat/aws" "$work/in/tf/copy-$c"
done
n=0
while [ $n -lt 200 ]; do
	for f in $(find "$envs/dockerfiles" -name Dockerfile | sort); do
		[ $n -lt 200 ] || break
		mkdir -p "$work/in/docker/$n"
		cp "$f" "$work/in/docker/$n/Dockerfile"
		n=$((n + 1))
	done
done
/usr/bin/time -f "wall %e s, user %U s, sys %S s, peak RSS %M KiB" \
	"$bin" check -v "$work/in" --format json >"$work/out.json" 2>"$work/err.txt" || true
grep "^check:" "$work/err.txt" || true
tail -n 1 "$work/err.txt"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(d["summary"]))' "$work/out.json"
