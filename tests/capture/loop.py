#!/usr/bin/python3
"""The whole kdump loop with kdumpkit alone, in the lab's x86_64 guest.

    loop.py [KDUMPKIT_BIN [SCENARIO]]   run it (or reuse the cached run), print the result

The first kernel boots the lab's kernel with crashkernel=256M and the lab's
initramfs as it is (no lab run's key changes) with a second cpio appended:
kdumpkit and its libraries, the kernel image, the capture initramfs that
`kdumpkit initramfs` built on the host, and /loop.sh (rdinit=/loop.sh),
which runs `kdumpkit status`, `estimate` and `load`, then crashes the kernel
the way one of the lab's scenarios does (sysrq, or the lab's crashme module:
an oops, a hung task in a mutex deadlock, a soft lockup). The capture kernel boots kdumpkit's initramfs, whose /init
mounts the target disk (ext4, LABEL=kdkloop, a virtio disk) and runs
`kdumpkit save`, then powers off. No kexec-tools, no makedumpfile in the
guest (the lab initramfs carries them, and loop.sh never calls them).

Two TCG boots take minutes, so the run is cached under
~/.cache/kdumpkit/derived/loop/<key>-<scenario>/ (console.log, result.json,
the saved vmcore and dmesg.txt), keyed by what decides it: the capture
sources (src/capture/**), this file, the lab kernel and its initramfs (and
so crashme); runs of older keys are removed.
"""
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
REPO = TESTS.parent
sys.path.insert(0, str(TESTS / "lab"))

import live  # noqa: E402
from common import CACHE, locked  # noqa: E402
from guest import disk_get  # noqa: E402
from kernels import KERNELS, kernel_dir, vmlinuz_path  # noqa: E402
from qemu import Guest  # noqa: E402
from scenarios import SCENARIOS  # noqa: E402

ARCH = "x86_64"
DERIVED = CACHE.parent / "derived" / "loop"
TIMEOUT = 1200          # seconds for both boots under TCG
LABEL = "kdkloop"
DISK_SIZE = "512M"
# a target too small for the dump: save must keep the log and say so
SMALL_DISK = "8M"
MODULES = ["virtio_pci", "virtio_blk"]   # the target disk; ext4 is built in
CONFIG = f"""path = /var/crash
dump_level = 31
codec = zlib
threads = 1
keep = 2
failure_action = poweroff
final_action = poweroff
device = LABEL={LABEL}
fstype = ext4
"""

# (section, command) in the first kernel, in this order
SECTIONS = [
    ("status_before", "kdumpkit status"),
    ("estimate", "kdumpkit estimate --initrd /boot/capture.img"),
    ("load", "kdumpkit load --kernel /boot/vmlinuz --initrd /boot/capture.img"),
    ("status_after", "kdumpkit status --json"),
]


# how each scenario crashes the first kernel: the lab's own triggers
# (tests/lab/guest/init), the crasher's pid into the kernel log first (the
# console may not flush before the kernel jumps to the capture kernel)
TRIGGERS = {
    "sysrq": "sh -c 'echo \"LOOP: crasher pid $$\" > /dev/kmsg; "
             "echo c > /proc/sysrq-trigger'",
    "oops": "sh -c 'echo \"LOOP: crasher pid $$\" > /dev/kmsg; "
            "exec insmod /crashme.ko scenario=oops'",
    "mutex": "insmod /crashme.ko scenario=mutex; sleep 600",
    "softlockup": "insmod /crashme.ko scenario=softlockup; sleep 600",
}
LOOP_SCENARIOS = list(TRIGGERS)


