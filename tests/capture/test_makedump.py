"""kdumpkit makedump on the lab's unfiltered vmcores (vmcore.elf of the
sysrq-kdump runs: the capture kernel's /proc/vmcore, saved whole), both
architectures, checked by every reader there is:

- the pages it leaves out are makedumpfile's: the lab's own vmcore is
  makedumpfile -c -d 31 of the same /proc/vmcore, and its bitmaps must
  equal ours bit for bit (and makedumpfile's per-class counts ours, on
  x86_64 where the host's makedumpfile reads the dump);
- libkdumpfile: every page it finds in our dump equals the input's bytes;
- crash 8.0.2 (x86_64 only: it cannot read arm64 dumps at all): sys and
  log as on makedumpfile's dump;
- makedumpfile --dump-dmesg (x86_64 only, same reason): the log;
- kdumpkit itself: sys and log as on the input.
Then -F | -R, --dump-dmesg, a full disk, and bad input.
"""
import collections
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS / "shell"))
import labruns  # noqa: E402
from kernels import vmlinux_path  # noqa: E402

kdumpfile = pytest.importorskip("kdumpfile")

PAGE = 4096
ARCHES = ["x86_64", "arm64"]
CASES = [(a, level, codec) for a in ARCHES for level in (31, 1)
         for codec in ("c", "l")]
# snappy and zstd: makedumpfile 1.7.2 here is built without them, crash
# 8.0.2 reads them, libkdumpfile too
ALL_CODECS = CASES + [(a, 31, codec) for a in ARCHES for codec in ("p", "z")]


def sysrq_run(arch):
    """(vmcore.elf, makedumpfile's vmcore, crash's reference outputs)."""
    for _, info in labruns.dumps(arch):
        if info["path"].parent.name == "sysrq-kdump" and \
                info["path"].name == "vmcore.elf":
            d = info["path"].parent
            return info["path"], d / "vmcore", d / "ref" / "kdump" / "crash"
    pytest.skip(f"no sysrq-kdump run for {arch} in the lab cache")


def case_id(c):
    return f"{c[0]}-d{c[1]}-{c[2]}"


@pytest.fixture(scope="module")
def made(kdumpkit_bin, tmp_path_factory):
    """make(arch, level, codec): our dump of the sysrq vmcore (made once)."""
    out_dir = tmp_path_factory.mktemp("makedump")
    cache = {}

    def make(arch, level, codec):
        key = (arch, level, codec)
        if key not in cache:
            elf, _, _ = sysrq_run(arch)
            out = out_dir / f"{arch}-d{level}-{codec}"
            r = subprocess.run([str(kdumpkit_bin), "makedump", f"-{codec}",
                                "-d", str(level), "--num-threads", "2",
                                str(elf), str(out)], capture_output=True,
                               text=True, timeout=1200)
            assert r.returncode == 0, r.stderr
            cache[key] = (out, r.stderr)
        return cache[key]
    return make


# --- the file's parts, read here without any of the readers under test ---

def kdump_parts(path):
    """Header fields, both bitmaps (as ints) and the page descriptors."""
    with open(path, "rb") as f:
        head = f.read(464)
        status, bs, sub, bitmap_blocks = struct.unpack_from("<Iiii", head, 424)
        f.seek(bs * (1 + sub))
        bitmaps = f.read(bs * bitmap_blocks)
        half = len(bitmaps) // 2
        memory = int.from_bytes(bitmaps[:half], "little")
        saved = int.from_bytes(bitmaps[half:], "little")
        n = bin(saved).count("1")
        descs = f.read(24 * n)
    return {"status": status, "block_size": bs, "memory": memory,
            "saved": saved,
            "descs": [struct.unpack_from("<QIIQ", descs, i * 24)[:3]
                      for i in range(n)]}


def set_bits(x):
    out, i = [], 0
    while x:
        if x & 0xFF:
            out += [i + b for b in range(8) if x >> b & 1]
        x >>= 8
        i += 8
    return out


def summary_counts(stderr):
    """The excluded-pages line of our summary, by class."""
    m = re.search(r"excluded +(\d+) pages: (.*)", stderr)
    assert m, stderr
    counts = {k: int(v) for k, v in
              re.findall(r"([a-z ]+?) (\d+)(?:,|$)", m.group(2))}
    counts = {k.strip(): v for k, v in counts.items()}
    counts["total"] = int(m.group(1))
    z = re.search(r"zero +(\d+) pages", stderr)
    counts["zero"] = int(z.group(1))
    return counts


# --- which pages ---

