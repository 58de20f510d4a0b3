"""End-to-end tests of the dump layer and `kdumpkit info`, on the lab's real dumps.

    /usr/bin/python3 -m pytest tests/dump                    (build/ by default)
    KDUMPKIT_BIN=build-asan/kdumpkit /usr/bin/python3 -m pytest tests/dump

Every run of the lab cache ($KDUMPKIT_LAB_CACHE, default ~/.cache/kdumpkit/lab,
runs at */*/manifest.json) is checked: `info --json` against the manifest, and
physical reads (through tests/dump-read) against libkdumpfile, page by page.
Bad inputs (truncated, corrupted, empty files, directories) must fail with one
line and exit 1, never crash: run them under the ASan build too.
"""
import contextlib
import json
import os
import random
import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

import lab
import sanitized

REPO = Path(__file__).resolve().parents[2]
LAB = lab.CACHE
BIN = Path(os.environ.get("KDUMPKIT_BIN", REPO / "build" / "kdumpkit"))
DUMP_READ = Path(os.environ.get("KDUMPKIT_DUMP_READ",
                                BIN.parent / "tests" / "dump-read"))
PAGE = 4096
MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}     # lab arch -> uname -m
# struct user_pt_regs / user_regs_struct: the pr_reg of NT_PRSTATUS
REGISTERS = {
    "x86_64": "r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi "
              "orig_rax rip cs rflags rsp ss fs_base gs_base ds es fs gs".split(),
    "arm64": [f"x{i}" for i in range(30)] + ["lr", "sp", "pc", "pstate"],
}

# file name -> (format, container)
KINDS = {
    "vmcore.elf": ("ELF", None),
    "vmcore.flat": ("kdump-compressed", "flattened"),
    "vmcore": ("kdump-compressed", None),
}
NOT_PRESENT = re.compile(r"^physical address 0x[0-9a-f]+: (not in the dump|"
                         r"excluded from the dump \(|beyond the end of a truncated file)")
# sanitizers must not be mistaken for our own exit status 1


def lab_dumps():
    return [pytest.param(path, manifest, id=tid)
            for manifest, path, tid in lab.finished_dumps(tuple(KINDS))]


DUMPS = lab_dumps()
needs_lab = pytest.mark.skipif(not DUMPS, reason=f"no lab dumps under {LAB}")


def run(*args, stdin=None):
    return sanitized.run(*args, stdin=stdin)


assert_clean_stderr = sanitized.assert_no_crash


def version(path):
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size


@contextlib.contextmanager
def unchanged(path):
    """The lab rewrites runs while it works: a failure on a dump that
    changed under the test says nothing about kdumpkit."""
    before = version(path)
    if before is None or not (path.parent / "manifest.json").exists():
        pytest.skip(f"{path}: the lab is rewriting this run")
    try:
        yield
    except Exception:
        if version(path) != before:
            pytest.skip(f"{path}: rewritten by the lab during the test")
        raise


_info_cache = {}


def info(path):
    key = (path, version(path))
    if key not in _info_cache:
        r = run(BIN, "info", "--json", "--vmcoreinfo", path)
        assert_clean_stderr(r)
        assert r.returncode == 0, r.stderr
        assert r.stderr == ""
        _info_cache[key] = json.loads(r.stdout)
    return _info_cache[key]


# --- info on every lab dump ---

@needs_lab
@pytest.mark.parametrize("path,manifest", DUMPS)
def test_info_facts(path, manifest):
    with unchanged(path):
        _info_facts(path, manifest)


