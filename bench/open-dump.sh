#!/usr/bin/env bash
# Open a dump and say what it is, against crash on the same dumps in one run:
# `kdumpkit DUMP -c sys` (no vmlinux: symbols from the dump) and
# `kdumpkit VMLINUX DUMP -c sys` (the vmlinux's symtab, checked against the
# dump) against `crash -s VMLINUX DUMP` + sys, what a user waits for before
# the first prompt; and `kdumpkit info` against crash --osrelease, the
# quickest look.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

# ratio "NAME T RSS" "NAME T RSS": how many times the second takes longer
# and holds more memory than the first
ratio() {
	read -r kn kt km <<< "$1"
	read -r n t m <<< "$2"
	awk -v kn="$kn" -v n="$n" -v kt="$kt" -v t="$t" -v km="$km" -v m="$m" 'BEGIN {
		printf "ratio %s / %s: time %.1fx, peak RSS %.1fx\n", n, kn, t / kt, m / km }'
}

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
		ks=$(measure kdumpkit-sys $KDK "$dump" -c sys)
		kv=$(measure kdumpkit-vmlinux-sys $KDK "$vmlinux" "$dump" -c sys)
		cs=$(measure crash-sys crash -s "$vmlinux" "$dump" -i "$cmds")
		ki=$(measure kdumpkit-info $KDK info "$dump")
		ci=$(measure crash-osrelease crash --osrelease "$dump")
		printf '%-20s %8s s %9s KiB\n' $ks $kv $cs $ki $ci
		ratio "$ks" "$cs"
		ratio "$kv" "$cs"
		ratio "$ki" "$ci"
	done
done
