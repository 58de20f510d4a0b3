"""sys -t and sys config on every lab dump.

The truth for the taints is the console of the crashed kernel (console.log of
the run, up to the capture kernel's boot): the letters of the last
"Tainted:"/"Not tainted" header it printed, plus D when it then panicked with
"Fatal exception" (oops_end() and arm64's die() set TAINT_DIE after printing
the header and before that panic; with kdump loaded, crash_kexec() runs
first and D is never set). The letters' bit order is the ABI of
Documentation/admin-guide/tainted-kernels.rst. crash 8.0.2's own `sys -t`
is the oracle on three x86_64 dumps (it cannot read arm64 dumps); its output
is kept under ~/.cache/kdumpkit/derived/systaint, keyed by the dump's size
and mtime, because crash takes some 7 s to start.

Whether tainted_mask can be read at all, and whether `sys config` can
succeed, is decided by the kernel's own config file in the lab's kernel
package: CONFIG_KALLSYMS_ALL and CONFIG_IKCONFIG.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labruns  # noqa: E402
import kernels  # noqa: E402
import scenarios  # noqa: E402

ALL = labruns.dumps()
# bit 0 .. 18, as print_tainted() writes them in 6.1 (c_true of each flag)
LETTERS = "PFSRMBUDAWCIOELKXTN"
DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "systaint"
CRASH = Path("/usr/bin/crash")
# one dump per interesting answer: untainted, O E L, and D from a panicked oops
CRASH_DUMPS = [p for p in ALL if p[0] in (
    "x86_64-sysrq-kdump-kdump", "x86_64-softlockup-kdump-kdump",
    "x86_64-oops-qemu-elf")]

_HEADER = re.compile(r"(?:Tainted: ([A-Z ]*?) +\d|Not tainted)")
_FATAL = re.compile(r"Kernel panic - not syncing: .*Fatal exception")


def kernel_config(arch):
    rel = kernels.KERNELS[arch]["release"]
    path = kernels.kernel_dir(arch) / "img" / "boot" / f"config-{rel}"
    try:
        text = path.read_text()
    except OSError:
        pytest.skip(f"no kernel config at {path}")
    return {m.group(1): m.group(2) for m in
            re.finditer(r"^(CONFIG_\w+)=(.*)$", text, re.M)}


def console_taints(info):
    """(mask, letters) the crashed kernel's console stands for."""
    path = info["path"].parent / "console.log"
    try:
        text = scenarios.first_kernel_text(path.read_text(errors="replace"))
    except OSError:
        pytest.skip(f"no console log at {path}")
    headers = list(_HEADER.finditer(text))
    assert headers, f"{path}: no taint header on the console"
    last = headers[-1]
    mask = 0
    for c in (last.group(1) or "").replace("G", "").replace(" ", ""):
        mask |= 1 << LETTERS.index(c)
    if _FATAL.search(text, last.end()):
        mask |= 1 << LETTERS.index("D")
    # a WARN's header: __warn() prints "WARNING: CPU:", the header, then
    # sets W (arm64's machine_kexec warns so on the way to the kdump kernel)
    before = text[headers[-2].end() if len(headers) > 1 else 0:last.start()]
    if re.search(r"\] WARNING: CPU: ", before):
        mask |= 1 << LETTERS.index("W")
    return mask, "".join(c for i, c in enumerate(LETTERS) if mask >> i & 1)


def run(kdumpkit, info, cmds, *extra):
    if not info["path"].is_file():
        pytest.skip(f"{info['path']} went away (being regenerated)")
    return kdumpkit(info["path"], *extra, "-c", cmds)


@pytest.mark.parametrize("info", labruns.infos(ALL), ids=labruns.ids(ALL))
def test_sys_t_matches_console(kdumpkit, info):
    mask, letters = console_taints(info)
    r = run(kdumpkit, info, "sys -t")
    assert r.returncode == 0, r.stderr
    line = r.stdout.rstrip("\n")
    assert "\n" not in line
    assert line.startswith(f"TAINTED_MASK: {mask:x}  {letters}")
    from_log = kernel_config(info["arch"]).get("CONFIG_KALLSYMS_ALL") != "y"
    assert ("(from the log:" in line) == from_log
    if not from_log:
        assert line == f"TAINTED_MASK: {mask:x}  {letters}"


