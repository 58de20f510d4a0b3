"""The lab's dumps show what each scenario must show, and the reference tools
(crash 8.0.2, drgn 0.0.22) read them as recorded.

These tests check the ground every other test stands on: that each crash
really happened as designed (console, saved dmesg), and what the oracles make
of each dump, so that a later comparison with kdumpkit knows which oracle to
trust where. A reference tool that cannot read a format is listed in
ORACLE_FAILURES with the reason, and the test checks that it still fails that
way: when a new version starts to work, the test says so.
"""
import json
import re
from pathlib import Path

import pytest

import lab
from scenarios import ORDER, death_line, first_kernel_text

ARCHES = ["x86_64", "arm64"]
RUNS = [(a, s, m) for a in ARCHES for s in ORDER for m in lab.METHODS]
FORMATS = {"qemu": ["elf", "flattened"], "kdump": ["kdump"]}

# What a reference tool cannot read: (arch, tool, method, format) -> the words
# of its error; None matches any. Checked on every lab dump, so a fixed tool
# shows up as a failing test here.
ORACLE_FAILURES = [
    # Debian's crash is built for the host only (no crash -a / arm64 target)
    (("arm64", "crash", None, None), "cannot read arm64 dumps"),
    # drgn 0.0.22 cannot find the page tables of QEMU's ELF dumps (it looks for
    # swapper_pg_dir through a translation that needs the page tables already)
    ((None, "drgn", "qemu", "elf"), "recursive address translation"),
    # drgn 0.0.22 reads ELF and kdump-compressed files, not the flattened format
    ((None, "drgn", "qemu", "flattened"), "not an ELF core file"),
]


def _known_failure(arch, tool, method, fmt):
    for key, words in ORACLE_FAILURES:
        if all(k is None or k == v for k, v in zip(key, (arch, tool, method, fmt))):
            return words
    return None


def _id(run):
    return "-".join(run)


@pytest.fixture(scope="module", params=RUNS, ids=_id)
def run(request):
    arch, scenario, method = request.param
    rdir = lab.run_dir(arch, scenario, method)
    if not (rdir / "manifest.json").exists():
        pytest.fail(f"no lab run {rdir}: make check (or make lab) captures it")
    return lab.load_manifest(rdir)


def _dumps(run):
    return [(fmt, Path(run["dir"]) / "ref" / fmt) for fmt in FORMATS[run["method"]]]


def _death_line(run):
    line = death_line(run["scenario"], run["facts"])
    assert line, run["problems"]
    return line


def test_run_has_its_dumps(run):
    want = {"qemu": {"elf", "flattened"}, "kdump": {"kdump"}}[run["method"]]
    assert want <= set(run["dumps"]), run["dumps"]
    for path in run["dumps"].values():
        assert Path(path).stat().st_size > 1 << 20, f"{path} is too small to be a dump"


def test_console_shows_the_designed_crash(run):
    assert run["problems"] == [], "\n".join(run["problems"])
    facts = run["facts"]
    assert facts["panic_pid"] > 0
    if run["scenario"] in ("rwsem", "mutex", "fsfreeze"):
        assert len(facts.get("blocked_pids", [])) >= 2, facts


def test_saved_dmesg_has_the_cause(run):
    if run["method"] != "kdump":
        pytest.skip("only the capture kernel saves a dmesg")
    dmesg = (Path(run["dir"]) / "dmesg.txt").read_text(errors="replace")
    assert _death_line(run) in dmesg
    for line in run["expect"].get("log", []):
        assert line in dmesg
    assert f"Comm: {run['facts']['panic_comm']}" in dmesg


def _oracle(run, tool, fmt, refdir):
    status = json.loads((refdir / tool / "status.json").read_text())
    known = _known_failure(run["arch"], tool, run["method"], fmt)
    if known:
        assert status.get("error") and known in status["error"], \
            f"{tool} was known to fail on {fmt} with {known!r}; now: {status.get('error')!r}"
        return None
    assert not status.get("error"), f"{tool} on {fmt}: {status['error']}"
    return refdir / tool


