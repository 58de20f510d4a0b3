"""The lab guest's initramfs and disks.

One busybox initramfs serves both the crashing kernel and the capture kernel;
it carries the reference capture tools (kexec-tools, makedumpfile) with the
libraries they link, taken from this Debian host (same release as the guest's)
for x86_64, and from Debian packages of the guest's architecture otherwise
(USERLAND: downloaded and extracted into the cache, never installed).
Files guest/<arch>-<name> go into that architecture's initramfs only.
"""
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from common import CACHE, LAB_DIR, log, run
from kernels import (KERNELS, download_deb, ensure_crashme, ensure_kernel, module_closure,
                     vmlinuz_path)

GUEST_DIR = LAB_DIR / "guest"

# The guest's userland for architectures other than the host's: Debian 12
# packages whose files the initramfs takes (busybox, kexec, makedumpfile and
# the shared libraries they need; _copy_foreign says when one is missing).
USERLAND = {
    "arm64": [
        "busybox-static", "kexec-tools", "makedumpfile",
        "libc6", "zlib1g", "libelf1", "libdw1", "liblzma5", "libbz2-1.0", "liblzo2-2",
        # Debian's arm64 kexec links libxenctrl (from libxenmisc4.17)
        "libxenmisc4.17", "libxentoollog1", "libxentoolcore1", "libxencall1",
        "libxenevtchn1", "libxengnttab1", "libxenforeignmemory1", "libxendevicemodel1",
    ],
}
# Where the dynamic loader of each architecture looks for libraries.
LIBDIRS = {
    "arm64": ["lib/aarch64-linux-gnu", "usr/lib/aarch64-linux-gnu", "lib", "usr/lib"],
}


def _libs_of(binary):
    """The shared libraries a host binary loads, and its dynamic loader."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    libs = []
    for line in out.splitlines():
        parts = line.split()
        for p in parts:
            if p.startswith("/"):
                libs.append(p)
                break
    return libs


def _copy_with_libs(binary, root):
    dst = root / binary.lstrip("/")
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(binary, dst)
    for lib in _libs_of(binary):
        real = os.path.realpath(lib)
        ldst = root / lib.lstrip("/")
        ldst.parent.mkdir(parents=True, exist_ok=True)
        if not ldst.exists():
            shutil.copy2(real, ldst)


def ensure_userland(arch):
    """USERLAND[arch]'s packages extracted into one tree in the cache; its path."""
    debarch = KERNELS[arch]["debarch"]
    root = CACHE / "userland" / debarch
    stamp = root / ".extracted"
    want = "\n".join(USERLAND[arch]) + "\n"
    if stamp.exists() and stamp.read_text() == want:
        return root
    debs = [download_deb(pkg, debarch) for pkg in USERLAND[arch]]
    log(f"extracting the {arch} guest userland")
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for deb in debs:
        run(["dpkg-deb", "-x", deb, root])
    stamp.write_text(want)
    return root


def _elf_deps(path):
    """NEEDED libraries and program interpreter of a foreign ELF (no ldd for those)."""
    out = subprocess.run(["readelf", "-d", "-l", "-W", str(path)], capture_output=True,
                         text=True, check=True).stdout
    return (re.findall(r"\(NEEDED\)\s+Shared library: \[(.*?)\]", out),
            re.findall(r"\[Requesting program interpreter: (.*?)\]", out))


def _resolve(sysroot, rel):
    """rel (path inside sysroot) with its symlinks followed inside sysroot."""
    p = sysroot / rel
    for _ in range(40):
        if not p.is_symlink():
            return p
        t = os.readlink(p)
        p = sysroot / t.lstrip("/") if t.startswith("/") else p.parent / t
    raise RuntimeError(f"symlink loop at {sysroot / rel}")


def _copy_foreign(arch, sysroot, rel, root):
    """Copy sysroot/rel to root/rel with the libraries it needs, recursively."""
    todo = [rel]
    done = set()
    while todo:
        rel = todo.pop()
        if rel in done:
            continue
        done.add(rel)
        src = _resolve(sysroot, rel)
        if not src.exists():
            raise RuntimeError(f"{arch} userland lacks /{rel}: add its package to USERLAND")
        dst = root / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists():
            shutil.copy2(src, dst)
        needed, interp = _elf_deps(src)
        todo += [i.lstrip("/") for i in interp]
        for lib in needed:
            for d in LIBDIRS[arch]:
                if os.path.lexists(sysroot / d / lib):
                    todo.append(f"{d}/{lib}")
                    break
            else:
                raise RuntimeError(f"{arch} userland lacks {lib} (needed by /{rel}): "
                                   "add its package to USERLAND")


def _busybox_applets(busybox):
    """Applet names of a busybox binary that cannot run here: its sorted name table."""
    b = Path(busybox).read_bytes()
    i = b.find(b"[\0[[\0")
    if i < 0:
        raise RuntimeError(f"{busybox}: no applet name table")
    names = []
    for n in b[i:i + 65536].split(b"\0"):
        if not re.fullmatch(rb"[\w.\-\[]+", n):
            break
        names.append(n.decode())
    if len(names) < 50 or names != sorted(names):
        raise RuntimeError(f"{busybox}: applet name table not understood")
    return names


