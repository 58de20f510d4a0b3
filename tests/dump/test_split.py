"""Split dumps (makedumpfile --split): several kdump-compressed files that
together are one dump, opened as crash opens `vmcore1 vmcore2 vmcore3`.

    /usr/bin/python3 -m pytest tests/dump/test_split.py
    KDUMPKIT_BIN=build-asan/kdumpkit /usr/bin/python3 -m pytest tests/dump/test_split.py

The sets are made from each architecture's sysrq-kdump lab run and kept in
~/.cache/kdumpkit/derived/split/<release>/<source size>-<source mtime>/,
remade when the lab run changes:

  x86_64  the host's makedumpfile on the /proc/vmcore copy (vmcore.elf):
          -c -d 31 and -l -d 31, each with --split into 3 parts and
          without (the single file the set is compared with)
  arm64   Debian's makedumpfile reads x86_64 only, so the guest's own
          `makedumpfile -c -d 31` output (the run's vmcore) is split by
          splitkdump.py, which is checked here to write what makedumpfile
          --split writes, byte for byte, and what makedumpfile --reassemble
          puts back together into that vmcore, byte for byte.

The oracles: the single file (through kdumpkit and through libkdumpfile),
and libkdumpfile reading the set itself (kdump_open_fdset(), through
ctypes: the Python binding opens one file only).
"""
import ctypes
import itertools
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import splitkdump  # noqa: E402
import lab  # noqa: E402
import sanitized  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("KDUMPKIT_BIN", REPO / "build" / "kdumpkit"))
DUMP_READ = Path(os.environ.get("KDUMPKIT_DUMP_READ",
                                BIN.parent / "tests" / "dump-read"))
DERIVED = Path(os.environ.get("KDUMPKIT_DERIVED",
                              Path.home() / ".cache" / "kdumpkit" / "derived")) / "split"
RELEASES = {"x86_64": "6.1.0-56-cloud-amd64", "arm64": "6.1.0-56-arm64"}
MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}
PAGE = 4096
PARTS = 3

kdumpfile = pytest.importorskip("kdumpfile")


def run(*args, stdin=None):
    return sanitized.run(*args, stdin=stdin, timeout=900)


assert_no_crash = sanitized.assert_no_crash


def assert_one_line_error(r, why):
    assert_no_crash(r)
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert re.search(why, lines[0]), lines[0]
    return lines[0]


# --- the sets ---

def lab_file(arch, name):
    run_dir = lab.CACHE / RELEASES[arch] / "sysrq-kdump"
    path = run_dir / name
    if not (run_dir / "manifest.json").is_file() or not path.is_file():
        pytest.skip(f"no lab run {run_dir} with {name}")
    return path


def key_of(path):
    st = path.stat()
    return f"{st.st_size}-{st.st_mtime_ns}"


