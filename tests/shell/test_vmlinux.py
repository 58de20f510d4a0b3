"""kdumpkit VMLINUX VMCORE: symbols from the vmlinux's ELF symbol table,
checked against the dump first.

Oracles: the kernel's own console (the faulting function and the frames
of its call trace, as NAME+OFF/SIZE), crash 8.0.2's bt and sys run with
the same vmlinux (x86_64 only: crash cannot read arm64 dumps), binutils
nm on the vmlinux plus libkdumpfile's KERNELOFFSET, drgn's jiffies and
task count (kdump-format dumps only: drgn 0.0.22 cannot open QEMU's), and
build-ids read from the ELF notes here, in Python.

A vmlinux of another build is derived from the lab's (strip the DWARF,
flip build-id bytes, change "#1 SMP" to "#9 SMP" in linux_banner) under
~/.cache/kdumpkit/derived/vmlinux/, keyed by the source's size and mtime.
"""
import mmap
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labruns  # noqa: E402
import lab  # noqa: E402

DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "vmlinux"
MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}
BINUTILS = {"x86_64": "", "arm64": "aarch64-linux-gnu-"}
# One or two dumps per architecture, in different formats, to keep the
# time low: a kdump-compressed one (crash and drgn have references for
# those) and a QEMU one.
PICK = {"x86_64": ["listcorrupt-kdump-kdump", "listcorrupt-qemu-elf"],
        "arm64": ["listcorrupt-kdump-kdump", "listcorrupt-qemu-flattened"]}
DUMPS = [p for arch, ids in PICK.items() for p in labruns.dumps(arch)
         if p[0].split("-", 1)[1] in ids]
KDUMP = [p for p in DUMPS if p[0].endswith("-kdump-kdump")]
FRAME = re.compile(r"^\[\s*[\d.]+\]\s+(?:RIP: 0010:|pc : |\? )?"
                   r"([A-Za-z_][\w.]*)\+0x([0-9a-f]+)/0x([0-9a-f]+)\s*$")
CRASH_FRAME = re.compile(r"^\s*#\d+ \[[0-9a-f]+\] (\S+) at ([0-9a-f]+)\s*$")


def need(info):
    if not info["path"].is_file():
        pytest.skip(f"{info['path']} went away (being regenerated)")
    return info["path"]


def vmlinux_of(info):
    path = Path(info["manifest"]["vmlinux"])
    if not path.is_file():
        pytest.skip(f"{path}: no vmlinux")
    return path


def run(kdumpkit, *args):
    r = kdumpkit(*args)
    assert r.returncode == 0, r.stderr
    return r.stdout


# --- ELF, read here so that the tests do not trust the code they test ---

