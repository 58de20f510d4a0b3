#!/usr/bin/python3
"""kdumpkit on a running kernel: the lab's x86_64 guest reads its own /proc/kcore.

    live.py [KDUMPKIT_BIN]      boot once, print the guest's report as JSON

The guest boots the lab's kernel with the lab's initramfs as it is (so no
run's cache key changes) and a second cpio archive appended to it (the
kernel unpacks concatenated archives in order): kdumpkit, the shared
libraries it loads, and /live.sh, which runs instead of /init
(rdinit=/live.sh). The script prints what the guest itself knows (uname,
/proc/version, /proc/kallsyms, /proc/iomem, the clock) and what kdumpkit
makes of /proc/kcore, as root, as an unprivileged user and under lockdown,
each between "LIVE-BEGIN name" and "LIVE-END name rc=N" lines on the serial
console, then powers off. Nothing is cached: the binary changes with every
build. Only x86_64: the arm64 guest would need an arm64 build of kdumpkit.
"""
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CACHE  # noqa: E402
from guest import _libs_of, guest_inputs_hash  # noqa: E402
from kernels import KERNELS, vmlinuz_path  # noqa: E402
from qemu import QEMU, Guest  # noqa: E402

ARCH = "x86_64"
BOOT_TIMEOUT = 600      # seconds for the whole boot under TCG
HOSTNAME = "kcore-live"
PANIC_TIMEOUT = 37      # kernel.panic, a value kdumpkit must read back
# an unprivileged user for su (busybox's setpriv cannot change uids)
PASSWD = "root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"

# (section, command) run in this order; kdumpkit is /bin/kdumpkit in the guest.
SECTIONS = [
    ("uname", "uname -r"),
    ("version", "cat /proc/version"),
    ("kallsyms", "grep -E ' (jiffies|init_task|linux_banner|panic_timeout)$' "
                 "/proc/kallsyms"),
    ("iomem", "cat /proc/iomem"),
    ("nproc", "nproc"),
    ("clock", "date +%s; cat /proc/uptime"),
    ("session", 'kdumpkit /proc/kcore -c "sys; sym jiffies; rd -s init_task 4; '
                'log | tail -3; vtop linux_banner"'),
    ("sys", "kdumpkit /proc/kcore -c sys"),
    ("sys_json", "kdumpkit /proc/kcore --json -c sys"),
    ("sym", 'kdumpkit /proc/kcore -c "sym jiffies; sym init_task; sym linux_banner; '
            'sym panic_timeout"'),
    ("banner", "kdumpkit /proc/kcore -c 'rd -a linux_banner'"),
    ("panic_timeout", "kdumpkit /proc/kcore -c 'rd -32 panic_timeout'"),
    ("vtop", "kdumpkit /proc/kcore -c 'vtop linux_banner'"),
    ("log", "kdumpkit /proc/kcore -c log"),
    ("info_json", "kdumpkit info --json /proc/kcore"),
    ("info", "kdumpkit info /proc/kcore"),
    ("dmesg", "kdumpkit info --dmesg /proc/kcore"),
    ("nonroot", "id -u nobody && su -s /bin/sh nobody -c 'kdumpkit /proc/kcore -c sys'"),
    # last: lockdown can be raised, never lowered
    ("lockdown", "echo confidentiality > /sys/kernel/security/lockdown && "
                 "cat /sys/kernel/security/lockdown && kdumpkit /proc/kcore -c sys"),
]


def script():
    """/live.sh: facts from the guest, then kdumpkit, each section marked."""
    lines = [
        "#!/bin/sh",
        "export PATH=/bin:/sbin:/usr/bin:/usr/sbin",
        "mount -t proc proc /proc",
        "mount -t sysfs sys /sys",
        "mount -t devtmpfs dev /dev",
        "mount -t securityfs none /sys/kernel/security",
        "mkdir -p /tmp && mount -t tmpfs tmp /tmp",
        "dmesg -n 1",  # keep printk off the console: our lines stay whole
        f"hostname {HOSTNAME}",
        f"sysctl -q -w kernel.panic={PANIC_TIMEOUT} kernel.kptr_restrict=0",
        # a line of this boot's log that kdumpkit's `log` must show
        'marker="kdumpkit-live-$(cat /proc/sys/kernel/random/uuid)"',
        'echo "$marker" > /dev/kmsg',
        'echo "LIVE-MARKER $marker"',
    ]
    for name, cmd in SECTIONS:
        lines += [
            f'echo "LIVE-BEGIN {name}"',
            "t0=$(cut -d' ' -f1 /proc/uptime)",
            f"( {cmd} ) 2>&1",
            "rc=$?",
            f'echo "LIVE-END {name} rc=$rc t0=$t0 t1=$(cut -d\' \' -f1 /proc/uptime)"',
        ]
    lines += ['echo "LIVE-DONE"', "sync", "poweroff -f", "sleep 1000"]
    return "\n".join(lines) + "\n"