def script(scenario):
    sysctl = {"kernel.panic_on_oops": 1, "kernel.softlockup_panic": 1,
              "kernel.hung_task_panic": 1, "kernel.hung_task_timeout_secs": 5,
              "vm.panic_on_oom": 1, **SCENARIOS[scenario].get("sysctl", {})}
    lines = [
        "#!/bin/sh",
        "export PATH=/bin:/sbin:/usr/bin:/usr/sbin",
        "mount -t proc proc /proc",
        "mount -t sysfs sys /sys",
        "mount -t devtmpfs dev /dev",
        "mkdir -p /tmp /var/crash && mount -t tmpfs tmp /tmp",
        "dmesg -n 1",
        "hostname kdk-loop",
        "sysctl -q -w " + " ".join(f"{k}={v}" for k, v in sysctl.items()),
        "for m in $(cat /modules.load); do insmod /modules/$m 2>/dev/null; done",
        "printf 'path = /var/crash\\n' > /etc/kdumpkit.conf",
    ]
    for name, cmd in SECTIONS:
        lines += [f'echo "LOOP-BEGIN {name}"', f"( {cmd} ) 2>&1",
                  f'echo "LOOP-END {name} rc=$?"']
    lines += [
        'echo "LOOP: crashing"',
        "dmesg -n 7",
        TRIGGERS[scenario],
        'echo "LOOP: still alive"',
        "poweroff -f",
    ]
    return "\n".join(lines) + "\n"


def capture_files():
    """Every file whose content decides what the capture does."""
    files = sorted((REPO / "src" / "capture").rglob("*"))
    return [f for f in files if f.is_file()] + [Path(__file__).resolve()]


def run_key():
    h = hashlib.sha256(KERNELS[ARCH]["release"].encode())
    for f in capture_files():
        h.update(str(f.relative_to(REPO)).encode())
        h.update(f.read_bytes())
    base = live.base_initramfs()
    h.update(base.name.encode() if base else b"-")
    st = vmlinuz_path(ARCH).stat()
    h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def why_not():
    return live.qemu_missing() or (None if shutil.which("mke2fs") and
                                   shutil.which("debugfs")
                                   else "no mke2fs/debugfs (e2fsprogs)")


def _kdumpkit(binary, *args):
    subprocess.run([str(binary), *map(str, args)], check=True,
                   capture_output=True, text=True)


def moddir():
    """The lab kernel's /lib/modules/<release>."""
    return kernel_dir(ARCH) / "img" / "lib" / "modules" / KERNELS[ARCH]["release"]


def make_initrd(binary, work, scenario):
    """The lab initramfs + our cpio (kdumpkit, vmlinuz, capture.img, loop.sh)."""
    root = work / "loop-root"
    (root / "boot").mkdir(parents=True)
    (root / "etc").mkdir()
    live._copy_binary(binary, root)
    shutil.copy2(vmlinuz_path(ARCH), root / "boot" / "vmlinuz")
    conf = work / "kdumpkit.conf"
    conf.write_text(CONFIG)
    mods = []
    for m in MODULES:       # kdumpkit finds what they need in modules.dep
        mods += ["--module", m]
    _kdumpkit(binary, "initramfs", root / "boot" / "capture.img",
              "--config", conf, "--busybox", "/bin/busybox",
              "--moddir", moddir(), *mods)
    (root / "loop.sh").write_text(script(scenario))
    (root / "loop.sh").chmod(0o755)
    extra = work / "loop.cpio.gz"
    subprocess.run(f"cd '{root}' && find . | cpio -o -H newc --quiet | gzip -1 > '{extra}'",
                   shell=True, check=True)
    out = work / "initrd-loop.img"
    with open(out, "wb") as f:
        f.write(live.base_initramfs().read_bytes())
        f.write(extra.read_bytes())
    return out, (root / "boot" / "capture.img").stat().st_size


def watch(g, markers, timeout):
    """Run the guest to its end; {marker: seconds since start} as seen."""
    seen = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = g.text()
        for m in markers:
            if m not in seen and m in text:
                seen[m] = round(g.elapsed(), 1)
        if g.proc.poll() is not None:
            break
        time.sleep(0.5)
    text = g.text()
    for m in markers:
        if m not in seen and m in text:
            seen[m] = round(g.elapsed(), 1)
    return seen


def sections(console):
    text = console.replace("\r\n", "\n")
    return {m.group(1): {"out": m.group(2), "rc": int(m.group(3))}
            for m in re.finditer(r"^LOOP-BEGIN (\w+)\n(.*?)^LOOP-END \1 rc=(\d+)$",
                                 text, re.M | re.S)}