# crash 8.0.2 finds no panic string when a general protection fault went
# straight to the capture kernel: its markers know "Oops:" and "BUG", not
# "general protection fault". The log it prints has the line all the same.
CRASH_PANIC_BLIND = {("x86_64", "uaf", "kdump")}


def test_crash_names_the_panic(run):
    console = first_kernel_text((Path(run["dir"]) / "console.log").read_text(errors="replace"))
    for fmt, refdir in _dumps(run):
        out = _oracle(run, "crash", fmt, refdir)
        if not out:
            continue
        sys_txt = (out / "sys.txt").read_text()
        m = re.search(r'^\s+PANIC: "(.*)"', sys_txt, re.M)
        assert m, f"crash sys on {fmt} has no PANIC line:\n{sys_txt}"
        said = m.group(1)
        assert _death_line(run) in (out / "log.txt").read_text(errors="replace")
        if (run["arch"], run["scenario"], run["method"]) in CRASH_PANIC_BLIND:
            assert said == "", f"crash now names this panic: {said!r}"
            continue
        # the panic message, the oops line, or the oops header, as printed
        assert said and said in console, f"{fmt}: {said!r} is not on the console"
        assert (_death_line(run) in said or said == run["facts"].get("oops_message")
                or said.startswith("Oops:")), f"{fmt}: {said!r}"


def test_crash_bt_shows_the_panic_task(run):
    facts, exp = run["facts"], run["expect"]
    for fmt, refdir in _dumps(run):
        out = _oracle(run, "crash", fmt, refdir)
        if not out:
            continue
        bt = (out / "bt.txt").read_text()
        head = re.match(r'PID: (\d+)\s+TASK: \w+\s+CPU: (\d+)\s+COMMAND: "(.*)"', bt)
        assert head, f"{fmt}: bt starts with {bt[:200]!r}"
        assert (int(head.group(1)), head.group(3)) == (facts["panic_pid"], facts["panic_comm"])
        assert int(head.group(2)) == facts["panic_cpu"]
        for fn in exp["stack"]:
            # a frame, or the exception RIP of the oops (.cold/.isra parts allowed)
            assert re.search(rf"( |exception RIP: ){re.escape(fn)}(\.\w+)*( at |\+)", bt), \
                f"{fmt}: no {fn} in\n{bt}"


def _drgn_tasks(out):
    return {t["pid"]: t for t in json.loads((out / "tasks.json").read_text()) if t["pid"]}


def test_drgn_knows_panic_task_and_blocked_tasks(run):
    facts = run["facts"]
    for fmt, refdir in _dumps(run):
        out = _oracle(run, "drgn", fmt, refdir)
        if not out:
            continue
        tasks = _drgn_tasks(out)
        assert tasks[facts["panic_pid"]]["comm"] == facts["panic_comm"]
        for pid in facts.get("blocked_pids", []):
            assert tasks[pid]["state"] == "D", f"{fmt}: pid {pid} is {tasks[pid]}"
        if "holder_pid" in facts:
            assert facts["holder_pid"] in tasks


def test_drgn_stacks_of_blocked_tasks(run):
    want = run["expect"].get("waiter_stack")
    if not want:
        pytest.skip("no blocked tasks in this scenario")
    for fmt, refdir in _dumps(run):
        out = _oracle(run, "drgn", fmt, refdir)
        if not out:
            continue
        stacks = {str(t["pid"]): t for t in json.loads((out / "stacks.json").read_text())}
        blocked = run["facts"]["blocked_pids"]
        seen = set()
        for pid in blocked:
            frames = stacks[str(pid)]["frames"]
            assert want[0] in frames, f"{fmt}: pid {pid} stack {frames}"
            seen.update(f for f in want if f in frames)
        assert seen == set(want), f"{fmt}: none of {blocked} shows {set(want) - seen}"
