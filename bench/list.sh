#!/usr/bin/env bash
# list over a 2,000,000-entry kernel list (tests/lab/biglist.py: one
# System V message queue of that many messages, linked through
# msg_msg.m_list), against crash on the same dump in one run. Both print
# every entry's address; their counts are checked equal before the times
# mean anything. Targets (issue 4): >= 10x crash and >= 5 M entries/s.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

n=${BIGLIST_N:-2000000}
dir=$($PY tests/lab/biglist.py "$n")
vmlinux=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["vmlinux"])' "$dir/manifest.json")
dump=$dir/vmcore

# the queue: the one entry of init_ipc_ns's message-queue idr (its
# kern_ipc_perm is the msg_queue's first member); the head: q_messages
ids=$($KDK "$vmlinux" "$dump" -c 'p &init_ipc_ns.ids[1]' | grep -o '0x[0-9a-f]*' | tail -1)
msq=$($KDK "$vmlinux" "$dump" -c "tree -t xarray -r ipc_ids.ipcs_idr $ids" | head -1)
head=$($KDK "$vmlinux" "$dump" -c "p &((struct msg_queue *)0x$msq)->q_messages" | grep -o '0x[0-9a-f]*' | tail -1)
cmd="list -H $head -o msg_msg.m_list"
cmds=$(mktemp)
trap 'rm -f "$cmds"' EXIT
printf '%s\nq\n' "$cmd" > "$cmds"

ours=$($KDK "$vmlinux" "$dump" -c "$cmd" | wc -l)
theirs=$(crash -s "$vmlinux" "$dump" -i "$cmds" 2>/dev/null | grep -c '^[0-9a-f]\{16\}$' || true)
echo "--- $cmd: kdumpkit $ours entries, crash $theirs (the dump holds $n)"
k=$(measure kdumpkit-list $KDK "$vmlinux" "$dump" -c "$cmd")
c=$(measure crash-list crash -s "$vmlinux" "$dump" -i "$cmds")
printf '%-16s %8s s %9s KiB\n' $k $c
ratio_time "$k" "$c"
read -r _ t _ <<< "$k"
awk -v t="$t" -v n="$ours" 'BEGIN { printf "kdumpkit: %.2f M entries/s (target >= 5), start-up included\n", n / t / 1e6 }'
