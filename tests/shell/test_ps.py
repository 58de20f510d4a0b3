"""ps: every task of the lab's dumps, on both architectures.

What it is checked against:
- drgn 0.0.22's task list (tests/lab/drgn_ref.py: the idle task of each
  possible CPU plus every task of the pid namespace, with the vmlinux's
  DWARF): the set of (pid, ppid, cpu, task, state, comm) must be equal.
  drgn opens only the kdump-format dumps; the QEMU ELF and flattened dumps
  of one run hold the same memory, so their ps must be equal to each other;
- the guest's console (the manifest's facts): the panic task shows '>' on
  the CPU the oops/panic line names, and in the rwsem and mutex scenarios
  `ps | grep UN` lists exactly the tasks the hung-task detector reported
  (the console's "task:NAME state:D ... pid:N ppid:M" lines give their comm
  and parent too);
- the kernel's own count: nr_threads (every task but the idle ones, what
  sys reads) plus one idle task per CPU;
- crash 8.0.2 (ref ps.txt) only for the 3-4 tasks it lists on these
  kernels: their address, CPU, state, memory columns and comm; its PPIDs
  are wrong there (it lacks the parents in its table: -1, 0).

arm64's kallsyms has no data symbols (no init_task, runqueues,
init_pid_ns): ps runs there with the vmlinux, and without it must give the
same output (init_task found by name and checked, run queues through the
tasks' sched entities).
"""
import json
import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labruns  # noqa: E402
import kernels  # noqa: E402
import lab  # noqa: E402

ALL = labruns.dumps()
KDUMP = [p for p in ALL if p[1]["path"].name == "vmcore"]
QEMU_ELF = [p for p in ALL if p[1]["path"].name == "vmcore.elf"]
LOCKS = [p for p in ALL if p[1]["manifest"]["scenario"] in ("rwsem", "mutex")]

# crash's state names -> drgn's task_state_to_char()
STATE_CHAR = {"RU": "R", "IN": "S", "UN": "D", "ID": "I", "ST": "T",
              "TR": "t", "ZO": "Z", "DE": "X", "PA": "P"}
ROW = re.compile(r"^(>| ) +(\d+) +(-?\d+) +(\d+)  ([0-9a-f]{16}) +(\S+) +"
                 r"([\d.]+) +(\d+) +(\d+)  (.*)$")


def facts(info):
    """The run's facts, read from its console (lab.load_manifest)."""
    return lab.load_manifest(info["path"].parent)["facts"]


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def args_for(info):
    if info["arch"] == "arm64":
        vmlinux = kernels.vmlinux_path("arm64")
        if not vmlinux.is_file():
            pytest.skip(f"no vmlinux at {vmlinux}")
        return [vmlinux, info["path"]]
    return [info["path"]]


def ok(kdumpkit, info, cmd, json_out=False):
    if not info["path"].is_file():
        pytest.skip(f"{info['path']} went away (being regenerated)")
    extra = ["--json"] if json_out else []
    r = kdumpkit(*args_for(info), *extra, "-c", cmd)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""       # no WARNING: every way found every task
    return r.stdout


def rows(text):
    out = []
    for line in text.splitlines()[1:]:
        m = ROW.match(line)
        assert m, f"not a ps row: {line!r}"
        out.append({"active": m[1] == ">", "pid": int(m[2]),
                    "ppid": int(m[3]), "cpu": int(m[4]), "task": m[5],
                    "st": m[6], "mem": m[7], "vsz": int(m[8]),
                    "rss": int(m[9]), "comm": m[10]})
    return out


def key(t):
    return (t["pid"], t["ppid"], t["cpu"], t["task"], t["st"], t["comm"])


def drgn_tasks(info):
    path = info["ref"].parent / "kdump" / "drgn" / "tasks.json"
    if not path.is_file():
        pytest.skip("drgn has no task list for this run")
    return json.loads(path.read_text())