def _sections(m):
    assert m[:4] == b"\x7fELF" and m[4] == 2 and m[5] == 1
    shoff, = struct.unpack_from("<Q", m, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", m, 0x3a)
    out = []
    for i in range(shnum):
        f = struct.unpack_from("<IIQQQQIIQQ", m, shoff + i * shentsize)
        out.append({"name": f[0], "type": f[1], "addr": f[3], "off": f[4],
                    "size": f[5], "link": f[6]})
    base = out[shstrndx]["off"]
    for s in out:
        s["name"] = m[base + s["name"]:m.find(b"\0", base + s["name"])]
    return out


def _build_id_desc(m, secs):
    """File offset and length of the GNU build-id."""
    for s in secs:
        if s["type"] != 7:                      # SHT_NOTE
            continue
        p, end = s["off"], s["off"] + s["size"]
        while p + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", m, p)
            desc = p + 12 + ((namesz + 3) & ~3)
            if ntype == 3 and m[p + 12:p + 12 + namesz] == b"GNU\0":
                return desc, descsz
            p = desc + ((descsz + 3) & ~3)
    raise AssertionError("no GNU build-id note")


def _banner_offset(m, secs):
    """File offset of linux_banner's bytes."""
    symtab = next(s for s in secs if s["type"] == 2)    # SHT_SYMTAB
    strtab = secs[symtab["link"]]
    for i in range(symtab["size"] // 24):
        name, _, _, shndx, value, _ = struct.unpack_from(
            "<IBBHQQ", m, symtab["off"] + 24 * i)
        o = strtab["off"] + name
        if m[o:o + 13] == b"linux_banner\0":
            sec = secs[shndx]
            return sec["off"] + value - sec["addr"]
    raise AssertionError("no linux_banner")


def elf_build_id(path):
    with open(path, "rb") as f, \
            mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        off, n = _build_id_desc(m, _sections(m))
        return m[off:off + n].hex()


def derive_other_build(arch, vmlinux):
    """The lab's vmlinux without DWARF, as if built again: other build-id
    bytes, and "#9" for "#1" in the banner. Returns (path, build-id)."""
    st = vmlinux.stat()
    out = DERIVED / f"{vmlinux.name}-{st.st_size}-{st.st_mtime_ns}" / \
        "vmlinux-other-build"
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".tmp{os.getpid()}")
        subprocess.run([BINUTILS[arch] + "objcopy", "--strip-debug",
                        str(vmlinux), str(tmp)], check=True)
        with open(tmp, "r+b") as f, mmap.mmap(f.fileno(), 0) as m:
            secs = _sections(m)
            off, n = _build_id_desc(m, secs)
            m[off:off + 4] = bytes(b ^ 0xff for b in m[off:off + 4])
            b = _banner_offset(m, secs)
            text = m[b:m.find(b"\0", b)]
            i = text.index(b"#1 SMP")
            m[b + i:b + i + 2] = b"#9"
            m.flush()
        os.replace(tmp, out)
    return out, elf_build_id(out)


def derive_stripped(arch, vmlinux):
    """No .symtab at all, as /boot's vmlinux of some distributions."""
    other, _ = derive_other_build(arch, vmlinux)
    out = other.parent / "vmlinux-stripped"
    if not out.is_file():
        tmp = out.with_suffix(f".tmp{os.getpid()}")
        subprocess.run([BINUTILS[arch] + "objcopy", "--strip-all",
                        str(other), str(tmp)], check=True)
        os.replace(tmp, out)
    return out


def vmcoreinfo(info):
    """KERNELOFFSET and BUILD-ID as libkdumpfile reads them."""
    kdumpfile = pytest.importorskip("kdumpfile")
    k = kdumpfile.kdumpfile(str(need(info)))
    k.attr["addrxlat.ostype"] = "linux"
    lines = k.attr["linux.vmcoreinfo.lines"]
    return int(lines["KERNELOFFSET"], 16), lines["BUILD-ID"]


def first_kernel_frames(info):
    """NAME, OFFSET, SIZE of the crashed kernel's own frames (not of
    modules) in its console output, before the capture kernel boots."""
    text = (info["path"].parent / "console.log").read_text(errors="replace")
    boots = [m.start() for m in re.finditer(r"\] Linux version ", text)]
    if len(boots) > 1:
        text = text[:boots[1]]
    frames = []
    for line in text.replace("\r", "").splitlines():
        m = FRAME.match(line)
        if m and (m.group(1), m.group(2)) not in \
                [(f[0], f"{f[1]:x}") for f in frames]:
            frames.append((m.group(1), int(m.group(2), 16),
                           int(m.group(3), 16)))
    return frames


# --- symbols ---

@pytest.mark.parametrize("info", labruns.infos(DUMPS), ids=labruns.ids(DUMPS))
def test_console_frames_same_with_and_without_vmlinux(kdumpkit, info):
    """Every frame the dying kernel printed (the faulting pc/RIP and its
    call trace) resolves to the same NAME+OFFSET from the vmlinux as from
    kallsyms, and the function ends where the kernel said (SIZE)."""
    frames = first_kernel_frames(info)
    assert len(frames) >= 3, "no call trace in console.log"
    dump, vmlinux = need(info), vmlinux_of(info)
    names = " ".join(sorted({f[0] for f in frames}))
    starts = {}
    for line in run(kdumpkit, vmlinux, dump, "-c", f"sym {names}").splitlines():
        addr, _, name = line.split()[:3]
        starts[name] = int(addr, 16)
    # A call that does not return can end a function: the kernel prints
    # that return address as NAME+SIZE/SIZE (%pB looks up address - 1).
    frames = [(n, min(off, size - 1), size) for n, off, size in frames]
    addrs = []
    for name, off, size in frames:
        addrs += [starts[name] + off, starts[name] + size - 1]
    query = "sym " + " ".join(f"{a:x}" for a in addrs)
    # with the vmlinux, text symbols also carry their "FILE: LINE"
    with_vmlinux = [" ".join(line.split()[:3]) for line in
                    run(kdumpkit, vmlinux, dump, "-c", query).splitlines()]
    without = run(kdumpkit, dump, "-c", query).splitlines()
    assert with_vmlinux == without
    for i, (name, off, size) in enumerate(frames):
        assert with_vmlinux[2 * i].endswith(
            f") {name}+{off}" if off else f") {name}")
        assert with_vmlinux[2 * i + 1].endswith(f") {name}+{size - 1}")


@pytest.mark.parametrize("info", labruns.infos(KDUMP), ids=labruns.ids(KDUMP))
def test_every_symbol_is_nms(kdumpkit, info):
    """sym -l is nm's table: same names, same type letters, kernel-image
    addresses moved by KERNELOFFSET and small ones (x86_64's per-CPU
    offsets, absolute values) left alone; nm's only extras are assembler
    local labels (.L*, ARM's $x/$d) and local absolute constants."""
    dump, vmlinux = need(info), vmlinux_of(info)
    kaslr, _ = vmcoreinfo(info)
    want = []
    nm = subprocess.run([BINUTILS[info["arch"]] + "nm", str(vmlinux)],
                        capture_output=True, text=True, check=True).stdout
    for line in nm.splitlines():
        f = line.split()
        if len(f) != 3 or f[2].startswith((".L", "$")) or f[1] == "a":
            continue
        addr = int(f[0], 16)
        want.append((addr + kaslr if addr >> 48 == 0xffff else addr,
                     f[1], f[2]))
    got = []
    for line in run(kdumpkit, vmlinux, dump, "-c", "sym -l").splitlines():
        if "MODULE START:" in line:
            break               # the modules' symbols follow the kernel's
        addr, kind, name = line.split()
        got.append((int(addr, 16), kind.strip("()"), name))
    assert len(got) > 100000
    assert sorted(got) == sorted(want)


X86_BT = [p for p in DUMPS if p[1]["arch"] == "x86_64"
          and (p[1]["ref"] / "crash" / "bt.txt").is_file()]


@pytest.mark.parametrize("info", labruns.infos(X86_BT), ids=labruns.ids(X86_BT))
def test_sym_names_crash_bt_frames(kdumpkit, info):
    """crash, given the same vmlinux, named these return addresses."""
    bt = (info["ref"] / "crash" / "bt.txt").read_text()
    frames = [CRASH_FRAME.match(l).groups() for l in bt.splitlines()
              if CRASH_FRAME.match(l)]
    assert frames
    out = run(kdumpkit, vmlinux_of(info), need(info), "-c",
              "sym " + " ".join(a for _, a in frames)).splitlines()
    assert [l.split()[2].split("+")[0] for l in out] == [f for f, _ in frames]


ARM64 = [p for p in DUMPS if p[1]["arch"] == "arm64"]
DATA_SYMBOLS = ["jiffies", "init_task", "modules", "tainted_mask"]


@pytest.mark.parametrize("info", labruns.infos(ARM64), ids=labruns.ids(ARM64))
def test_arm64_data_symbols_are_nm_plus_kaslr(kdumpkit, info):
    """arm64's kallsyms has no data symbols (no CONFIG_KALLSYMS_ALL); with
    the vmlinux they are nm's address plus KERNELOFFSET."""
    dump, vmlinux = need(info), vmlinux_of(info)
    r = kdumpkit(dump, "-c", "sym jiffies")
    assert r.returncode == 1 and "no such symbol" in r.stderr
    if info["path"].name == "vmcore.flat":
        kaslr = int(run(kdumpkit, "info", dump).split("kernel offset")[1]
                    .split()[0], 16)
    else:
        kaslr, _ = vmcoreinfo(info)
    nm = subprocess.run([BINUTILS["arm64"] + "nm", str(vmlinux)],
                        capture_output=True, text=True, check=True).stdout
    want = {}
    for line in nm.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] in DATA_SYMBOLS:
            want[f[2]] = (int(f[0], 16) + kaslr, f[1])
    assert sorted(want) == sorted(DATA_SYMBOLS)
    out = run(kdumpkit, vmlinux, dump, "-c", "sym " + " ".join(DATA_SYMBOLS))
    for name, line in zip(DATA_SYMBOLS, out.splitlines()):
        addr, kind = want[name]
        assert line == f"{addr:016x} ({kind}) {name}"


