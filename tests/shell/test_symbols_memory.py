"""sym, rd, vtop, ptov and mach on the lab's dumps: symbols against the
functions crash 8.0.2 named in its bt.txt, rd of linux_banner, and vtop
and ptov against crash run on the same dump (one crash session per dump,
on two dumps only: ~10 s each)."""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labruns  # noqa: E402

CRASH = "/usr/bin/crash"
ALL = labruns.dumps()
X86 = labruns.dumps("x86_64")
X86_BT = [p for p in X86 if (p[1]["ref"] / "crash" / "bt.txt").is_file()]
FRAME = re.compile(r"^\s*#\d+ \[[0-9a-f]+\] (\S+) at ([0-9a-f]+)\s*$")


def need(info):
    if not info["path"].is_file():
        pytest.skip(f"{info['path']} went away (being regenerated)")
    return info["path"]


def run(kdumpkit, info, cmds, *extra):
    r = kdumpkit(need(info), *extra, "-c", cmds)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_start_is_fast(kdumpkit_bin):
    """Opening the target and decoding kallsyms happen at start; the whole
    process must stay well under 100 ms of that budget."""
    info = next((i for _, i in X86 if i["path"].name == "vmcore.elf"), None)
    if not info:
        pytest.skip("no x86_64 ELF dump")
    best = 1e9
    for _ in range(3):
        t0 = time.monotonic()
        subprocess.run([str(kdumpkit_bin), need(info), "-c", "sym _text"],
                       capture_output=True, check=True)
        best = min(best, time.monotonic() - t0)
    limit = 0.5 if "asan" in str(kdumpkit_bin) else 0.1
    assert best < limit


@pytest.mark.parametrize("info", labruns.infos(X86_BT),
                         ids=labruns.ids(X86_BT))
def test_sym_names_crash_bt_frames(kdumpkit, info):
    try:
        bt = (info["ref"] / "crash" / "bt.txt").read_text()
    except OSError:
        pytest.skip("bt.txt went away")
    frames = [FRAME.match(l).groups() for l in bt.splitlines()
              if FRAME.match(l)]
    # Module frames end in "[module]" and do not match FRAME: kallsyms
    # in the dump has the kernel image only.
    if not frames:
        pytest.skip("no kernel frames in crash's bt")
    out = run(kdumpkit, info, "sym " + " ".join(a for _, a in frames))
    lines = out.splitlines()
    assert len(lines) == len(frames)
    for (func, addr), line in zip(frames, lines):
        m = re.fullmatch(r"([0-9a-f]{16}) \(([A-Za-z])\) (\S+?)(\+\d+)?",
                         line)
        assert m, line
        assert int(m.group(1), 16) == int(addr, 16)
        assert m.group(2) in "Tt"
        assert m.group(3) == func


@pytest.mark.parametrize("info", labruns.infos(ALL[:1] + ALL[-1:]),
                         ids=labruns.ids(ALL[:1] + ALL[-1:]))
def test_sym_name_and_address_agree(kdumpkit, info):
    out = run(kdumpkit, info, "sym schedule")
    m = re.fullmatch(r"([0-9a-f]{16}) \(T\) schedule\n", out)
    assert m, out
    addr = int(m.group(1), 16)
    out = run(kdumpkit, info, f"sym {addr + 5:x}")
    assert out == f"{addr + 5:016x} (T) schedule+5\n"
    listed = run(kdumpkit, info, "sym -q schedule_timeout")
    assert f"(T) schedule_timeout\n" in listed
    assert all("schedule_timeout" in l for l in listed.splitlines())
    r = kdumpkit(need(info), "-c", "sym no_such_symbol_at_all")
    assert r.returncode == 1
    # where the module list is unknown (arm64 without CONFIG_KALLSYMS_ALL)
    # the message goes on to say why modules were not searched
    assert r.stderr.startswith("kdumpkit: sym: no_such_symbol_at_all: no "
                               "such symbol")
    assert r.stderr.count("\n") == 1