def makedumpfile(*args):
    r = subprocess.run(["makedumpfile", *map(str, args)], capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr


def make_x86_64(src, tmp):
    """makedumpfile --split, and the same without: per codec."""
    for codec, flag in (("zlib", "-c"), ("lzo", "-l")):
        d = tmp / codec
        d.mkdir()
        parts = [d / f"part{i + 1}" for i in range(PARTS)]
        # a split block of 1 MiB: with the default (1 GiB) the whole
        # guest is one block, and the first part gets all of it
        makedumpfile("--split", "--splitblock-size", "1024", flag, "-d", "31",
                     src, *parts)
        makedumpfile(flag, "-d", "31", src, d / "single")


def make_arm64(src, tmp):
    d = tmp / "zlib"
    d.mkdir()
    splitkdump.split(src, [d / f"part{i + 1}" for i in range(PARTS)])


def ensure_sets(arch):
    """The directory of arch's sets, made if missing or stale."""
    src = lab_file(arch, "vmcore.elf" if arch == "x86_64" else "vmcore")
    if arch == "x86_64" and not shutil.which("makedumpfile"):
        pytest.skip("no makedumpfile")
    top = DERIVED / RELEASES[arch]
    out = top / key_of(src)
    if out.is_dir():
        return out
    tmp = top / f".new-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    (make_x86_64 if arch == "x86_64" else make_arm64)(src, tmp)
    for stale in top.iterdir():     # of an older lab run
        if stale.is_dir() and not stale.name.startswith(".") and stale != out:
            shutil.rmtree(stale, ignore_errors=True)
    try:
        tmp.rename(out)
    except OSError:                 # made meanwhile by another run
        shutil.rmtree(tmp, ignore_errors=True)
    return out


_sets = {}


def dump_set(arch, codec="zlib"):
    """{parts, single, ranges: [(start_pfn, end_pfn)], max_pfn}."""
    if (arch, codec) not in _sets:
        d = ensure_sets(arch) / codec
        parts = [d / f"part{i + 1}" for i in range(PARTS)]
        single = d / "single" if arch == "x86_64" else lab_file(arch, "vmcore")
        heads = [sub_header(p) for p in parts]
        _sets[arch, codec] = {
            "parts": parts, "single": single,
            "ranges": [(h["start_pfn"], h["end_pfn"]) for h in heads],
            "max_pfn": heads[0]["max_pfn"],
        }
    return _sets[arch, codec]


def sub_header(path):
    """The split fields of a kdump-compressed file's sub-header."""
    with open(path, "rb") as f:
        h = f.read(464)
        bs, = struct.unpack_from("<i", h, 428)
        f.seek(bs)
        sh = f.read(104)
    split, = struct.unpack_from("<i", sh, 12)
    start, end, max_pfn = struct.unpack_from("<QQQ", sh, 80)
    return {"split": split, "start_pfn": start, "end_pfn": end, "max_pfn": max_pfn}


def shuffled(paths, seed):
    paths = list(paths)
    random.Random(seed).shuffle(paths)
    return paths


# --- the oracles ---

class LibkdumpfileSet:
    """libkdumpfile on one file or several (kdump_open_fdset())."""

    def __init__(self, paths):
        self.lib = ctypes.CDLL("libkdumpfile.so.10")
        self.lib.kdump_new.restype = ctypes.c_void_p
        self.lib.kdump_free.argtypes = [ctypes.c_void_p]
        self.lib.kdump_open_fdset.argtypes = [
            ctypes.c_void_p, ctypes.c_uint, ctypes.POINTER(ctypes.c_int)]
        self.lib.kdump_read.argtypes = [
            ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_size_t)]
        self.lib.kdump_get_err.restype = ctypes.c_char_p
        self.lib.kdump_get_err.argtypes = [ctypes.c_void_p]
        self.fds = [os.open(p, os.O_RDONLY) for p in paths]
        self.ctx = self.lib.kdump_new()
        fds = (ctypes.c_int * len(self.fds))(*self.fds)
        status = self.lib.kdump_open_fdset(self.ctx, len(self.fds), fds)
        assert status == 0, self.lib.kdump_get_err(self.ctx)

    def read(self, addr, n):
        buf = ctypes.create_string_buffer(n)
        length = ctypes.c_size_t(n)
        status = self.lib.kdump_read(self.ctx, kdumpfile.KDUMP_MACHPHYSADDR,
                                     addr, buf, ctypes.byref(length))
        return buf.raw if status == 0 and length.value == n else None

    def close(self):
        self.lib.kdump_free(self.ctx)
        for fd in self.fds:
            os.close(fd)


# libkdumpfile 0.5.1 crashes (SIGSEGV, or "Decompresion failed: error -2"
# first) some 5,300 reads into the x86_64 set's sequence of pages, through
# its Python binding as through ctypes; a fresh context per 1,000 reads
# does not.
LIB_READS = 1000


def new_libkdumpfiles(lib, lib_set, s, arch):
    for old in (lib, lib_set):
        if old:
            old.close()
    return (LibkdumpfileSet([s["single"]]),
            LibkdumpfileSet(shuffled(s["parts"], arch)))


def saved_pfns(single):
    """The PFNs whose pages the dump holds, from its second bitmap."""
    return splitkdump.layout(single)[3]


