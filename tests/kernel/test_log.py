"""The kernel log (src/kernel/printk.c, src/cmd/log.c) on the lab's dumps.

    /usr/bin/python3 -m pytest tests/kernel              (build/ by default)
    KDUMPKIT_BIN=build-asan/kdumpkit /usr/bin/python3 -m pytest tests/kernel

For every run of the lab (~/.cache/kdumpkit/lab/*/*/manifest.json; runs
without a manifest are being captured and are skipped):
  - kdump runs: `log` on the capture's vmcore is line for line the dmesg.txt
    that makedumpfile --dump-dmesg saved in the capture kernel;
  - every dump crash 8.0.2 read (ref/<fmt>/crash/status.json names it):
    `log` is line for line crash's log.txt;
  - QEMU runs: the log holds the panic or oops line the console showed;
  - `info --dmesg` prints what `log` prints; -t, -m, -d, -c, -T and --json
    keep to crash's layout; -a, -s and -R are refused with a reason.
The ring decoding itself is unit-tested in tests/unit/test-printk.c.
"""
import json
import os
import re
from pathlib import Path

import pytest

import lab

LAB = Path(os.environ.get("KDUMPKIT_LAB_CACHE",
                          Path.home() / ".cache" / "kdumpkit" / "lab"))
DUMP_NAMES = ("vmcore", "vmcore.elf", "vmcore.flat")
PREFIX = re.compile(r"^\[ *\d+\.\d{6}\] ")
INDENT = " " * len("[    0.000000] ")


def lab_runs():
    runs = []
    for mf in sorted(LAB.glob("*/*/manifest.json")):
        try:
            m = json.loads(mf.read_text())
        except (OSError, ValueError):
            continue            # being written
        runs.append((m, mf.parent))
    return runs


RUNS = lab_runs()
if not RUNS:
    pytestmark = pytest.mark.skip("no lab dumps: run tests/lab/lab.py ensure")


def run_id(run):
    m, rdir = run
    return f"{m['release']}/{rdir.name}"


def dumps_of(rdir):
    return [rdir / n for n in DUMP_NAMES if (rdir / n).is_file()]


ALL_DUMPS = [pytest.param(d, id=f"{run_id(r)}/{d.name}")
             for r in RUNS for d in dumps_of(r[1])]
KDUMP_RUNS = [pytest.param(r, id=run_id(r)) for r in RUNS
              if (r[1] / "dmesg.txt").is_file() and (r[1] / "vmcore").is_file()]
QEMU_RUNS = [pytest.param(r, id=run_id(r)) for r in RUNS
             if r[0].get("method") == "qemu" and dumps_of(r[1])]


def crash_refs():
    """(dump, crash's log.txt) for every dump crash read with success."""
    refs = []
    for m, rdir in RUNS:
        for status in sorted(rdir.glob("ref/*/crash/status.json")):
            log = status.parent / "log.txt"
            try:
                st = json.loads(status.read_text())
            except (OSError, ValueError):
                continue
            dump = Path(st["cmd"][-3]) if len(st.get("cmd", [])) >= 3 else None
            if st.get("rc") != 0 or not log.is_file() or not dump or \
                    not dump.is_file() or dump.parent != rdir:
                continue
            refs.append(pytest.param(dump, log, id=f"{run_id((m, rdir))}/"
                                     f"{status.parent.parent.name}"))
    return refs


CRASH_REFS = crash_refs()


def run_stamp(dump):
    """The run's manifest's mtime: it changes (or goes) when the lab
    captures the run again under a test's feet."""
    try:
        return (Path(dump).parent / "manifest.json").stat().st_mtime_ns
    except OSError:
        return None


@pytest.fixture
def log(kdumpkit):
    def run(dump, *cmd, json_out=False, ok=True):
        args = [dump, "-c", " ".join(cmd) if cmd else "log"]
        if json_out:
            args.append("--json")
        stamp = run_stamp(dump)
        p = kdumpkit(*args)
        if stamp is None or run_stamp(dump) != stamp:
            pytest.skip(f"{dump}: the run is being captured again")
        if ok:
            assert p.returncode == 0 and not p.stderr, p.stderr
        return p
    return run


def first_diff(got, want):
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            return f"line {i + 1}: got {g!r}, want {w!r}"
    return f"{len(got)} lines, want {len(want)}"


@pytest.mark.parametrize("run", KDUMP_RUNS)
def test_log_is_makedumpfile_dmesg(log, run):
    _, rdir = run
    want = (rdir / "dmesg.txt").read_text(errors="surrogateescape").splitlines()
    got = log(rdir / "vmcore").stdout.splitlines()
    assert got == want, first_diff(got, want)


