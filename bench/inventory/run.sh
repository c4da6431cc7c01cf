#!/usr/bin/env bash
# Inventory benchmark (issue 8): a Kubernetes inventory of 10k pods / 2k
# Services / 1k NetworkPolicies with exposure through an AWS estate of 20k
# interfaces. Target: <= 10 s and <= 2 GiB on 2 cores.
#
# Writes the estate once with bench/exposuregen (snapshot in the AWS CLI
# layout), then runs bench/inventory: snapshot load + cloud analysis + the
# container join + inventory JSON, timed per step, with peak RSS from the
# process itself and wall/RSS from /usr/bin/time.
#
# Usage: bench/inventory/run.sh
#   RUNS=3      runs (prints each)
#   CPUS=0,1    pin to these CPUs with taskset (the target is 2 cores)
#   WORK=dir    where the estate and binaries go (default bench/work/inventory)
#   ENIS=20000  estate size
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-3}
work=${WORK:-bench/work/inventory}
enis=${ENIS:-20000}
pin=()
[ -z "${CPUS:-}" ] || pin=(taskset -c "$CPUS")
mkdir -p "$work"
go build -o "$work/exposuregen" ./bench/exposuregen
go build -o "$work/inventory" ./bench/inventory
dir="$work/estate-$enis"
[ -d "$dir" ] || "$work/exposuregen" -enis "$enis" -out "$dir" >/dev/null
find -L "$dir" -type f -print0 | xargs -0 cat >/dev/null # warm the page cache
for ((i = 0; i < runs; i++)); do
	t=$(mktemp)
	"${pin[@]}" /usr/bin/time -f '%e %M' -o "$t" "$work/inventory" -aws "$dir"
	read -r wall rss <"$t"
	rm -f "$t"
	printf 'run %d: wall %ss, peak RSS %d MiB (/usr/bin/time)\n' "$((i + 1))" "$wall" "$((rss / 1024))"
done