def dump_reads(paths, pfns):
    """kdumpkit's reads of whole pages: bytes, or the error message."""
    lines = "".join(f"{p * PAGE:x} {PAGE}\n" for p in pfns)
    r = run(DUMP_READ, *paths, stdin=lines)
    assert_no_crash(r)
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert len(out) == len(pfns)
    return [bytes.fromhex(line[3:]) if line.startswith("ok ") else line[4:]
            for line in out]


def info_json(paths, status=0):
    r = run(BIN, "info", "--json", "--vmcoreinfo", *paths)
    assert_no_crash(r)
    assert r.returncode == status, r.stderr
    return json.loads(r.stdout), r.stderr


ARCHES = list(RELEASES)


# --- the test inputs themselves ---

def test_splitkdump_writes_what_makedumpfile_writes(tmp_path):
    """On x86_64, where the host's makedumpfile works: splitkdump.py splits
    the single file into the same bytes as makedumpfile --split."""
    s = dump_set("x86_64")
    outs = [tmp_path / f"p{i}" for i in range(PARTS)]
    splitkdump.split(s["single"], outs, s["ranges"])
    for ours, theirs in zip(outs, s["parts"]):
        assert ours.read_bytes() == theirs.read_bytes(), theirs


def test_arm64_parts_reassemble(tmp_path):
    """makedumpfile --reassemble turns splitkdump.py's arm64 parts back into
    the guest's makedumpfile output, byte for byte."""
    s = dump_set("arm64")
    out = tmp_path / "reassembled"
    makedumpfile("--reassemble", *shuffled(s["parts"], 1), out)
    assert out.read_bytes() == s["single"].read_bytes()


@pytest.mark.parametrize("arch", ARCHES)
def test_parts_cover_the_dump(arch):
    s = dump_set(arch)
    assert all(sub_header(p)["split"] == 1 for p in s["parts"])
    assert s["ranges"][0][0] == 0 and s["ranges"][-1][1] == s["max_pfn"]
    assert all(a[1] == b[0] for a, b in zip(s["ranges"], s["ranges"][1:]))
    # each part holds pages: a real split, not one part with everything
    saved = saved_pfns(s["single"])
    for start, end in s["ranges"]:
        assert sum(start <= p < end for p in saved) > len(saved) // 10


# --- a whole set ---

@pytest.mark.parametrize("arch", ARCHES)
def test_info_of_a_set(arch):
    s = dump_set(arch)
    j, err = info_json(shuffled(s["parts"], arch))
    single, _ = info_json([s["single"]])
    assert err == ""
    assert j["problems"] == []
    assert j["split"]["parts_given"] == PARTS
    assert [(p["start_pfn"], p["end_pfn"]) for p in j["split"]["parts"]] == s["ranges"]
    assert [p["path"] for p in j["split"]["parts"]] == [str(p) for p in s["parts"]]
    assert single["split"] is None
    assert j["machine"] == MACHINE[arch]
    # the pages of the parts add up to the single file's
    assert j["pages"] == single["pages"]
    assert j["pages"]["present"] == len(saved_pfns(s["single"]))
    for key in ("vmcoreinfo", "memory", "cpus", "dump_level", "compression"):
        assert j[key] == single[key], key


@pytest.mark.parametrize("arch", ARCHES)
def test_info_text_names_the_parts(arch):
    s = dump_set(arch)
    r = run(BIN, "info", *s["parts"][::-1])
    assert r.returncode == 0 and r.stderr == ""
    assert re.search(rf"^split +{PARTS} parts of a makedumpfile --split dump$",
                     r.stdout, re.M)
    for p, (start, end) in zip(s["parts"], s["ranges"]):
        assert re.search(rf"^ +PFNs 0x{start:x}-0x{end - 1:x}  {re.escape(str(p))}$",
                         r.stdout, re.M)


def test_any_order_is_the_same_dump():
    s = dump_set("x86_64")
    first = None
    for order in itertools.permutations(s["parts"]):
        j, _ = info_json(order)
        j.pop("file")
        assert first is None or j == first
        first = j


def session_output(files, command):
    r = run(BIN, *files, "-c", command)
    assert_no_crash(r)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("command", ["sys", "log"])
