#!/usr/bin/env bash
# The kernel log: `kdumpkit DUMP -c log` (a session's start plus log) and
# `kdumpkit info --dmesg` against `makedumpfile --dump-dmesg` on the same
# dumps, in one run. makedumpfile reads neither the flattened format nor,
# here, QEMU's ELF dumps, nor (an x86_64 build) arm64 dumps: those rows
# say why instead of timing it.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# makedumpfile refuses to overwrite its output file
mdf() { rm -f "$out/dmesg.txt"; makedumpfile --dump-dmesg "$1" "$out/dmesg.txt"; }
export -f mdf
export out

for arch in x86_64 arm64; do
	for method in kdump qemu; do
		dir=$(lab_run $arch sysrq $method)
		for dump in "$dir"/vmcore "$dir"/vmcore.elf "$dir"/vmcore.flat; do
			[ -f "$dump" ] || continue
			size=$(du -h "$dump" | cut -f1)
			echo "--- $arch $method $(basename "$dump") ($size)"
			k=$(measure kdumpkit-log $KDK "$dump" -c log)
			i=$(measure kdumpkit-info-dmesg $KDK info --dmesg "$dump")
			printf '%-20s %8s s %9s KiB\n' $k $i
			if ! mdf "$dump" > "$out/mdf.log" 2>&1; then
				echo "makedumpfile         fails: $(grep -v '^$' "$out/mdf.log" | head -1)"
				continue
			fi
			m=$(measure makedumpfile-dmesg bash -c 'mdf "$1"' _ "$dump")
			printf '%-20s %8s s %9s KiB\n' $m
			read -r _ kt km <<< "$i"
			read -r name t mm <<< "$m"
			awk -v n="$name" -v kt="$kt" -v t="$t" -v km="$km" -v m="$mm" 'BEGIN {
				printf "ratio %-20s time %6.1fx   peak RSS %5.1fx\n", n ":",
					t / kt, m / km }'
		done
	done
done
