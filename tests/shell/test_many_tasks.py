"""Thousands of tasks: the lab's x86_64 kernel with 2,000 sleeping
processes, crashed by sysrq c (tests/lab/manytasks.py makes the dump once,
~1 minute of QEMU, and keeps it under ~/.cache/kdumpkit/derived/manytasks).

kdumpkit once hung here: its table of tasks by address was rebuilt at a
fixed 1,024 slots, and probing a full table never ends. The truth is
drgn's task list with the vmlinux (the dump is kdump-compressed, which
drgn 0.0.22 reads) and the guest's own count of /proc's PIDs.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS / "lab"))
import manytasks  # noqa: E402

N = 2000

DRGN_TASKS = r"""
import json, sys, drgn
from drgn.helpers.linux.pid import for_each_task
from drgn.helpers.linux.sched import task_state_to_char
prog = drgn.Program()
prog.set_core_dump(sys.argv[1])
prog.load_debug_info([sys.argv[2]])
print(json.dumps([[t.pid.value_(), t.real_parent.pid.value_(),
                   t.comm.string_().decode(), task_state_to_char(t)]
                  for t in for_each_task(prog)]))
"""


@pytest.fixture(scope="module")
def many():
    if manytasks.base_initramfs() is None:
        pytest.skip("no lab initramfs (tests/lab/lab.py ensure --arch x86_64)")
    out = manytasks.DERIVED / manytasks.key(N)
    if not (out / "manifest.json").is_file():
        manytasks.make(N, out)
    return out


def drgn_tasks(d):
    cached = d / "drgn-tasks.json"
    if not cached.is_file():
        m = json.loads((d / "manifest.json").read_text())
        r = subprocess.run([sys.executable, "-c", DRGN_TASKS, str(d / "vmcore"),
                            m["vmlinux"]], capture_output=True, text=True,
                           timeout=600)
        assert r.returncode == 0, r.stderr
        tmp = cached.with_suffix(f".tmp{__import__('os').getpid()}")
        tmp.write_text(r.stdout)
        tmp.replace(cached)
    return json.loads(cached.read_text())


def test_ps_lists_every_task(many, kdumpkit):
    r = kdumpkit(many / "vmcore", "--json", "-c", "ps")
    assert r.returncode == 0, r.stderr
    ours = json.loads(r.stdout)
    ours = ours["tasks"] if isinstance(ours, dict) else ours
    truth = drgn_tasks(many)
    # drgn lists thread groups' threads and idle tasks of CPU 0 only;
    # every task it lists must be ours, with the same parent and name
    by_pid = {}
    for t in ours:
        by_pid.setdefault(t["pid"], []).append(t)
    missing = [p for p, _, _, _ in truth if p not in by_pid]
    assert not missing, missing[:20]
    wrong = [(p, pp, c) for p, pp, c, _ in truth
             if not any(t["ppid"] == pp and t["comm"] == c for t in by_pid[p])]
    assert not wrong, wrong[:20]
    sleepers = [t for t in ours if t["comm"] == "sleep"]
    assert len(sleepers) == N
    ready = json.loads((many / "manifest.json").read_text())["ready"]
    guest_count = int(re.search(r"MANY-READY (\d+)", ready).group(1))
    # the guest counted /proc's PIDs with `ls` and `wc` running: 2 more
    # than the thread-group leaders at the crash, give or take the shell
    leaders = {t["pid"] for t in ours if t["pid"] > 0}
    assert abs(len(leaders) - guest_count) <= 3, (len(leaders), guest_count)


def test_sys_counts_them_and_bt_reaches_a_sleeper(many, kdumpkit):
    r = kdumpkit(many / "vmcore", "-c", "sys; ps sleep")
    assert r.returncode == 0, r.stderr
    tasks = int(re.search(r"TASKS: (\d+)", r.stdout).group(1))
    assert tasks >= N + 50
    task = re.search(r"^\s+\d+\s+\d+\s+\d+\s+([0-9a-f]+)\s+IN .*sleep$",
                     r.stdout, re.M).group(1)
    bt = kdumpkit(many / "vmcore", "-c", f"bt {task}")
    assert bt.returncode == 0, bt.stderr
    assert "nanosleep" in bt.stdout, bt.stdout
