"""ps -t (run time, start time, user and system time) and ps -a (argv and
environment from the task's user stack).

Oracles: crash 8.0.2 with the vmlinux, on x86_64 dumps: each block crash
prints (it knows only a few of 6.1's tasks) is one of ours, line for line;
on the kdump dumps, which dump level 31 left without user pages, both say
"cannot access user stack address" for the same address. The lab guest's
own /init: its first line makes init's argv "/bin/sh /init", read from
the QEMU dumps, which keep user pages.
"""
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labruns  # noqa: E402
import refbatch  # noqa: E402

DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "ps-views"
QUERIES = ["ps -t", "ps -a"]
GUEST_INIT = Path(__file__).resolve().parents[1] / "lab" / "guest" / "init"
X86 = [p for p in labruns.dumps("x86_64")
       if (p[1]["path"].name == "vmcore" and
           p[1]["path"].parent.name in ("oops-kdump", "mutex-kdump")) or
       (p[1]["path"].name == "vmcore.elf" and
        p[1]["path"].parent.name in ("oops-qemu", "sysrq-qemu"))]
QEMU = [p for p in labruns.dumps() if p[1]["path"].name == "vmcore.elf"
        and p[1]["path"].parent.name == "oops-qemu"]


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def blocks(text):
    """{header line: [the block's other lines]}, blank lines dropped."""
    out, cur = {}, None
    for ln in (text or "").splitlines():
        if not ln.strip() or ln.startswith("WARNING"):
            continue
        if ln.startswith("PID: "):
            cur = " ".join(ln.split())
            out[cur] = []
        elif cur:
            out[cur].append(" ".join(ln.split()))
    return out


@pytest.mark.parametrize("info", **params(X86))
def test_blocks_match_crash(kdumpkit_bin, info):
    want = refbatch.crash_answers(DERIVED, info, QUERIES, "crash.json")
    got, r = refbatch.ours(kdumpkit_bin, info, QUERIES, with_vmlinux=True)
    assert r.stderr == ""
    for q in QUERIES:
        theirs, ours = blocks(want[q]), blocks(got[q])
        assert theirs, q
        for head, body in theirs.items():
            assert ours.get(head) == body, (q, head)
    # crash's order: by start time
    starts = [int(m) for m in re.findall(r"START TIME: (\d+)", got["ps -t"])]
    assert starts == sorted(starts) and len(starts) > 20


@pytest.mark.parametrize("info", **params(QEMU))
def test_init_argv_is_the_guests(kdumpkit, info):
    shebang = GUEST_INIT.read_text().splitlines()[0]
    assert shebang.startswith("#!")
    r = kdumpkit(info["path"], "-c", "ps -a 1")
    assert r.returncode == 0, r.stderr
    arg = re.search(r"^ARG: (.*)$", r.stdout, re.M).group(1).split()
    assert arg == [shebang[2:].split()[0], "/init"]
    assert re.search(r"^ENV: \S+=", r.stdout, re.M)
    r = kdumpkit(info["path"], "-c", "ps -a 2")
    assert "ps: no user stack" in r.stdout
