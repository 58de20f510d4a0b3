"""foreach, and bt's PID and command-name operands.

The truth: the console of each lab run (manifest facts: blocked_pids, read
off what crashme and the guest's init printed) and the scenario's
waiter_stack (tests/lab/scenarios.py): `foreach UN bt` on the rwsem and
mutex runs must show exactly the blocked tasks, each stack through the
functions they block in. On the 2,000-task dump (tests/lab/manytasks.py)
`foreach bt` unwinds every task ps lists.
"""
import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lab"))
import kernels  # noqa: E402
import lab  # noqa: E402
import labruns  # noqa: E402
import manytasks  # noqa: E402
from scenarios import SCENARIOS  # noqa: E402

BLOCKED = [p for p in labruns.dumps()
           if p[1]["path"].parent.name in ("rwsem-kdump", "mutex-kdump")
           or (p[1]["path"].parent.name == "mutex-qemu" and
               p[1]["path"].name == "vmcore.flat" and p[1]["arch"] == "x86_64")]


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def pids(ps_text):
    return {int(line.lstrip("> ").split()[0]) for line in ps_text.splitlines()[1:]}


def blocks(text):
    """{pid: stack text} of bt's output."""
    out = {}
    for b in re.split(r"\n(?=PID: )", text.strip()):
        m = re.match(r"PID: (\d+)", b)
        if m:
            out[int(m.group(1))] = b
    return out


@pytest.mark.parametrize("info", **params(BLOCKED))
def test_foreach_un_bt_is_the_blocked_tasks(info, kdumpkit):
    scenario = info["path"].parent.name.split("-")[0]
    facts = lab.load_manifest(info["path"].parent)["facts"]
    # arm64's kallsyms lacks `modules`: crashme's frames need the vmlinux
    pre = [kernels.vmlinux_path("arm64")] if info["arch"] == "arm64" else []
    if pre and not pre[0].is_file():
        pytest.skip(f"no {pre[0]}")
    r = kdumpkit(*pre, info["path"], "-c", "foreach UN bt")
    assert r.returncode == 0, r.stderr
    stacks = blocks(r.stdout)
    assert set(stacks) == set(facts["blocked_pids"])
    for pid, text in stacks.items():
        for fn in SCENARIOS[scenario]["waiter_stack"]:
            if scenario == "rwsem" and fn == "crashme_read_mm" and \
                    "[crashme_" not in text and '"cat"' in text:
                continue        # the cats block reading /proc, not in crashme
            assert re.search(rf"\] {re.escape(fn)}(\.\w+)* at ", text), (pid, fn, text)
    # ps through foreach: the same tasks, all UN
    ps = [line.lstrip("> ").split() for line in
          kdumpkit(info["path"], "-c", "foreach UN ps").stdout.splitlines()[1:]]
    assert {int(f[0]) for f in ps} == set(facts["blocked_pids"])
    assert all(f[4] == "UN" for f in ps)


@pytest.mark.parametrize("info", **params(BLOCKED[:1]))
def test_selectors(info, kdumpkit):
    r = kdumpkit(info["path"], "--json", "-c", "ps")
    tasks = json.loads(r.stdout)
    tasks = tasks["tasks"] if isinstance(tasks, dict) else tasks
    crashme = {t["pid"] for t in tasks if t["comm"].startswith("crashme")}
    assert crashme
    got = kdumpkit(info["path"], "-c", "foreach 'crashme.*' kernel ps").stdout
    assert pids(got) == crashme
    users = {t["pid"] for t in tasks if not t["kthread"]}
    got = kdumpkit(info["path"], "-c", "foreach user ps").stdout
    assert pids(got) == users
    active = {t["pid"] for t in tasks if t["active"]}
    got = kdumpkit(info["path"], "-c", "foreach active ps").stdout
    assert pids(got) == active
    pid = max(crashme)
    one = kdumpkit(info["path"], "-c", f"bt {pid}").stdout
    assert re.match(rf"PID: {pid} ", one)
    by_name = blocks(kdumpkit(info["path"], "-c",
                              f"bt {next(t['comm'] for t in tasks if t['pid'] == pid)}").stdout)
    assert pid in by_name
    for cmd, word in (("foreach UN", "which command"), ("foreach 999999 bt", "no task"),
                      ("bt 999999", "999999"), ("bt no_such_comm", "no_such_comm"),
                      ("foreach '([' bt", "regular expression")):
        e = kdumpkit(info["path"], "-c", cmd)
        assert e.returncode == 1, cmd
        assert len(e.stderr.splitlines()) == 1 and word in e.stderr, (cmd, e.stderr)


def test_foreach_bt_unwinds_thousands(kdumpkit):
    if manytasks.base_initramfs() is None:
        pytest.skip("no lab initramfs")
    out = manytasks.DERIVED / manytasks.key(2000)
    if not (out / "manifest.json").is_file():
        manytasks.make(2000, out)
    r = kdumpkit(out / "vmcore", "-c", "foreach bt")
    assert r.returncode == 0, r.stderr[-2000:]
    stacks = blocks(r.stdout)
    ps = kdumpkit(out / "vmcore", "-c", "ps").stdout.splitlines()[1:]
    assert len(re.findall(r"^PID: ", r.stdout, re.M)) == len(ps)
    sleepers = [p for p, t in stacks.items() if 'COMMAND: "sleep"' in t]
    assert len(sleepers) == 2000
    assert all("nanosleep" in stacks[p] for p in sleepers)
    # ps and task take every picked task, however many
    r = kdumpkit(out / "vmcore", "-c", "foreach ps")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1:] == ps
