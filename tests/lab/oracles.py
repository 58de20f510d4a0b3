#!/usr/bin/python3
"""Reference outputs of crash and drgn on a lab dump, the oracles kdumpkit is checked against.

    /usr/bin/python3 tests/lab/oracles.py DUMP [--force]   one dump, next to its manifest.json
    /usr/bin/python3 tests/lab/oracles.py --all [--force]  every dump of every finished run

ensure_refs(arch, dump, outdir) fills outdir (<run>/ref/<format>/) with
  crash/   one `crash -s VMLINUX DUMP -i cmdfile` session: sys.txt bt.txt bt-a.txt
           ps.txt log.txt kmem-i.txt mod.txt foreach-bt.txt, stdout.txt,
           stderr.txt, status.json {"rc", "seconds", "error": the session's
           failure (dump not read ...) or null, "command_errors": {command:
           its first complaint}, "warnings", "ps_tasks", ...}
  drgn/    one run of drgn_ref.py: tasks.json stacks.json dmesg.txt sys.json
           status.json {"rc", "seconds", "error", "errors", ...}
  .stamp   REF_VERSION and the dump's size and mtime; outdir is current when
           they match (then nothing runs).
A tool that cannot read a format is recorded (status.json "error"), never
raised: which formats the oracles read is part of the reference.  outdir is
built in a temporary folder beside it and renamed into place, so a killed
run leaves no half-made reference.
"""
import fcntl
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CACHE, LAB_DIR, log  # noqa: E402
from kernels import KERNELS, vmlinux_path  # noqa: E402

REF_VERSION = 3  # bump when what is recorded changes: every reference is remade

CRASH = "/usr/bin/crash"
PYTHON = "/usr/bin/python3"  # Debian's, with python3-drgn
DRGN_REF = LAB_DIR / "drgn_ref.py"
CRASH_TIMEOUT = 900
DRGN_TIMEOUT = 900

# crash commands of the one session, and the file each one's output goes to
CRASH_CMDS = [
    ("sys", "sys.txt"),
    ("bt", "bt.txt"),
    ("bt -a", "bt-a.txt"),
    ("ps", "ps.txt"),
    ("log", "log.txt"),
    ("kmem -i", "kmem-i.txt"),
    ("mod", "mod.txt"),
    ("foreach bt", "foreach-bt.txt"),
]

_CRASH_ERR = re.compile(r"^crash: |error|cannot|invalid|not supported|no debugging data",
                        re.I)


def _stamp_of(dump):
    st = dump.stat()
    return {"ref_version": REF_VERSION, "dump": dump.name, "size": st.st_size,
            "mtime": int(st.st_mtime)}


def _is_current(dump, outdir):
    try:
        return json.loads((outdir / ".stamp").read_text()) == _stamp_of(dump)
    except (OSError, ValueError):
        return False


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale_tmp(outdir):
    """Temporary folders that killed runs left beside outdir."""
    for t in outdir.parent.glob(f".{outdir.name}.tmp.*"):
        try:
            pid = int(t.name.rsplit(".", 1)[1])
        except ValueError:
            continue
        if not _pid_alive(pid):
            shutil.rmtree(t, ignore_errors=True)


def _first_error(*texts):
    """The session's first complaint; a command's own ("bt: ...") is not one."""
    cmds = tuple(f"{c.split()[0]}: " for c, _f in CRASH_CMDS)
    for text in texts:
        for line in text.splitlines():
            if (_CRASH_ERR.search(line) and not line.startswith("WARNING")
                    and not line.startswith(cmds)):
                return line.strip()
    return None


def crash_reads(arch):
    """Debian's crash is built for the host's architecture only."""
    return {"x86_64": "x86_64", "arm64": "aarch64"}.get(arch) == platform.machine()


def run_crash(arch, vmlinux, dump, cdir):
    """One crash session, each command's output in its own file in cdir."""
    cdir.mkdir(parents=True)
    if not crash_reads(arch):
        status = {"tool": "crash", "skipped": True, "rc": None, "seconds": 0,
                  "error": f"skipped: {CRASH} is built for {platform.machine()}, "
                           f"it cannot read {arch} dumps"}
        (cdir / "status.json").write_text(json.dumps(status, indent=1) + "\n")
        return status
    cmdfile = cdir / "cmds.txt"
    cmdfile.write_text("".join(f"{c} > {f}\n" for c, f in CRASH_CMDS) + "q\n")
    status = {"tool": "crash", "cmd": [CRASH, "-s", str(vmlinux), str(dump), "-i", "cmds.txt"]}
    t0 = time.monotonic()
    try:
        r = subprocess.run(status["cmd"], cwd=cdir, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=CRASH_TIMEOUT)
        rc, out, err = r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = None, e.stdout or b"", e.stderr or b""
        status["timeout"] = CRASH_TIMEOUT
    status["seconds"] = round(time.monotonic() - t0, 2)
    status["rc"] = rc
    out = out.decode(errors="replace")
    err = err.decode(errors="replace")
    (cdir / "stdout.txt").write_text(out)
    (cdir / "stderr.txt").write_text(err)
    outputs, cmd_errors = {}, {}
    for c, f in CRASH_CMDS:
        p = cdir / f
        if not p.exists():
            continue
        text = p.read_text(errors="replace")
        outputs[f] = len(text.splitlines())
        # crash prints a failed command's complaint as "<command>: <why>"
        name = c.split()[0]
        bad = [ln for ln in text.splitlines() if ln.startswith(f"{name}: ")]
        if bad:
            cmd_errors[c] = bad[0]
    status["outputs"] = outputs
    status["missing"] = [f for _c, f in CRASH_CMDS if f not in outputs]
    if cmd_errors:
        status["command_errors"] = cmd_errors
    status["warnings"] = [ln.strip() for ln in (out + "\n" + err).splitlines()
                          if ln.lstrip().startswith("WARNING")]
    error = _first_error(err, out)
    if error is None and rc is None:
        error = f"timed out after {CRASH_TIMEOUT}s"
    if error is None and rc != 0:
        tail = [ln for ln in (err + out).splitlines() if ln.strip()]
        error = tail[-1].strip() if tail else f"exit {rc}"
    if error is None and status["missing"]:
        error = "no output for " + ", ".join(status["missing"])
    status["error"] = error
    ps = cdir / "ps.txt"
    if ps.exists():
        status["ps_tasks"] = max(0, len(ps.read_text().splitlines()) - 1)
    (cdir / "status.json").write_text(json.dumps(status, indent=1) + "\n")
    return status