def _info_facts(path, manifest):
    j = info(path)
    fmt, container = KINDS[path.name]
    assert (j["format"], j["container"]) == (fmt, container)
    assert j["vmcoreinfo"]["OSRELEASE"] == manifest["release"]
    assert j["release"] == manifest["release"]
    assert j["vmcoreinfo"]["PAGESIZE"] == str(PAGE)
    # QEMU writes arm64 kdump files in 64 KiB blocks, whatever the guest's pages
    assert j["page_size"] in (PAGE, 65536) and not j["page_size_assumed"]
    qemu_unknown = manifest["method"] == "qemu" and container and \
        j["machine"] == "Unknown"      # QEMU's utsname.machine for arm
    assert j["machine"] == MACHINE[manifest["arch"]] or qemu_unknown
    assert re.fullmatch(r"[0-9a-f]{40}", j["vmcoreinfo"]["BUILD-ID"])
    assert re.fullmatch(r"[0-9a-f]+", j["vmcoreinfo"]["KERNELOFFSET"])
    assert j["problems"] == []
    assert j["memory"]["bytes"] > 256 << 20
    pages = j["pages"]
    assert pages["present"] + pages["excluded"] == pages["in_memory"]
    assert pages["missing"] == 0
    if fmt == "kdump-compressed":
        assert j["format_version"] == 6
        assert j["compression"] == "zlib"
        assert pages["zero"] > 0
        if manifest["method"] == "kdump":   # QEMU leaves utsname empty
            assert j["header"]["release"] == manifest["release"]
    if manifest["method"] == "qemu":
        # 2 vCPUs; QEMU stores the vCPU number + 1 where a PID belongs
        assert j["cpu_notes"] == 2
        # QEMUCPUState notes (control registers) are x86's only
        assert j["qemu_notes"] == (2 if manifest["arch"] == "x86_64" else 0)
        assert [c["pr_pid"] for c in j["cpus"]] == [1, 2]
        assert j["vmcoreinfo"]["CRASHTIME"] is None
        # x86_64: 1 GiB of RAM and the BIOS ROM below 4 GiB
        assert j["memory"]["bytes"] == (1 << 30) + \
            (256 << 10 if manifest["arch"] == "x86_64" else 0)
        if fmt != "ELF":
            assert j["dump_level"] == 1 and pages["excluded"] == 0
    else:
        assert 1 <= j["cpu_notes"] <= 2 and j["qemu_notes"] == 0
        assert int(j["vmcoreinfo"]["CRASHTIME"]) > 1_600_000_000
        if path.name == "vmcore":       # makedumpfile -c -d 31
            assert j["dump_level"] == 31 and pages["excluded"] > 0


@needs_lab
@pytest.mark.parametrize("path,manifest", DUMPS)
def test_build_id_matches_vmlinux(path, manifest):
    with unchanged(path):
        _build_id_matches_vmlinux(path, manifest)


def _build_id_matches_vmlinux(path, manifest):
    vmlinux = manifest.get("vmlinux")
    if not vmlinux or not Path(vmlinux).is_file():
        pytest.skip("no vmlinux")
    r = subprocess.run(["readelf", "-n", vmlinux], capture_output=True, text=True)
    m = re.search(r"Build ID: ([0-9a-f]+)", r.stdout)
    assert m and info(path)["vmcoreinfo"]["BUILD-ID"] == m.group(1)


@needs_lab
def test_same_run_same_kernel():
    """The ELF and the kdump-compressed file of one run describe one kernel."""
    runs = {}
    for p in DUMPS:
        path = p.values[0]
        runs.setdefault(path.parent, []).append(path)
    for paths in runs.values():
        facts = {(info(p)["vmcoreinfo"]["KERNELOFFSET"],
                  info(p)["vmcoreinfo"]["BUILD-ID"], info(p)["cpu_notes"])
                 for p in paths}
        assert len(facts) == 1, paths


@needs_lab
def test_text_output_reads_well():
    path = sample("vmcore")
    r = run(BIN, "info", path)
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["file", str(path)]
    assert any(re.match(r"release +\S+", line) for line in lines)
    assert any(re.match(r"memory +\d+ ranges?, ", line) for line in lines)


# --- physical reads against libkdumpfile ---

kdumpfile = pytest.importorskip("kdumpfile")


def reference_file(path, tmp_path_factory):
    """libkdumpfile cannot read flattened files: reassemble them first."""
    with open(path, "rb") as f:
        if not f.read(12) == b"makedumpfile":
            return path
    out = tmp_path_factory.mktemp("reassembled") / "vmcore"
    with open(path, "rb") as f:
        subprocess.run(["makedumpfile", "-R", str(out)], stdin=f, check=True,
                       capture_output=True)
    return out


