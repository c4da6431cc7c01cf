#!/usr/bin/env bash
# Exposure analysis speed (issue 4): `sightline exposure --aws DIR --format json`
# end to end (reading the snapshot, analysis, JSON to /dev/null) on synthetic
# estates of 10k / 50k / 100k network interfaces (20k security groups with 300k
# rules, 5k subnets, 2k load balancers; bench/exposuregen), against a baseline
# measured in the same run: `cat` of the same snapshot files (reading the bytes
# from the page cache).
#
# Usage: bench/exposure.sh [N ...]            (default: 10000 50000 100000)
#   RUNS=3        runs per size; the table shows the fastest and slowest wall time
#   CPUS=0,1      pin every command to these CPUs with taskset (the target is 2 cores)
#   WORK=dir      where estates and the binary go (default bench/work/exposure)
#   LAYOUT=per-resource   store per-resource outputs one file per resource, named by
#                 layout.EncodeID as `sightline collect aws` does (default: keyed objects)
# The machine may be shared: repeat, pin, and compare ratios rather than seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 50000 100000)
runs=${RUNS:-3}
work=${WORK:-bench/work/exposure}
gen=() suffix=""
[ "${LAYOUT:-}" != per-resource ] || { gen=(-per-resource); suffix=-per-resource; }
pin=()
[ -z "${CPUS:-}" ] || pin=(taskset -c "$CPUS")
mkdir -p "$work"
go build -o "$work/sightline" ./cmd/sightline
go build -o "$work/exposuregen" ./bench/exposuregen

# timed CMD...: runs CMD with stdout to /dev/null, prints "wall_s rss_kib cpu_s".
timed() {
	local t
	t=$(mktemp)
	/usr/bin/time -f '%e %M %U %S' -o "$t" "${pin[@]}" "$@" >/dev/null
	awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}' "$t"
	rm -f "$t"
}

printf '%-8s %8s %8s %10s %10s %8s %9s %10s %12s\n' \
	interfaces MB cat_s wall_min_s wall_max_s cpu_s rss_MiB wall/cat us/interface
for n in "${sizes[@]}"; do
	dir="$work/estate-$n$suffix"
	[ -d "$dir" ] || "$work/exposuregen" "${gen[@]}" -enis "$n" -out "$dir" >/dev/null
	mb=$(du -smL "$dir" | cut -f1)
	find -L "$dir" -type f -print0 | xargs -0 cat >/dev/null # warm the page cache
	best="" worst="" bestcat="" rss="" cpu=""
	for ((i = 0; i < runs; i++)); do
		read -r c _ _ < <(timed find -L "$dir" -type f -exec cat {} +)
		read -r w m u < <(timed "$work/sightline" exposure --aws "$dir" --format json)
		if [ -z "$best" ] || awk "BEGIN{exit !($w < $best)}"; then best=$w rss=$m cpu=$u; fi
		if [ -z "$worst" ] || awk "BEGIN{exit !($w > $worst)}"; then worst=$w; fi
		if [ -z "$bestcat" ] || awk "BEGIN{exit !($c < $bestcat)}"; then bestcat=$c; fi
	done
	awk -v n="$n" -v mb="$mb" -v c="$bestcat" -v b="$best" -v w="$worst" -v u="$cpu" -v r="$rss" 'BEGIN{
		cc = (c > 0 ? c : 0.01)
		printf "%-8d %8d %8.2f %10.2f %10.2f %8.2f %9d %10.1f %12.1f\n", n, mb, c, b, w, u, r/1024, b/cc, b*1e6/n }'
done