def run_drgn(arch, vmlinux, dump, ddir):
    """drgn_ref.py in its own process (a drgn crash must not take us down)."""
    ddir.mkdir(parents=True)
    crashme = CACHE / "build" / KERNELS[arch]["release"] / "crashme"
    cmd = [PYTHON, str(DRGN_REF), str(dump), str(vmlinux), str(ddir),
           "--modules-dir", str(crashme)]
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=DRGN_TIMEOUT)
        rc, out, err = r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = None, e.stdout or b"", e.stderr or b""
    seconds = round(time.monotonic() - t0, 2)
    err = err.decode(errors="replace")
    (ddir / "stderr.txt").write_text(out.decode(errors="replace") + err)
    try:
        status = json.loads((ddir / "status.json").read_text())
    except (OSError, ValueError):
        status = {"errors": {}}
        tail = [ln for ln in err.splitlines() if ln.strip()]
        status["error"] = (f"timed out after {DRGN_TIMEOUT}s" if rc is None
                           else tail[-1] if tail else f"exit {rc}")
    status.update(tool="drgn", cmd=cmd, rc=rc, seconds=seconds)
    (ddir / "status.json").write_text(json.dumps(status, indent=1) + "\n")
    return status


def _vmlinux_for(arch, dump):
    mf = dump.parent / "manifest.json"
    if mf.exists():
        v = json.loads(mf.read_text()).get("vmlinux")
        if v:
            return Path(v)
    return vmlinux_path(arch)


def ensure_refs(arch, dump, outdir, force=False):
    """The crash and drgn references of dump in outdir, made unless current."""
    dump, outdir = Path(dump), Path(outdir)
    if not force and _is_current(dump, outdir):
        return outdir
    outdir.parent.mkdir(parents=True, exist_ok=True)
    # one maker per outdir (lab.py and a hand-run oracles.py may meet here)
    with open(outdir.parent / f".{outdir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and _is_current(dump, outdir):
            return outdir
        return _make_refs(arch, dump, outdir)


def _make_refs(arch, dump, outdir):
    _clean_stale_tmp(outdir)
    tmp = outdir.parent / f".{outdir.name}.tmp.{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        vmlinux = _vmlinux_for(arch, dump)
        c = run_crash(arch, vmlinux, dump, tmp / "crash")
        d = run_drgn(arch, vmlinux, dump, tmp / "drgn")
        (tmp / ".stamp").write_text(json.dumps(_stamp_of(dump)))
        if outdir.exists():
            shutil.rmtree(outdir)
        tmp.rename(outdir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"refs {dump}: crash {c['seconds']}s {c['error'] or 'ok'}; "
        f"drgn {d['seconds']}s {d['error'] or 'ok'}")
    return outdir


def _refs_for_dump(dump, force):
    from lab import dumps_of  # here: lab imports this module
    dump = Path(dump).resolve()
    mf = dump.parent / "manifest.json"
    if not mf.exists():
        raise RuntimeError(f"{mf}: missing (is the run still being captured?)")
    m = json.loads(mf.read_text())
    fmt = {p.name: f for f, p in dumps_of(dump.parent).items()}.get(dump.name)
    if fmt is None:
        raise RuntimeError(f"{dump}: not a dump file of a lab run")
    return ensure_refs(m["arch"], dump, dump.parent / "ref" / fmt, force=force)


def main():
    import argparse
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dump", nargs="*", help="a run's vmcore.elf, vmcore.flat or vmcore")
    p.add_argument("--all", action="store_true", help="every dump of every finished run")
    p.add_argument("--force", action="store_true", help="remake even when current")
    a = p.parse_args()
    # SIGTERM as an exception, so that subprocess.run kills crash or drgn with us
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    dumps = [Path(d) for d in a.dump]
    if a.all:
        from lab import dumps_of
        for mf in sorted(CACHE.glob("*/*/manifest.json")):
            dumps += list(dumps_of(mf.parent).values())
    if not dumps:
        p.error("no dump given")
    failed = 0
    for d in dumps:
        try:
            print(_refs_for_dump(d, a.force))
        except Exception as e:  # e.g. the run was recaptured under our feet
            failed += 1
            log(f"FAILED refs of {d}: {type(e).__name__}: {e}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
