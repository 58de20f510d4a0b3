"""list: linked lists in the dump, as crash walks them.

The rwsem scenario (tests/lab/scenarios.py): a kthread holds an mm's
mmap_lock for write and four tasks wait for it in down_read; the console
names them (manifest facts: blocked_pids). `list -H <the rwsem's
wait_list> -o rwsem_waiter.list -s rwsem_waiter.task` must name exactly
their task_structs, on both architectures, without a vmlinux.

Oracles: crash 8.0.2 with the vmlinux on the x86_64 kdump dump (one
session, every query, kept under ~/.cache/kdumpkit/derived/list/): the
same output, forwards and backwards (-r), and for a chain that loops
(real_parent up to init_task, whose parent is itself), where crash stops
at the repeated entry silently and we stop there with an error. ps for
the thread groups of init_task.tasks.
"""
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kernels  # noqa: E402
import lab  # noqa: E402
import labruns  # noqa: E402
import refbatch  # noqa: E402

DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "list"
RWSEM = [p for p in labruns.dumps() if p[1]["path"].parent.name == "rwsem-kdump"
         or (p[1]["path"].parent.name == "rwsem-qemu" and
             p[1]["path"].name == "vmcore.elf" and p[1]["arch"] == "x86_64")]


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def session(kdumpkit_bin, info, cmds):
    """Each command's output, from one kdumpkit session."""
    out, _ = refbatch.batch([str(kdumpkit_bin), str(info["path"])], cmds)
    return [out[c] or "" for c in cmds]


def ps_json(kdumpkit, info):
    r = kdumpkit(info["path"], "--json", "-c", "ps")
    assert r.returncode == 0, r.stderr
    v = json.loads(r.stdout)
    return v["tasks"] if isinstance(v, dict) else v


def the_wait_list(kdumpkit_bin, kdumpkit, info):
    """The wait_list of the one mm whose mmap_lock has waiters."""
    tasks = [t for t in ps_json(kdumpkit, info) if int(t["mm"], 16)]
    exprs = [f"p &((struct task_struct *){t['task']})->mm->mmap_lock.wait_list"
             for t in tasks]
    heads = {re.search(r"(0x[0-9a-f]+)\s*$", out).group(1)
             for out in session(kdumpkit_bin, info, exprs) if out.strip()}
    nonempty = [h for h, out in zip(sorted(heads), session(
        kdumpkit_bin, info, [f"list -H {h}" for h in sorted(heads)]))
        if out.strip() not in ("", "(empty)")]
    assert len(nonempty) == 1, nonempty
    return nonempty[0]


@pytest.mark.parametrize("info", **params(RWSEM))
def test_rwsem_waiters_are_the_blocked_tasks(info, kdumpkit_bin, kdumpkit):
    facts = lab.load_manifest(info["path"].parent)["facts"]
    head = the_wait_list(kdumpkit_bin, kdumpkit, info)
    r = kdumpkit(info["path"], "-c",
                 f"list -H {head} -o rwsem_waiter.list -s rwsem_waiter.task")
    assert r.returncode == 0, r.stderr
    named = set(re.findall(r"task = (0x[0-9a-f]+)", r.stdout))
    by_pid = {t["pid"]: t["task"] for t in ps_json(kdumpkit, info)}
    want = {by_pid[p] for p in facts["blocked_pids"]}
    assert {int(a, 16) for a in named} == {int(a, 16) for a in want}
    # backwards: the same entries, reversed
    fwd = kdumpkit(info["path"], "-c", f"list -H {head} -o rwsem_waiter.list").stdout
    back = kdumpkit(info["path"], "-c", f"list -r -H {head} -o rwsem_waiter.list").stdout
    assert fwd.split() == back.split()[::-1] and len(fwd.split()) == len(want)
    j = json.loads(kdumpkit(info["path"], "--json", "-c",
                            f"list -H {head} -o rwsem_waiter.list").stdout)
    assert [int(e["address"], 16) for e in j] == [int(a, 16) for a in fwd.split()]


@pytest.mark.parametrize("info", **params(RWSEM))
def test_thread_groups_of_init_task(info, kdumpkit):
    # arm64's kallsyms has no data symbols: init_task comes from the vmlinux
    pre = []
    if info["arch"] == "arm64":
        vmlinux = kernels.vmlinux_path("arm64")
        if not vmlinux.is_file():
            pytest.skip(f"no {vmlinux}")
        pre = [vmlinux]
    r = kdumpkit(*pre, info["path"], "-c",
                 "list task_struct.tasks -H init_task.tasks -s task_struct.pid,comm")
    assert r.returncode == 0, r.stderr
    got = re.findall(r"^([0-9a-f]+)\n  pid = (\d+),\n  comm = \"([^\\\"]*)", r.stdout, re.M)
    leaders = {(int(t["task"], 16), t["pid"], t["comm"]) for t in ps_json(kdumpkit, info)
               if t["pid"] == t["tgid"] and t["pid"] != 0}
    assert {(int(a, 16), int(p), c) for a, p, c in got} == leaders


