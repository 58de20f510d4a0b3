"""kdumpkit makedump --split: the dump in several kdump-compressed files,
each holding one range of PFNs (makedumpfile --split's format), of the
lab's unfiltered /proc/vmcore (vmcore.elf of the sysrq-kdump runs).

- The parts cover all PFNs, in order, each range starting at a multiple
  of 4096 PFNs; each part carries the whole dump's bitmaps, which equal
  our single-file dump's; every saved page's data, decompressed from the
  part that holds it, equals the single-file dump's.
- crash 8.0.2 (x86_64) opens the set: sys and log as on makedumpfile's
  dump of the same crash. kdumpkit opens it in any order: sys, log and bt
  as on the single file.
"""
import struct
import subprocess
import zlib

import pytest

from test_makedump import (ARCHES, made, sysrq_run,  # noqa: F401
                           without_paths)

PARTS = 3
ALIGN = 4096


def read_kdump(path):
    """bitmaps (bytes), split range and {pfn: page bytes} of one file."""
    with open(path, "rb") as f:
        data = f.read()
    status, bs, sub, bitmap_blocks = struct.unpack_from("<Iiii", data, 424)
    sh = data[bs:bs + 104]
    split, = struct.unpack_from("<i", sh, 12)
    start, end = struct.unpack_from("<QQ", sh, 80)
    off = bs * (1 + sub)
    bitmaps = data[off:off + bs * bitmap_blocks]
    half = len(bitmaps) // 2
    saved = int.from_bytes(bitmaps[half:], "little")
    pfns, p, x = [], 0, saved
    while x:
        if x & 0xFF:
            pfns += [p + b for b in range(8) if x >> b & 1]
        x >>= 8
        p += 8
    if not split:
        start, end = 0, len(bitmaps[:half]) * 8
    mine = [q for q in pfns if start <= q < end]
    desc = off + bs * bitmap_blocks
    pages = {}
    for i, pfn in enumerate(mine):
        o, size, flags = struct.unpack_from("<QII", data, desc + 24 * i)
        raw = data[o:o + size]
        pages[pfn] = zlib.decompress(raw) if flags & 1 else raw
    return {"bitmaps": bitmaps, "split": split, "start": start, "end": end,
            "pages": pages, "status": status}


@pytest.fixture(scope="module")
def split_set(kdumpkit_bin, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("makedump-split")
    cache = {}

    def make(arch):
        if arch not in cache:
            elf, _, _ = sysrq_run(arch)
            outs = [out_dir / f"{arch}-part{i + 1}" for i in range(PARTS)]
            r = subprocess.run([str(kdumpkit_bin), "makedump", "--split",
                                "-c", "-d", "31", str(elf), *map(str, outs)],
                               capture_output=True, text=True, timeout=1200)
            assert r.returncode == 0, r.stderr
            assert r.stderr.count(" is saved to ") == PARTS, r.stderr
            cache[arch] = outs
        return cache[arch]
    return make


@pytest.mark.parametrize("arch", ARCHES)
def test_parts_hold_the_single_dumps_pages(arch, split_set, made):
    single = read_kdump(made(arch, 31, "c")[0])
    parts = [read_kdump(p) for p in split_set(arch)]
    assert [p["split"] for p in parts] == [1] * PARTS
    assert parts[0]["start"] == 0
    for a, b in zip(parts, parts[1:]):
        assert a["end"] == b["start"] and b["start"] % ALIGN == 0
    assert all(p["bitmaps"] == single["bitmaps"] for p in parts)
    merged = {}
    for p in parts:
        assert p["pages"], "an empty part"
        merged.update(p["pages"])
    assert merged.keys() == single["pages"].keys()
    wrong = [pfn for pfn, page in single["pages"].items()
             if merged[pfn] != page]
    assert not wrong, [hex(p) for p in wrong[:10]]
    # about the same number of pages in each
    sizes = [len(p["pages"]) for p in parts]
    assert max(sizes) < 2 * len(merged) / PARTS, sizes


@pytest.mark.skipif(not __import__("shutil").which("crash"), reason="no crash")
def test_crash_reads_the_set(split_set):
    _, _, ref = sysrq_run("x86_64")
    out = crash_output_set(split_set("x86_64"), ["sys", "log"])
    assert "PANIC:" in out, out
    ours = [line for line in without_paths(out)
            if "[PARTIAL DUMP]" not in line]
    theirs = without_paths((ref / "sys.txt").read_text()) + \
        without_paths((ref / "log.txt").read_text())
    assert ours == theirs


def crash_output_set(parts, commands):
    from kernels import vmlinux_path
    r = subprocess.run(["crash", "-s", str(vmlinux_path("x86_64")),
                        *map(str, parts)],
                       input="".join(c + "\n" for c in commands) + "q\n",
                       capture_output=True, text=True, timeout=600)
    return r.stdout


@pytest.mark.parametrize("arch", ARCHES)
def test_kdumpkit_reads_the_set(arch, split_set, made, kdumpkit):
    single, _ = made(arch, 31, "c")
    parts = split_set(arch)
    outs = []
    for args in ([single], parts[::-1]):
        r = kdumpkit(*args, "-c", "sys; log; bt")
        assert r.returncode == 0, r.stderr
        outs.append([line for line in without_paths(r.stdout)
                     if "DUMPFILE" not in line and "[PARTIAL DUMP]" not in line])
    assert outs[0] == outs[1]


def test_split_usage(kdumpkit, tmp_path):
    elf, _, _ = sysrq_run("x86_64")
    for args, word in ((["--split", elf, tmp_path / "a"], "two files"),
                       (["--split", "-E", elf, tmp_path / "a", tmp_path / "b"],
                        "not with -F, -E")):
        r = kdumpkit("makedump", *args)
        assert r.returncode == 2, r.stderr
        assert word in r.stderr.splitlines()[0]
        assert not list(tmp_path.iterdir())