@pytest.mark.parametrize("info", **params(KDUMP))
def test_tasks_equal_drgn(kdumpkit, info):
    mine = json.loads(ok(kdumpkit, info, "ps", json_out=True))
    got = {(t["pid"], t["ppid"], t["cpu"], t["task"][2:],
            STATE_CHAR.get(t["st"], t["st"]), t["comm"]) for t in mine}
    want = {(t["pid"], t["ppid"], t["cpu"], t["task"], t["state"],
             t["comm"]) for t in drgn_tasks(info)}
    assert got == want
    assert len(mine) == len(got)          # no task twice
    kthreads = {t["task"]: t["kthread"] for t in drgn_tasks(info)}
    assert {t["task"][2:]: t["kthread"] for t in mine} == kthreads


@pytest.mark.parametrize("info", **params(ALL))
def test_text_matches_json_and_is_sorted(kdumpkit, info):
    text = rows(ok(kdumpkit, info, "ps"))
    mine = json.loads(ok(kdumpkit, info, "ps", json_out=True))
    assert [key(r) for r in text] == [
        (t["pid"], t["ppid"], t["cpu"], t["task"][2:], t["st"],
         f"[{t['comm']}]" if t["kthread"] else t["comm"]) for t in mine]
    # crash's order: by pid, the idle tasks by CPU
    assert [(r["pid"], r["cpu"] if r["pid"] == 0 else 0) for r in text] == \
        sorted((r["pid"], r["cpu"] if r["pid"] == 0 else 0) for r in text)
    # every CPU has one idle task and one active task
    idle = [t for t in mine if t["idle"]]
    assert sorted(t["cpu"] for t in idle) == list(range(len(idle)))
    active = [r for r in text if r["active"]]
    assert sorted(r["cpu"] for r in active) == list(range(len(idle)))
    for t in mine:
        assert set(t["found_by"]) >= ({"rq_idle"} if t["idle"] else
                                      {"pid_idr"})
        if not t["idle"]:
            assert {"tasks", "threads"} & set(t["found_by"])
        # kernel threads have no user memory; user tasks have some
        if t["kthread"]:
            assert t["mm"] == "0x" + "0" * 16 and t["rss_kb"] == 0
        elif t["st"] != "ZO":
            assert t["vsz_kb"] > 0 and 0 < t["rss_kb"] <= t["vsz_kb"]


@pytest.mark.parametrize("info", **params(ALL))
def test_count_is_nr_threads_plus_idle(kdumpkit, info):
    mine = json.loads(ok(kdumpkit, info, "ps", json_out=True))
    sysj = json.loads(ok(kdumpkit, info, "sys", json_out=True))
    if "tasks" not in sysj:
        pytest.skip("sys cannot read nr_threads here")
    # sys: nr_threads + one idle task per CPU
    assert len(mine) == sysj["tasks"]


@pytest.mark.parametrize("info", **params(ALL))
def test_panic_task_is_active_on_its_cpu(kdumpkit, info):
    facts_ = facts(info)
    if "panic_pid" not in facts_:
        pytest.skip("the console names no panic task")
    text = rows(ok(kdumpkit, info, "ps"))
    hits = [r for r in text if r["pid"] == facts_["panic_pid"]]
    assert len(hits) == 1
    r = hits[0]
    assert r["active"] and r["st"] == "RU"
    assert r["cpu"] == facts_["panic_cpu"]
    assert r["comm"].strip("[]") == facts_["panic_comm"]
    # ps -A: one line per CPU, the panic task among them
    act = rows(ok(kdumpkit, info, "ps -A"))
    assert all(a["active"] for a in act) and r in act


def console_blocked(info):
    text = (info["path"].parent / "console.log").read_text(errors="replace")
    return {int(m[3]): (m[1], int(m[4])) for m in re.finditer(
        r"task:(\S+) +state:(\w) .*?pid:(\d+) +ppid:(\d+)", text)}


