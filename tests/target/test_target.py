"""End-to-end tests of kernel virtual memory (target/, arch/) and of the
symbols decoded from the dump's own kallsyms (debuginfo/kallsyms.c), on the
lab's real dumps, through the test tool tests/tools/kdk-read.c.

    /usr/bin/python3 -m pytest tests/target                  (build/ by default)
    KDUMPKIT_BIN=build-asan/kdumpkit /usr/bin/python3 -m pytest tests/target

For every dump of every lab run (~/.cache/kdumpkit/lab/*/*/manifest.json):
  - kallsyms from memory against the kernel's System.map, shifted by
    KERNELOFFSET: every text symbol (T/t) must be there at the same address;
  - linux_banner read by symbol names the manifest's release;
  - >= 10,000 random kernel virtual addresses (direct map, kernel image,
    vmalloc/modules found through vmap_area_list) read by kdk-read and by
    libkdumpfile: the same bytes, or both fail;
  - errors say what was read and why.
"""
import json
import os
import random
import re
import subprocess
from pathlib import Path

import pytest

import lab

REPO = Path(__file__).resolve().parents[2]
LAB = lab.CACHE
BIN = Path(os.environ.get("KDUMPKIT_BIN", REPO / "build" / "kdumpkit"))
KDK_READ = Path(os.environ.get("KDUMPKIT_KDK_READ",
                               BIN.parent / "tests" / "kdk-read"))
DUMP_NAMES = ("vmcore.elf", "vmcore.flat", "vmcore")
SUPPORTED = {"x86_64", "arm64"}
READS = 10000
READ_LEN = 64


def lab_dumps():
    return [pytest.param((manifest, path), id=tid)
            for manifest, path, tid in lab.finished_dumps(DUMP_NAMES)]


DUMPS = lab_dumps()
if not DUMPS:
    pytestmark = pytest.mark.skip("no lab dumps: run tests/lab/lab.py ensure")


