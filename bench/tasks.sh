#!/usr/bin/env bash
# ps and every task's stack on a guest with >= 2,000 tasks (the lab's x86_64
# kernel booted with 2,000 sleeping processes, then sysrq c; made once by
# tests/lab/manytasks.py and cached), against crash and drgn in one run:
# kdumpkit without and with the vmlinux; `crash -s VMLINUX DUMP` + ps /
# foreach bt (crash 8.0.2 lists only a few tasks on this kernel, so its
# numbers are for what it does, not for 2,000 tasks); drgn 0.0.22 walking
# every task and unwinding every stack with the vmlinux's DWARF.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

dir=$($PY tests/lab/manytasks.py 2000)
dump=$dir/vmcore
vmlinux=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["vmlinux"])' "$dir/manifest.json")

drgn_tasks='
import sys, time
import drgn
from drgn.helpers.linux.pid import for_each_task
from drgn.helpers.linux.sched import task_cpu, task_state_to_char
prog = drgn.Program()
prog.set_core_dump(sys.argv[1])
prog.load_debug_info([sys.argv[2]])
stacks = sys.argv[3] == "bt"
n = frames = 0
for t in for_each_task(prog):
    (t.pid.value_(), t.real_parent.pid.value_(), task_cpu(t),
     task_state_to_char(t), t.comm.string_(), t.mm.value_())
    n += 1
    if stacks:
        try:
            frames += len(prog.stack_trace(t))
        except Exception:
            pass
print(n, "tasks", frames, "frames")
'

foreach_bt="foreach bt"
$KDK help foreach > /dev/null 2>&1 || foreach_bt="bt -a"
echo "--- x86_64 manytasks ($($KDK "$dump" -c ps | tail -n +2 | wc -l) tasks; drgn: $($PY -c "$drgn_tasks" "$dump" "$vmlinux" ps))"
psc=$(mktemp); btc=$(mktemp)
trap 'rm -f "$psc" "$btc"' EXIT
printf 'ps\nq\n' > "$psc"
printf '%s\nq\n' "$foreach_bt" > "$btc"

k=$(measure kdumpkit-ps $KDK "$dump" -c ps)
kv=$(measure kdumpkit-vmlinux-ps $KDK "$vmlinux" "$dump" -c ps)
d=$(measure drgn-ps $PY -c "$drgn_tasks" "$dump" "$vmlinux" ps)
c=$(measure crash-ps crash -s "$vmlinux" "$dump" -i "$psc")
printf '%-28s %8s s %9s KiB\n' $k $kv $d $c
ratio_time "$k" "$d"
ratio_time "$k" "$c"

kb=$(measure "kdumpkit-${foreach_bt// /-}" $KDK "$dump" -c "$foreach_bt")
kbv=$(measure "kdumpkit-vmlinux-${foreach_bt// /-}" $KDK "$vmlinux" "$dump" -c "$foreach_bt")
db=$(measure drgn-every-stack $PY -c "$drgn_tasks" "$dump" "$vmlinux" bt)
cb=$(measure "crash-${foreach_bt// /-}" crash -s "$vmlinux" "$dump" -i "$btc")
printf '%-28s %8s s %9s KiB\n' $kb $kbv $db $cb
ratio_time "$kb" "$db"
ratio_time "$kb" "$cb"