def test_session_matches_single_file(arch, command):
    s = dump_set(arch)
    ours = session_output(shuffled(s["parts"], command), command)
    want = session_output([s["single"]], command)
    if command == "sys":
        # crash's show_split_dumpfiles(): a part a line, in the order given
        files = "".join(f"{'   DUMPFILES: ' if i == 0 else ' ' * 14}{p} "
                        "[PARTIAL DUMP]\n" for i, p in
                        enumerate(shuffled(s["parts"], command)))
        assert files in ours
        ours = ours.replace(files, "")
        want = re.sub(r"    DUMPFILE: .*\n", "", want)
        assert "PANIC:" in want
    assert ours == want
    assert len(want.splitlines()) > 10


def test_sys_dumpfiles_as_crash_prints_them():
    """crash 8.0.2 with the vmlinux on the x86_64 set, parts out of order:
    its DUMPFILES lines are ours (run once, kept under
    ~/.cache/kdumpkit/derived/leftovers/split/)."""
    s = dump_set("x86_64")
    vmlinux = Path(json.loads((lab_file("x86_64", "manifest.json")).read_text())
                   ["vmlinux"])
    if not vmlinux.is_file() or not shutil.which("crash"):
        pytest.skip("no vmlinux or no crash")
    parts = [s["parts"][1], s["parts"][0], s["parts"][2]]
    # keyed as the set is: by the lab run's size and mtime
    cached = (DERIVED.parent / "leftovers" / "split" / RELEASES["x86_64"] /
              s["parts"][0].parent.parent.name / "crash-sys-213.txt")
    if not cached.is_file():
        cached.parent.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(["crash", "-s", str(vmlinux), *map(str, parts)],
                           input="sys\nq\n", capture_output=True, text=True,
                           timeout=600)
        assert "DUMPFILES:" in r.stdout, r.stdout[-500:] + r.stderr[-500:]
        tmp = cached.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(r.stdout)
        tmp.replace(cached)
    lines = cached.read_text().splitlines()
    at = next(i for i, l in enumerate(lines) if "DUMPFILES:" in l)
    want = lines[at:at + len(parts)]
    ours = session_output([vmlinux, *parts], "sys").splitlines()
    got = ours[ours.index(want[0]):][:len(parts)] if want[0] in ours else ours
    assert got == want
    assert "DUMPFILES:" in session_output(parts, "sys")
    js = json.loads(session_output([*parts, "--json"], "sys"))
    assert js["dumpfiles"] == [str(p) for p in parts]


def test_vmlinux_with_parts():
    """The vmlinux first or last, the parts in any order."""
    s = dump_set("x86_64")
    vmlinux = Path(json.loads((lab_file("x86_64", "manifest.json")).read_text())
                   ["vmlinux"])
    if not vmlinux.is_file():
        pytest.skip("no vmlinux")
    want = session_output([vmlinux, s["single"]], "sys")
    for files in ([vmlinux, *s["parts"][::-1]], [*s["parts"], vmlinux]):
        out = session_output(files, "sys")
        assert f"KERNEL: {vmlinux}" in out
        assert re.sub(r"(   DUMPFILES: |^ {14}).*\n", "", out, flags=re.M) == \
            re.sub(r"    DUMPFILE: .*\n", "", want)


def choose_pfns(s, rng, n):
    """n PFNs: half saved pages, half anywhere in memory or past it."""
    saved = saved_pfns(s["single"])
    half = n // 2
    return rng.choices(saved, k=half) + \
        [rng.randrange(0, s["max_pfn"] + 256) for _ in range(n - half)]


@pytest.mark.parametrize("arch,codec", [("x86_64", "zlib"), ("x86_64", "lzo"),
                                        ("arm64", "zlib")])
