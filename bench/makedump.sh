#!/usr/bin/env bash
# makedump against makedumpfile: the lab's unfiltered ELF vmcore (the
# capture kernel's /proc/vmcore, saved whole) through `makedumpfile -d 31`
# and `kdumpkit makedump -d 31` with the same codec, kdumpkit with 1 and 2
# worker threads, in one run: wall time (best of 3), MB/s of memory,
# output size, and the ratios. The host's makedumpfile (an x86_64 build)
# cannot read arm64 dumps: those rows time kdumpkit alone.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# ($work, not $out: measure() has a local $out, which its children see)
# makedumpfile refuses to overwrite its output file
mdf() { rm -f "$work/mdf"; makedumpfile "$@" "$work/mdf"; }
kdk() { $KDK makedump --message-level 0 "$@" "$work/kdk"; }
export -f mdf kdk
export work KDK

codecs="c l"
makedumpfile -v 2>&1 | grep -q '^zstd.*enabled' && codecs="$codecs z"

row() {	# row NAME SECONDS FILE MEM_BYTES
	awk -v n="$1" -v t="$2" -v s="$(stat -c %s "$3")" -v m="$4" 'BEGIN {
		printf "%-26s %7.3f s %8.0f MB/s %8.2f MiB  (%.2f%% of memory)\n",
			n, t, m / 1e6 / t, s / 1048576, 100 * s / m }'
}

for arch in x86_64 arm64; do
	dir=$(lab_run $arch sysrq kdump)
	elf=$dir/vmcore.elf
	mem=$($KDK info --json "$elf" | $PY -c 'import json,sys; j=json.load(sys.stdin); print(sum(r["end"]-r["start"] for r in j["memory"]["ranges"]))')
	echo "--- $arch $(basename "$elf") ($(du -h "$elf" | cut -f1), $((mem >> 20)) MiB of memory), -d 31"
	for codec in $codecs; do
		read -r _ k1 _ <<< "$(measure k1 bash -c 'kdk "$@"' _ -$codec -d 31 --num-threads 1 "$elf")"
		ks1=$(stat -c %s "$work/kdk"); row "kdumpkit -$codec 1 thread" "$k1" "$work/kdk" "$mem"
		read -r _ k2 _ <<< "$(measure k2 bash -c 'kdk "$@"' _ -$codec -d 31 --num-threads 2 "$elf")"
		row "kdumpkit -$codec 2 threads" "$k2" "$work/kdk" "$mem"
		if ! mdf -$codec -d 31 "$elf" > "$work/mdf.log" 2>&1; then
			echo "makedumpfile -$codec              fails: $(grep -v '^$' "$work/mdf.log" | tail -1)"
			continue
		fi
		read -r _ m _ <<< "$(measure m bash -c 'mdf "$@"' _ -$codec -d 31 "$elf")"
		ms=$(stat -c %s "$work/mdf"); row "makedumpfile -$codec" "$m" "$work/mdf" "$mem"
		awk -v c="$codec" -v m="$m" -v k1="$k1" -v k2="$k2" -v ms="$ms" -v ks="$ks1" 'BEGIN {
			printf "ratio -%s: 1 thread %.1fx makedumpfile, 2 threads %.2fx 1 thread, size %.3f of makedumpfile'"'"'s\n",
				c, m / k1, k1 / k2, ks / ms }'
	done
done