def base_initramfs():
    """The lab's x86_64 initramfs as the lab last built it; None if absent."""
    p = (CACHE / "build" / KERNELS[ARCH]["release"] /
         f"initrd-{guest_inputs_hash(ARCH)}.img")
    return p if p.exists() else None


def _copy_binary(binary, root):
    """binary as /bin/kdumpkit, and every library it loads at its own path."""
    dst = root / "bin" / "kdumpkit"
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(binary, dst)
    for lib in _libs_of(str(binary)):
        ldst = root / lib.lstrip("/")
        ldst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(lib).resolve(), ldst)


def make_initrd(binary, base, work):
    """The lab's initramfs with our cpio appended; its path."""
    root = work / "live-root"
    root.mkdir()
    _copy_binary(binary, root)
    (root / "live.sh").write_text(script())
    (root / "live.sh").chmod(0o755)
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text(PASSWD)
    (root / "etc" / "group").write_text(GROUP)
    extra = work / "live.cpio.gz"
    subprocess.run(f"cd '{root}' && find . | cpio -o -H newc --quiet | gzip -1 > '{extra}'",
                   shell=True, check=True)
    out = work / "initrd-live.img"
    with open(out, "wb") as f:
        f.write(base.read_bytes())
        f.write(extra.read_bytes())
    return out


def parse(console):
    """{section: {"out": text, "rc": int, "secs": float}} plus the marker."""
    text = console.replace("\r\n", "\n")
    found = {}
    for m in re.finditer(r"^LIVE-BEGIN (\w+)\n(.*?)^LIVE-END \1 rc=(\d+) "
                         r"t0=([\d.]+) t1=([\d.]+)$", text, re.M | re.S):
        found[m.group(1)] = {"out": m.group(2), "rc": int(m.group(3)),
                             "secs": round(float(m.group(5)) - float(m.group(4)), 2)}
    marker = re.search(r"^LIVE-MARKER (\S+)$", text, re.M)
    return {"sections": found, "marker": marker.group(1) if marker else None,
            "done": "LIVE-DONE" in text}


def qemu_missing():
    """Why the live test cannot run here, or None."""
    if not shutil.which(QEMU[ARCH][0]):
        return f"{QEMU[ARCH][0]} is not installed"
    if not vmlinuz_path(ARCH).exists():
        return f"no lab kernel at {vmlinuz_path(ARCH)} (tests/lab/lab.py ensure)"
    if not base_initramfs():
        return "no current lab initramfs (tests/lab/lab.py ensure builds it)"
    return None


def boot(binary):
    """Boot the guest once with binary; its parsed report, console and times."""
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kdk-live-") as tmp:
        work = Path(tmp)
        initrd = make_initrd(Path(binary), base_initramfs(), work)
        g = Guest(ARCH, work, vmlinuz_path(ARCH), initrd,
                  "rdinit=/live.sh panic=-1", mem="1G", smp=2)
        try:
            finished = g.wait_exit(BOOT_TIMEOUT)
        finally:
            g.kill()
        console = g.text()
    report = parse(console)
    report.update(console=console, finished=finished,
                  boot_s=round(time.monotonic() - t0, 1))
    return report


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else str(
        Path(__file__).resolve().parents[2] / "build" / "kdumpkit")
    why = qemu_missing()
    if why:
        print(f"live.py: {why}", file=sys.stderr)
        return 1
    r = boot(binary)
    print(json.dumps({k: v for k, v in r.items() if k != "console"}, indent=1))
    return 0 if r["done"] else 1


if __name__ == "__main__":
    sys.exit(main())
