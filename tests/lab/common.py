"""What every part of the lab shares: where the cache is, logging, running tools."""
import os
import subprocess
import sys
import time
from pathlib import Path

LAB_DIR = Path(__file__).resolve().parent
REPO = LAB_DIR.parent.parent
CACHE = Path(os.environ.get("KDUMPKIT_LAB_CACHE",
                            Path.home() / ".cache" / "kdumpkit" / "lab"))

_t0 = time.monotonic()


def log(msg):
    print(f"[lab {time.monotonic() - _t0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    """Run a tool; its output goes to our stderr, a failure raises with the command."""
    kw.setdefault("stdout", sys.stderr)
    kw.setdefault("stderr", sys.stderr)
    r = subprocess.run([str(c) for c in cmd], **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))}: exit {r.returncode}")
    return r


class locked:
    """Hold an exclusive lock on path (created if missing) for a with
    block: the plain and ASan test runs go side by side, and the first to
    make a cached thing (a QEMU run) must not be raced by the second."""

    def __init__(self, path):
        self.path = Path(path)

    def __enter__(self):
        import fcntl
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.f = open(self.path, "a")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.f.close()
        return False