@pytest.mark.parametrize("info", labruns.infos(ALL), ids=labruns.ids(ALL))
def test_sys_t_json(kdumpkit, info):
    mask, letters = console_taints(info)
    r = run(kdumpkit, info, "sys -t", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["tainted_mask"] == mask
    assert d["letters"] == letters
    assert [f["letter"] for f in d["flags"]] == list(letters)
    assert all(f["bit"] == LETTERS.index(f["letter"]) for f in d["flags"])
    names = {"O": "OOT_MODULE", "E": "UNSIGNED_MODULE", "L": "SOFTLOCKUP",
             "D": "DIE", "W": "WARN"}
    assert all(f["name"] == names[f["letter"]] for f in d["flags"])
    has_all = kernel_config(info["arch"]).get("CONFIG_KALLSYMS_ALL") == "y"
    assert d["source"] == ("tainted_mask" if has_all else "log")
    # kallsyms has taint_flags[] only with data symbols
    assert d["table"] == ("taint_flags" if has_all else "builtin")
    assert d["log"]["header"]


@pytest.mark.parametrize("info", labruns.infos(labruns.dumps("x86_64")),
                         ids=labruns.ids(labruns.dumps("x86_64")))
def test_log_rule_agrees_with_memory(kdumpkit, info):
    """Where tainted_mask can be read, the log's reading of the taints (what
    arm64 has to rely on) gives the same mask: the rule is checked against
    memory on every x86_64 dump."""
    r = run(kdumpkit, info, "sys -t", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["source"] == "tainted_mask"
    assert d["log"]["tainted_mask"] == d["tainted_mask"]


ARM = labruns.dumps("arm64")


@pytest.mark.parametrize("info", labruns.infos(ARM), ids=labruns.ids(ARM))
def test_sys_kernel_line_tainted_on_arm64(kdumpkit, info):
    """arm64's kallsyms has no tainted_mask: KERNEL's [TAINTED] follows the
    console's last taint header (as sys -t reads it), and agrees with what
    tainted_mask itself says when the vmlinux gives its address."""
    mask, _ = console_taints(info)
    r = run(kdumpkit, info, "sys")
    assert r.returncode == 0, r.stderr
    kernel = r.stdout.splitlines()[0]
    assert kernel.startswith("      KERNEL: (none: symbols from the dump)")
    assert kernel.endswith("  [TAINTED]") == (mask != 0)
    d = json.loads(run(kdumpkit, info, "sys", "--json").stdout)
    assert d["tainted_mask"] == mask
    assert d["tainted_mask_source"] == "log"
    vmlinux = kernels.vmlinux_path("arm64")
    if not vmlinux.is_file():
        pytest.skip(f"no vmlinux at {vmlinux}")
    r = kdumpkit(vmlinux, info["path"], "--json", "-c", "sys")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["tainted_mask_source"] == "tainted_mask"
    assert d["tainted_mask"] == mask
    r = kdumpkit(vmlinux, info["path"], "-c", "sys")
    assert r.stdout.splitlines()[0].endswith("  [TAINTED]") == (mask != 0)


def crash_output(info):
    """crash's `sys -t` and `sys config`, run once per dump and kept."""
    st = info["path"].stat()
    key = f"{info['path'].parent.name}-{info['path'].name}-{st.st_size}-{int(st.st_mtime)}"
    out = DERIVED / info["release"] / key / "crash.txt"
    if out.is_file():
        return out.read_text()
    if not CRASH.exists():
        pytest.skip("crash is not installed")
    vmlinux = kernels.vmlinux_path(info["arch"])
    out.parent.mkdir(parents=True, exist_ok=True)
    cmds = out.parent / f"cmds.txt.{os.getpid()}"
    cmds.write_text("sys -t\nsys config\nq\n")
    r = subprocess.run([str(CRASH), "-s", str(vmlinux), str(info["path"]),
                        "-i", str(cmds)], capture_output=True, text=True,
                       timeout=600)
    text = r.stdout + r.stderr
    assert "TAINTED_MASK:" in text, text[-2000:]
    tmp = out.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(text)
    tmp.rename(out)
    cmds.unlink()
    return text


@pytest.mark.parametrize("info", labruns.infos(CRASH_DUMPS),
                         ids=labruns.ids(CRASH_DUMPS))
def test_sys_t_matches_crash(kdumpkit, info):
    ref = crash_output(info)
    want = re.search(r"^TAINTED_MASK: .*$", ref, re.M).group(0)
    r = run(kdumpkit, info, "sys -t")
    assert r.returncode == 0, r.stderr
    assert r.stdout == want + "\n"
    # crash's answer to `sys config` on a kernel without IKCONFIG
    assert "kernel_config_data does not exist in this kernel" in ref


@pytest.mark.parametrize("info", labruns.infos(ALL), ids=labruns.ids(ALL))
def test_sys_config_without_ikconfig(kdumpkit, info):
    """The lab kernels are built without CONFIG_IKCONFIG: one line that says
    so, a failed command, and the session goes on to the next one."""
    if kernel_config(info["arch"]).get("CONFIG_IKCONFIG") in ("y", "m"):
        pytest.skip("this kernel has IKCONFIG")
    r = run(kdumpkit, info, "sys config; sys -t")
    assert r.returncode == 1
    assert r.stderr.startswith("kdumpkit: sys: config: the kernel was built "
                               "without CONFIG_IKCONFIG")
    assert r.stderr.count("\n") == 1
    assert r.stdout.startswith("TAINTED_MASK: ")
    r = run(kdumpkit, info, "sys config", "--json")
    assert r.returncode == 1 and r.stdout == ""


def test_sys_usage_and_help(kdumpkit):
    info = ALL[0][1] if ALL else pytest.skip("no lab dumps")
    r = run(kdumpkit, info, "sys -t config")
    assert r.returncode == 1
    assert "unexpected 'config'" in r.stderr and "usage: sys" in r.stderr
    r = run(kdumpkit, info, "sys nonsense")
    assert r.returncode == 1 and "unexpected 'nonsense'" in r.stderr
    r = run(kdumpkit, info, "help sys")
    assert r.returncode == 0
    assert "sys [-t | config]" in r.stdout
    assert "-t  the kernel's taints" in r.stdout
    assert "config  the kernel's built-in .config" in r.stdout