class KdkRead:
    """One kdk-read process per request batch: lines in, lines out."""

    def __init__(self, path, symbols=True):
        self.path = path
        self.symbols = symbols

    def ask(self, requests):
        args = [str(KDK_READ)] + ([] if self.symbols else ["--no-symbols"])
        r = subprocess.run(args + [str(self.path)], input="\n".join(requests) + "\n",
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        return r.stdout.splitlines()

    def one(self, request):
        return self.ask([request])[0]


@pytest.fixture(scope="module", params=DUMPS)
def dump(request):
    manifest, path = request.param
    if manifest.get("arch") not in SUPPORTED:
        pytest.skip(f"{manifest.get('arch')}: kernel addresses not supported yet")
    assert KDK_READ.exists(), f"{KDK_READ}: build it first (ninja -C build)"
    kr = KdkRead(path)
    layout = dict(kv.split("=") for kv in kr.one("layout").split()[1:])
    return {"manifest": manifest, "path": path, "kr": kr, "layout": layout}


def symbols(kr):
    lines = kr.ask(["syms"])
    assert lines[-1] == "end"
    out = {}
    for line in lines[:-1]:
        addr, typ, name = line.split(" ", 2)
        out.setdefault(name, []).append((int(addr, 16), typ))
    return out


def system_map(manifest):
    """(address, type, name) of the kernel's System.map; Debian's image
    package holds a placeholder, so fall back on `nm -n` of the vmlinux
    (what scripts/mksysmap filters System.map from)."""
    rel = manifest["release"]
    path = LAB / "kernels" / rel / "img" / "boot" / f"System.map-{rel}"
    text = path.read_text() if path.exists() else ""
    if text.count("\n") < 1000:
        vmlinux = Path(manifest.get("vmlinux", ""))
        if not vmlinux.is_file():
            pytest.skip("no System.map and no vmlinux in the lab")
        text = subprocess.run(["nm", "-n", str(vmlinux)], capture_output=True,
                              text=True, check=True).stdout
    out = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 3:
            out.append((int(fields[0], 16), fields[1], fields[2]))
    return out


# Symbols scripts/kallsyms.c leaves out on purpose (is_ignored_symbol()),
# and the linker's ARM mapping symbols that System.map drops ($x, $d).
KALLSYMS_IGNORED = re.compile(r"^(\$|\.L|__efistub_|__kvm_nvhe_|__crc_|"
                              r"__AArch64ADRPThunk_|__ARMV[57]PXI_|__thumb_)")


def kallsyms_all(manifest):
    rel = manifest["release"]
    config = LAB / "kernels" / rel / "img" / "boot" / f"config-{rel}"
    return "CONFIG_KALLSYMS_ALL=y" in config.read_text()


def text_ranges(smap):
    """Without CONFIG_KALLSYMS_ALL kallsyms keeps text symbols of
    [_stext, _etext] and [_sinittext, _einittext] only."""
    at = {name: addr for addr, _, name in smap}
    return [(at["_stext"], at["_etext"]), (at["_sinittext"], at["_einittext"])]


def test_kallsyms_matches_system_map(dump):
    kaslr = int(dump["layout"]["kernel_offset"], 16)
    syms = symbols(dump["kr"])
    smap = system_map(dump["manifest"])
    ranges = None if kallsyms_all(dump["manifest"]) else text_ranges(smap)
    missing, moved, checked = [], [], 0
    for addr, typ, name in smap:
        if typ not in "Tt" or KALLSYMS_IGNORED.match(name):
            continue
        if ranges and not any(lo <= addr < hi for lo, hi in ranges) and \
                name not in ("_etext", "_einittext"):
            continue
        checked += 1
        got = syms.get(name)
        if not got:
            missing.append(name)
        elif (addr + kaslr) & (2**64 - 1) not in [a for a, _ in got]:
            moved.append(f"{name}: System.map {addr + kaslr:#x}, kallsyms "
                         f"{[hex(a) for a, _ in got]}")
    print(f"{dump['path']}: {checked} text symbols, {len(missing)} missing, "
          f"{len(moved)} at another address")
    assert checked > 10000
    assert not missing, f"{len(missing)} of {checked} text symbols missing: {missing[:10]}"
    assert not moved, f"{len(moved)} of {checked} at another address: {moved[:10]}"


def test_kallsyms_types_and_percpu(dump):
    syms = symbols(dump["kr"])
    assert len(syms) > 40000
    assert syms["schedule"][0][1] == "T"
    if dump["manifest"]["arch"] == "x86_64":   # CONFIG_KALLSYMS_ALL=y there
        assert syms["jiffies"][0][1] in "DdBb"
        # CONFIG_KALLSYMS_ABSOLUTE_PERCPU: per-CPU symbols are offsets
        assert syms["current_task"][0][0] < 0x100000


def read_string(kr, addr, n=256):
    reply = kr.one(f"read {addr:x} {n}")
    assert reply.startswith("ok "), reply
    return bytes.fromhex(reply[3:]).split(b"\0")[0].decode()


def test_linux_banner(dump):
    """By symbol where kallsyms has data symbols (CONFIG_KALLSYMS_ALL, not
    in Debian's arm64 kernels); the release in init_uts_ns in any case."""
    kr, release = dump["kr"], dump["manifest"]["release"]
    reply = kr.one("sym linux_banner")
    if reply.startswith("ok "):
        text = read_string(kr, int(reply.split()[1], 16))
        assert text.startswith(f"Linux version {release} "), text
    else:
        assert dump["manifest"]["arch"] != "x86_64", reply
    uts = int(kr.one("info SYMBOL(init_uts_ns)").split()[1], 16)
    name = int(kr.one("info OFFSET(uts_namespace.name)").split()[1])
    # struct new_utsname: sysname[65], nodename[65], release[65] ...
    assert read_string(kr, uts + name + 2 * 65, 65) == release


def test_symbol_lookup_by_address(dump):
    kr = dump["kr"]
    addr = int(kr.one("sym schedule").split()[1], 16)
    assert kr.one(f"addr {addr + 5:x}").split()[1:3] == ["schedule", "5"]


def test_direct_map_detected_without_symbols(dump):
    """The page tables alone find the direct map that KASLR moved."""
    plain = KdkRead(dump["path"], symbols=False)
    layout = dict(kv.split("=") for kv in plain.one("layout").split()[1:])
    assert layout["direct_map_known"] == "1"
    assert layout["direct_map"] == dump["layout"]["direct_map"]


NOT_KERNEL = {
    "x86_64": ("900000000000", "not a canonical address (4-level paging)"),
    "arm64": ("800008000000", "not a kernel address (the kernel's tables "
              "start at 0xffff000000000000)"),
}


def test_vtop_levels_and_errors(dump):
    kr = dump["kr"]
    schedule = kr.one("sym schedule").split()[1]
    reply = kr.one(f"vtop {schedule}").split()
    assert reply[0] == "ok" and reply[3].startswith("PGD="), reply
    unmapped = int(dump["layout"]["vmalloc"], 16) + (1 << 39) - 4096
    reply = kr.one(f"read {unmapped:x} 8")
    assert re.match(rf"err reading {unmapped:#x}: (P[GU4M]D|PTE) entry not present$",
                    reply), reply
    addr, why = NOT_KERNEL[dump["manifest"]["arch"]]
    reply = kr.one(f"read {addr} 8")
    assert reply == f"err reading 0x{addr}: {why}", reply


# --- the differential against libkdumpfile ---

# libkdumpfile (0.5.x, Debian 12) goes wrong now and then in a long run of
# reads of a compressed dump: a segfault, or "Decompresion failed" on a page
# it reads fine when asked afresh. So it reads in a child process that is
# restarted when either happens, and the read retried once; what still
# fails is counted as the oracle's failure, not compared.
LIBKDUMPFILE_WORKER = r"""
import sys, kdumpfile
k = kdumpfile.kdumpfile(sys.argv[1])
k.attr["addrxlat.ostype"] = "linux"
for line in sys.stdin:
    addr, n = (int(x, 16) for x in line.split())
    try:
        print("ok " + k.read(kdumpfile.KDUMP_KVADDR, addr, n).hex(), flush=True)
    except Exception as e:
        print("err %s" % e, flush=True)
"""


class Libkdumpfile:
    def __init__(self, dump):
        pytest.importorskip("kdumpfile")
        path = dump["path"]
        if path.name == "vmcore.flat":  # libkdumpfile cannot read it: the
            path = path.with_name("vmcore.elf")     # same memory, as ELF
            if not path.exists():
                pytest.skip("no ELF twin of the flattened dump")
        self.path = path
        self.proc = None
        self.crashes = 0

    def _start(self):
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", "-c", LIBKDUMPFILE_WORKER, str(self.path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            stderr=subprocess.DEVNULL)

    def read(self, addr, n):
        """bytes, an error string, or None if libkdumpfile failed."""
        reply = self._read(addr, n)
        if reply is None or (isinstance(reply, str) and "Decompresion" in reply):
            self.close()
            reply = self._read(addr, n)
            if reply is None or (isinstance(reply, str) and "Decompresion" in reply):
                self.crashes += 1
                return None
        return reply

    def _read(self, addr, n):
        if self.proc is None:
            self._start()
        try:
            self.proc.stdin.write(f"{addr:x} {n:x}\n")
            self.proc.stdin.flush()
            reply = self.proc.stdout.readline()
        except BrokenPipeError:
            reply = ""
        if not reply:
            self.proc.wait()
            self.proc = None
            return None
        return bytes.fromhex(reply[3:]) if reply.startswith("ok ") else reply

    def close(self):
        if self.proc:
            self.proc.stdin.close()
            self.proc.wait()
            self.proc = None


def vmalloc_areas(kr, limit=400):
    """[start, end) of vmap areas (vmalloc, stacks, modules), chasing
    vmap_area_list with our own reads in one kdk-read process."""
    info = {key: kr.one(f"info {key}").split()[1] for key in
            ("SYMBOL(vmap_area_list)", "OFFSET(vmap_area.list)",
             "OFFSET(vmap_area.va_start)")}
    head = int(info["SYMBOL(vmap_area_list)"], 16)
    list_off = int(info["OFFSET(vmap_area.list)"])
    start_off = int(info["OFFSET(vmap_area.va_start)"])
    proc = subprocess.Popen([str(KDK_READ), str(kr.path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)

    def read(addr, n):
        proc.stdin.write(f"read {addr:x} {n}\n")
        proc.stdin.flush()
        reply = proc.stdout.readline().strip()
        assert reply.startswith("ok "), reply
        return bytes.fromhex(reply[3:])

    areas, node = [], head
    try:
        while len(areas) < limit:
            node = int.from_bytes(read(node, 8), "little")
            if node == head:
                break
            raw = read(node - list_off + start_off, 16)
            areas.append((int.from_bytes(raw[:8], "little"),
                          int.from_bytes(raw[8:], "little")))
    finally:
        proc.stdin.close()
        proc.wait()
    return areas


def random_addresses(dump, rng):
    kr, layout = dump["kr"], dump["layout"]
    direct = int(layout["direct_map"], 16)
    ranges = memory_ranges(kr)
    syms = symbols(kr)
    text = [a for entries in syms.values() for a, t in entries if t in "Tt"]
    stext, end = min(text), max(text)
    areas = [a for a in vmalloc_areas(kr) if a[1] > a[0]]
    assert areas, "no vmap areas found"
    addrs = []
    for i in range(READS):
        kind = i % 4
        if kind == 0 and ranges:        # RAM through the direct map
            lo, hi = rng.choice(ranges)
            addrs.append(direct + rng.randrange(lo, hi))
        elif kind == 1:                 # the kernel image
            addrs.append(rng.randrange(stext, end))
        elif kind == 2:                 # vmalloc, stacks, modules
            lo, hi = rng.choice(areas)
            addrs.append(rng.randrange(lo, hi))
        else:                           # anywhere in the direct map's first TB
            addrs.append(direct + rng.randrange(0, 1 << 40))
    return addrs


def memory_ranges(kr):
    lines = kr.ask(["ranges"])
    assert lines[-1] == "end"
    return [tuple(int(x, 16) for x in line.split()) for line in lines[:-1]]


def init_section(dump):
    """[__init_begin, __init_end) at run time, from System.map + KASLR."""
    kaslr = int(dump["layout"]["kernel_offset"], 16)
    at = {name: addr for addr, _, name in system_map(dump["manifest"])}
    return ((at["__init_begin"] + kaslr) % 2**64, (at["__init_end"] + kaslr) % 2**64)


def test_reads_match_libkdumpfile(dump):
    """Same bytes or both fail, with two known exceptions: libkdumpfile
    (and drgn) read the kernel image linearly, so they still read the
    __init section the kernel freed and unmapped (arm64: free_initmem()
    calls vunmap_range(__init_begin, __init_end)), where we follow the
    page tables and fail; and a flattened dump is compared with its ELF
    twin, dumped a moment later from a guest whose CPUs still spin, so a
    few bytes of stacks may have changed in between."""
    lib = Libkdumpfile(dump)
    kr = dump["kr"]
    rng = random.Random(str(dump["path"]))
    addrs = random_addresses(dump, rng)
    replies = kr.ask([f"read {a:x} {READ_LEN}" for a in addrs])
    assert len(replies) == len(addrs)
    init = init_section(dump)
    differ, changed, freed_init, both_ok, both_err = [], [], [], 0, 0
    try:
        for addr, reply in zip(addrs, replies):
            theirs = lib.read(addr, READ_LEN)
            ours_ok = reply.startswith("ok ")
            if not ours_ok:
                assert re.match(r"err reading 0x[0-9a-f]+: ", reply), reply
            if theirs is None:
                continue
            if ours_ok and isinstance(theirs, bytes):
                if bytes.fromhex(reply[3:]) == theirs:
                    both_ok += 1
                elif lib.path != dump["path"]:
                    changed.append(addr)
                else:
                    differ.append(f"{addr:#x}: bytes differ")
            elif not ours_ok and not isinstance(theirs, bytes):
                both_err += 1
            elif not ours_ok and init[0] <= addr < init[1] and \
                    "entry not present" in reply:
                freed_init.append(addr)
            else:
                differ.append(f"{addr:#x}: ours {reply[:90]!r}, libkdumpfile "
                              f"{theirs.strip() if isinstance(theirs, str) else 'ok'}")
    finally:
        lib.close()
    print(f"{dump['path']}: {both_ok} same bytes, {both_err} both failed, "
          f"{len(differ)} differ, {len(freed_init)} in freed __init text, "
          f"{len(changed)} changed in the ELF twin, libkdumpfile failed "
          f"{lib.crashes} times")
    assert both_ok > READS // 5
    assert lib.crashes < READS // 100
    assert len(changed) < READS // 100
    assert not differ, f"{len(differ)} of {len(addrs)} differ: {differ[:10]}"
