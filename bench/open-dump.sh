#!/usr/bin/env bash
# Open a dump and say what it is: `kdumpkit info` against crash on the same
# dumps, in one run. crash --osrelease is crash's quickest look into a dump;
# `crash -s VMLINUX DUMP` + sys is what a user waits for before the first
# prompt. (kdumpkit's own `sys` replaces info here once it exists.)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

cmds=$(mktemp)
printf 'sys\nq\n' > "$cmds"
trap 'rm -f "$cmds"' EXIT
for method in kdump qemu; do
	dir=$(lab_run x86_64 sysrq $method)
	vmlinux=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["vmlinux"])' "$dir/manifest.json")
	for dump in "$dir"/vmcore "$dir"/vmcore.elf "$dir"/vmcore.flat; do
		[ -f "$dump" ] || continue
		size=$(du -h "$dump" | cut -f1)
		echo "--- $method $(basename "$dump") ($size)"
		k=$(measure kdumpkit-info $KDK info "$dump")
		c=$(measure crash-osrelease crash --osrelease "$dump")
		s=$(measure crash-sys crash -s "$vmlinux" "$dump" -i "$cmds")
		printf '%-18s %8s s %9s KiB\n' $k $c $s
		read -r _ kt km <<< "$k"
		for other in "$c" "$s"; do
			read -r name t m <<< "$other"
			awk -v n="$name" -v kt="$kt" -v t="$t" -v km="$km" -v m="$m" 'BEGIN {
				printf "ratio %-16s time %6.1fx   peak RSS %5.1fx\n", n ":",
					t / kt, m / km }'
		done
	done
done