X86_RWSEM = [p for p in RWSEM if p[1]["arch"] == "x86_64" and p[1]["path"].name == "vmcore"]


@pytest.mark.skipif(not shutil.which("crash"), reason="no crash")
@pytest.mark.parametrize("info", **params(X86_RWSEM))
def test_list_matches_crash(info, kdumpkit_bin, kdumpkit):
    vmlinux = kernels.vmlinux_path("x86_64")
    if not vmlinux.is_file():
        pytest.skip(f"no {vmlinux}")
    head = the_wait_list(kdumpkit_bin, kdumpkit, info)
    blocked = lab.load_manifest(info["path"].parent)["facts"]["blocked_pids"]
    task = next(t["task"] for t in ps_json(kdumpkit, info) if t["pid"] == blocked[-1])
    cmds = [f"list -H {head} -o rwsem_waiter.list -s rwsem_waiter.task",
            f"list rwsem_waiter.list -H {head} -s rwsem_waiter.task,type -x",
            f"list -r -H {head} -o rwsem_waiter.list",
            f"list -o task_struct.real_parent {task}"]

    def make():
        out, _ = refbatch.batch(["crash", "-s", str(vmlinux), str(info["path"])], cmds)
        return json.dumps([out[c] or "" for c in cmds])
    theirs = json.loads(labruns.cached_text(DERIVED, info, "crash-list.json", make,
                                            extra="|".join(cmds)))
    ours = session(kdumpkit_bin, info, cmds)
    assert all(theirs), theirs
    assert ours == theirs
    # the loop: crash stops silently at init_task, seen twice; we say so
    r = kdumpkit(info["path"], "-c", cmds[-1])
    assert r.returncode == 1
    assert re.match(r"kdumpkit: list: the list loops: after 3 entries it comes back "
                    r"to 0x[0-9a-f]+ without reaching its start", r.stderr), r.stderr


def addr_of(kdumpkit, info, expr):
    r = kdumpkit(info["path"], "-c", f"p &{expr}")
    return re.search(r"0x[0-9a-f]+", r.stdout).group(0)


@pytest.mark.skipif(not shutil.which("crash"), reason="no crash")
@pytest.mark.parametrize("info", **params(X86_RWSEM))
def test_link_and_head_offsets_match_crash(info, kdumpkit_bin, kdumpkit):
    """-l (start and entries are list_heads, -s shows their structs),
    -h -O (a head inside a struct of another type: a task's children,
    linked through their sibling members) and "(empty)"."""
    vmlinux = kernels.vmlinux_path("x86_64")
    if not vmlinux.is_file():
        pytest.skip(f"no {vmlinux}")
    init = next(t["task"] for t in ps_json(kdumpkit, info) if t["pid"] == 1)
    tasks = addr_of(kdumpkit, info, "init_task.tasks")
    ptraced = addr_of(kdumpkit, info, "init_task.ptraced")
    cmds = [f"list -H {tasks} -l task_struct.tasks -s task_struct.pid,comm",
            f"list -h -o task_struct.sibling -O task_struct.children "
            f"-s task_struct.pid {init}",
            f"list -H {ptraced}",
            f"list -h -o task_struct.sibling -O task_struct.ptraced {init}",
            f"list -B -H {tasks} -o task_struct.tasks"]

    def make():
        out, _ = refbatch.batch(["crash", "-s", str(vmlinux), str(info["path"])], cmds)
        return json.dumps([out[c] or "" for c in cmds])
    theirs = json.loads(labruns.cached_text(DERIVED, info, "crash-list-l.json",
                                            make, extra="|".join(cmds)))
    ours = session(kdumpkit_bin, info, cmds)
    assert all(theirs), theirs
    assert ours == theirs
    # pid 1's children are the user processes it started: the lab's init
    kids = [int(p) for p in re.findall(r"pid = (\d+)", ours[1])]
    assert kids and all(t["ppid"] == 1 for t in ps_json(kdumpkit, info)
                        if t["pid"] in kids)


def test_list_bad_input(kdumpkit):
    if not RWSEM:
        pytest.skip("no rwsem lab run")
    info = RWSEM[0][1]
    for cmd, word in (("list", "start address"),
                      ("list -r 0xffffffff81000000", "-r"),
                      ("list -o nosuch_struct.next init_task", "nosuch_struct"),
                      ("list -o task_struct.nosuch init_task", "nosuch"),
                      ("list -h -H init_task", "-h and -H"),
                      ("list -O 8 -H init_task", "-O"),
                      ("list -l 8 init_task", "-l goes with -s"),
                      ("list 0x10", "0x10")):
        r = kdumpkit(info["path"], "-c", cmd)
        assert r.returncode == 1, (cmd, r.stdout)
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("kdumpkit: list: "), (cmd, r.stderr)
        assert word in lines[0], (cmd, lines[0])
