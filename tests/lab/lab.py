#!/usr/bin/python3
"""The lab: real Debian kernels crashed on purpose under QEMU, their dumps cached.

    lab.py ensure [--arch A] [--scenario S ...] [--method qemu|kdump] [--no-refs]
    lab.py list                      every cached run, as JSON
    lab.py path ARCH SCENARIO METHOD the run's folder (exit 1 when missing)

A run is one boot of one scenario, captured one way:
  qemu   the guest panics and stays down; QEMU's dump-guest-memory writes
         vmcore.elf (ELF) and vmcore.flat (kdump-zlib, flattened format).
  kdump  the guest loads a capture kernel (kexec -p); after the panic it runs
         makedumpfile -c -d 31 to vmcore (and dmesg.txt) on a virtio disk.
Runs live in $KDUMPKIT_LAB_CACHE (default ~/.cache/kdumpkit/lab)/<release>/
<scenario>-<method>/ with console.log and manifest.json (what the scenario
must show, plus the facts the console gave: panic PID, lock holder ...).
"""
import argparse
import json
import shutil
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CACHE, log  # noqa: E402
from guest import (disk_get, ensure_initramfs, guest_inputs_hash,  # noqa: E402
                   make_out_disk, make_scratch_disk)
from kernels import KERNELS, vmlinux_path, vmlinuz_path  # noqa: E402
from qemu import CONSOLE, Guest  # noqa: E402
from scenarios import ORDER, SCENARIOS, facts_from_console, problems_of  # noqa: E402
import oracles  # noqa: E402

METHODS = ("qemu", "kdump")
PANIC_TIMEOUT = 300     # seconds from boot to the end of the panic, under TCG
CAPTURE_TIMEOUT = 900   # seconds for a whole kdump run


def run_dir(arch, scenario, method):
    return CACHE / KERNELS[arch]["release"] / f"{scenario}-{method}"


def dumps_of(rdir):
    """The dump files a run produced, by format name."""
    names = {"vmcore.elf": "elf", "vmcore.flat": "flattened", "vmcore": "kdump"}
    return {fmt: rdir / n for n, fmt in names.items() if (rdir / n).exists()}


def boot_args(scenario):
    """The scenario's settings for the guest, on its kernel command line."""
    sysctl = SCENARIOS[scenario].get("sysctl", {})
    args = f"lab.scenario={scenario}"
    if sysctl:
        args += " lab.sysctl=" + ",".join(f"{k}={v}" for k, v in sorted(sysctl.items()))
    return args


def run_key(arch, scenario):
    """What decides a run's dump: the guest's files and the scenario's settings."""
    return f"{guest_inputs_hash(arch)}-{boot_args(scenario)}"


def _is_current(rdir, arch, scenario):
    done = rdir / "manifest.json"
    if not done.exists():
        return False
    m = json.loads(done.read_text())
    return m.get("inputs") == run_key(arch, scenario)