def test_reads_match_single_file_and_libkdumpfile(arch, codec):
    """10,000 random pages: the set reads as the single file does, through
    kdumpkit (bytes and error messages), through libkdumpfile, and as
    libkdumpfile reads the set itself."""
    s = dump_set(arch, codec)
    pfns = choose_pfns(s, random.Random(f"{arch}-{codec}"), 10_000)
    ours = dump_reads(shuffled(s["parts"], codec), pfns)
    single = dump_reads([s["single"]], pfns)
    assert ours == single
    read = 0
    for i, pfn in enumerate(pfns):
        if i % LIB_READS == 0:
            lib, lib_set = new_libkdumpfiles(lib if i else None,
                                             lib_set if i else None, s, arch)
        want = lib.read(pfn * PAGE, PAGE)
        assert lib_set.read(pfn * PAGE, PAGE) == want, f"pfn {pfn:#x}"
        got = ours[i]
        if isinstance(got, bytes):
            assert got == want, f"pfn {pfn:#x}: bytes differ"
            read += 1
        else:
            assert want is None, f"pfn {pfn:#x}: libkdumpfile reads it, " \
                f"we say {got}"
            assert re.match(r"physical address 0x[0-9a-f]+: (not in the "
                            r"dump|excluded from the dump \(dump level 31\))$",
                            got), got
    lib.close()
    lib_set.close()
    assert read >= 5000
    # every part served some
    assert all(any(a <= p < b for p, g in zip(pfns, ours) if isinstance(g, bytes))
               for a, b in s["ranges"])


# --- parts missing ---

@pytest.mark.parametrize("arch", ARCHES)
def test_missing_middle_part(arch):
    s = dump_set(arch)
    start, end = s["ranges"][1]
    given = [s["parts"][2], s["parts"][0]]
    j, err = info_json(given, status=1)
    problem = (f"split dump: PFNs 0x{start:x}-0x{end - 1:x} (physical "
               f"0x{start * PAGE:x}-0x{end * PAGE - 1:x}) are in a part that "
               f"was not given; reads there fail")
    assert j["problems"] == [problem]
    assert err == f"kdumpkit: info: {problem}\n"
    assert j["split"]["parts_given"] == 2
    assert [(p["path"], p["start_pfn"], p["end_pfn"]) for p in j["split"]["parts"]] == \
        [(str(s["parts"][0]), *s["ranges"][0]), (None, start, end),
         (str(s["parts"][2]), *s["ranges"][2])]
    saved = saved_pfns(s["single"])
    lost = [p for p in saved if start <= p < end]
    full, _ = info_json([s["single"]])
    assert j["pages"]["missing"] == len(lost)
    assert j["pages"]["present"] == full["pages"]["present"]

    # reads: the missing part's pages fail saying why, the rest read
    rng = random.Random(arch)
    pfns = rng.sample(lost, 200) + choose_pfns(s, rng, 1000)
    ours = dump_reads(given, pfns)
    single = dump_reads([s["single"]], pfns)
    why = (f"in a part of the split dump that was not given (it holds PFNs "
           f"0x{start:x}-0x{end - 1:x}, physical 0x{start * PAGE:x}-"
           f"0x{end * PAGE - 1:x})")
    for pfn, got, want in zip(pfns, ours, single):
        if start <= pfn < end and isinstance(want, bytes):
            assert got == f"physical address 0x{pfn * PAGE:x}: {why}"
        else:
            assert got == want, f"pfn {pfn:#x}"

    # the session opens and works where it can; where it cannot (arm64's
    # missing part holds the kernel's data), it says why
    r = run(BIN, *given, "-c", "sys")
    assert_no_crash(r)
    assert r.returncode == 0, r.stderr
    assert "RELEASE: " + RELEASES[arch] in r.stdout or why in r.stdout


@pytest.mark.parametrize("arch", ARCHES)
def test_one_part_alone(arch):
    s = dump_set(arch)
    j, err = info_json([s["parts"][1]], status=1)
    (a, _), (_, b) = s["ranges"][0], s["ranges"][2]
    assert j["split"]["parts_given"] == 1
    assert len(j["problems"]) == 2
    assert j["problems"][0].startswith(f"split dump: PFNs 0x{a:x}-0x{s['ranges'][0][1] - 1:x} ")
    assert j["problems"][1].startswith(f"split dump: PFNs 0x{s['ranges'][2][0]:x}-0x{b - 1:x} ")
    assert err.startswith(f"kdumpkit: info: {s['parts'][1]}: split dump: PFNs ")
    assert len(err.splitlines()) == 1


