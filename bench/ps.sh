#!/usr/bin/env bash
# ps: every task of a dump, against crash and drgn on the same dumps in one
# run. kdumpkit without a vmlinux (BTF + kallsyms from the dump; on arm64
# init_task found by scanning) and with it; crash -s VMLINUX DUMP + ps
# (x86_64 only: crash 8.0.2 cannot read these arm64 dumps, and lists only
# 3-4 tasks on these kernels); drgn 0.0.22 opening the dump, loading the
# vmlinux's DWARF and listing every task with the same fields (kdump format
# only). drgn's own time for the walk alone, after its debuginfo is
# loaded, is printed too. The lab's guests have ~70 tasks.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

drgn_ps='
import sys, time
import drgn
from drgn.helpers.linux.pid import for_each_task
from drgn.helpers.linux.sched import task_cpu, task_state_to_char
prog = drgn.Program()
prog.set_core_dump(sys.argv[1])
prog.load_debug_info([sys.argv[2]])
t0 = time.monotonic()
n = 0
for t in for_each_task(prog):
    (t.pid.value_(), t.real_parent.pid.value_(), task_cpu(t),
     task_state_to_char(t), t.comm.string_(), t.mm.value_())
    n += 1
if len(sys.argv) > 3:
    print(f"drgn-walk-only {time.monotonic() - t0:.4f} s ({n} tasks)")
'

cmds=$(mktemp)
printf 'ps\nq\n' > "$cmds"
trap 'rm -f "$cmds"' EXIT
for arch in x86_64 arm64; do
	dir=$(lab_run $arch rwsem kdump)
	vmlinux=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["vmlinux"])' "$dir/manifest.json")
	dump=$dir/vmcore
	echo "--- $arch rwsem kdump ($($KDK "$dump" -c ps | tail -n +2 | wc -l) tasks)"
	k=$(measure kdumpkit-ps $KDK "$dump" -c ps)
	kv=$(measure kdumpkit-vmlinux-ps $KDK "$vmlinux" "$dump" -c ps)
	d=$(measure drgn-tasks $PY -c "$drgn_ps" "$dump" "$vmlinux")
	printf '%-20s %8s s %9s KiB\n' $k $kv $d
	$PY -c "$drgn_ps" "$dump" "$vmlinux" walk
	if [ $arch = x86_64 ]; then
		c=$(measure crash-ps crash -s "$vmlinux" "$dump" -i "$cmds")
		printf '%-20s %8s s %9s KiB\n' $c
		ratio_time "$k" "$c"
	fi
	ratio_time "$k" "$d"
	ratio_time "$kv" "$d"
done
