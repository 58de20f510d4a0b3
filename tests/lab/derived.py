"""Dumps made for the benchmarks, outside the scenario runs: the lab's
x86_64 kernel and initramfs as they are (no run's key changes), with a
small cpio appended whose script runs instead of /init, sets the scene,
and crashes the kernel with sysrq c. QEMU's dump-guest-memory saves the
memory as ELF, which kdumpkit makedump turns into a kdump-compressed
vmcore (-c -d 31), the format crash and drgn both read.

Used by manytasks.py (thousands of tasks) and biglist.py (a 2,000,000
entry list). Each folder has vmcore, console.log and manifest.json.
"""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import CACHE, locked
from guest import guest_inputs_hash
from kernels import KERNELS, vmlinuz_path, vmlinux_path
from qemu import Guest

ARCH = "x86_64"
TIMEOUT = 900
REPO = Path(__file__).resolve().parents[2]


def base_initramfs():
    p = (CACHE / "build" / KERNELS[ARCH]["release"] /
         f"initrd-{guest_inputs_hash(ARCH)}.img")
    return p if p.exists() else None


def key(*parts):
    """The lab guest's inputs and what the dump's own files are."""
    h = hashlib.sha256()
    h.update(guest_inputs_hash(ARCH).encode())
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode())
    return h.hexdigest()[:16]


def make(out, name, files, cmdline, ready, facts):
    """Boot with files ({path in the cpio: (bytes, mode)}) and rdinit=
    /<name>.sh; keep the dump in out. ready: the console marker whose
    last line goes into the manifest; facts: more of the manifest."""
    with locked(out.parent / f".{out.name}.lock"):
        if not (out / "manifest.json").is_file():   # or the run we waited for made it
            _make(out, name, files, cmdline, ready, facts)


def _make(out, name, files, cmdline, ready, facts):
    base = base_initramfs()
    if not base or not vmlinuz_path(ARCH).exists():
        raise SystemExit(f"{name}: no lab kernel or initramfs "
                         "(tests/lab/lab.py ensure --arch x86_64)")
    with tempfile.TemporaryDirectory(prefix=f"kdk-{name}-") as tmp:
        work = Path(tmp)
        root = work / "root"
        root.mkdir()
        for path, (data, mode) in files.items():
            (root / path).write_bytes(data)
            (root / path).chmod(mode)
        extra = work / "extra.cpio.gz"
        subprocess.run(f"cd '{root}' && find . | cpio -o -H newc --quiet | "
                       f"gzip -1 > '{extra}'", shell=True, check=True)
        initrd = work / "initrd.img"
        initrd.write_bytes(base.read_bytes() + extra.read_bytes())
        g = Guest(ARCH, work, vmlinuz_path(ARCH), initrd,
                  f"rdinit=/{name}.sh panic=0 {cmdline}", mem="2G", smp=2)
        try:
            if not g.wait_for("---[ end Kernel panic", TIMEOUT):
                text = g.text()
                raise SystemExit(f"{name}: no panic; console:\n" +
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
        lines = [line for line in console.splitlines() if ready in line]
        (tmp_out / "manifest.json").write_text(json.dumps(dict(
            facts, ready=lines[-1] if lines else None,
            boot_to_panic_s=round(t_panic, 1),
            vmlinux=str(vmlinux_path(ARCH)),
            release=KERNELS[ARCH]["release"]), indent=1))
        tmp_out.rename(out)
