"""dis: kernel text from the dump's memory, disassembled as crash writes it.

Oracles:
- x86_64: crash 8.0.2 (gdb's disassembler, binutils' AT&T syntax) on the
  sysrq and oops kdump dumps, `dis FUNCTION` for ~50 functions, in one
  crash session per dump (kept under ~/.cache/kdumpkit/derived/dis/).
  Every instruction must start at the same address, and the lines must be
  equal, the text inside <...> aside: where several symbols share an
  address, kallsyms and gdb pick different ones (memcpy/__memcpy), and gdb
  names functions by their DWARF name (finish_task_switch for kallsyms'
  finish_task_switch.isra.0).
- arm64 (crash cannot read these dumps): aarch64-linux-gnu-objdump -d on
  the vmlinux, for the same functions: the same mnemonics for >= 97% of
  the instructions; the rest is text the kernel patched at boot (ftrace's
  NOPs, alternatives) and LSE atomics capstone 4 does not know (.inst).
"""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kernels  # noqa: E402
import labruns  # noqa: E402
import refbatch  # noqa: E402

DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "dis"
FUNCS = [
    "schedule", "__schedule", "mutex_lock", "do_syscall_64", "vfs_write",
    "ksys_write", "kmem_cache_alloc", "__kmalloc", "copy_process", "do_exit",
    "panic", "__crash_kexec", "native_safe_halt", "rwsem_down_read_slowpath",
    "hrtimer_nanosleep", "do_nanosleep", "memset", "strlen",
    "__list_del_entry_valid", "sysrq_handle_crash", "write_sysrq_trigger",
    "proc_reg_write", "try_to_wake_up", "update_curr", "pick_next_task_fair",
    "load_balance", "kfree", "__alloc_pages", "get_page_from_freelist",
    "filemap_map_pages", "handle_mm_fault", "do_user_addr_fault",
    "exc_page_fault", "native_write_msr", "default_idle", "do_idle",
    "cpu_startup_entry", "watchdog_timer_fn", "out_of_memory",
    "oom_kill_process", "__do_softirq", "irq_exit_rcu",
    "sysvec_apic_timer_interrupt", "_raw_spin_lock", "_raw_spin_lock_irqsave",
]
X86 = [p for p in labruns.dumps("x86_64") if p[1]["path"].name == "vmcore"
       and p[1]["path"].parent.name in ("sysrq-kdump", "oops-kdump")]
ARM = [p for p in labruns.dumps("arm64") if p[1]["path"].name == "vmcore"
       and p[1]["path"].parent.name == "sysrq-kdump"]
LINE = re.compile(r"^0x([0-9a-f]+) <[^>]*>:\t(.*)$")


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def batch(argv, queries):
    """{query: output} of one session (refbatch.batch), "" for none."""
    out, _ = refbatch.batch(argv, queries)
    return {q: v or "" for q, v in out.items()}


def without_names(line):
    return re.sub(r"<[^>]*>", "<>", line)


@pytest.mark.skipif(not shutil.which("crash"), reason="no crash")
@pytest.mark.parametrize("info", **params(X86))
def test_dis_matches_crash(info, kdumpkit_bin):
    vmlinux = kernels.vmlinux_path("x86_64")
    if not vmlinux.is_file():
        pytest.skip(f"no {vmlinux}")
    queries = [f"dis {f}" for f in FUNCS]
    theirs = json.loads(labruns.cached_text(
        DERIVED, info, "crash-dis.json",
        lambda: json.dumps(batch(["crash", "-s", str(vmlinux),
                                  str(info["path"])], queries)),
        extra=",".join(FUNCS)))
    ours = batch([str(kdumpkit_bin), str(info["path"])], queries)
    total = differ = 0
    for q in queries:
        t, o = theirs[q].splitlines(), ours[q].splitlines()
        assert t, f"crash printed nothing for {q}"
        t_addrs = [LINE.match(x).group(1) for x in t if LINE.match(x)]
        o_addrs = [LINE.match(x).group(1) for x in o if LINE.match(x)]
        assert o_addrs == t_addrs, q
        total += len(t)
        differ += sum(1 for a, b in zip(t, o)
                      if without_names(a) != without_names(b))
        differ += abs(len(t) - len(o))
    assert total > 5000
    assert differ == 0, f"{differ} of {total} lines differ"