@pytest.mark.parametrize("info", **params(LOCKS))
def test_grep_un_lists_exactly_the_blocked(kdumpkit, info):
    f = facts(info)
    out = ok(kdumpkit, info, "ps | grep UN")
    un = rows("header\n" + out)
    assert sorted(r["pid"] for r in un) == sorted(f["blocked_pids"])
    # the console's hung-task report: comm and parent of each it named
    for pid, (comm, ppid) in console_blocked(info).items():
        r = next(r for r in un if r["pid"] == pid)
        assert r["comm"].strip("[]") == comm and r["ppid"] == ppid
    if "holder_pid" in f:
        holder = rows(ok(kdumpkit, info, f"ps {f['holder_pid']}"))
        assert len(holder) == 1 and holder[0]["st"] != "UN"


@pytest.mark.parametrize("info", **params(QEMU_ELF))
def test_elf_and_flattened_agree(kdumpkit, info):
    flat = info["path"].with_name("vmcore.flat")
    if not flat.is_file():
        pytest.skip("no flattened dump of this run")
    other = dict(info, path=flat)
    assert ok(kdumpkit, info, "ps") == ok(kdumpkit, other, "ps")


def crash_rows(info):
    path = info["ref"] / "crash" / "ps.txt"
    if not path.is_file():
        pytest.skip("crash has no ps for this dump (it cannot read arm64)")
    return rows(path.read_text())


@pytest.mark.parametrize("info", **params([p for p in ALL
                                           if p[1]["arch"] == "x86_64"]))
def test_crash_tasks_agree(kdumpkit, info):
    mine = {r["task"]: r for r in rows(ok(kdumpkit, info, "ps"))}
    theirs = crash_rows(info)
    assert theirs
    for c in theirs:
        m = mine[c["task"]]
        for field in ("pid", "cpu", "st", "vsz", "comm"):
            assert m[field] == c[field], (field, c)
        # crash 8.0.2 leaves shmem pages out of RSS (fixed in 8.0.4 by
        # 69f38d7 "Fix ps/vm commands to display correct memory usage"):
        # ours counts them, so it is at least crash's, and equal where
        # the task has none (kernel threads)
        # (%MEM over the same pages as crash: below __pa(high_memory))
        assert m["rss"] >= c["rss"] and float(m["mem"]) >= float(c["mem"])
        if m["rss"] == c["rss"]:
            assert m["mem"] == c["mem"]
        elif m["rss"] > 8 * c["rss"] or float(c["mem"]) < 1:
            continue
        else:
            # memhog: mostly anon; the shmem pages move %MEM a little
            assert float(m["mem"]) - float(c["mem"]) < 1.0


@pytest.mark.parametrize("info", **params(KDUMP[:1] + [
    p for p in KDUMP if p[1]["manifest"]["scenario"] == "rwsem"]))
def test_flags(kdumpkit, info):
    all_ = rows(ok(kdumpkit, info, "ps"))
    k = rows(ok(kdumpkit, info, "ps -k"))
    u = rows(ok(kdumpkit, info, "ps -u"))
    assert len(k) + len(u) == len(all_) and k and u
    assert all(r["comm"].startswith("[") for r in k)
    assert not any(r["comm"].startswith("[") for r in u)
    # -S counts every task once
    counts = dict(re.findall(r"^  (\w+): (\d+)$",
                             ok(kdumpkit, info, "ps -S"), re.M))
    assert sum(map(int, counts.values())) == len(all_)
    assert int(counts["UN"] if "UN" in counts else 0) == \
        len([r for r in all_ if r["st"] == "UN"])
    # operands: a pid, a task address, a name, a regex
    one = all_[5]
    assert rows(ok(kdumpkit, info, f"ps {one['pid']}")) == [one]
    assert rows(ok(kdumpkit, info, f"ps {one['task']}")) == [one]
    kw = rows(ok(kdumpkit, info, "ps 'kworker.*'"))
    assert kw and len(kw) == len([r for r in all_
                                  if r["comm"].startswith("[kworker")])
    assert rows(ok(kdumpkit, info, "ps kthreadd"))[0]["pid"] == 2
    # -p: from init_task down to the task; -c: kthreadd's children
    chain = ok(kdumpkit, info, f"ps -p {one['pid']}").splitlines()
    assert chain[0].startswith("PID: 0 ") and f"PID: {one['pid']} " in \
        chain[-2]
    kids = ok(kdumpkit, info, "ps -c 2")
    assert kids.count("PID:") - 1 == len([r for r in all_ if r["ppid"] == 2
                                          and r["pid"] != 2])
    # -G: the leaders; -l: most recently run first
    g = rows(ok(kdumpkit, info, "ps -G"))
    assert len(g) <= len(all_) and all(r in all_ for r in g)
    stamps = [int(m) for m in re.findall(r"^\[ *(\d+)\]",
                                         ok(kdumpkit, info, "ps -l"), re.M)]
    assert len(stamps) == len(all_) and stamps == sorted(stamps, reverse=True)
    # -y / -Y: the stopper threads are SCHED_FIFO (kernel/stop_machine.c:
    # sched_set_stop_task()), one migration/N per CPU
    cpus = len([r for r in all_ if r["pid"] == 0])
    fifo = ok(kdumpkit, info, "ps -y FIFO -Y").splitlines()
    assert fifo[0].split() == ["PID", "PPID", "CPU", "TASK", "POLICY",
                               "PRIO", "COMM"]
    mig = [l for l in fifo[1:] if "[migration/" in l]
    assert len(mig) == cpus and all(" FIFO " in l for l in mig)
    assert len(rows(ok(kdumpkit, info, "ps -y normal,1,batch,idle,rr,"
                                       "deadline"))) == len(all_)
    ms = ok(kdumpkit, info, "ps -m -C 0")
    assert ms.startswith("CPU: 0\n")
    assert ms.count("PID:") == len([r for r in all_ if r["cpu"] == 0])


