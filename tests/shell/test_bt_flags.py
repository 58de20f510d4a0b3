"""bt -f: each frame's stack words, in crash's layout.

Oracle: crash 8.0.2's `bt -f` of the panic task with the vmlinux on the
x86_64 kdump dumps (kept under ~/.cache/kdumpkit/derived/btf/). Where the
two stacks have a frame at the same stack address (crash starts from its
own idea of the panic frame, machine_kexec, kdumpkit from the registers
the CPU saved; the frames below agree), the words printed after it must be
the same lines. arm64 (crash cannot read those dumps): the words equal
`rd` of the same addresses.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kernels  # noqa: E402
import labruns  # noqa: E402

DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "btf"
X86 = [p for p in labruns.dumps("x86_64") if p[1]["path"].name == "vmcore"
       and p[1]["path"].parent.name in ("sysrq-kdump", "oops-kdump", "softlockup-kdump")]
ARM = [p for p in labruns.dumps("arm64") if p[1]["path"].name == "vmcore"
       and p[1]["path"].parent.name == "sysrq-kdump"]
WORDS = re.compile(r"^    ([0-9a-f]{16}): ((?:[0-9a-f]{16} )+)$")


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def blocks(text):
    """{frame's stack address: ([its word lines], the next frame's)}."""
    out, cur = {}, None
    order = []
    for line in text.splitlines():
        m = re.match(r"\s*#\d+ \[([0-9a-f]+)\]", line)
        if m:
            cur = m.group(1)
            out[cur] = []
            order.append(cur)
        elif cur and WORDS.match(line):
            out[cur].append(line)
        else:
            cur = None
    nxt = dict(zip(order, order[1:] + [None]))
    return {k: (v, nxt[k]) for k, v in out.items()}


@pytest.mark.skipif(not shutil.which("crash"), reason="no crash")
@pytest.mark.parametrize("info", **params(X86))
def test_bt_f_matches_crash(info, kdumpkit):
    vmlinux = kernels.vmlinux_path("x86_64")
    if not vmlinux.is_file():
        pytest.skip(f"no {vmlinux}")
    theirs = labruns.cached_text(DERIVED, info, "crash-bt-f.txt", lambda: subprocess.run(
        ["crash", "-s", str(vmlinux), str(info["path"])], input="bt -f\nq\n",
        capture_output=True, text=True, timeout=600).stdout)
    r = kdumpkit(info["path"], "-c", "bt -f")
    assert r.returncode == 0, r.stderr
    a, b = blocks(theirs), blocks(r.stdout)
    # frames both unwinders find, followed by the same frame (crash also
    # lists stale return addresses it finds by scanning; ORC skips them)
    common = [k for k in b if k in a and b[k][0] and a[k][0] and a[k][1] == b[k][1]]
    assert len(common) >= 4, (list(a), list(b))
    assert [k for k in common if a[k][0] != b[k][0]] == []


@pytest.mark.parametrize("info", **params(ARM + X86[:1]))
def test_bt_f_words_are_the_stack(info, kdumpkit):
    r = kdumpkit(info["path"], "-c", "bt -f")
    assert r.returncode == 0, r.stderr
    lines = [m for m in map(WORDS.match, r.stdout.splitlines()) if m]
    assert len(lines) > 10
    for m in lines[::5]:
        words = m.group(2).split()
        rd = kdumpkit(info["path"], "-c", f"rd {m.group(1)} {len(words)}").stdout
        assert rd.split(":", 1)[1].split()[:len(words)] == words, (m.group(0), rd)
    # without -f, the same frames
    plain = kdumpkit(info["path"], "-c", "bt").stdout.splitlines()
    assert [x for x in r.stdout.splitlines() if not WORDS.match(x)] == plain


@pytest.mark.skipif(not shutil.which("crash"), reason="no crash")
@pytest.mark.parametrize("info", **params(X86))
def test_bt_s_offsets_match_crash(info, kdumpkit):
    """-s (decimal) and -sx (hex): the frames both unwinders find are the
    same lines."""
    vmlinux = kernels.vmlinux_path("x86_64")
    if not vmlinux.is_file():
        pytest.skip(f"no {vmlinux}")
    frame = re.compile(r"^\s*#\d+ (\[[0-9a-f]+\] \S+ at [0-9a-f]+.*)$", re.M)
    for flags in ("-s", "-sx"):
        theirs = labruns.cached_text(
            DERIVED, info, f"crash-bt{flags}.txt", lambda: subprocess.run(
                ["crash", "-s", str(vmlinux), str(info["path"])],
                input=f"bt {flags}\nq\n", capture_output=True, text=True,
                timeout=600).stdout)
        ours = kdumpkit(info["path"], "-c", f"bt {flags}").stdout
        a = {m.split("]")[0]: m for m in frame.findall(theirs)}
        b = {m.split("]")[0]: m.replace("  (found by stack scan)", "")
             for m in frame.findall(ours)}
        common = [k for k in b if k in a]
        assert len(common) >= 4, (theirs, ours)
        assert [(a[k], b[k]) for k in common if a[k] != b[k]] == []
        assert "+" in b[common[-1]]


@pytest.mark.skipif(not shutil.which("crash"), reason="no crash")
@pytest.mark.parametrize("info", **params(X86[-1:]))
def test_bt_t_matches_crash(info, kdumpkit):
    """-t: every text address on the panic task's stack from its stack
    pointer up, then the user-mode registers. crash starts a little lower
    (at its own first frame, machine_kexec's); from our first line on,
    the output is crash's. (Only sysrq: on the oops dump crash names
    crashme's init text _MODULE_INIT_START_crashme where kallsyms has
    crashme_init, and on soft lockup it starts from the task's stack
    where the CPU was on its IRQ stack.)"""
    vmlinux = kernels.vmlinux_path("x86_64")
    if not vmlinux.is_file():
        pytest.skip(f"no {vmlinux}")
    theirs = labruns.cached_text(DERIVED, info, "crash-bt-t.txt", lambda: subprocess.run(
        ["crash", "-s", str(vmlinux), str(info["path"])], input="bt -t\nq\n",
        capture_output=True, text=True, timeout=600).stdout)
    r = kdumpkit(info["path"], "-c", "bt -t")
    assert r.returncode == 0, r.stderr
    line = re.compile(r"^  \[([0-9a-f]{16})\] .* at [0-9a-f]{16}.*$", re.M)
    ours = [m.group(0) for m in line.finditer(r.stdout)]
    assert len(ours) >= 8
    first = int(line.match(ours[0]).group(1), 16)
    want = [m.group(0) for m in line.finditer(theirs) if int(m.group(1), 16) >= first]
    assert ours == want
    assert r.stdout.split(ours[-1])[1] == theirs.split(want[-1])[1]
    # -T: from the stack's base, so it holds -t's lines at its end
    whole = [m.group(0) for m in line.finditer(
        kdumpkit(info["path"], "-c", "bt -T").stdout)]
    assert whole[-len(ours):] == ours and len(whole) >= len(ours)