ARM64_KDUMP = [p for p in KDUMP if p[1]["arch"] == "arm64"]


@pytest.mark.parametrize("info", labruns.infos(ARM64_KDUMP),
                         ids=labruns.ids(ARM64_KDUMP))
def test_arm64_rd_jiffies_and_sys_match_drgn(kdumpkit, info):
    import json
    ref = info["ref"] / "drgn"
    try:
        sysj = json.loads((ref / "sys.json").read_text())
        tasks = json.loads((ref / "tasks.json").read_text())
    except (OSError, ValueError):
        pytest.skip("no drgn reference")
    dump, vmlinux = need(info), vmlinux_of(info)
    out = run(kdumpkit, vmlinux, dump, "-c", "rd jiffies")
    assert int(out.split()[1], 16) == sysj["jiffies_64"]
    fields = dict(re.match(r"^\s*([A-Z][A-Z ]*[A-Z]): (.*)$", l).groups()
                  for l in run(kdumpkit, vmlinux, dump, "-c", "sys")
                  .splitlines())
    assert fields["KERNEL"].split()[0] == str(vmlinux)
    assert fields["TASKS"] == str(len(tasks))
    h, m, s = (int(x) for x in fields["UPTIME"].split(":"))
    assert h * 3600 + m * 60 + s == int(sysj["uptime_s"])
    # QEMU's -m: the first kernel's memory, holes and crashkernel included
    assert fields["MEMORY"] == "1 GB"


