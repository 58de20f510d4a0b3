#!/usr/bin/env bash
# bt -a (every CPU's stack, from its saved registers) against crash's bt -a
# on the same x86_64 dumps in one run, each from start to exit: kdumpkit
# with no vmlinux (ORC, kallsyms, BTF from the dump), kdumpkit with the
# vmlinux, and `crash -s VMLINUX DUMP` + bt -a. The cost of opening alone
# is kdumpkit's `sys` column.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

cmds=$(mktemp)
printf 'bt -a\nq\n' > "$cmds"
trap 'rm -f "$cmds"' EXIT
for scenario in sysrq softlockup; do
	for method in kdump qemu; do
		dir=$(lab_run x86_64 $scenario $method)
		vmlinux=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["vmlinux"])' "$dir/manifest.json")
		for dump in "$dir"/vmcore "$dir"/vmcore.elf; do
			[ -f "$dump" ] || continue
			echo "--- $scenario-$method $(basename "$dump")"
			ko=$(measure kdumpkit-sys $KDK "$dump" -c sys)
			kb=$(measure kdumpkit-bt-a $KDK "$dump" -c "bt -a")
			kv=$(measure kdumpkit-vmlinux-bt-a $KDK "$vmlinux" "$dump" -c "bt -a")
			cb=$(measure crash-bt-a crash -s "$vmlinux" "$dump" -i "$cmds")
			printf '%-24s %8s s %9s KiB\n' $ko $kb $kv $cb
			ratio_time "$kb" "$cb"
			ratio_time "$kv" "$cb"
		done
	done
done