@pytest.mark.parametrize("arch", ARCHES)
def test_excluded_pages_are_makedumpfiles(arch, made):
    """-d 31 leaves out exactly the pages makedumpfile -d 31 left out of
    the same /proc/vmcore (the lab's vmcore): both bitmaps equal."""
    _, theirs, _ = sysrq_run(arch)
    ours, stderr = made(arch, 31, "c")
    a, b = kdump_parts(ours), kdump_parts(theirs)
    assert a["memory"] == b["memory"]
    only_ours = set_bits(a["saved"] & ~b["saved"])
    only_theirs = set_bits(b["saved"] & ~a["saved"])
    assert not only_ours and not only_theirs, (
        f"saved only by us: {[hex(p) for p in only_ours[:20]]}, "
        f"only by makedumpfile: {[hex(p) for p in only_theirs[:20]]}")
    counts = summary_counts(stderr)
    left_out = bin(a["memory"]).count("1") - bin(a["saved"]).count("1")
    assert counts["total"] == left_out
    assert left_out == sum(counts[k] for k in
                           ("cache", "cache private", "user", "free",
                            "hwpoison", "offline"))


def makedumpfile_report(elf, out):
    """makedumpfile's own per-class counts for -d 31 of elf."""
    r = subprocess.run(["makedumpfile", "-c", "-d", "31", "--message-level",
                        "31", str(elf), str(out)], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    names = {"Pages filled with zero": "zero",
             "Non-private cache pages": "cache",
             "Private cache pages": "cache private",
             "User process data pages": "user", "Free pages": "free",
             "Hwpoison pages": "hwpoison", "Offline pages": "offline"}
    found = {}
    for line in (r.stdout + r.stderr).splitlines():
        m = re.match(r"\s*(.+?)\s*: 0x([0-9a-f]+)$", line)
        if m and m.group(1) in names:
            found[names[m.group(1)]] = int(m.group(2), 16)
    assert len(found) == len(names), r.stdout + r.stderr
    return found


@pytest.mark.skipif(not shutil.which("makedumpfile"),
                    reason="no makedumpfile")
def test_excluded_classes_are_makedumpfiles(made, tmp_path):
    """Page by class: zero, cache, private cache, user, free, hwpoison,
    offline, as makedumpfile counts them on the same input (x86_64: the
    host's makedumpfile cannot read arm64 dumps)."""
    elf, _, _ = sysrq_run("x86_64")
    theirs = makedumpfile_report(elf, tmp_path / "mdf")
    ours = summary_counts(made("x86_64", 31, "c")[1])
    assert {k: ours[k] for k in theirs} == theirs


# --- the bytes, by every reader ---

def present_pfns(lib):
    top = lib.attr["max_pfn"]
    bits = lib.attr["file.pagemap"].get_bits(0, top - 1)
    return [i * 8 + b for i, byte in enumerate(bits) if byte
            for b in range(8) if byte >> b & 1]


def read_page(lib, pfn):
    return bytes(lib.read(kdumpfile.KDUMP_MACHPHYSADDR, pfn * PAGE, PAGE))


@pytest.mark.parametrize("case", ALL_CODECS, ids=case_id)
def test_libkdumpfile_pages_equal_input(case, made):
    """Every page libkdumpfile finds in our dump is the input's page, and
    it finds exactly the pages our second bitmap saves."""
    arch, level, codec = case
    elf, _, _ = sysrq_run(arch)
    ours, _ = made(arch, level, codec)
    lib, ref = kdumpfile.kdumpfile(str(ours)), kdumpfile.kdumpfile(str(elf))
    pfns = present_pfns(lib)
    assert pfns == set_bits(kdump_parts(ours)["saved"])
    bad = [p for p in pfns if read_page(lib, p) != read_page(ref, p)]
    assert not bad, [hex(p) for p in bad[:20]]


@pytest.mark.parametrize("arch", ARCHES)
def test_zero_pages_share_one_block(arch, made):
    """-d 1: every page of zeros of the input (none of them dropped) is
    described by the same single block of zeros; other pages are
    compressed, or stored whole when that does not make them smaller."""
    elf, _, _ = sysrq_run(arch)
    ours, stderr = made(arch, 1, "l")
    parts = kdump_parts(ours)
    assert parts["memory"] == parts["saved"]     # level 1 drops nothing
    ref = kdumpfile.kdumpfile(str(elf))
    zero = bytes(PAGE)
    pfns = set_bits(parts["saved"])
    zero_input = {i for i, p in enumerate(pfns) if read_page(ref, p) == zero}
    uses = collections.Counter(d[0] for d in parts["descs"])
    zero_descs = {i for i, d in enumerate(parts["descs"])
                  if d[2] == 0 and d[1] == PAGE and uses[d[0]] > 1}
    assert zero_input and zero_descs == zero_input
    assert len({parts["descs"][i][0] for i in zero_descs}) == 1
    assert summary_counts(stderr)["zero"] == len(zero_input)
    for off, size, flags in parts["descs"]:
        assert (flags == 0x2 and 0 < size < PAGE) or (flags == 0 and
                                                       size == PAGE)


def crash_output(dump, commands):
    vmlinux = vmlinux_path("x86_64")
    r = subprocess.run(["crash", "-s", str(vmlinux), str(dump)],
                       input="".join(c + "\n" for c in commands) + "q\n",
                       capture_output=True, text=True, timeout=600)
    return r.stdout


def without_paths(text):
    """Lines but blank ones, the files' names and crash's start-up
    warnings (which the reference keeps apart, in stderr.txt)."""
    return [line for line in text.splitlines()
            if line.strip() and not line.startswith("WARNING: ") and
            not re.match(r"\s*(KERNEL|DUMPFILE):", line)]


@pytest.mark.skipif(not shutil.which("crash"), reason="no crash")
@pytest.mark.parametrize("case", [c for c in ALL_CODECS if c[0] == "x86_64"],
                         ids=case_id)
def test_crash_reads(case, made):
    """crash 8.0.2 opens our dump; sys and log are what it says on
    makedumpfile's dump of the same crash (the lab's reference)."""
    _, _, ref = sysrq_run("x86_64")
    ours, _ = made(*case)
    out = crash_output(ours, ["sys", "log"])
    assert "PANIC:" in out, out
    assert without_paths(out) == \
        without_paths((ref / "sys.txt").read_text()) + \
        without_paths((ref / "log.txt").read_text())


@pytest.mark.skipif(not shutil.which("makedumpfile"),
                    reason="no makedumpfile")
@pytest.mark.parametrize("case", [c for c in CASES if c[0] == "x86_64"],
                         ids=case_id)
def test_makedumpfile_reads_dmesg(case, made, tmp_path):
    """makedumpfile --dump-dmesg reads our dump as it reads its own."""
    _, theirs, _ = sysrq_run("x86_64")
    ours, _ = made(*case)
    logs = []
    for dump in (ours, theirs):
        out = tmp_path / f"{dump.name}.log"
        r = subprocess.run(["makedumpfile", "--dump-dmesg", str(dump),
                            str(out)], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        logs.append(out.read_bytes())
    assert logs[0] == logs[1] and len(logs[0]) > 1000


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_kdumpkit_reads(case, made, kdumpkit):
    """kdumpkit's sys and log on our dump are those on the input."""
    elf, _, _ = sysrq_run(case[0])
    ours, _ = made(*case)
    outs = []
    for dump in (elf, ours):
        r = kdumpkit(dump, "-c", "sys; log")
        assert r.returncode == 0, r.stderr
        outs.append([re.sub(r"\s+\[PARTIAL DUMP\]$", "", line)
                     for line in without_paths(r.stdout)])
    assert outs[0] == outs[1]
    assert any("PANIC:" in line and "sysrq" in line for line in outs[1])


# --- outputs and inputs ---

@pytest.mark.parametrize("arch", ARCHES)
def test_threads_write_the_same_dump(arch, made, kdumpkit, tmp_path):
    """The ordered writer makes the file independent of the thread count."""
    elf, _, _ = sysrq_run(arch)
    ours, _ = made(arch, 31, "c")
    for n in (1, 3):
        out = tmp_path / f"t{n}"
        r = kdumpkit("makedump", "-c", "-d", 31, "--num-threads", n,
                     "--message-level", 0, elf, out)
        assert r.returncode == 0, r.stderr
        assert out.read_bytes() == ours.read_bytes()


@pytest.mark.parametrize("arch", ARCHES)
def test_flattened_round_trip(arch, made, kdumpkit_bin, kdumpkit, tmp_path):
    """-F writes a stream that makedump -R and makedumpfile -R both turn
    into the very file makedump writes directly."""
    elf, _, _ = sysrq_run(arch)
    ours, _ = made(arch, 31, "c")
    flat = tmp_path / "flat"
    with open(flat, "wb") as f:
        r = subprocess.run([str(kdumpkit_bin), "makedump", "-F", "-c", "-d",
                            "31", str(elf)], stdout=f, stderr=subprocess.PIPE,
                           text=True)
    assert r.returncode == 0, r.stderr
    assert flat.read_bytes()[:12] == b"makedumpfile"
    with open(flat, "rb") as f:
        r = kdumpkit("makedump", "-R", tmp_path / "r", stdin=f)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "r").read_bytes() == ours.read_bytes()
    assert not (tmp_path / "r.incomplete").exists()
    if shutil.which("makedumpfile"):
        with open(flat, "rb") as f:
            subprocess.run(["makedumpfile", "-R", str(tmp_path / "m")],
                           stdin=f, check=True, capture_output=True)
        assert (tmp_path / "m").read_bytes() == ours.read_bytes()
    # a stream cut short is refused, and no dump appears under the name
    cut = tmp_path / "cut"
    cut.write_bytes(flat.read_bytes()[:len(flat.read_bytes()) // 2])
    with open(cut, "rb") as f:
        r = kdumpkit("makedump", "-R", tmp_path / "c", stdin=f)
    assert r.returncode == 1
    assert "ends" in r.stderr and len(r.stderr.splitlines()) == 1
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("arch", ARCHES)
def test_dump_dmesg(arch, kdumpkit, tmp_path):
    """--dump-dmesg saves the log: makedumpfile's text on x86_64 (the
    host's makedumpfile cannot read arm64 dumps), and `log` anywhere."""
    elf, theirs, _ = sysrq_run(arch)
    out = tmp_path / "dmesg.txt"
    r = kdumpkit("makedump", "--dump-dmesg", elf, out)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert re.search(r"sysrq triggered crash", text)
    log = kdumpkit(elf, "-c", "log")
    assert text == log.stdout
    if arch == "x86_64" and shutil.which("makedumpfile"):
        subprocess.run(["makedumpfile", "--dump-dmesg", str(theirs),
                        str(tmp_path / "m.txt")], check=True,
                       capture_output=True)
        assert text == (tmp_path / "m.txt").read_text()


@pytest.fixture
def tiny_disk(tmp_path):
    """A 6 MiB tmpfs, for a dump of 17 MiB."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs",
                        str(mnt)], capture_output=True)
    if r.returncode:
        pytest.skip("cannot mount a tmpfs here: " + r.stderr.decode())
    yield mnt
    # lazily: a reader the test opened may not be collected yet
    subprocess.run(["umount", "-l", str(mnt)], check=True)


def test_full_disk_leaves_incomplete_dump(kdumpkit, made, tiny_disk):
    """The disk fills: the dump is finished with the pages written, marked
    INCOMPLETE in its header, left as OUT.incomplete, exit status 1; the
    pages it has read back as the input's."""
    elf, _, _ = sysrq_run("x86_64")
    out = tiny_disk / "vmcore"
    r = kdumpkit("makedump", "-c", "-d", 31, "--message-level", 0, elf, out)
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    m = re.search(r"INCOMPLETE: (\d+) of (\d+) pages saved before: .*"
                  r"No space left on device", lines[0])
    assert m, r.stderr
    written, total = int(m.group(1)), int(m.group(2))
    assert 0 < written < total
    assert not out.exists()
    part = tiny_disk / "vmcore.incomplete"
    parts = kdump_parts(part)
    assert parts["status"] & 0x8           # DUMP_DH_COMPRESSED_INCOMPLETE
    info = kdumpkit("info", part)
    assert "incomplete" in info.stderr + info.stdout
    # what was written reads back (libkdumpfile ignores the INCOMPLETE
    # flag: it calls an unwritten descriptor corrupt, so ask only for
    # the described pages)
    lib, ref = kdumpfile.kdumpfile(str(part)), kdumpfile.kdumpfile(str(elf))
    pfns = set_bits(parts["saved"])
    described = [p for p, d in zip(pfns, parts["descs"]) if d[1]]
    assert len(described) == written
    assert all(d[1] == 0 for d in parts["descs"][written:])
    bad = [p for p in described[::7] if read_page(lib, p) != read_page(ref, p)]
    del lib
    assert not bad, [hex(p) for p in bad[:20]]


def test_bad_input(kdumpkit, tmp_path):
    """A one-line error and exit 1 (2 for usage), nothing left behind."""
    text = tmp_path / "notes.txt"
    text.write_text("not a dump\n" * 100)
    out = tmp_path / "out"
    cases = [
        (["makedump", "-c", text, out], 1, "notes.txt"),
        (["makedump", "-c", tmp_path / "missing", out], 1, "missing"),
        (["makedump", "-c", "-d", "32", text, out], 2, "-d"),
        (["makedump", "-c", "-q", text, out], 2, "unknown option"),
        (["makedump", "-c", text], 2, "give the vmcore"),
    ]
    for args, status, word in cases:
        r = kdumpkit(*args)
        assert r.returncode == status, (args, r.stderr)
        assert r.stderr.startswith("kdumpkit: makedump: ")
        assert word in r.stderr.splitlines()[0]
        if status == 1:
            assert len(r.stderr.splitlines()) == 1, r.stderr
        assert not out.exists() and not Path(f"{out}.incomplete").exists()


def test_unwritable_output(kdumpkit, tmp_path):
    elf, _, _ = sysrq_run("x86_64")
    r = kdumpkit("makedump", "-c", elf, tmp_path / "no" / "such" / "dir")
    assert r.returncode == 1
    assert len(r.stderr.splitlines()) == 1
    assert "No such file or directory" in r.stderr