def _manifest(arch, scenario, method, guest, extra):
    m = {
        "arch": arch, "release": KERNELS[arch]["release"], "scenario": scenario,
        "method": method, "inputs": run_key(arch, scenario),
        "vmlinux": str(vmlinux_path(arch)), "created": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    m.update(extra)
    return m


def load_manifest(rdir):
    """A run's manifest, its facts read afresh from the console it saved."""
    m = json.loads((rdir / "manifest.json").read_text())
    m["expect"] = SCENARIOS[m["scenario"]]
    m["facts"] = facts_from_console((rdir / "console.log").read_text(errors="replace"))
    m["problems"] = problems_of(m["scenario"], m["facts"])
    m["dir"] = str(rdir)
    m["dumps"] = {k: str(v) for k, v in dumps_of(rdir).items()}
    return m


def capture_qemu(arch, scenario, rdir):
    initrd = ensure_initramfs(arch)
    scratch = rdir / "scratch.img"
    make_scratch_disk(scratch)
    g = Guest(arch, rdir, vmlinuz_path(arch), initrd,
              f"{boot_args(scenario)} lab.mode=qemu", disks=[scratch])
    try:
        ok = g.wait_for("---[ end Kernel panic", PANIC_TIMEOUT)
        t_panic = g.elapsed()
        if not ok:
            raise RuntimeError(f"{scenario}: no panic within {PANIC_TIMEOUT}s; console tail:\n"
                               + g.text()[-3000:])
        time.sleep(1)  # let the other CPUs settle in their stop loops
        q = g.qmp()
        t0 = time.monotonic()
        q.cmd("dump-guest-memory", paging=False, protocol=f"file:{rdir}/vmcore.elf.tmp")
        t_elf = time.monotonic() - t0
        t0 = time.monotonic()
        q.cmd("dump-guest-memory", paging=False, protocol=f"file:{rdir}/vmcore.flat.tmp",
              format="kdump-zlib")
        t_flat = time.monotonic() - t0
        q.close()
    finally:
        g.kill()
    for n in ("vmcore.elf", "vmcore.flat"):
        (rdir / f"{n}.tmp").rename(rdir / n)
    scratch.unlink()
    return _manifest(arch, scenario, "qemu", g, {"times": {
        "boot_to_panic_s": round(t_panic, 1), "dump_elf_s": round(t_elf, 1),
        "dump_kdump_zlib_s": round(t_flat, 1)}})


def _wait_any(guest, markers, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(m in guest.text() for m in markers):
            return True
        if guest.proc.poll() is not None:
            break
        time.sleep(0.25)
    return any(m in guest.text() for m in markers)


def capture_kdump(arch, scenario, rdir):
    initrd = ensure_initramfs(arch)
    keepelf = SCENARIOS[scenario].get("keepelf", False)
    capture_cmdline = (f"console={CONSOLE[arch]} lab.mode=capture lab.keepelf={int(keepelf)} "
                       "irqpoll nr_cpus=1 reset_devices")
    out = rdir / "out.img"
    make_out_disk(out, arch, initrd, capture_cmdline, size="3G" if keepelf else "512M")
    scratch = rdir / "scratch.img"
    make_scratch_disk(scratch)
    g = Guest(arch, rdir, vmlinuz_path(arch), initrd,
              f"crashkernel=256M {boot_args(scenario)} lab.mode=kdump", disks=[out, scratch])
    try:
        if not g.wait_for("LAB: ready", PANIC_TIMEOUT):
            raise RuntimeError(f"{scenario}: guest never got ready:\n" + g.text()[-3000:])
        if "loaded=1" not in g.text():
            raise RuntimeError(f"{scenario}: kexec -p failed:\n" + g.text()[-3000:])
        # an oops goes straight to the capture kernel: no panic line then
        if not _wait_any(g, ["Kernel panic - not syncing", "Starting crashdump kernel",
                             "LAB: capture kernel up"],
                         PANIC_TIMEOUT):
            raise RuntimeError(f"{scenario}: no crash within {PANIC_TIMEOUT}s:\n"
                               + g.text()[-3000:])
        t_panic = g.elapsed()
        if not g.wait_exit(CAPTURE_TIMEOUT):
            raise RuntimeError(f"{scenario}: capture did not finish in {CAPTURE_TIMEOUT}s:\n"
                               + g.text()[-3000:])
        t_all = g.elapsed()
    finally:
        g.kill()
    if "LAB: capture done" not in g.text():
        raise RuntimeError(f"{scenario}: capture kernel failed:\n" + g.text()[-3000:])
    got = {}
    for inside, name in (("/out/vmcore", "vmcore"), ("/out/dmesg.txt", "dmesg.txt"),
                         ("/out/makedumpfile.log", "makedumpfile.log"),
                         ("/out/vmcore.elf", "vmcore.elf")):
        got[name] = disk_get(out, inside, rdir / name)
    out.unlink()
    scratch.unlink()
    if not got["vmcore"]:
        raise RuntimeError(f"{scenario}: no vmcore on the out disk")
    # the console after the panic belongs to the capture kernel
    return _manifest(arch, scenario, "kdump", g, {"times": {
        "boot_to_panic_s": round(t_panic, 1), "panic_to_saved_s": round(t_all - t_panic, 1)}})


def ensure_run(arch, scenario, method, refs=True):
    rdir = run_dir(arch, scenario, method)
    if not _is_current(rdir, arch, scenario):
        if rdir.exists():
            shutil.rmtree(rdir)
        rdir.mkdir(parents=True)
        log(f"capturing {arch} {scenario} by {method}")
        t0 = time.monotonic()
        m = (capture_qemu if method == "qemu" else capture_kdump)(arch, scenario, rdir)
        m["times"]["total_s"] = round(time.monotonic() - t0, 1)
        m["sizes"] = {fmt: p.stat().st_size for fmt, p in dumps_of(rdir).items()}
        (rdir / "manifest.json").write_text(json.dumps(m, indent=1) + "\n")
        log(f"{arch} {scenario} {method}: {m['times']} "
            f"{load_manifest(rdir)['problems'] or 'ok'}")
    if refs:
        for fmt, dump in dumps_of(rdir).items():
            oracles.ensure_refs(arch, dump, rdir / "ref" / fmt)
    return rdir


def finished_dumps(names=("vmcore.elf", "vmcore.flat", "vmcore")):
    """(manifest, dump path, test id) for every dump of every finished run;
    a run without a readable manifest.json is still being captured."""
    found = []
    for mf in sorted(CACHE.glob("*/*/manifest.json")):
        try:
            manifest = json.loads(mf.read_text())
        except (OSError, ValueError):
            continue
        for name in names:
            if (mf.parent / name).is_file():
                found.append((manifest, mf.parent / name,
                              f"{mf.parent.parent.name}/{mf.parent.name}/{name}"))
    return found


def cmd_ensure(a):
    arches = [a.arch] if a.arch else ["x86_64"]
    scens = a.scenario or ORDER
    methods = [a.method] if a.method else list(METHODS)
    failed = 0
    for arch in arches:
        for s in scens:
            for meth in methods:
                try:
                    print(ensure_run(arch, s, meth, refs=not a.no_refs))
                except Exception as e:  # one failed scenario must not stop the rest
                    failed += 1
                    log(f"FAILED {arch} {s} {meth}: {e}")
    return 1 if failed else 0


def cmd_list(_a):
    runs = []
    for mf in sorted(CACHE.glob("*/*/manifest.json")):
        runs.append(load_manifest(mf.parent))
    print(json.dumps(runs, indent=1))
    return 0


def cmd_path(a):
    rdir = run_dir(a.arch, a.scenario, a.method)
    if not (rdir / "manifest.json").exists():
        return 1
    print(rdir)
    return 0


def _exit_on_sigterm(signum, _frame):
    raise SystemExit(128 + signum)  # so that finally: blocks stop QEMU


def main():
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("ensure")
    e.add_argument("--arch", choices=sorted(KERNELS))
    e.add_argument("--scenario", action="append", choices=ORDER)
    e.add_argument("--method", choices=METHODS)
    e.add_argument("--no-refs", action="store_true")
    sub.add_parser("list")
    pp = sub.add_parser("path")
    pp.add_argument("arch", choices=sorted(KERNELS))
    pp.add_argument("scenario", choices=ORDER)
    pp.add_argument("method", choices=METHODS)
    a = p.parse_args()
    return {"ensure": cmd_ensure, "list": cmd_list, "path": cmd_path}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