@pytest.mark.parametrize("cmd,msg", [
    ("ps 999999", "invalid task or pid value: 999999"),
    ("ps -C 0", "-C is only applicable with -l and -m"),
    ("ps -k -u", "-u and -k are mutually exclusive"),
    ("ps -p -c", "cannot be used with"),
    ("ps 'a[b'", "invalid regular expression"),
    ("ps -x", "ps"),
    ("ps -y WHAT", "WHAT: invalid scheduling policy"),
    ("ps -S 1", "-S takes no arguments"),
])
def test_bad_input_is_one_line(kdumpkit, cmd, msg):
    info = labruns.infos(KDUMP)[0]
    r = kdumpkit(*args_for(info), "-c", cmd)
    assert r.returncode != 0 and r.stdout == ""
    assert len(r.stderr.splitlines()) == 1 and msg in r.stderr


def test_help(kdumpkit):
    r = kdumpkit(labruns.infos(KDUMP)[0]["path"], "-c", "help ps")
    assert r.returncode == 0
    assert "PID, parent PID" in r.stdout and "-S" in r.stdout


ARM = [p for p in ALL if p[1]["arch"] == "arm64"]
ARM_KDUMP = [p for p in ARM if p[1]["path"].name == "vmcore"]


@pytest.mark.parametrize("info", **params(ARM))
def test_arm64_without_vmlinux_is_the_same(kdumpkit, info):
    """No data symbols: init_task found by its name and checked, the run
    queues through the tasks' sched entities, init_pid_ns through
    init_task's pid, the state bits from the 4.14+ layout."""
    with_vmlinux = ok(kdumpkit, info, "ps")
    r = kdumpkit(info["path"], "-c", "ps")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert r.stdout == with_vmlinux
    j = json.loads(kdumpkit(info["path"], "--json", "-c", "ps").stdout)
    assert all(("pid_idr" in t["found_by"]) != t["idle"] for t in j)


@pytest.mark.parametrize("info", **params(ARM_KDUMP))
def test_arm64_without_vmlinux_equals_drgn(kdumpkit, info):
    r = kdumpkit(info["path"], "--json", "-c", "ps")
    assert r.returncode == 0, r.stderr
    got = {(t["pid"], t["ppid"], t["cpu"], t["task"][2:],
            STATE_CHAR.get(t["st"], t["st"]), t["comm"])
           for t in json.loads(r.stdout)}
    want = {(t["pid"], t["ppid"], t["cpu"], t["task"], t["state"],
             t["comm"]) for t in drgn_tasks(info)}
    assert got == want