@pytest.mark.parametrize("info", labruns.infos(X86), ids=labruns.ids(X86))
def test_rd_linux_banner(kdumpkit, info):
    release = info["manifest"]["release"]
    text = run(kdumpkit, info, "rd -a linux_banner")
    first = text.splitlines()[0]
    assert re.match(r"^[0-9a-f]{16}:  Linux version " + re.escape(release),
                    first)
    words = run(kdumpkit, info, "rd linux_banner 3").splitlines()
    assert len(words) == 2
    assert re.fullmatch(r"[0-9a-f]{16}:  [0-9a-f]{16} [0-9a-f]{16}   "
                        r"Linux version ..", words[0])
    assert re.fullmatch(r"[0-9a-f]{16}:  [0-9a-f]{16} {20}.{8}",
                        words[1])
    assert int(words[0].split(":")[0], 16) + 16 == \
        int(words[1].split(":")[0], 16)
    bytes8 = run(kdumpkit, info, "rd -8 linux_banner 5")
    assert bytes8.split(":")[1] == \
        "  4c 69 6e 75 78 " + " " * 33 + "  Linux\n"
    dec = run(kdumpkit, info, "rd -32 -d linux_banner 1")
    assert dec.endswith(f":  {int.from_bytes(b'Linu', 'little'):>12} \n")
    udec = run(kdumpkit, info, "rd -16 -D linux_banner 1")
    assert udec.endswith(f":  {int.from_bytes(b'Li', 'little'):>5} \n")
    r = kdumpkit(need(info), "-c", "rd -u linux_banner")
    assert r.returncode == 1
    assert re.fullmatch(r"kdumpkit: rd: -u: [0-9a-f]{16} is not a user "
                        r"virtual address\n", r.stderr)


@pytest.mark.parametrize("info", labruns.infos(ALL), ids=labruns.ids(ALL))
def test_vtop_ptov_round_trip(kdumpkit, info):
    """The kernel text: vtop's physical address, back through ptov, must
    read the same bytes as the virtual one."""
    out = run(kdumpkit, info, "sym schedule")
    vaddr = int(out.split()[0], 16)
    v = run(kdumpkit, info, f"vtop {vaddr:x}").splitlines()
    assert v[0].split() == ["VIRTUAL", "PHYSICAL"]
    assert v[1].split()[0] == f"{vaddr:x}"
    paddr = int(v[1].split()[1], 16)
    p = run(kdumpkit, info, f"ptov {paddr:x}").splitlines()
    dmap = int(p[1].split()[0], 16)
    def data(out):
        return [l.split(":", 1)[1] for l in out.splitlines()]
    a = data(run(kdumpkit, info, f"rd {vaddr:x} 4"))
    assert len(a) == 2
    assert a == data(run(kdumpkit, info, f"rd {dmap:x} 4"))
    assert a == data(run(kdumpkit, info, f"rd -p {paddr:x} 4"))


@pytest.mark.parametrize("info", labruns.infos(ALL[:1] + ALL[-1:]),
                         ids=labruns.ids(ALL[:1] + ALL[-1:]))
def test_mach(kdumpkit, info):
    out = run(kdumpkit, info, "mach")
    fields = dict(re.match(r"^\s*([A-Z ]+): (.*)$", l).groups()
                  for l in out.splitlines())
    machine = {"x86_64": "x86_64", "arm64": "aarch64"}[info["arch"]]
    assert fields["MACHINE TYPE"] == machine
    assert fields["PAGE SIZE"] == "4096"
    assert int(fields["CPUS"]) >= 1
    if info["arch"] == "x86_64":
        assert fields["HZ"] == "250"
        assert fields["KERNEL START MAP"] == "ffffffff80000000"


# -- against crash ------------------------------------------------------------

def crash_dumps():
    """One kdump-compressed and one ELF x86_64 dump, if there are."""
    picked = []
    for fmt in ("kdump", "elf"):
        for _, info in X86:
            if info["ref"].name == fmt and \
                    Path(info["manifest"].get("vmlinux", "")).is_file():
                picked.append(info)
                break
    return picked


@pytest.fixture(scope="module", params=crash_dumps(),
                ids=lambda i: f"{i['path'].parent.name}-{i['ref'].name}")
