"""sys against crash 8.0.2's sys on every x86_64 lab dump, and against
the manifest (and drgn's task list) everywhere.

crash's own TASKS is wrong on 6.1 (it counts 3 or 4), so TASKS is checked
against drgn's tasks.json, which lists every task.
"""
import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labruns  # noqa: E402
import lab  # noqa: E402

ALL = labruns.dumps()
X86_WITH_REF = [p for p in labruns.dumps("x86_64")
                if (p[1]["ref"] / "crash" / "sys.txt").is_file()]


def parse_sys(text):
    fields = {}
    for line in text.splitlines():
        m = re.match(r"^\s*([A-Z][A-Z ]*[A-Z]): (.*)$", line)
        if m:
            fields[m.group(1)] = m.group(2).rstrip()
    return fields


def seconds(uptime):
    m = re.fullmatch(r"(?:(\d+) days?, )?(\d\d):(\d\d):(\d\d)", uptime)
    assert m, uptime
    d, h, mi, s = (int(g or 0) for g in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 + s


def run_sys(kdumpkit, info, *extra):
    if not info["path"].is_file():
        pytest.skip(f"{info['path']} went away (being regenerated)")
    r = kdumpkit(info["path"], *extra, "-c", "sys")
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("info", labruns.infos(X86_WITH_REF),
                         ids=labruns.ids(X86_WITH_REF))
def test_sys_matches_crash(kdumpkit, info):
    ref_path = info["ref"] / "crash" / "sys.txt"
    try:
        ref = parse_sys(ref_path.read_text())
    except OSError:
        pytest.skip(f"{ref_path} went away")
    ours = parse_sys(run_sys(kdumpkit, info))
    for key in ("RELEASE", "VERSION", "NODENAME", "DATE", "MEMORY"):
        assert ours[key] == ref[key], key
    assert ours["MACHINE"].split()[0] == ref["MACHINE"].split()[0]
    assert ours["CPUS"].split()[0] == ref["CPUS"].split()[0]
    assert ours["CPUS"] == ref["CPUS"]
    assert abs(seconds(ours["UPTIME"]) - seconds(ref["UPTIME"])) <= 1
    assert ours["LOAD AVERAGE"] == ref["LOAD AVERAGE"]
    assert ours["DUMPFILE"] == ref["DUMPFILE"]
    assert ours["KERNEL"].startswith("(none: symbols from the dump)")
    assert ours["KERNEL"].endswith("[TAINTED]") == \
        ref["KERNEL"].endswith("[TAINTED]")


@pytest.mark.parametrize("info", labruns.infos(labruns.dumps("x86_64")),
                         ids=labruns.ids(labruns.dumps("x86_64")))
def test_sys_tasks_match_drgn(kdumpkit, info):
    tasks = info["ref"] / "drgn" / "tasks.json"
    try:
        want = len(json.loads(tasks.read_text()))
    except (OSError, ValueError):
        pytest.skip(f"no drgn task list at {tasks}")
    assert parse_sys(run_sys(kdumpkit, info))["TASKS"] == str(want)


@pytest.mark.parametrize("info", labruns.infos(ALL), ids=labruns.ids(ALL))
def test_sys_sane_everywhere(kdumpkit, info):
    ours = parse_sys(run_sys(kdumpkit, info))
    assert ours["RELEASE"] == info["manifest"]["release"]
    machine = {"x86_64": "x86_64", "arm64": "aarch64"}[info["arch"]]
    assert ours["MACHINE"].split()[0] == machine
    assert ours["NODENAME"].startswith("lab-")
    assert ours["VERSION"].startswith("#1 SMP")
    assert int(ours["CPUS"].split()[0]) >= 1
    assert re.fullmatch(r"\d+(\.\d)? [MG]B", ours["MEMORY"])
    if info["arch"] == "x86_64":
        assert 0 < seconds(ours["UPTIME"]) < 3600


@pytest.mark.parametrize("info", labruns.infos(ALL[:1] + ALL[-1:]),
                         ids=labruns.ids(ALL[:1] + ALL[-1:]))
def test_sys_json(kdumpkit, info):
    d = json.loads(run_sys(kdumpkit, info, "--json"))
    assert d["release"] == info["manifest"]["release"]
    assert d["dumpfile"] == str(info["path"])
    assert d["cpus"] >= 1


@pytest.mark.parametrize("info", labruns.infos(ALL), ids=labruns.ids(ALL))
def test_sys_panic_names_the_cause(kdumpkit, info):
    """PANIC quotes the first oops line when there is one (the cause; crash
    quotes "Oops: 0000 [#1]" or, for a GPF that went to kdump, nothing),
    else panic()'s message; the scenario's manifest decides what is right."""
    run = lab.load_manifest(info["path"].parent)
    facts = run["facts"]
    panic = parse_sys(run_sys(kdumpkit, info))["PANIC"]
    if "oops_message" in facts:
        assert panic == f'"{facts["oops_message"]}" (check log for details)'
        assert any(words in panic for words in run["expect"]["oops"])
    else:
        assert panic == f'"Kernel panic - not syncing: {facts["panic_message"]}"'
        assert run["expect"]["panic"] in panic
