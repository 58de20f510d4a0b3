"""Source lines from the vmlinux's DWARF: `sym NAME`, `dis -l` and `bt -l`.

Oracles:
- x86_64: crash 8.0.2 (gdb's line tables) on two kdump dumps, in one
  session each, cached: `dis -l` of a dozen functions must be equal line
  for line (the names inside <...> aside, as in test_dis.py); `sym` of
  text symbols must print the same "FILE: LINE"; and for every frame
  address both backtraces show, `bt -l` the same line under it.
- arm64 (crash cannot read these dumps): the rows binutils' readelf
  decodes from the vmlinux's .debug_line at each function's address, with
  gdb's choice among rows at one address (the last statement). addr2line
  is no oracle for that choice: it takes the first row.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kernels  # noqa: E402
import labruns  # noqa: E402
import refbatch  # noqa: E402

DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "lines"
DIS_FUNCS = [
    "schedule", "sysrq_handle_crash", "mutex_lock", "do_syscall_64",
    "panic", "__crash_kexec", "ksys_write", "kfree", "do_idle",
    "rwsem_down_read_slowpath", "exc_page_fault", "try_to_wake_up",
]
SYM_FUNCS = DIS_FUNCS + [
    "__schedule", "vfs_write", "copy_process", "do_exit", "memset",
    "handle_mm_fault", "do_user_addr_fault", "default_idle",
    "cpu_startup_entry", "watchdog_timer_fn", "out_of_memory",
    "__do_softirq", "_raw_spin_lock", "write_sysrq_trigger",
    "entry_SYSCALL_64", "asm_exc_page_fault", "jiffies", "init_task",
]
BT = ["bt -l", "bt -a -l"]
FRAME = re.compile(r"^\s*#\s*\d+ \[[0-9a-f]+\] \S+ at ([0-9a-f]+)")
WITH_LINE = re.compile(r" (\S+): (\d+)$")


def pick(arch, names):
    return [p for p in labruns.dumps(arch) if p[1]["path"].name == "vmcore"
            and p[1]["path"].parent.name in names]


X86 = pick("x86_64", ("oops-kdump", "mutex-kdump"))
ARM = pick("arm64", ("sysrq-kdump",))


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def frame_lines(text):
    """{frame address: "FILE: LINE" under it} of a bt -l output."""
    out, last = {}, None
    for line in (text or "").splitlines():
        m = FRAME.match(line)
        if m:
            last = m.group(1)
        elif last and re.match(r"^    \S+: \d+$", line):
            out[last] = line.strip()
            last = None
        else:
            last = None
    return out


def without_names(text):
    return re.sub(r"<[^>]*>", "<>", text or "")


@pytest.mark.skipif(not shutil.which("crash"), reason="no crash")
@pytest.mark.parametrize("info", **params(X86))
def test_lines_match_crash(info, kdumpkit_bin):
    queries = ([f"dis -l {f}" for f in DIS_FUNCS] +
               [f"sym {f}" for f in SYM_FUNCS] + BT)
    theirs = refbatch.crash_answers(DERIVED, info, queries, "crash.json")
    ours, r = refbatch.ours(kdumpkit_bin, info, queries, with_vmlinux=True)
    assert r.returncode == 0, r.stderr

    for f in DIS_FUNCS:
        q = f"dis -l {f}"
        a, b = without_names(ours[q]), without_names(theirs[q])
        assert a.count(": ") > 1, f"{q}: no source lines\n{ours[q]}"
        assert a == b, f"{q} differs from crash"

    compared = 0
    for f in SYM_FUNCS:
        q = f"sym {f}"
        if not theirs[q]:
            continue
        mine, ref = ours[q].strip(), theirs[q].strip()
        assert mine == ref, f"{q}: ours {mine!r}, crash {ref!r}"
        compared += 1
    assert compared >= len(SYM_FUNCS) - 2

    shared = 0
    for q in BT:
        mine, ref = frame_lines(ours[q]), frame_lines(theirs[q])
        for pc, line in mine.items():
            if pc in ref:
                assert line == ref[pc], f"{q} at {pc}"
                shared += 1
    assert shared >= 5, "too few frames in common with crash's bt -l"


def readelf_rows(vmlinux, addrs):
    """{address: [(file's base name, line, is_stmt)...]}: the rows binutils'
    readelf decodes from .debug_line at each of addrs, in table order."""
    want = {f"0x{a:016x}": a for a in addrs}
    rows = {}
    p = subprocess.Popen(["readelf", "-wL", str(vmlinux)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True)
    for line in p.stdout:
        f = line.split()
        if len(f) >= 3 and f[2] in want:
            rows.setdefault(want[f[2]], []).append(
                (f[0], int(f[1]), f[-1] == "x"))
    p.wait()
    return rows


def gdb_pick(rows):
    """gdb's choice among the rows at one address: the last statement,
    else the last row (checked against crash on x86_64 above)."""
    stmts = [r for r in rows if r[2]]
    return (stmts or rows)[-1][:2]


@pytest.mark.skipif(not shutil.which("readelf"), reason="no readelf")
@pytest.mark.parametrize("info", **params(ARM))
def test_arm64_lines_match_readelf(info, kdumpkit_bin):
    vmlinux = refbatch.vmlinux(info)
    names = [f for f in SYM_FUNCS if f not in ("jiffies", "init_task")]
    runtime = {}
    for line in refbatch.ours(kdumpkit_bin, info, [f"sym {n}" for n in names],
                              with_vmlinux=True)[0].values():
        f = (line or "").split()
        if len(f) >= 3:
            runtime[f[2]] = int(f[0], 16)
    assert len(runtime) >= 15, "arm64 lacks the functions asked"
    kaslr = None
    nm = subprocess.run(["nm", str(vmlinux)], capture_output=True,
                        text=True, check=True).stdout
    for line in nm.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] == "schedule" and "schedule" in runtime:
            kaslr = runtime["schedule"] - int(f[0], 16)
    assert kaslr is not None
    # +8: past the two NOPs ftrace patches in front of each function
    # (-fpatchable-function-entry), which no unit's address ranges cover
    link = {n: a - kaslr + 8 for n, a in runtime.items()}
    rows = refbatch.cached(
        DERIVED, info, "readelf-rows.json",
        lambda: {str(a): r for a, r in
                 readelf_rows(vmlinux, link.values()).items()},
        extra=",".join(sorted(link)))
    queries = [f"sym {a + kaslr:x}" for a in link.values()] + ["sym init_task"]
    ours, r = refbatch.ours(kdumpkit_bin, info, queries, with_vmlinux=True)
    assert r.returncode == 0, r.stderr
    compared = 0
    for name, a in link.items():
        m = WITH_LINE.search(ours[f"sym {a + kaslr:x}"].strip())
        if str(a) not in rows:
            continue                # no row starts here: in force from above
        base, line = gdb_pick(rows[str(a)])
        assert m, f"sym {name}+8: no line, the table has {base}:{line}"
        assert (Path(m.group(1)).name, int(m.group(2))) == (base, line), name
        compared += 1
    assert compared >= 10
    # data symbols carry no line, as crash prints them
    assert not WITH_LINE.search(ours["sym init_task"].strip())


@pytest.mark.parametrize("info", **params(X86[:1] + ARM))
def test_lines_need_a_vmlinux(info, kdumpkit_bin):
    ours, r = refbatch.ours(kdumpkit_bin, info,
                            ["dis -l schedule", "bt -l", "sym schedule"])
    assert ours["dis -l schedule"] in (None, "")
    assert "needs the vmlinux's line table" in r.stderr
    assert re.search(r"#\s*0 \[", ours["bt -l"])
    assert not re.search(r"^    \S+\.[chS]: \d+$", ours["bt -l"], re.M)
    assert not WITH_LINE.search(ours["sym schedule"].strip())