def crash_vtop(request, kdumpkit_bin, tmp_path_factory):
    """Our commands and crash's, on the same addresses, in one crash
    session for the dump."""
    info = request.param
    if not os.access(CRASH, os.X_OK):
        pytest.skip("crash is not installed")
    path = need(info)

    def ours(cmds):
        r = subprocess.run([str(kdumpkit_bin), path, "-c", cmds],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout

    text = int(ours("sym schedule").split()[0], 16)
    dmap = int(ours("ptov 1000000").splitlines()[1].split()[0], 16)
    cmds = [f"vtop {text:x}", f"vtop {dmap:x}", "ptov 1000000"] + RD_CMDS
    d = tmp_path_factory.mktemp("crash")
    outs = []
    for i, c in enumerate(cmds):
        (d / "cmds").open("a").write(f"{c} > {d}/out{i}\n")
    (d / "cmds").open("a").write("q\n")
    subprocess.run([CRASH, "-s", info["manifest"]["vmlinux"], path, "-i",
                    str(d / "cmds")], capture_output=True, text=True,
                   timeout=300, cwd=d)
    for i, c in enumerate(cmds):
        f = d / f"out{i}"
        if not f.is_file():
            pytest.skip(f"crash did not run '{c}'")
        outs.append((ours(c), f.read_text()))
    return outs


RD_CMDS = ["rd linux_banner 8", "rd -8 linux_banner 20",
           "rd -16 linux_banner 10", "rd -32 linux_banner 9",
           "rd -d linux_banner 4", "rd -32 -d linux_banner 5",
           "rd -x linux_banner 3", "rd -p 1000 4", "sym -q kexec_load"]


def vtop_walk(text):
    """The lines crash and we both print: up to the FLAGS line."""
    lines = []
    for line in text.splitlines():
        lines.append(line.rstrip())
        if "(PRESENT" in line:
            break
    return lines


def test_vtop_kernel_text_matches_crash(crash_vtop):
    ours, theirs = crash_vtop[0]
    assert vtop_walk(ours) == vtop_walk(theirs)


def test_vtop_direct_map_matches_crash(crash_vtop):
    ours, theirs = crash_vtop[1]
    assert vtop_walk(ours) == vtop_walk(theirs)


def test_ptov_matches_crash(crash_vtop):
    ours, theirs = crash_vtop[2]
    assert [l.rstrip() for l in ours.splitlines()] == \
        [l.rstrip() for l in theirs.splitlines()]


# -- a dump without kernel virtual memory -------------------------------------

def bare_core(path):
    """An x86_64 ELF core of one page and no notes: it opens, but there is
    no VMCOREINFO to find the page tables or kallsyms with."""
    import struct
    ehdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    ehdr += struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56, 1,
                        0, 0, 0)
    phdr = struct.pack("<IIQQQQQQ", 1, 7, 4096, 0xffff888000000000, 0,
                       4096, 4096, 4096)
    page = (b"kdumpkit test page " * 216)[:4096]
    blob = ehdr + phdr
    path.write_bytes(blob + bytes(4096 - len(blob)) + page)
    return path


def test_dump_without_kernel_memory_still_opens(kdumpkit, tmp_path):
    core = bare_core(tmp_path / "bare.core")
    r = kdumpkit(core, "-c", "rd -p 0 2; sym schedule; vtop 0; sys")
    assert r.returncode == 1
    assert r.stdout.startswith(
        "               0:  74696b706d75646b 6170207473657420   "
        "kdumpkit test pa\n")
    assert "    DUMPFILE: " in r.stdout
    errs = r.stderr.splitlines()
    assert len(errs) == 2
    assert errs[0].startswith("kdumpkit: sym: needs kernel symbols, and "
                              "none are loaded: ")
    assert errs[1].startswith("kdumpkit: vtop: needs the kernel's virtual "
                              "memory, which this dump does not give: ")
    assert "VMCOREINFO" in errs[1]


@pytest.mark.parametrize("n", range(len(RD_CMDS)), ids=RD_CMDS)
def test_rd_and_sym_match_crash(crash_vtop, n):
    ours, theirs = crash_vtop[3 + n]
    assert ours == theirs