def _userland_host(root):
    """x86_64: busybox, kexec and makedumpfile of this (amd64) host."""
    shutil.copy2("/bin/busybox", root / "bin/busybox")
    applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True,
                             text=True, check=True).stdout.split()
    for a in applets:
        link = root / "bin" / a
        if not link.exists():
            link.symlink_to("busybox")
    _copy_with_libs("/sbin/kexec", root)
    _copy_with_libs("/usr/bin/makedumpfile", root)


def _userland_foreign(arch, root):
    """Other architectures: the same tools from their Debian packages."""
    sysroot = ensure_userland(arch)
    shutil.copy2(sysroot / "bin/busybox", root / "bin/busybox")
    for a in _busybox_applets(root / "bin/busybox"):
        link = root / "bin" / a
        if not link.exists():
            link.symlink_to("busybox")
    _copy_foreign(arch, sysroot, "sbin/kexec", root)
    _copy_foreign(arch, sysroot, "usr/bin/makedumpfile", root)


def _arch_files(arch, root):
    """guest/<arch>-<path with - for />: e.g. arm64-kexec is /bin/kexec (overrides)."""
    for f in sorted(GUEST_DIR.glob(f"{arch}-*")):
        name = f.name[len(arch) + 1:]
        dst = root / ("bin/" + name if "-" not in name else name.replace("-", "/"))
        dst.parent.mkdir(parents=True, exist_ok=True)
        if dst.is_symlink() or dst.exists():
            dst.unlink()
        shutil.copy2(f, dst)
        dst.chmod(0o755)


def _memhog(arch, out):
    cc = (KERNELS[arch]["cross"] or "") + "gcc"
    run([cc, "-static", "-O2", "-Wall", "-o", out, GUEST_DIR / "memhog.c"])


def guest_inputs_hash(arch):
    """What decides a dump's content: guest files and crashme's source."""
    h = hashlib.sha256(KERNELS[arch]["release"].encode())
    # another architecture's files (guest/<arch>-*) are not this one's input
    others = tuple(f"{a}-" for a in KERNELS if a != arch)
    for d in (GUEST_DIR, LAB_DIR / "crashme"):
        for f in sorted(d.iterdir()):
            if f.name.startswith(others):
                continue
            h.update(f.name.encode())
            h.update(f.read_bytes())
    if arch in USERLAND:  # (never for x86_64: its hash stays what it was)
        h.update("\n".join(USERLAND[arch]).encode())
    return h.hexdigest()[:12]


def ensure_initramfs(arch):
    """Build (or reuse) the initramfs; returns its path."""
    ensure_kernel(arch)
    ko = ensure_crashme(arch)
    out = CACHE / "build" / KERNELS[arch]["release"] / f"initrd-{guest_inputs_hash(arch)}.img"
    if out.exists():
        return out
    log(f"building the {arch} guest initramfs")
    root = out.parent / "initrd-root"
    if root.exists():
        shutil.rmtree(root)
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "modules", "etc"):
        (root / d).mkdir(parents=True, exist_ok=True)
    if arch == "x86_64":
        _userland_host(root)
    else:
        _userland_foreign(arch, root)
    _arch_files(arch, root)
    shutil.copy2(GUEST_DIR / "init", root / "init")
    shutil.copy2(ko, root / "crashme.ko")
    _memhog(arch, root / "bin" / "memhog")
    mods = module_closure(arch, KERNELS[arch]["modules"])
    for m in mods:
        shutil.copy2(m, root / "modules" / m.name)
    (root / "modules.load").write_text("\n".join(m.name for m in mods) + "\n")
    tmp = out.with_suffix(".tmp")
    subprocess.run(f"cd '{root}' && find . | cpio -o -H newc --quiet | gzip -1 > '{tmp}'",
                   shell=True, check=True)
    tmp.rename(out)
    shutil.rmtree(root)
    return out


def make_out_disk(path, arch, initrd, capture_cmdline, size="2G"):
    """The capture target: ext4 holding the capture kernel, its initrd and cmdline."""
    src = path.parent / "out-disk-src"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    shutil.copy2(vmlinuz_path(arch), src / "vmlinuz")
    shutil.copy2(initrd, src / "initrd.img")
    (src / "capture-cmdline").write_text(capture_cmdline + "\n")
    if path.exists():
        path.unlink()
    run(["mke2fs", "-q", "-t", "ext4", "-L", "labout", "-d", src, "-F", path, size])
    shutil.rmtree(src)


def make_scratch_disk(path):
    if path.exists():
        path.unlink()
    run(["mke2fs", "-q", "-t", "ext4", "-L", "labscratch", "-F", path, "32M"])


def disk_get(disk, inside, outside):
    """Copy a file out of an ext4 image without mounting it."""
    r = subprocess.run(["debugfs", "-R", f"dump {inside} {outside}", str(disk)],
                       capture_output=True, text=True)
    if not Path(outside).exists() or Path(outside).stat().st_size == 0:
        Path(outside).unlink(missing_ok=True)
        return False
    return r.returncode == 0
