"""The whole kdump loop with kdumpkit alone (loop.py: the lab's x86_64
kernel, crashkernel=256M, `kdumpkit load`, a crash (sysrq, an oops, a hung
task, a soft lockup: the lab's scenarios), the capture
kernel booting `kdumpkit initramfs`'s image and running `kdumpkit save` to a
virtio disk), checked by what the guest said and by every reader of the
saved dump: crash 8.0.2, makedumpfile --dump-dmesg and kdumpkit, which must
agree on the panic message and the panicking task, which must be the
scenario's. The run and the
oracles' outputs are cached with it (loop.py), so only a change to the
capture sources boots QEMU again.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loop  # noqa: E402
from kernels import vmlinux_path  # noqa: E402
from scenarios import SCENARIOS  # noqa: E402


@pytest.fixture(scope="module", params=loop.LOOP_SCENARIOS)
def run(request, kdumpkit_bin):
    why = loop.why_not()
    if why:
        pytest.skip(f"no loop: {why}")
    d, r = loop.ensure(kdumpkit_bin, request.param)
    t = r["times_s"]
    print(f"\nloop {d.name}: crash at {t.get('Kernel panic - not syncing')} s, "
          f"saved at {t.get('kdumpkit-init: save rc=')} s after QEMU started; "
          f"vmcore {r['sizes'].get('vmcore')} bytes")
    return d, r


def cached(d, name, make):
    """An oracle's output, kept beside the run it read."""
    p = d / name
    if not p.exists():
        p.with_suffix(".tmp").write_text(make())
        p.with_suffix(".tmp").replace(p)
    return p.read_text()


def section(r, name):
    s = r["sections"].get(name)
    assert s is not None, f"guest section {name} missing"
    return s


def test_status_sees_the_reservation_then_the_loaded_kernel(run):
    _d, r = run
    before = section(r, "status_before")
    assert before["rc"] == 1
    assert re.search(r"^OK\s+reservation\s+256 MiB reserved at 0x", before["out"], re.M)
    assert re.search(r"^WARN\s+loaded\s+no capture kernel", before["out"], re.M)
    after = section(r, "status_after")
    st = json.loads(after["out"])
    warn = {c["name"] for c in st["checks"] if c["status"] == "WARN"}
    # the soft-lockup scenario turns hung_task_panic off (a kworker stuck
    # behind the busy CPU must not panic first): status must say so
    off = {k.split(".")[1] for k, v in SCENARIOS[r["scenario"]].get("sysctl", {}).items()
           if k.endswith("_panic") and v == 0}
    assert warn == off
    assert st["ready"] is (not off) and after["rc"] == (1 if off else 0)
    assert {c["name"]: c["status"] for c in st["checks"]}["loaded"] == "OK"


def test_load_gives_the_capture_kernel_a_clean_command_line(run):
    d, r = run
    load = section(r, "load")
    assert load["rc"] == 0, load["out"]
    cmdline = re.search(r"^cmdline (.*)$", load["out"], re.M).group(1).strip()
    assert "crashkernel=" not in cmdline and "rdinit=" not in cmdline
    for arg in ("irqpoll", "nr_cpus=1", "reset_devices", "console=ttyS0"):
        assert arg in cmdline.split()
    # what the capture kernel booted with: the kernel prepends elfcorehdr=
    console = (d / "console.log").read_text(errors="replace")
    booted = re.findall(r"Kernel command line: (.*)", console)
    assert re.fullmatch(rf"elfcorehdr=0x[0-9a-f]+ {re.escape(cmdline)}", booted[-1].strip())


def test_estimate_fits_the_reservation_that_worked(run):
    _d, r = run
    est = section(r, "estimate")
    assert est["rc"] == 0
    mib = int(re.match(r"crashkernel=(\d+)M", est["out"]).group(1))
    assert 64 <= mib <= 256     # 256M carried the capture kernel through
    archive = float(re.search(r"capture.img: ([\d.]+) MiB archive", est["out"]).group(1))
    assert abs(archive - r["capture_initramfs_bytes"] / 2**20) < 0.1


def test_save_wrote_log_and_whole_dump(run, kdumpkit):
    d, r = run
    assert r["save_rc"] == 0
    assert len(r["dirs"]) == 1 and re.fullmatch(r"\d{8}-\d{6}", r["dirs"][0])
    assert r["files"] == ["dmesg.txt", "vmcore"]     # no vmcore.incomplete
    info = json.loads(kdumpkit("info", "--json", d / "vmcore").stdout)
    assert info["format"] == "kdump-compressed" and info["dump_level"] == 31
    assert info["compression"] == "zlib"
    assert info["header"]["incomplete"] is False
    assert info["header"]["node"] == "kdk-loop"
    assert info["pages"]["missing"] == 0


def panic_of(sys_text):
    """The quoted message of a sys output's PANIC field (crash 8.0.2 may put
    log lines before it: see the report)."""
    block = sys_text[sys_text.index("PANIC:"):]
    block = block[:block.index("\nPID:")] if "\nPID:" in block else block
    return re.findall(r'"([^"\n]+)"', block)[-1]