X86_SYS = [p for p in DUMPS if p[1]["arch"] == "x86_64"
           and (p[1]["ref"] / "crash" / "sys.txt").is_file()]


@pytest.mark.parametrize("info", labruns.infos(X86_SYS), ids=labruns.ids(X86_SYS))
def test_sys_kernel_line_is_crashs(kdumpkit, info):
    """crash ran with the manifest's vmlinux: its KERNEL line, taint mark
    included, is ours in either argument order."""
    ref = [l for l in (info["ref"] / "crash" / "sys.txt").read_text()
           .splitlines() if l.strip().startswith("KERNEL:")]
    dump, vmlinux = need(info), vmlinux_of(info)
    a = run(kdumpkit, vmlinux, dump, "-c", "sys")
    b = run(kdumpkit, dump, vmlinux, "-c", "sys")
    assert a == b
    assert [l for l in a.splitlines() if "KERNEL:" in l] == ref


@pytest.mark.parametrize("info", labruns.infos(ARM64[:1]),
                         ids=labruns.ids(ARM64[:1]))
def test_either_order_arm64(kdumpkit, info):
    """arm64's vmlinux is ET_DYN, not ET_EXEC: still told from the dump."""
    dump, vmlinux = need(info), vmlinux_of(info)
    a = run(kdumpkit, vmlinux, dump, "-c", "sym jiffies; sys")
    b = run(kdumpkit, dump, vmlinux, "-c", "sym jiffies; sys")
    assert a == b and f"KERNEL: {vmlinux}" in a


# --- refusals ---

def refused(r):
    assert r.returncode == 1
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def other_arch(arch):
    other = "arm64" if arch == "x86_64" else "x86_64"
    pairs = labruns.dumps(other)
    if not pairs:
        pytest.skip(f"no {other} run")
    return other, pairs[0][1]


@pytest.mark.parametrize("info", labruns.infos(KDUMP), ids=labruns.ids(KDUMP))
def test_vmlinux_of_the_other_arch_is_refused(kdumpkit, info):
    other, oinfo = other_arch(info["arch"])
    wrong = vmlinux_of(oinfo)
    _, dump_id = vmcoreinfo(info)
    for args in ((wrong, need(info)), (need(info), wrong)):
        line = refused(kdumpkit(*args, "-c", "sys"))
        assert line == (
            f"kdumpkit: {wrong} does not match the dump: vmlinux is "
            f"{oinfo['release']} ({MACHINE[other]}, build-id "
            f"{elf_build_id(wrong)}), the dump is {info['release']} "
            f"({MACHINE[info['arch']]}, build-id {dump_id})")


@pytest.mark.parametrize("info", labruns.infos(KDUMP), ids=labruns.ids(KDUMP))
def test_vmlinux_of_another_build_is_refused(kdumpkit, info):
    """Same release and machine, another build: both build-ids shown, and
    the banners' versions ("#9 ..." against the dump's "#1 ...")."""
    other, other_id = derive_other_build(info["arch"], vmlinux_of(info))
    _, dump_id = vmcoreinfo(info)
    assert other_id != dump_id
    line = refused(kdumpkit(other, need(info), "-c", "sys"))
    m = re.fullmatch(
        rf"kdumpkit: {re.escape(str(other))} does not match the dump: "
        rf"vmlinux is {re.escape(info['release'])} \"(#9 SMP [^\"]+)\" "
        rf"\({MACHINE[info['arch']]}, build-id {other_id}\), the dump is "
        rf"{re.escape(info['release'])} \"(#1 SMP [^\"]+)\" "
        rf"\({MACHINE[info['arch']]}, build-id {dump_id}\)", line)
    assert m, line
    assert m.group(1)[2:] == m.group(2)[2:]


@pytest.mark.parametrize("info", labruns.infos(KDUMP[:1]),
                         ids=labruns.ids(KDUMP[:1]))
def test_unusable_vmlinux_is_refused(kdumpkit, info, tmp_path):
    """No fallback to kallsyms: the user asked for this file."""
    stripped = derive_stripped(info["arch"], vmlinux_of(info))
    line = refused(kdumpkit(stripped, need(info), "-c", "sys"))
    assert line.startswith(f"kdumpkit: {stripped}: no symbol table")
    text = tmp_path / "vmlinux"
    text.write_text("not a kernel\n")
    line = refused(kdumpkit(text, need(info), "-c", "sys"))
    assert line == f"kdumpkit: {text}: not a vmlinux: not an ELF file"
    core = [p[1]["path"] for p in labruns.dumps(info["arch"])
            if p[1]["path"].name == "vmcore.elf"]
    if core:
        line = refused(kdumpkit(core[0], need(info), "-c", "sys"))
        assert line == (f"kdumpkit: {core[0]}: not a vmlinux: an ELF core "
                        "file (a dump)")