@pytest.mark.parametrize("info", **params(X86 + ARM))
def test_dis_r_ends_at_the_return_address(info, kdumpkit):
    """dis -r of a return address in the panic task's stack: the function
    from its start, ending with the instruction before the return address
    (a call) and the one at it."""
    r = kdumpkit(info["path"], "-c", "bt")
    assert r.returncode == 0, r.stderr
    # a caller in the middle of itself (sysrq_handle_crash's call of panic
    # is its last instruction: its return address is the next function's)
    addr = re.search(r"#\d+ \[[0-9a-f]+\] (?:vfs_write|do_init_module) at "
                     r"([0-9a-f]+)", r.stdout).group(1)
    out = kdumpkit(info["path"], "-c", f"dis -r {addr}")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert LINE.match(lines[-1]).group(1) == addr
    assert re.search(r"<\w+>:", lines[0])
    assert re.search(r"\t(call|bl|blr)\b", lines[-2]), lines[-2]


@pytest.mark.skipif(not shutil.which("aarch64-linux-gnu-objdump"),
                    reason="no aarch64-linux-gnu-objdump")
@pytest.mark.parametrize("info", **params(ARM))
def test_arm64_mnemonics_match_objdump(info, kdumpkit_bin):
    vmlinux = kernels.vmlinux_path("arm64")
    if not vmlinux.is_file():
        pytest.skip(f"no {vmlinux}")
    nm = subprocess.run(["nm", str(vmlinux)], capture_output=True, text=True).stdout
    addrs = {n: int(a, 16) for a, _, n in
             (line.split() for line in nm.splitlines() if len(line.split()) == 3)}
    funcs = [f for f in ("panic", "sysrq_handle_crash", "__schedule",
                         "do_exit", "vfs_write", "kfree", "copy_process",
                         "try_to_wake_up") if f in addrs]
    ours = batch([str(kdumpkit_bin), str(vmlinux), str(info["path"])],
                 [f"dis {f}" for f in funcs])
    same = total = 0
    for f in funcs:
        mine = [LINE.match(x).group(2).split("\t")[0]
                for x in ours[f"dis {f}"].splitlines() if LINE.match(x)]
        assert mine, f
        od = subprocess.run(
            ["aarch64-linux-gnu-objdump", "-d", "--no-show-raw-insn",
             f"--start-address={addrs[f]:#x}",
             f"--stop-address={addrs[f] + 4 * len(mine):#x}", str(vmlinux)],
            capture_output=True, text=True).stdout
        theirs = [m.group(1) for m in
                  re.finditer(r"^\s*[0-9a-f]+:\t(\S+)", od, re.M)]
        assert len(theirs) == len(mine), f
        total += len(mine)
        same += sum(a == b for a, b in zip(mine, theirs))
    assert total > 500
    assert same >= 0.97 * total, f"{same} of {total} mnemonics equal"


def test_dis_bad_input(kdumpkit):
    info = (X86 or ARM or [None])[0]
    if info is None:
        pytest.skip("no lab dumps")
    info = info[1]
    for cmd, word in (("dis no_such_function", "no_such_function"),
                      ("dis", "address"),
                      ("dis -r -f panic", "-r and -f"),
                      ("dis -l panic", "DWARF"),
                      ("dis 0x10 4", "0x10")):
        r = kdumpkit(info["path"], "-c", cmd)
        assert r.returncode == 1, (cmd, r.stdout)
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("kdumpkit: dis: "), r.stderr
        assert word in lines[0], (cmd, lines[0])