class KdumpOracle:
    """A minimal reader of reassembled kdump-compressed files (zlib only),
    for what libkdumpfile cannot read: it sizes pages by the kernel's page
    size, so it fails on the 64 KiB blocks QEMU writes for arm64 guests.
    Offers the part of libkdumpfile's interface the reads test uses."""

    def __init__(self, path):
        self.f = open(path, "rb")
        h = self.f.read(464)
        self.bs, sub_blocks, bitmap_blocks = struct.unpack_from("<iiI", h, 428)
        self.f.seek(self.bs + 96)
        self.max_pfn, = struct.unpack("<Q", self.f.read(8))
        half = bitmap_blocks // 2 * self.bs
        self.f.seek(self.bs * (1 + sub_blocks) + half)
        bits = self.f.read(half)
        self.saved = [i for i in range(self.max_pfn) if bits[i // 8] >> (i % 8) & 1]
        self.index = {pfn: i for i, pfn in enumerate(self.saved)}
        self.desc_off = self.bs * (1 + sub_blocks) + 2 * half
        self.attr = {"max_pfn": self.max_pfn * self.bs // PAGE,
                     "file.pagemap": self}

    def get_bits(self, first, last):
        per = self.bs // PAGE
        out = bytearray((last - first) // 8 + 1)
        for pfn in self.saved:
            for p in range(pfn * per, pfn * per + per):
                if first <= p <= last:
                    out[(p - first) // 8] |= 1 << ((p - first) % 8)
        return out

    def read(self, _kind, addr, n):
        block = addr // self.bs
        if block not in self.index:
            raise kdumpfile.exceptions.NoDataException("excluded")
        self.f.seek(self.desc_off + 24 * self.index[block])
        off, size, flags = struct.unpack("<QII", self.f.read(16))
        self.f.seek(off)
        data = self.f.read(size)
        page = zlib.decompress(data) if flags & 1 else data
        assert len(page) == self.bs
        return page[addr % self.bs:addr % self.bs + n]


def read_reference(path, j, tmp_path_factory):
    """What to read the same pages from."""
    ref = reference_file(path, tmp_path_factory)
    if j["page_size"] != PAGE:
        return KdumpOracle(ref)
    return kdumpfile.kdumpfile(str(ref))


def lib_present_pfns(lib, max_pfn):
    bits = lib.attr["file.pagemap"].get_bits(0, max_pfn - 1)
    return [i * 8 + b for i, byte in enumerate(bits) if byte
            for b in range(8) if byte >> b & 1]


def choose_pages(j, lib, rng):
    """1200 pages: in memory, saved (per libkdumpfile), and anywhere."""
    ranges = [(r["start"], r["end"]) for r in j["memory"]["ranges"]]
    in_memory = [p for s, e in ranges for p in range(s // PAGE, (e + PAGE - 1) // PAGE)]
    top = max(e for _, e in ranges) // PAGE
    present = lib_present_pfns(lib, min(lib.attr["max_pfn"], top + 1)) or in_memory
    pfns = (rng.choices(in_memory, k=600) + rng.choices(present, k=400) +
            [rng.randrange(0, top + (1 << 16)) for _ in range(200)])
    return sorted(set(pfns)), ranges


def our_reads(path, requests):
    lines = "".join(f"{a:x} {n}\n" for a, n in requests)
    r = run(DUMP_READ, path, stdin=lines)
    assert_clean_stderr(r)
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert len(out) == len(requests)
    return [bytes.fromhex(line[3:]) if line.startswith("ok ") else line[4:]
            for line in out]


def lib_read(lib, addr, n):
    try:
        return bytes(lib.read(kdumpfile.KDUMP_MACHPHYSADDR, addr, n))
    except kdumpfile.exceptions.NoDataException:
        return None


def covered(ranges, pfn):
    """The part of page pfn that the ranges cover, as (start, end)."""
    s, e = pfn * PAGE, (pfn + 1) * PAGE
    for rs, re_ in ranges:
        if rs < e and re_ > s:
            return max(s, rs), min(e, re_)
    return None


@needs_lab
@pytest.mark.parametrize("path,manifest", DUMPS)
def test_reads_match_libkdumpfile(path, manifest, tmp_path_factory):
    with unchanged(path):
        _reads_match_libkdumpfile(path, manifest, tmp_path_factory)


def _reads_match_libkdumpfile(path, manifest, tmp_path_factory):
    j = info(path)
    excluded = path.name == "vmcore"    # makedumpfile -d 31
    check_reads(path, j, read_reference(path, j, tmp_path_factory), excluded)


def check_reads(path, j, lib, filtered):
    """Read >= 1000 pages with kdumpkit and libkdumpfile: the same bytes, or
    both say the page is not there."""
    rng = random.Random(f"{path.parent.name}/{path.name}")
    pfns, ranges = choose_pages(j, lib, rng)
    assert len(pfns) >= 1000
    ours = our_reads(path, [(p * PAGE, PAGE) for p in pfns])
    same = absent = partial = 0
    partial_reqs = []
    for pfn, got in zip(pfns, ours):
        want = lib_read(lib, pfn * PAGE, PAGE)
        inside = covered(ranges, pfn) is not None
        if isinstance(got, bytes):
            assert want == got, f"pfn {pfn:#x}: bytes differ"
            same += 1
        elif want is None:
            assert NOT_PRESENT.match(got), got
            if filtered and inside:
                assert "excluded from the dump" in got, got
            if not inside:
                assert got.endswith("not in the dump"), got
            absent += 1
        elif "past its ELF segment's file size" in got:
            # makedumpfile -E leaves excluded pages out of p_filesz;
            # libkdumpfile reads them as zeros, we say they are excluded
            assert want == bytes(PAGE), f"pfn {pfn:#x}"
            absent += 1
        else:
            # libkdumpfile pads a page that memory only partly covers; we
            # refuse the uncovered bytes: compare the covered ones
            part = covered(ranges, pfn)
            assert part and part != (pfn * PAGE, (pfn + 1) * PAGE), \
                f"pfn {pfn:#x}: libkdumpfile reads it, we say {got}"
            partial_reqs.append((part, want))
    if partial_reqs:
        got = our_reads(path, [(s, e - s) for (s, e), _ in partial_reqs])
        for ((s, e), want), g in zip(partial_reqs, got):
            off = s % PAGE
            assert g == want[off:off + e - s]
            partial += 1
    assert same >= 300, (same, absent, partial)
    if filtered:
        assert absent >= 300, "excluded pages must be among the reads"


@needs_lab
@pytest.mark.parametrize("path,manifest", DUMPS)
def test_cpu_registers_match_libkdumpfile(path, manifest, tmp_path_factory):
    with unchanged(path):
        _cpu_registers_match_libkdumpfile(path, manifest, tmp_path_factory)


def _cpu_registers_match_libkdumpfile(path, manifest, tmp_path_factory):
    lib = kdumpfile.kdumpfile(str(reference_file(path, tmp_path_factory)))
    same_moment = True
    if "cpu.number" not in lib.attr:
        # libkdumpfile finds no architecture in QEMU's arm64 kdump files
        # (utsname.machine "Unknown"): take the vCPUs from the ELF QEMU
        # wrote of the same guest, a moment apart, so not their registers
        lib = kdumpfile.kdumpfile(str(path.parent / "vmcore.elf"))
        same_moment = False
    r = run(DUMP_READ, "--cpus", path)
    assert r.returncode == 0, r.stderr
    cpus = [line.split() for line in r.stdout.splitlines()]
    assert len(cpus) == lib.attr["cpu.number"]
    names = REGISTERS[manifest["arch"]]
    for i, (index, pid, regs) in enumerate(cpus):
        assert int(index) == i and int(pid) == lib.attr[f"cpu.{i}.pid"]
        if not same_moment:
            continue
        raw = bytes.fromhex(regs)
        assert len(raw) == 8 * len(names)
        for k, name in enumerate(names):
            value = int.from_bytes(raw[8 * k:8 * k + 8], "little")
            assert value == lib.attr[f"cpu.{i}.reg.{name}"], name


@needs_lab
@pytest.mark.parametrize("path,manifest", DUMPS)
def test_vmcoreinfo_matches_libkdumpfile(path, manifest, tmp_path_factory):
    with unchanged(path):
        _vmcoreinfo_matches_libkdumpfile(path, manifest, tmp_path_factory)


def _vmcoreinfo_matches_libkdumpfile(path, manifest, tmp_path_factory):
    lib = kdumpfile.kdumpfile(str(reference_file(path, tmp_path_factory)))
    raw = bytes(lib.attr["linux.vmcoreinfo.raw"]).decode()
    want = dict(line.split("=", 1) for line in raw.splitlines() if "=" in line)
    assert info(path)["vmcoreinfo"]["all"] == want


# --- bad inputs: one line, exit 1, no crash ---

def assert_fails_cleanly(path, why=None):
    r = run(BIN, "info", path)
    assert_clean_stderr(r)
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"kdumpkit: info: {path}: "), lines[0]
    if why:
        assert re.search(why, lines[0]), lines[0]
    return lines[0]


def test_nonexistent(tmp_path):
    assert_fails_cleanly(tmp_path / "nope", "cannot open: No such file or directory")


def test_empty_file(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    assert_fails_cleanly(tmp_path / "empty", "empty file$")


def test_directory(tmp_path):
    assert_fails_cleanly(tmp_path, "is a directory$")


def test_garbage(tmp_path):
    rng = random.Random(1)
    for i, data in enumerate([bytes(rng.getrandbits(8) for _ in range(65536)),
                              b"KDUMP   " + bytes(100),
                              b"makedumpfile" + bytes(4),
                              b"\x7fELF" + bytes(60),
                              b"hello\n"]):
        p = tmp_path / f"garbage{i}"
        p.write_bytes(data)
        assert_fails_cleanly(p)


def test_usage_errors():
    r = run(BIN, "info")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    r = run(BIN, "info", "--bogus", "x")
    assert r.returncode == 2 and "unknown option" in r.stderr


def sample(name):
    for p in DUMPS:
        path = p.values[0]
        if path.name == name and version(path) and \
                (path.parent / "manifest.json").exists():
            return path
    pytest.skip(f"no lab {name}")


def copy_prefix(src, dst, n, size=None):
    """dst: the first n bytes of src; then, if size, sparse up to size."""
    with open(src, "rb") as f, open(dst, "wb") as g:
        left = n
        while left:
            chunk = f.read(min(left, 8 << 20))
            if not chunk:
                break
            g.write(chunk)
            left -= len(chunk)
        if size:
            g.truncate(size)


HEAD = 8 << 20      # bytes of a big ELF copied for real; the rest is sparse


def real_bytes(size, n):
    """How much of the first n bytes to copy: all of a small dump's."""
    return n if size < (64 << 20) else min(n, HEAD)


@needs_lab
@pytest.mark.parametrize("name", ["vmcore", "vmcore.flat", "vmcore.elf"])
def test_truncated(name, tmp_path):
    src = sample(name)
    size = src.stat().st_size
    rng = random.Random(name)
    cuts = [1, 100, 464, 4096, 4200, 12288] + \
        [rng.randrange(1, size) for _ in range(14)] + [size - 1]
    for cut in cuts:
        p = tmp_path / f"cut-{cut}"
        copy_prefix(src, p, real_bytes(size, cut), cut)
        assert_fails_cleanly(p, "truncated|less than|not a kernel dump|empty")
        if cut == size - 1:     # opens: --json says what it has, and why not all
            r = run(BIN, "info", "--json", p)
            assert r.returncode == 1 and len(r.stderr.splitlines()) == 1
            j = json.loads(r.stdout)
            assert j["problems"] and j["problems"][0].startswith("truncated")
            assert j["vmcoreinfo"]["OSRELEASE"]
        p.unlink()


@needs_lab
@pytest.mark.parametrize("name", ["vmcore", "vmcore.flat", "vmcore.elf"])
def test_flipped_header_bytes(name, tmp_path):
    src = sample(name)
    size = src.stat().st_size
    p = tmp_path / "flipped"
    copy_prefix(src, p, real_bytes(size, size), size)
    data = bytearray(open(src, "rb").read(1 << 16))
    # the headers: ELF header, program headers and notes; kdump header,
    # sub-header, VMCOREINFO, notes and bitmaps; the flattened header and
    # first records
    rng = random.Random(name)
    spots = [0, 3, 8, 9, 16, 24, 32] + [rng.randrange(0, 1 << 14) for _ in range(40)]
    failures = 0
    for spot in spots:
        old = data[spot]
        with open(p, "r+b") as f:
            f.seek(spot)
            f.write(bytes([old ^ (1 << rng.randrange(8)) if spot > 32 else old ^ 0xff]))
        r = run(BIN, "info", p)
        assert_clean_stderr(r)
        assert r.returncode in (0, 1), r.stderr
        if r.returncode == 1:
            assert len(r.stderr.splitlines()) == 1, r.stderr
            assert r.stderr.startswith(f"kdumpkit: info: {p}: ")
            failures += 1
        elif spot < 8:
            pytest.fail(f"a flipped magic byte {spot} went unnoticed")
        with open(p, "r+b") as f:
            f.seek(spot)
            f.write(bytes([old]))
    assert failures >= 3     # at least the magic and the version


# --- makedumpfile's other outputs, made from a /proc/vmcore copy ---

VARIANTS = {    # name: makedumpfile flags, format, container, compression
    "lzo": (["-l"], "kdump-compressed", None, "lzo"),
    "elf": (["-E"], "ELF", None, "none"),
    "zlib-flattened": (["-c", "-F"], "kdump-compressed", "flattened", "zlib"),
    "elf-flattened": (["-E", "-F"], "ELF", "flattened", "none"),
}


def proc_vmcore_copy():
    """An x86_64 /proc/vmcore copy: Debian's makedumpfile reads x86_64 only."""
    for p in DUMPS:
        path, manifest = p.values
        if path.name == "vmcore.elf" and manifest["method"] == "kdump" and \
                manifest["arch"] == "x86_64" and version(path):
            return path, manifest
    pytest.skip("no x86_64 /proc/vmcore copy in the lab")


@pytest.fixture(scope="module")
def made_dumps(tmp_path_factory):
    src, manifest = proc_vmcore_copy()
    made = {}

    def make(name):
        if name not in made:
            flags = VARIANTS[name][0]
            out = tmp_path_factory.mktemp("made") / f"vmcore-{name}"
            if "-F" in flags:
                with open(out, "wb") as f:
                    subprocess.run(["makedumpfile", *flags, "-d", "31", src],
                                   stdout=f, stderr=subprocess.PIPE, check=True)
            else:
                subprocess.run(["makedumpfile", *flags, "-d", "31", src, out],
                               capture_output=True, check=True)
            made[name] = out
        return made[name], manifest
    return make


@needs_lab
@pytest.mark.parametrize("name", VARIANTS)
def test_makedumpfile_variants(name, made_dumps, tmp_path_factory):
    path, manifest = made_dumps(name)
    _, fmt, container, compression = VARIANTS[name]
    j = info(path)
    assert (j["format"], j["container"], j["compression"]) == \
        (fmt, container, compression)
    assert j["vmcoreinfo"]["OSRELEASE"] == manifest["release"]
    assert j["problems"] == [] and j["cpu_notes"] >= 1
    assert j["pages"]["excluded"] > j["pages"]["present"] > 0
    if fmt == "kdump-compressed":
        assert j["dump_level"] == 31 and j["pages"]["zero"] > 0
    lib = kdumpfile.kdumpfile(str(reference_file(path, tmp_path_factory)))
    check_reads(path, j, lib, filtered=True)
