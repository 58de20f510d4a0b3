"""The whole kdump loop with kdumpkit alone (loop.py: the lab's x86_64
kernel, crashkernel=256M, `kdumpkit load`, a sysrq crash, the capture
kernel booting `kdumpkit initramfs`'s image and running `kdumpkit save` to a
virtio disk), checked by what the guest said and by every reader of the
saved dump: crash 8.0.2, makedumpfile --dump-dmesg and kdumpkit, which must
agree on the panic message and the panicking task. The run and the
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

PANIC = "Kernel panic - not syncing: sysrq triggered crash"


@pytest.fixture(scope="module")
def run(kdumpkit_bin):
    why = loop.why_not()
    if why:
        pytest.skip(f"no loop: {why}")
    d, r = loop.ensure(kdumpkit_bin)
    t = r["times_s"]
    print(f"\nloop {d.name}: crash at {t.get('LOOP: crashing')} s, saved at "
          f"{t.get('kdumpkit-init: save rc=')} s after QEMU started; "
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
    assert after["rc"] == 0
    st = json.loads(after["out"])
    assert st["ready"] is True
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


def test_crash_makedumpfile_and_kdumpkit_agree_on_the_panic(run, kdumpkit):
    d, r = run
    pid = r["crasher_pid"]
    assert pid
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

    task = re.compile(rf'^PID: {pid}\s+TASK: ([0-9a-f]+)\s+CPU: (\d+)\s+COMMAND: "sh"$', re.M)
    c = cached(d, "crash.txt", crash)
    assert f'"{PANIC}"' in c
    ct = task.search(c)
    assert ct, c[-2000:]
    ours = kdumpkit(vmcore, "-c", "sys; bt")
    assert ours.returncode == 0, ours.stderr
    assert f'PANIC: "{PANIC}"' in ours.stdout
    kt = task.search(ours.stdout)
    assert kt and kt.groups() == ct.groups()
    # both stacks go through sysrq's crash handler
    assert "sysrq_handle_crash" in c and "sysrq_handle_crash" in ours.stdout
    m = cached(d, "makedumpfile-dmesg.txt", mdf)
    assert PANIC in m
    # the log kdumpkit saved first is the log makedumpfile reads in the dump
    assert (d / "dmesg.txt").read_text(errors="replace") == m


def test_capture_console_says_what_happened(run):
    d, r = run
    console = (d / "console.log").read_text(errors="replace")
    assert "kdumpkit-init: save rc=0, then poweroff" in console
    assert re.search(r"kdumpkit: save: saved /var/crash/\d{8}-\d{6}/vmcore "
                     r"\([\d.]+ MiB, dump level 31\) and dmesg.txt", console)
    assert "LOOP: still alive" not in console
    # the guest never ran the reference tools
    assert "makedumpfile" not in console and "kexec -p" not in console