@pytest.mark.parametrize("dump,ref", CRASH_REFS)
def test_log_is_crash_log(log, dump, ref):
    want = ref.read_text(errors="surrogateescape").splitlines()
    got = log(dump).stdout.splitlines()
    assert got == want, first_diff(got, want)


@pytest.mark.parametrize("run", QEMU_RUNS)
def test_log_has_death_line(log, run):
    _, rdir = run
    try:
        facts = lab.load_manifest(rdir)["facts"]
    except (OSError, ValueError):
        pytest.skip("the run is being captured again")
    words = [facts[k] for k in ("panic_message", "oops_message") if k in facts]
    if not words:
        pytest.skip("the console showed neither a panic nor an oops line")
    for dump in dumps_of(rdir):
        text = log(dump).stdout
        for w in words:
            assert w in text, f"{dump.name}: {w!r} not in the log"


@pytest.mark.parametrize("dump", ALL_DUMPS)
def test_log_reads_every_dump(log, dump):
    lines = log(dump).stdout.splitlines()
    assert lines and lines[0].startswith("[    0.000000] ")
    assert all(PREFIX.match(x) or x.startswith(INDENT) or x == ""
               for x in lines)


def one_dump_per_arch():
    seen, out = set(), []
    for m, rdir in RUNS:
        if m["arch"] in seen or not dumps_of(rdir):
            continue
        seen.add(m["arch"])
        out.append(pytest.param(dumps_of(rdir)[0], id=m["arch"]))
    return out


ONE_PER_ARCH = one_dump_per_arch()


@pytest.mark.parametrize("dump", ONE_PER_ARCH)
def test_info_dmesg_is_log(kdumpkit, log, dump):
    stamp = run_stamp(dump)
    p = kdumpkit("info", "--dmesg", dump)
    want = log(dump).stdout
    if stamp is None or run_stamp(dump) != stamp:
        pytest.skip(f"{dump}: the run is being captured again")
    assert p.returncode == 0, p.stderr
    assert p.stdout == want


@pytest.mark.parametrize("dump", ONE_PER_ARCH)
def test_log_flags_layout(log, dump):
    full = log(dump).stdout.splitlines()
    # -t: the same text, without timestamps nor the indentation under them
    notime = log(dump, "log -t").stdout.splitlines()
    assert notime == [PREFIX.sub("", x) if PREFIX.match(x) else
                      x[len(INDENT):] for x in full]
    # -m: "<N>" after the timestamp, a hexadecimal level 0-7
    levels = log(dump, "log -m").stdout.splitlines()
    assert len(levels) == len(full)
    for a, b in zip(full, levels):
        m = PREFIX.match(a)
        if m:
            assert re.fullmatch(re.escape(m.group(0)) + r"<[0-7]>" +
                                re.escape(a[m.end():]), b), (a, b)
    # -c: "[ T123] " or "[   C1] " after the timestamp
    callers = log(dump, "log -c").stdout.splitlines()
    assert all(re.match(r"\[ *\d+\.\d{6}\] \[ *[TC]\d+\] ", x)
               for x in callers if PREFIX.match(x))
    # -d: dictionary lines only add to the log
    dict_lines = log(dump, "log -td").stdout.splitlines()
    extra = [x for x in dict_lines if re.match(r"(SUBSYSTEM|DEVICE)=", x)]
    assert len(dict_lines) == len(notime) + len(extra)


@pytest.mark.parametrize("dump", ONE_PER_ARCH)
def test_log_json(log, dump):
    records = json.loads(log(dump, json_out=True).stdout)
    text = log(dump).stdout.splitlines()
    assert len(records) == sum(1 for x in text if PREFIX.match(x) or x == "")
    seqs = [r["seq"] for r in records]
    assert seqs == sorted(seqs)
    last = records[-1]
    assert text[-1].endswith(last["text"].splitlines()[-1])
    assert {"seq", "ts_nsec", "level", "facility", "text"} <= set(last)


def test_log_wall_clock(log):
    """-T: CRASHTIME less the newest timestamp; kdump runs have CRASHTIME."""
    runs = [r for r in RUNS if (r[1] / "vmcore").is_file() and
            r[0].get("method") == "kdump"]
    if not runs:
        pytest.skip("no kdump run")
    dump = runs[0][1] / "vmcore"
    lines = log(dump, "log -T").stdout.splitlines()
    date = r"\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \S+ \d{4}\] "
    assert all(re.match(date, x) for x in lines if x.startswith("["))


@pytest.mark.parametrize("flag,words", [
    ("-s", "printk_safe"), ("-R", "Rust"),
])
def test_log_refused_flags(log, flag, words):
    if not ALL_DUMPS:
        pytest.skip("no dump")
    dump = ALL_DUMPS[0].values[0]
    p = log(dump, "log", flag, ok=False)
    assert p.stdout == ""
    assert p.stderr.startswith(f"kdumpkit: log: {flag}: ") and words in p.stderr
