"""files, sig, vm and runq: a task's open files, signal handling and
address space, and each CPU's run queue.

Oracles:
- crash 8.0.2 with the vmlinux on x86_64 kdump dumps (one session per
  dump, cached): files, sig (-g, -l, -s) of the panic task equal; runq's
  CPU, RUNQUEUE, CURRENT, RT and CFS lines equal and every task crash
  queues we queue too (crash 8.0.2 knows only a few of 6.1's tasks and
  drops the others from its queues); vm's MM, PGD and TOTAL_VM equal,
  RSS at least crash's (8.0.2 leaves shmem out), after which crash stops
  with "invalid structure member offset: mm_struct_mmap" (6.1 keeps VMAs
  in a maple tree).
- The kernel's own data, on x86_64 and arm64: vm lists mm->map_count VMAs,
  ascending and disjoint; every runnable task (ps RU) that is not running
  is on its CPU's queue, except the stopper threads (migration/N, which
  sit in rq->stop, no queue crash or we print); files' descriptors 0-2 of
  the lab's init are /dev/console.
"""
import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labruns  # noqa: E402
import refbatch  # noqa: E402

DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "task-views"
QUERIES = ["files", "sig", "sig -g", "sig -l", "sig -s fffffffe7ffbfeff",
           "runq", "runq -t", "runq -m", "vm"]


def pick(arch, names):
    return [p for p in labruns.dumps(arch) if p[1]["path"].name == "vmcore"
            and p[1]["path"].parent.name in names]


SCENES = ("oops-kdump", "mutex-kdump", "softlockup-kdump", "spinlock-kdump")
X86 = pick("x86_64", SCENES)
ALL = X86 + pick("arm64", SCENES)


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def lines(text):
    return [" ".join(ln.split()) for ln in (text or "").splitlines()
            if ln.strip() and not ln.startswith("WARNING")]


ENTRY = re.compile(r"^\[\s*(\d+)\] PID: (\d+) TASK: ([0-9a-f]+) ")


@pytest.mark.parametrize("info", **params(X86))
def test_match_crash(kdumpkit_bin, info):
    want = refbatch.crash_answers(DERIVED, info, QUERIES, "crash.json")
    got, r = refbatch.ours(kdumpkit_bin, info, QUERIES, with_vmlinux=True)
    assert r.stderr == ""
    for q in ("files", "sig", "sig -g", "sig -l", "sig -s fffffffe7ffbfeff",
              "runq -t", "runq -m"):
        assert lines(got[q]) == lines(want[q]), q
    ours = lines(got["runq"])
    theirs = lines(want["runq"])
    assert [x for x in ours if not ENTRY.match(x) and "no tasks" not in x] == \
        [x for x in theirs if not ENTRY.match(x) and "no tasks" not in x]
    assert {x for x in theirs if ENTRY.match(x)} <= set(ours)
    # vm: crash's header, then its MM line, then (a process) its error
    c, o = lines(want["vm"]), lines(got["vm"])
    if o[2].startswith("0 0 "):                # a kernel thread: no mm
        assert o == c
        return
    assert c[:2] == o[:2] and "mm_struct_mmap" in want["vm"]
    cm, om = c[2].split(), o[2].split()
    assert (cm[0], cm[1], cm[3]) == (om[0], om[1], om[3])
    assert int(om[2].rstrip("k")) >= int(cm[2].rstrip("k"))


def run(kdumpkit, info, cmds, *flags):
    r = kdumpkit(info["path"], *flags, "-c", cmds)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return r.stdout


def ps(kdumpkit, info):
    return json.loads(run(kdumpkit, info, "ps", "--json"))


@pytest.mark.parametrize("info", **params(ALL))
def test_runq_holds_every_waiting_task(kdumpkit, info):
    out = run(kdumpkit, info, "runq")
    queued, cpu = {}, None
    for ln in out.splitlines():
        m = re.match(r"CPU (\d+) RUNQUEUE", ln)
        cpu = int(m[1]) if m else cpu
        e = ENTRY.match(" ".join(ln.split()))
        if e:
            queued[int(e[3], 16)] = cpu
    tasks = ps(kdumpkit, info)
    by_addr = {int(t["task"], 16): t for t in tasks}
    for addr, c in queued.items():
        t = by_addr[addr]
        assert t["st"] == "RU" and t["cpu"] == c and not t["active"], t
    waiting = {int(t["task"], 16) for t in tasks if t["st"] == "RU" and
               not t["active"] and t["pid"] != 0 and
               not re.fullmatch(r"migration/\d+", t["comm"])}
    assert waiting == set(queued)
    assert len(re.findall(r"^CPU \d+ RUNQUEUE", out, re.M)) == \
        len({t["cpu"] for t in tasks if t["pid"] == 0})


def user_tasks(kdumpkit, info):
    return [t for t in ps(kdumpkit, info)
            if int(t["mm"], 16) and not t["comm"].startswith("[")]


@pytest.mark.parametrize("info", **params(ALL))
def test_vm_lists_every_vma(kdumpkit, info):
    tasks = user_tasks(kdumpkit, info)[:5]
    assert tasks
    for t in tasks:
        out = run(kdumpkit, info, f"vm {t['task']}")
        count = int(re.search(r"map_count = (\d+)", run(
            kdumpkit, info, f"mm_struct.map_count {t['mm']}")).group(1))
        vmas = re.findall(r"^[0-9a-f]{16}\s+([0-9a-f]+)\s+([0-9a-f]+)\s+"
                          r"[0-9a-f]+ ?(\S*)$", out, re.M)
        assert len(vmas) == count, out
        bounds = [(int(a, 16), int(b, 16)) for a, b, _ in vmas]
        assert all(a < b for a, b in bounds)
        assert all(b1 <= a2 for (_, b1), (a2, _) in zip(bounds, bounds[1:]))
        # the lab's userland is busybox: its text is the first mapping
        assert vmas[0][2] == "/bin/busybox", out
        js = json.loads(run(kdumpkit, info, f"vm {t['task']}", "--json"))
        assert [(int(v["start"], 16), int(v["end"], 16))
                for v in js[0]["vmas"]] == bounds


@pytest.mark.parametrize("info", **params(ALL))
def test_files_of_init(kdumpkit, info):
    out = run(kdumpkit, info, "files 1")
    fds = re.findall(r"^\s*(\d+) [0-9a-f]{16} [0-9a-f]{16} [0-9a-f]{16} "
                     r"(\S+)\s+(\S*)$", out, re.M)
    assert ("0", "CHR", "/dev/console") in fds, out
    assert "ROOT: /    CWD: /" in out


@pytest.mark.parametrize("info", **params(ALL[:1]))
def test_foreach_and_errors(kdumpkit, info):
    users = user_tasks(kdumpkit, info)
    out = run(kdumpkit, info, "foreach user vm")
    assert len(re.findall(r"^PID: ", out, re.M)) == len(users)
    out = run(kdumpkit, info, "foreach user files")
    assert len(re.findall(r"^PID: ", out, re.M)) == len(users)
    for cmd, msg in (("files 999999", "invalid task or pid value"),
                     ("sig -s zz", "-s zz"),
                     ("runq -c 99", "-c 99"),
                     ("vm -x", "invalid option")):
        r = kdumpkit(info["path"], "-c", cmd)
        assert r.returncode != 0 and msg in r.stderr, (cmd, r.stderr)