# --- sets that are not one dump ---

def test_parts_of_two_dumps():
    x, a = dump_set("x86_64"), dump_set("arm64")
    mixed = [x["parts"][0], a["parts"][1], x["parts"][2]]
    line = assert_one_line_error(run(BIN, "info", *mixed),
                                 "are parts of different dumps: machine")
    assert line == (f"kdumpkit: info: {mixed[0]} and {mixed[1]} are parts of "
                    f"different dumps: machine x86_64 and aarch64")
    assert_one_line_error(run(BIN, *mixed, "-c", "sys"),
                          "are parts of different dumps: machine x86_64 and aarch64")
    assert_one_line_error(run(DUMP_READ, *mixed, stdin=""), "different dumps")


def test_same_part_twice():
    s = dump_set("x86_64")
    p = s["parts"][1]
    assert_one_line_error(run(BIN, "info", s["parts"][0], p, p),
                          f"{p} and {p} are the same part of a split dump")


def test_whole_dump_among_parts():
    s = dump_set("x86_64")
    line = assert_one_line_error(run(BIN, "info", s["parts"][0], s["single"]),
                                 "a whole dump, not a part of a split dump")
    assert str(s["single"]) in line
    assert_one_line_error(run(BIN, s["single"], s["parts"][1], s["parts"][2],
                              "-c", "sys"), "a whole dump, not a part")
    elf = lab_file("x86_64", "vmcore.elf")
    assert_one_line_error(run(BIN, "info", s["parts"][0], elf),
                          "an ELF dump, not a part of a split dump")


def test_lzo_and_zlib_parts_differ():
    """Parts of one dump written with different compression: makedumpfile
    --reassemble refuses them (their headers differ), and so do we."""
    z, lzo = dump_set("x86_64"), dump_set("x86_64", "lzo")
    assert_one_line_error(run(BIN, "info", z["parts"][0], lzo["parts"][1]),
                          "are parts of different dumps: their kdump headers differ")


# --- truncated parts ---

def copy_prefix(src, dst, n):
    with open(src, "rb") as f, open(dst, "wb") as g:
        g.write(f.read(n))


@pytest.mark.parametrize("arch", ARCHES)
def test_truncated_part(arch, tmp_path):
    """A part cut short anywhere: one line, or a set that opens and says
    what is missing; reads fail cleanly. Never a crash (run under ASan)."""
    s = dump_set(arch)
    middle = s["parts"][1]
    size = middle.stat().st_size
    rng = random.Random(arch)
    cuts = [0, 100, 464, 4096 + 50, 3 * 4096 + 10, 70_000] + \
        sorted(rng.randrange(1, size) for _ in range(6)) + [size - 1]
    start, end = s["ranges"][1]
    saved = [p for p in saved_pfns(s["single"]) if start <= p < end]
    pfns = rng.sample(saved, 100)
    opened = 0
    for cut in cuts:
        cut_part = tmp_path / f"part2-cut-{cut}"
        copy_prefix(middle, cut_part, cut)
        given = [s["parts"][0], cut_part, s["parts"][2]]
        r = run(BIN, "info", *given)
        assert_no_crash(r)
        assert r.returncode in (0, 1), r.stderr
        if r.returncode == 1:
            assert len(r.stderr.splitlines()) == 1, r.stderr
        if "truncated" in r.stdout:      # opened: the problem names the part
            assert re.search(rf"^(problems)? +{re.escape(str(cut_part))}: truncated",
                             r.stdout, re.M), r.stdout
            opened += 1
        rr = run(DUMP_READ, *given, stdin="".join(f"{p * PAGE:x} {PAGE}\n" for p in pfns))
        assert_no_crash(rr)
        if rr.returncode == 0:
            for line in rr.stdout.splitlines():
                assert line.startswith("ok ") or re.match(
                    r"err physical address 0x[0-9a-f]+: ", line), line
        else:
            assert len(rr.stderr.splitlines()) == 1, rr.stderr
            assert str(cut_part) in rr.stderr
        cut_part.unlink()
    assert opened >= 3