def saved_dir(disk):
    """The <YYYYMMDD-HHMMSS> directories kdumpkit save made on the disk."""
    r = subprocess.run(["debugfs", "-R", "ls -p /", str(disk)],
                       capture_output=True, text=True)
    return sorted(set(re.findall(r"/(\d{8}-\d{6}(?:\.\d+)?)/", r.stdout)))


def list_dir(disk, d):
    r = subprocess.run(["debugfs", "-R", f"ls -p /{d}", str(disk)],
                       capture_output=True, text=True)
    return sorted(n for n in re.findall(r"/\d+/\d+/\d+/\d+/([^/]+)/", r.stdout)
                  if n not in (".", ".."))


def run(binary, out, key, scenario, disk_size=DISK_SIZE):
    """One loop into directory out; the result (also out/result.json)."""
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kdk-loop-") as tmp:
        work = Path(tmp)
        initrd, capture_size = make_initrd(Path(binary), work, scenario)
        disk = work / "target.img"
        subprocess.run(["mke2fs", "-q", "-t", "ext4", "-L", LABEL, "-F", str(disk),
                        disk_size], check=True)
        g = Guest(ARCH, work, vmlinuz_path(ARCH), initrd,
                  "rdinit=/loop.sh crashkernel=256M panic=-1", disks=[disk],
                  mem="1G", smp=2)
        markers = ["LOOP: crashing", "Kernel panic - not syncing",
                   "kdumpkit-init: saving to", "kdumpkit-init: save rc="]
        try:
            seen = watch(g, markers, TIMEOUT)
        finally:
            g.kill()
        console = g.text()
        dirs = saved_dir(disk)
        files = list_dir(disk, dirs[-1]) if dirs else []
        got = {}
        for name in ("vmcore", "dmesg.txt", "vmcore.incomplete"):
            if dirs and name in files:
                got[name] = disk_get(disk, f"/{dirs[-1]}/{name}", out / name)
    (out / "console.log").write_text(console)
    rc = re.search(r"kdumpkit-init: save rc=(\d+)", console)
    dmesg = (out / "dmesg.txt").read_text(errors="replace") if got.get("dmesg.txt") else ""
    pid = re.search(r"LOOP: crasher pid (\d+)", dmesg)
    result = {
        "key": key, "scenario": scenario, "disk_size": disk_size, "times_s": seen, "total_s": round(time.monotonic() - t0, 1),
        "save_rc": int(rc.group(1)) if rc else None,
        "crasher_pid": int(pid.group(1)) if pid else None,
        "dirs": dirs, "files": files,
        "sizes": {n: (out / n).stat().st_size for n in got if got[n]},
        "capture_initramfs_bytes": capture_size,
        "sections": sections(console),
    }
    (out / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    return result


def ensure(binary, scenario="sysrq", disk_size=DISK_SIZE):
    """The cached loop for the current sources, running it when missing."""
    key = run_key()
    d = DERIVED / (f"{key}-{scenario}" + ("" if disk_size == DISK_SIZE else f"-disk{disk_size}"))
    if (d / "result.json").exists():
        return d, json.loads((d / "result.json").read_text())
    with locked(DERIVED.parent / f".loop-{d.name}.lock"):
        return _make(binary, key, d, scenario, disk_size)


def _make(binary, key, d, scenario, disk_size):
    if (d / "result.json").exists():    # made by the run we waited for
        return d, json.loads((d / "result.json").read_text())
    if DERIVED.exists():     # runs of sources that are gone
        for old in DERIVED.iterdir():
            if not old.name.startswith(key):
                shutil.rmtree(old, ignore_errors=True)
    tmp = d.with_name(d.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    run(binary, tmp, key, scenario, disk_size)
    if d.exists():
        shutil.rmtree(d)
    tmp.rename(d)
    return d, json.loads((d / "result.json").read_text())


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else str(REPO / "build" / "kdumpkit")
    scenario = sys.argv[2] if len(sys.argv) > 2 else "sysrq"
    why = why_not()
    if why:
        print(f"loop.py: {why}", file=sys.stderr)
        return 1
    d, r = ensure(binary, scenario)
    print(d)
    print(json.dumps({k: v for k, v in r.items() if k != "sections"}, indent=1))
    return 0 if r["save_rc"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
