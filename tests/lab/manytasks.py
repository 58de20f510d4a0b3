#!/usr/bin/python3
"""A dump of the lab's x86_64 kernel with thousands of tasks, for the
benchmarks of ps and foreach bt (issue: >= 2,000 tasks).

    manytasks.py [N]     print the dump's folder, making it if missing

The guest boots the lab's kernel and initramfs as they are (no run's key
changes) with a small cpio appended whose /many.sh runs instead of /init:
it starts N sleeping processes (busybox `sleep`, each with a user stack
and a kernel stack in hrtimer_nanosleep), writes "MANY-READY" with the
count of /proc's PIDs, and crashes the kernel with sysrq c. QEMU's dump-guest-memory saves the
memory as ELF, which kdumpkit makedump turns into a kdump-compressed
vmcore (-c -d 31), the format crash and drgn both read. The folder is
~/.cache/kdumpkit/derived/manytasks/<key>/ with vmcore, console.log and
manifest.json; the key is the lab guest's inputs and this script.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CACHE, locked  # noqa: E402
from guest import guest_inputs_hash  # noqa: E402
from kernels import KERNELS, vmlinuz_path, vmlinux_path  # noqa: E402
from qemu import Guest  # noqa: E402

ARCH = "x86_64"
TIMEOUT = 900
DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "manytasks"
REPO = Path(__file__).resolve().parents[2]


def script(n):
    return "\n".join([
        "#!/bin/sh",
        "export PATH=/bin:/sbin:/usr/bin:/usr/sbin",
        "mount -t proc proc /proc",
        "mount -t sysfs sys /sys",
        "mount -t devtmpfs dev /dev",
        "dmesg -n 1",
        "hostname lab-manytasks",
        "i=0",
        f"while [ $i -lt {n} ]; do",
        "  sleep 100000 &",
        "  i=$((i + 1))",
        "  [ $((i % 500)) = 0 ] && echo \"MANY-STARTED $i\"",
        "done",
        "echo \"MANY-READY $(ls -d /proc/[0-9]* | wc -l) tasks\"",
        "echo c > /proc/sysrq-trigger",
        "sleep 1000",
    ]) + "\n"


def base_initramfs():
    p = (CACHE / "build" / KERNELS[ARCH]["release"] /
         f"initrd-{guest_inputs_hash(ARCH)}.img")
    return p if p.exists() else None


def key(n):
    h = hashlib.sha256()
    h.update(guest_inputs_hash(ARCH).encode())
    h.update(script(n).encode())
    return h.hexdigest()[:16]


def make(n, out):
    with locked(out.parent / f".{out.name}.lock"):
        if not (out / "manifest.json").is_file():   # or the run we waited for made it
            _make(n, out)


def _make(n, out):
    base = base_initramfs()
    if not base or not vmlinuz_path(ARCH).exists():
        raise SystemExit("manytasks.py: no lab kernel or initramfs "
                         "(tests/lab/lab.py ensure --arch x86_64)")
    with tempfile.TemporaryDirectory(prefix="kdk-many-") as tmp:
        work = Path(tmp)
        root = work / "root"
        root.mkdir()
        (root / "many.sh").write_text(script(n))
        (root / "many.sh").chmod(0o755)
        extra = work / "many.cpio.gz"
        subprocess.run(f"cd '{root}' && find . | cpio -o -H newc --quiet | "
                       f"gzip -1 > '{extra}'", shell=True, check=True)
        initrd = work / "initrd.img"
        initrd.write_bytes(base.read_bytes() + extra.read_bytes())
        g = Guest(ARCH, work, vmlinuz_path(ARCH), initrd,
                  "rdinit=/many.sh panic=0 pid_max=65536", mem="2G", smp=2)
        try:
            if not g.wait_for("---[ end Kernel panic", TIMEOUT):
                text = g.text()
                raise SystemExit("manytasks.py: no panic; console:\n" +
                                 text[:3000] + "\n...\n" + text[-2000:])
            t_panic = g.elapsed()
            time.sleep(1)
            q = g.qmp()
            q.cmd("dump-guest-memory", paging=False,
                  protocol=f"file:{work}/vmcore.elf")
            q.close()
        finally:
            g.kill()
        console = g.text()
        tmp_out = out.with_name(out.name + ".tmp")
        shutil.rmtree(tmp_out, ignore_errors=True)
        tmp_out.mkdir(parents=True)
        kdk = os.environ.get("KDUMPKIT_BIN", REPO / "build" / "kdumpkit")
        subprocess.run([str(kdk), "makedump", "-c", "-d", "31",
                        "--message-level", "0", str(work / "vmcore.elf"),
                        str(tmp_out / "vmcore")], check=True)
        (tmp_out / "console.log").write_text(console)
        ready = [line for line in console.splitlines() if "MANY-READY" in line]
        (tmp_out / "manifest.json").write_text(json.dumps({
            "tasks_started": n, "ready": ready[-1] if ready else None,
            "boot_to_panic_s": round(t_panic, 1),
            "vmlinux": str(vmlinux_path(ARCH)),
            "release": KERNELS[ARCH]["release"]}, indent=1))
        tmp_out.rename(out)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    out = DERIVED / key(n)
    if not (out / "manifest.json").is_file():
        make(n, out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