def test_crash_makedumpfile_and_kdumpkit_agree_on_the_panic(run, kdumpkit):
    d, r = run
    want = SCENARIOS[r["scenario"]]
    vmcore = d / "vmcore"

    def crash():
        cmds = d / "crash-cmds.txt"
        cmds.write_text("sys\nbt\nq\n")
        return subprocess.run(["crash", "-s", str(vmlinux_path("x86_64")), str(vmcore),
                               "-i", str(cmds)], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=600).stdout

    def mdf():
        out = d / "makedumpfile-dmesg.out"
        subprocess.run(["makedumpfile", "--dump-dmesg", str(vmcore), str(out)],
                       capture_output=True, check=True, timeout=300)
        text = out.read_text(errors="replace")
        out.unlink()
        return text

    task = re.compile(r'^PID: (\d+)\s+TASK: ([0-9a-f]+)\s+CPU: (\d+)\s+'
                      r'COMMAND: "([^"]+)"$', re.M)
    c = cached(d, "crash.txt", crash)
    ours = kdumpkit(vmcore, "-c", "sys; bt")
    assert ours.returncode == 0, ours.stderr
    m = cached(d, "makedumpfile-dmesg.txt", mdf)
    log = [re.sub(r"^\[[\s\d.]+\] ", "", ln) for ln in m.splitlines()]
    panic = panic_of(ours.stdout)
    if "oops" in want:
        # kdumpkit quotes the oops' first line (the cause), crash 8.0.2 its
        # "Oops: 0000 [#1] ..." line: both are the log's own lines
        first = next(ln for ln in log if any(ln.startswith(o) for o in want["oops"]))
        assert panic == first
        assert panic_of(c) == next(ln for ln in log if ln.startswith("Oops: "))
    else:
        assert panic == panic_of(c)
        assert panic.startswith("Kernel panic - not syncing: " + want["panic"]), panic
        assert panic in log
    ct, kt = task.search(c), task.search(ours.stdout)
    assert ct and kt, c[-2000:]
    assert kt.groups() == ct.groups()
    assert kt.group(4) == want["comm"]
    if r["crasher_pid"]:
        assert int(kt.group(1)) == r["crasher_pid"]
    for fn in want["stack"]:
        assert fn in ours.stdout and fn in c, fn
    if "oops" not in want:   # an oops goes to the capture kernel before panic()
        assert "Kernel panic - not syncing: " + want["panic"] in m
    # the log kdumpkit saved first is the log makedumpfile reads in the dump
    assert (d / "dmesg.txt").read_text(errors="replace") == m


def test_capture_console_says_what_happened(run):
    d, r = run
    console = (d / "console.log").read_text(errors="replace")
    assert "kdumpkit-init: save rc=0, then poweroff" in console
    assert re.search(r"kdumpkit: save: saved /var/crash/\d{8}-\d{6}/vmcore "
                     r"\([\d.]+ MiB, dump level 31\) and dmesg.txt", console)
    assert "LOOP: still alive" not in console
    assert "LOOP: crashing" in console
    # the guest never ran the reference tools
    assert "makedumpfile" not in console and "kexec -p" not in console


def test_makedumpfile_finds_nothing_more_to_leave_out(run, kdumpkit, tmp_path):
    """makedumpfile -d 31 re-filtering the saved dump (it reads
    kdump-compressed input) keeps every page kdumpkit save kept: the
    capture filtered at least as much as the reference would have."""
    d, _r = run

    def refilter():
        out = tmp_path / "refiltered"
        subprocess.run(["makedumpfile", "-c", "-d", "31", str(d / "vmcore"), str(out)],
                       capture_output=True, check=True, timeout=300)
        return json.dumps(json.loads(kdumpkit("info", "--json", out).stdout)["pages"])

    theirs = json.loads(cached(d, "makedumpfile-refiltered-pages.json", refilter))
    ours = json.loads(kdumpkit("info", "--json", d / "vmcore").stdout)["pages"]
    assert theirs["present"] == ours["present"]
    assert theirs["excluded"] == ours["excluded"]


@pytest.fixture(scope="module")
def small(kdumpkit_bin):
    """The sysrq loop onto a target too small for the dump."""
    why = loop.why_not()
    if why:
        pytest.skip(f"no loop: {why}")
    return loop.ensure(kdumpkit_bin, "sysrq", loop.SMALL_DISK)


def test_small_target_keeps_the_log_and_says_so(small, kdumpkit):
    d, r = small
    console = (d / "console.log").read_text(errors="replace")
    assert r["save_rc"] == 1
    assert "vmcore" not in r["files"] and "dmesg.txt" in r["files"]
    assert re.search(r"kdumpkit: save: /var/crash/\d{8}-\d{6}: the kernel log is saved, "
                     r"the dump is NOT saved whole: .*No space left on device", console)
    # failure_action = poweroff: the machine does not hang in the capture kernel
    assert "kdumpkit-init: save rc=1, then poweroff" in console
    log = (d / "dmesg.txt").read_text(errors="replace")
    assert "Kernel panic - not syncing: sysrq triggered crash" in log
    assert f"LOOP: crasher pid {r['crasher_pid']}" in log
    # what fitted of the dump stays under its temporary name, marked
    # incomplete in its header, and still opens
    assert "vmcore.incomplete" in r["files"]
    part = kdumpkit("info", d / "vmcore.incomplete")
    assert "the writer marked the dump incomplete (it ran out of space)" in part.stderr

    def crash():
        r = subprocess.run(["crash", "-s", str(vmlinux_path("x86_64")),
                            str(d / "vmcore.incomplete")], input="q\n",
                           capture_output=True, text=True, timeout=600)
        return r.stdout + r.stderr
    # crash 8.0.2 reads the same flag in the header
    assert "This dumpfile is incomplete." in cached(d, "crash-incomplete.txt", crash)
