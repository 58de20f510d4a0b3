#!/usr/bin/python3
"""A dump of the lab's x86_64 kernel with thousands of tasks, for the
benchmarks of ps and foreach bt (issue: >= 2,000 tasks).

    manytasks.py [N]     print the dump's folder, making it if missing

The guest boots the lab's kernel and initramfs as they are (no run's key
changes) with a small cpio appended whose /many.sh runs instead of /init:
it starts N sleeping processes (busybox `sleep`, each with a user stack
and a kernel stack in hrtimer_nanosleep), writes "MANY-READY" with the
count of /proc's PIDs, and crashes the kernel with sysrq c (derived.py
makes the dump). The folder is ~/.cache/kdumpkit/derived/manytasks/<key>/;
the key is the lab guest's inputs and this script.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import derived  # noqa: E402

DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "manytasks"


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


base_initramfs = derived.base_initramfs


def key(n):
    return derived.key(script(n))


def make(n, out):
    derived.make(out, "many", {"many.sh": (script(n).encode(), 0o755)},
                 "pid_max=65536", "MANY-READY", {"tasks_started": n})


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    out = DERIVED / key(n)
    if not (out / "manifest.json").is_file():
        make(n, out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
