#!/usr/bin/python3
"""A dump of the lab's x86_64 kernel holding one kernel list of N entries
(2,000,000 by default), for the list benchmark (issue 4).

    biglist.py [N]     print the dump's folder, making it if missing

The list is a System V message queue's: tests/lab/biglist/msgfill.c
(built static here) sends N one-byte messages to one queue, each a
kmalloc'd msg_msg linked into msg_queue.q_messages through m_list, then
the script crashes the kernel with sysrq c (derived.py makes the dump).
The queue is found in the dump through init_ipc_ns's message-queue idr.
The folder is ~/.cache/kdumpkit/derived/biglist/<key>/.
"""
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import derived  # noqa: E402

DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "biglist"
SOURCE = Path(__file__).resolve().parent / "biglist" / "msgfill.c"


def script(n):
    return "\n".join([
        "#!/bin/sh",
        "export PATH=/bin:/sbin:/usr/bin:/usr/sbin",
        "mount -t proc proc /proc",
        "dmesg -n 1",
        "hostname lab-biglist",
        f"/msgfill {n}",
        "echo c > /proc/sysrq-trigger",
        "sleep 1000",
    ]) + "\n"


def key(n):
    return derived.key(script(n), SOURCE.read_bytes())


def msgfill():
    with tempfile.TemporaryDirectory() as d:
        exe = Path(d) / "msgfill"
        subprocess.run(["gcc", "-static", "-O2", "-o", str(exe), str(SOURCE)],
                       check=True)
        return exe.read_bytes()


def make(n, out):
    derived.make(out, "biglist", {
        "biglist.sh": (script(n).encode(), 0o755),
        "msgfill": (msgfill(), 0o755)}, "", "BIGLIST-READY",
        {"entries": n})


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000000
    out = DERIVED / key(n)
    if not (out / "manifest.json").is_file():
        make(n, out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
