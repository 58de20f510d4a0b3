"""Pinned Debian kernels for the lab: fetch, extract into the cache, build crashme.

Nothing is installed into the host system except the x86_64 kbuild headers
package (linux-headers-*), which is how Debian builds out-of-tree modules.
Other architectures' packages are only downloaded (dpkg --add-architecture,
apt-get download) and extracted into the cache; their modules are built with
the host's kbuild tools and a cross compiler.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from common import CACHE, LAB_DIR, log, run

# One entry per architecture: the pinned package names and how to boot them.
KERNELS = {
    "x86_64": {
        "release": "6.1.0-56-cloud-amd64",
        "debarch": "amd64",
        "image": "linux-image-6.1.0-56-cloud-amd64-unsigned",
        "dbg": "linux-image-6.1.0-56-cloud-amd64-dbg",
        "headers": "linux-headers-6.1.0-56-cloud-amd64",
        "vmlinuz": "boot/vmlinuz-6.1.0-56-cloud-amd64",
        # virtio disks for the capture output and the fsfreeze scratch fs,
        # fw_cfg so that QEMU's dumps carry VMCOREINFO (-device vmcoreinfo)
        "modules": ["virtio_pci", "virtio_blk", "qemu_fw_cfg"],
        "cross": "",
    },
    "arm64": {
        "release": "6.1.0-56-arm64",
        "debarch": "arm64",
        "image": "linux-image-6.1.0-56-arm64-unsigned",
        "dbg": "linux-image-6.1.0-56-arm64-dbg",
        "headers": "linux-headers-6.1.0-56-arm64",
        # arch-independent half of the headers, and the kbuild version whose
        # host (amd64) tools build the module
        "headers_common": "linux-headers-6.1.0-56-common",
        "kbuild": "linux-kbuild-6.1",
        "vmlinuz": "boot/vmlinuz-6.1.0-56-arm64",  # an uncompressed Image
        # ext4 is a module here (built in on cloud-amd64); crc32c is its
        # softdep (modules.softdep), which modules.dep does not list
        "modules": ["virtio_pci", "virtio_blk", "crc32c_generic", "ext4", "qemu_fw_cfg"],
        "cross": "aarch64-linux-gnu-",
    },
}


def kernel_dir(arch):
    return CACHE / "kernels" / KERNELS[arch]["release"]


def vmlinux_path(arch):
    """The vmlinux with DWARF from the -dbg package."""
    rel = KERNELS[arch]["release"]
    return kernel_dir(arch) / "dbg" / f"usr/lib/debug/boot/vmlinux-{rel}"


def vmlinuz_path(arch):
    return kernel_dir(arch) / "img" / KERNELS[arch]["vmlinuz"]


def _host_debarch():
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True,
                          text=True, check=True).stdout.strip()


def ensure_foreign_arch(debarch):
    """Let apt download debarch's packages: dpkg --add-architecture, apt-get update.

    Idempotent: does nothing when debarch is the host's or already added.
    """
    if debarch in ("all", _host_debarch()):
        return
    known = subprocess.run(["dpkg", "--print-foreign-architectures"], capture_output=True,
                           text=True, check=True).stdout.split()
    if debarch in known:
        return
    log(f"adding the {debarch} architecture to dpkg and updating apt's lists")
    run(["dpkg", "--add-architecture", debarch])
    run(["apt-get", "update", "-q"])


def _find_deb(debs, pkg, debarch):
    for a in (debarch, "all"):
        found = sorted(debs.glob(f"{pkg}_*_{a}.deb"))
        if found:
            return found[-1]
    return None


def download_deb(pkg, debarch):
    """The .deb of pkg for debarch (or arch all) in the cache, downloaded once."""
    debs = CACHE / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    found = _find_deb(debs, pkg, debarch)
    if found:
        return found
    ensure_foreign_arch(debarch)
    name = pkg if debarch == _host_debarch() else f"{pkg}:{debarch}"
    log(f"downloading {name}")
    r = subprocess.run(["apt-get", "download", name], cwd=debs, stdout=sys.stderr,
                       stderr=sys.stderr)
    if r.returncode != 0 and name != pkg:
        # an arch: all package has no pkg:arm64 candidate; or the foreign
        # lists are stale: update once and try both spellings
        run(["apt-get", "update", "-q"])
        r = subprocess.run(["apt-get", "download", name], cwd=debs, stdout=sys.stderr,
                           stderr=sys.stderr)
        if r.returncode != 0:
            run(["apt-get", "download", pkg], cwd=debs)
    found = _find_deb(debs, pkg, debarch)
    if not found:
        raise RuntimeError(f"apt-get download {name} left no .deb in {debs}")
    return found


def _download(pkg, arch):
    return download_deb(pkg, KERNELS[arch]["debarch"])


def ensure_kernel(arch):
    """Extract the image (kernel, modules) and the vmlinux of the -dbg package."""
    k = KERNELS[arch]
    kdir = kernel_dir(arch)
    stamp = kdir / ".extracted"
    if stamp.exists():
        return kdir
    if kdir.exists():
        shutil.rmtree(kdir)
    (kdir / "img").mkdir(parents=True)
    (kdir / "dbg").mkdir(parents=True)
    run(["dpkg-deb", "-x", str(_download(k["image"], arch)), str(kdir / "img")])
    # Only the vmlinux of the -dbg package: its module debuginfo is 1.5 GB.
    deb = _download(k["dbg"], arch)
    member = f"./usr/lib/debug/boot/vmlinux-{k['release']}"
    subprocess.run(f"dpkg-deb --fsys-tarfile '{deb}' | tar -x -C '{kdir / 'dbg'}' '{member}'",
                   shell=True, check=True)
    run(["depmod", "-b", str(kdir / "img"), k["release"]])
    stamp.touch()
    return kdir


def module_closure(arch, names):
    """Module files for names and their dependencies, dependencies first."""
    k = KERNELS[arch]
    moddir = kernel_dir(arch) / "img" / "lib" / "modules" / k["release"]
    deps = {}
    for line in (moddir / "modules.dep").read_text().splitlines():
        path, _, rest = line.partition(":")
        deps[Path(path).stem.replace("-", "_")] = (path, rest.split())
    by_path = {v[0]: k2 for k2, v in deps.items()}
    order = []

    def visit(name):
        path, requires = deps[name]
        for r in reversed(requires):
            visit(by_path[r])
        if path not in order:
            order.append(path)

    for n in names:
        visit(n)
    return [moddir / p for p in order]


def headers_dir(arch):
    k = KERNELS[arch]
    if arch == "x86_64":
        return Path("/usr/src") / k["headers"]
    return kernel_dir(arch) / "headers" / "usr" / "src" / k["headers"]


def ensure_cross_headers(arch):
    """Extract a foreign architecture's kbuild headers into the cache, made usable.

    linux-headers-<release> has a one-line Makefile that includes
    /usr/src/linux-headers-*-common/Makefile, and scripts/ and tools/ symlinks
    to ../../lib/linux-kbuild-*/: extract the common package next to it, point
    the include there, and make ../../lib/linux-kbuild-* the host's own kbuild
    tools (amd64 binaries; the foreign kbuild package's would not run here).
    """
    k = KERNELS[arch]
    hdr = headers_dir(arch)
    root = kernel_dir(arch) / "headers"
    stamp = root / ".extracted"
    if stamp.exists():
        return hdr
    host_kbuild = Path("/usr/lib") / k["kbuild"]
    if not (host_kbuild / "scripts" / "basic" / "fixdep").exists():
        log(f"installing the host's {k['kbuild']} (kbuild tools for cross builds)")
        run(["apt-get", "install", "-y", "-q", k["kbuild"]],
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    run(["dpkg-deb", "-x", str(_download(k["headers"], arch)), str(root)])
    run(["dpkg-deb", "-x", str(_download(k["headers_common"], arch)), str(root)])
    (root / "usr" / "lib").mkdir(parents=True, exist_ok=True)
    (root / "usr" / "lib" / k["kbuild"]).symlink_to(host_kbuild)
    mk = hdr / "Makefile"
    text = mk.read_text()
    common = f"/usr/src/{k['headers_common']}/"
    if common not in text:
        raise RuntimeError(f"{mk} does not include {common}Makefile:\n{text}")
    mk.write_text(text.replace(common, f"{root}{common}"))
    stamp.touch()
    return hdr


def ensure_crashme(arch):
    """Build tests/lab/crashme against the pinned headers; rebuilt when its source changes."""
    k = KERNELS[arch]
    src = LAB_DIR / "crashme"
    out = CACHE / "build" / k["release"] / "crashme"
    ko = out / "crashme.ko"
    if ko.exists() and all(ko.stat().st_mtime >= f.stat().st_mtime for f in src.iterdir()):
        return ko
    hdr = headers_dir(arch)
    if arch != "x86_64":
        ensure_cross_headers(arch)
    elif not (hdr / "Makefile").exists():
        log(f"installing {k['headers']} for building crashme")
        run(["apt-get", "install", "-y", "-q", k["headers"]],
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(src, out)
    cmd = ["make", "-C", str(hdr), f"M={out}", "modules"]
    if k["cross"]:
        cmd += ["ARCH=arm64", f"CROSS_COMPILE={k['cross']}"]
    run(cmd)
    _check_vermagic(arch, ko)
    return ko


def _vermagic(ko):
    out = subprocess.run(["modinfo", "-F", "vermagic", str(ko)], capture_output=True,
                         text=True, check=True).stdout
    return out.strip()


def _check_vermagic(arch, ko):
    """crashme must load into the pinned kernel: same vermagic as its own modules."""
    if arch == "x86_64":
        return  # built against the installed headers, as it always was
    ref = module_closure(arch, ["virtio_blk"])[-1]
    if _vermagic(ko) != _vermagic(ref):
        raise RuntimeError(f"{ko}: vermagic {_vermagic(ko)!r} is not the kernel's "
                           f"{_vermagic(ref)!r}")
