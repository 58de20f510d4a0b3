"""kdumpkit status and estimate on fake machines (fakeroot.py): each check
reads the file it names, says OK or WARN with the fix, and the estimate adds
up the numbers those files hold."""
import gzip
import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fakeroot  # noqa: E402


def checks(kdumpkit, root):
    r = kdumpkit("status", "--json", "--root", root)
    assert r.returncode in (0, 1), r.stderr
    return r.returncode, {c["name"]: c for c in json.loads(r.stdout)["checks"]}


def test_ready_machine(kdumpkit, tmp_path):
    root = fakeroot.make(tmp_path)
    rc, c = checks(kdumpkit, root)
    assert rc == 0
    assert all(x["status"] == "OK" and x["fix"] is None for x in c.values())
    # the reservation is /proc/iomem's "Crash kernel" 2e000000-3dffffff
    assert c["reservation"]["detail"] == "256 MiB reserved at 0x2e000000"
    assert c["hung_task_timeout"]["detail"].startswith("120:")
    assert "keep 3" in c["config"]["detail"]
    text = kdumpkit("status", "--root", root)
    assert text.returncode == 0
    assert [ln.split()[0] for ln in text.stdout.splitlines()] == ["OK"] * len(c)


def test_unready_machine_says_what_to_do(kdumpkit, tmp_path):
    root = fakeroot.make(tmp_path, {
        "sys/kernel/kexec_crash_size": "0\n",
        "proc/iomem": fakeroot.IOMEM.replace("Crash kernel", "Reserved"),
        "sys/kernel/kexec_crash_loaded": "0\n",
        "proc/sys/kernel/panic_on_oops": "0\n",
        "proc/sys/kernel/hung_task_timeout_secs": "0\n",
        "proc/sys/vm/panic_on_oom": None,
        "etc/kdumpkit.conf": "path = /var/crash\nlevel = 31\n"})
    rc, c = checks(kdumpkit, root)
    assert rc == 1
    warn = {n for n, x in c.items() if x["status"] == "WARN"}
    assert warn == {"reservation", "loaded", "panic_on_oops", "hung_task_timeout",
                    "config"}
    assert "crashkernel=" in c["reservation"]["fix"]
    assert c["loaded"]["fix"] == "kdumpkit load"
    assert c["panic_on_oops"]["fix"].startswith("sysctl -w kernel.panic_on_oops=1")
    assert c["hung_task_timeout"]["fix"].startswith(
        "sysctl -w kernel.hung_task_timeout_secs=120")
    assert "absent" in c["panic_on_oom"]["detail"]   # a kernel without it: OK
    assert ":2: level: unknown key" in c["config"]["detail"]
    text = kdumpkit("status", "--root", root).stdout
    assert re.search(r"^WARN\s+loaded\s+.*\n\s+fix: kdumpkit load$", text, re.M)


def test_target_missing_or_small(kdumpkit, tmp_path):
    root = fakeroot.make(tmp_path, {"etc/kdumpkit.conf": "path = /nowhere\n"})
    _, c = checks(kdumpkit, root)
    assert c["target"]["status"] == "WARN"
    assert c["target"]["fix"].startswith("mkdir -p /nowhere")
    # a machine with more memory than the target could hold an eighth of
    big = fakeroot.make(tmp_path / "big",
                        {"proc/meminfo": "MemTotal: 17179869184 kB\n"})
    _, c = checks(kdumpkit, big)
    assert c["target"]["status"] == "WARN" and "may not fit" in c["target"]["detail"]


def test_bad_arguments(kdumpkit):
    r = kdumpkit("status", "--bogus")
    assert r.returncode == 2
    assert r.stderr.splitlines()[0] == "kdumpkit: status: unknown argument '--bogus'"


def test_estimate_adds_up_what_the_machine_holds(kdumpkit, tmp_path):
    root = fakeroot.make(tmp_path)
    initrd = tmp_path / "capture.img"
    payload = bytes(range(256)) * 40000      # 10,240,000 bytes unpacked
    initrd.write_bytes(gzip.compress(payload))
    r = kdumpkit("estimate", "--json", "--root", root, "--initrd", initrd)
    assert r.returncode == 0, r.stderr
    e = json.loads(r.stdout)
    items = {i["name"]: i["bytes"] for i in e["items"]}

    def span(lo, hi):
        return hi - lo + 1
    kernel = (span(0x12000000, 0x12e01fff) + span(0x13000000, 0x1372cfff) +
              span(0x13800000, 0x13b5a5ff) + span(0x13fd0000, 0x143fffff))
    assert items["kernel"] == kernel
    assert items["initramfs"] == initrd.stat().st_size + len(payload)
    assert items["modules"] == 20480 + 24576 + 1011712
    assert items["per-CPU"] == 512 * 1024 // 4          # cpu/online 0-3
    assert items["makedump"] == 1012500 * 1024 // 4096 // 4 + (8 << 20)
    assert items["runtime"] == 64 << 20
    total = sum(items.values())
    assert e["sum_bytes"] == total and e["margin_bytes"] == total // 4
    step = 16 << 20
    assert e["crashkernel_bytes"] == -(-(total + total // 4) // step) * step
    text = kdumpkit("estimate", "--root", root, "--initrd", initrd).stdout
    assert text.splitlines()[0] == f"crashkernel={e['crashkernel_bytes'] >> 20}M"


def test_estimate_without_an_initramfs_says_so(kdumpkit, tmp_path):
    root = fakeroot.make(tmp_path)
    r = kdumpkit("estimate", "--root", root, "--initrd", tmp_path / "none.img")
    assert r.returncode == 0
    assert re.search(r"initramfs\s+32\.0 MiB\s+32 MiB assumed: no .*none.img yet", r.stdout)


@pytest.mark.parametrize("args", [["--json", "x"], ["--root"]])
def test_estimate_bad_arguments(kdumpkit, args):
    r = kdumpkit("estimate", *args)
    assert r.returncode == 2 and "estimate: unexpected" in r.stderr


def test_target_device(kdumpkit, tmp_path):
    """device = LABEL=...: the capture initramfs mounts it, so it must be
    there now; its free space counts only where it is mounted on path."""
    conf = "path = /var/crash\ndevice = LABEL=dumps\n"
    root = fakeroot.make(tmp_path / "a", {"etc/kdumpkit.conf": conf,
                                          "dev/disk/by-label/dumps": ""})
    rc, c = checks(kdumpkit, root)
    assert rc == 0
    assert c["device"]["detail"].startswith("LABEL=dumps (/dev/disk/by-label/dumps) is there")
    assert "not mounted now" in c["target"]["detail"]
    mounted = fakeroot.make(tmp_path / "b", {
        "etc/kdumpkit.conf": conf, "dev/disk/by-label/dumps": "",
        "proc/mounts": "/dev/vdb /var/crash ext4 rw 0 0\n"})
    _, c = checks(kdumpkit, mounted)
    assert re.match(r"/var/crash: \d+ MiB free", c["target"]["detail"])
    gone = fakeroot.make(tmp_path / "c", {"etc/kdumpkit.conf": conf})
    rc, c = checks(kdumpkit, gone)
    assert rc == 1 and c["device"]["status"] == "WARN" and "target" not in c
    assert "no such device now" in c["device"]["detail"]
