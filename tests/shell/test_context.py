"""The current task (set, task, bt) and user memory (rd -u, vtop -u) on the
lab's dumps, both architectures.

What it is checked against:
- the guest's console (the manifest's facts): the task that panicked
  (the "CPU: N PID: P Comm: C" line the oops or panic printed) is the
  session's first context and what `set -p` names, on every dump; `set -c N`
  names the task ps marks active ('>') on CPU N;
- the task's own memory: on the QEMU ELF dumps (all memory, user pages
  too) the argv strings at mm->arg_start name the command the console
  names (sysrq: sh, oops: insmod, oom: memhog); vtop -u's physical address
  holds the same bytes in the ELF file itself (read here from its PT_LOAD
  headers, not through kdumpkit), and rd -p there gives them too;
- drgn 0.0.22 on the kdump-format dumps (dump level 31: user pages
  excluded): the same mm and arg_start, and drgn's access_remote_vm()
  fails on the same physical page that rd -u says is excluded from the
  dump;
- crash 8.0.2 on x86_64 kdump dumps, for the layout of `set`, `set -p`,
  `set -c N` and `task -R` (it knows only the panic task and the idle
  tasks of these kernels; whole `task` output too, but gdb cuts strings
  at 200 elements where kdumpkit prints them whole).
arm64 runs both with its vmlinux (panic_cpu) and without (kallsyms has
no data symbols: the panic CPU is found by its stack or the log).
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labruns  # noqa: E402
import kernels  # noqa: E402
import lab  # noqa: E402

DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "context"
ALL = labruns.dumps()
USER_SCENARIOS = ("sysrq", "oops", "oom")
QEMU_ELF = [p for p in ALL if p[1]["path"].name == "vmcore.elf" and
            p[1]["manifest"]["method"] == "qemu" and
            p[1]["manifest"]["scenario"] in USER_SCENARIOS]
QEMU_FLAT = [p for p in ALL if p[1]["path"].name == "vmcore.flat" and
             p[1]["manifest"]["scenario"] == "sysrq"]
KDUMP = [p for p in ALL if p[1]["path"].name == "vmcore" and
         p[1]["manifest"]["scenario"] in USER_SCENARIOS]
X86_KDUMP = [p for p in KDUMP if p[1]["arch"] == "x86_64" and
             p[1]["manifest"]["scenario"] in ("sysrq", "oops")]
ARM64 = [p for p in ALL if p[1]["arch"] == "arm64"]

BLOCK = re.compile(r'^    PID: (\d+)\nCOMMAND: "(.*)"\n   TASK: ([0-9a-f]+)  '
                   r'(?:\(1 of (\d+)\)  )?\[THREAD_INFO: ([0-9a-f]+)\]\n'
                   r'    CPU: (\d+)\n  STATE: (\S+) (\((?:PANIC|ACTIVE)\))?$',
                   re.M)
ROW = re.compile(r"^(>| ) +(\d+) +(-?\d+) +(\d+)  ([0-9a-f]{16}) +(\S+) ")


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def facts(info):
    return lab.load_manifest(info["path"].parent)["facts"]


def vmlinux(info):
    path = kernels.vmlinux_path(info["arch"])
    if not path.is_file():
        pytest.skip(f"no vmlinux at {path}")
    return path


def run(kdumpkit, info, cmds, vm=False, json_out=False):
    if not info["path"].is_file():
        pytest.skip(f"{info['path']} went away (being regenerated)")
    args = ([vmlinux(info)] if vm else []) + [info["path"]]
    args += ["--json"] if json_out else []
    return kdumpkit(*args, "-c", "; ".join(cmds))


def ok(kdumpkit, info, cmds, **kw):
    r = run(kdumpkit, info, cmds, **kw)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return r.stdout


def blocks(text):
    """set's blocks: (pid, comm, task, cpu, state, mark)."""
    return [(int(m[1]), m[2], m[3], int(m[6]), m[7], m[8])
            for m in BLOCK.finditer(text)]


def active_rows(ps):
    """{cpu: (pid, task, comm)} of ps's '>' rows."""
    out = {}
    for line in ps.splitlines():
        m = ROW.match(line)
        if m and m[1] == ">":
            out[int(m[4])] = (int(m[2]), m[5], line.split()[-1].strip("[]"))
    return out


# set: the panic task, set -p, set -c ------------------------------------------

@pytest.mark.parametrize("info", **params(ALL))
def test_context_starts_at_the_panic_task(kdumpkit, info):
    """The first context and `set -p` are the task the console says
    panicked, marked (PANIC); `set -c N` is ps's active task on CPU N."""
    f = facts(info)
    if "panic_pid" not in f:
        pytest.skip("the console names no panic task")
    cmds = ["set", "set -p", "ps", "set -c 0", "set -c 1"]
    out = ok(kdumpkit, info, cmds, vm=info["arch"] == "arm64")
    found = blocks(out)
    assert len(found) == 4, out[:2000]
    first, panic = found[0], found[1]
    assert first == panic
    assert (first[0], first[1], first[3]) == \
        (f["panic_pid"], f["panic_comm"][:15], f["panic_cpu"])
    assert first[5] == "(PANIC)"
    assert first[4] == "TASK_RUNNING"
    active = active_rows(out)
    for cpu, block in zip((0, 1), found[2:]):
        pid, task, comm = active[cpu]
        assert (block[0], block[2], block[1], block[3]) == \
            (pid, task.lstrip("0"), comm, cpu)
        assert block[5] in ("(PANIC)", "(ACTIVE)")
        assert (block[5] == "(PANIC)") == (pid == f["panic_pid"])


@pytest.mark.parametrize("info", **params(ARM64))
def test_arm64_without_vmlinux_finds_the_panic_task(kdumpkit, info):
    """Without panic_cpu (arm64 kallsyms has text only) the panic CPU is
    the one whose stack runs through panic()/crash_kexec(), or, where none
    does (an oops straight to kdump saves the faulting registers), the
    log's last CPU/PID header when that task is active on that CPU."""
    f = facts(info)
    if "panic_pid" not in f:
        pytest.skip("the console names no panic task")
    (pid, comm, _, cpu, _, mark), = blocks(ok(kdumpkit, info, ["set -p"]))
    assert (pid, comm, cpu, mark) == \
        (f["panic_pid"], f["panic_comm"][:15], f["panic_cpu"], "(PANIC)")


# rd -u and vtop -u on memory with user pages -------------------------------

def elf_loads(path):
    """(paddr, offset, filesz) of each PT_LOAD of an ELF64 file."""
    with open(path, "rb") as fp:
        head = fp.read(64)
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        fp.seek(phoff)
        table = fp.read(phentsize * phnum)
    loads = []
    for i in range(phnum):
        p_type, _, off, _, paddr, filesz = struct.unpack_from(
            "<IIQQQQ", table, i * phentsize)
        if p_type == 1:
            loads.append((paddr, off, filesz))
    return loads


def elf_read_phys(path, paddr, n):
    for start, off, size in elf_loads(path):
        if start <= paddr and paddr + n <= start + size:
            with open(path, "rb") as fp:
                fp.seek(off + paddr - start)
                return fp.read(n)
    raise AssertionError(f"{paddr:#x} is in no PT_LOAD of {path}")


def task_mm(kdumpkit, info, pid):
    """(mm, arg_start, arg_end) of pid, by task -R and struct."""
    out = ok(kdumpkit, info, [f"task -R mm {pid}"])
    mm = int(re.search(r"^  mm = 0x([0-9a-f]+),$", out, re.M)[1], 16)
    out = ok(kdumpkit, info, [f"struct mm_struct.arg_start,arg_end {mm:x}"])
    start = int(re.search(r"arg_start = (\d+),", out)[1])
    end = int(re.search(r"arg_end = (\d+),", out)[1])
    return mm, start, end


def rd_bytes(text):
    """The bytes of `rd -8` lines."""
    out = bytearray()
    for line in text.splitlines():
        words = line.split(":", 1)[1].split("  ")[1]
        out += bytes(int(w, 16) for w in words.split())
    return bytes(out)


def vtop_paddr(text):
    m = re.match(r"VIRTUAL +PHYSICAL +\n([0-9a-f]+) +([0-9a-f]+) +\n", text)
    assert m, text
    return int(m[1], 16), int(m[2], 16)


# The command lines tests/lab/guest/init runs for the scenarios whose
# panic task is a user process it started.
GUEST_ARGV = {
    "sysrq": [b"sh", b"-c", b"echo c > /proc/sysrq-trigger"],
    "oom": [b"/bin/memhog", b"eat"],
}


def ours(kdumpkit_bin, info, queries):
    """Each query's output, from one session."""
    if not info["path"].is_file():
        pytest.skip(f"{info['path']} went away (being regenerated)")
    out, r = batch([str(kdumpkit_bin), str(info["path"]), "-i", "/dev/stdin"],
                   queries)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return out


@pytest.mark.parametrize("info", **params(QEMU_ELF))
def test_rd_u_reads_the_panic_task_argv(kdumpkit, kdumpkit_bin, info):
    """argv of the task that panicked, read at mm->arg_start through its
    page tables: argv[0] names the command; vtop -u's physical address
    holds the same bytes in the ELF file and through rd -p."""
    f = facts(info)
    pid, comm = f["panic_pid"], f["panic_comm"]
    _, start, end = task_mm(kdumpkit, info, pid)
    n = end - start
    assert 0 < n < 4096
    q = [f"set {pid}", f"rd -u -8 {start:x} {n}", f"rd -8 {start:x} {n}",
         f"vtop -u {start:x}", f"vtop -c {pid} {start:x}", f"vtop {start:x}"]
    out = ours(kdumpkit_bin, info, q)
    argv = rd_bytes(out[q[1]])
    assert len(argv) == n
    words = argv.rstrip(b"\0").split(b"\0")
    scenario = info["manifest"]["scenario"]
    if scenario in GUEST_ARGV:
        assert words == GUEST_ARGV[scenario]
        assert os.path.basename(words[0].decode()) == comm[:15]
    else:
        # busybox runs insmod in a child of the shell without exec (a
        # NOEXEC applet named by prctl): the argv is the shell's, pid 1's
        _, s1, e1 = task_mm(kdumpkit, info, 1)
        init = ours(kdumpkit_bin, info, ["set 1", f"rd -u -8 {s1:x} "
                                         f"{e1 - s1}"])
        assert argv == rd_bytes(init[f"rd -u -8 {s1:x} {e1 - s1}"])
        assert words == [b"/bin/sh", b"/init"]
    # without -u the address is taken as the current task's (crash's
    # guess); -c PID walks the same tables as the context
    assert out[q[2]] == out[q[1]]
    assert out[q[3]] == out[q[4]] == out[q[5]]
    assert re.search(r"^   PTE: [0-9a-f]+ => [0-9a-f]+$", out[q[3]], re.M)
    va, pa = vtop_paddr(out[q[3]])
    assert va == start
    room = min(4096 - (start & 4095), n)
    assert elf_read_phys(info["path"], pa, room) == argv[:room]
    phys = ok(kdumpkit, info, [f"rd -p -8 {pa:x} {room}"])
    assert rd_bytes(phys) == argv[:room]


@pytest.mark.parametrize("info", **params(QEMU_FLAT))
def test_rd_u_flattened_is_the_elf(kdumpkit, info):
    """QEMU's flattened kdump-zlib dump of the same run holds the same
    memory, user pages included: the same argv, the same walk."""
    elf = dict(info, path=info["path"].with_name("vmcore.elf"))
    if not elf["path"].is_file():
        pytest.skip("no ELF dump beside it")
    pid = facts(info)["panic_pid"]
    _, start, end = task_mm(kdumpkit, info, pid)
    cmds = [f"set {pid}", f"rd -u {start:x} {(end - start + 7) // 8}",
            f"vtop -u {end - 1:x}"]
    flat = ok(kdumpkit, info, cmds)
    assert flat == ok(kdumpkit, elf, cmds)
    assert "sh.-c.echo c > /" in flat and "proc/sysrq-trigg" in flat


@pytest.mark.parametrize("info", **params(QEMU_ELF))
def test_rd_u_json_and_text_agree(kdumpkit, info):
    f = facts(info)
    _, start, end = task_mm(kdumpkit, info, f["panic_pid"])
    text = ok(kdumpkit, info, [f"rd -u -8 {start:x} {end - start}"])
    js = json.loads(ok(kdumpkit, info, [f"rd -u -8 {start:x} {end - start}"],
                       json_out=True))
    assert js["user"] is True and js["physical"] is False
    assert bytes(w["value"] for w in js["words"]) == rd_bytes(text)
    vt = json.loads(ok(kdumpkit, info, [f"vtop -u {start:x}"],
                       json_out=True))[0]
    assert vt["user"] and vt["virtual"] == start
    assert [lv["level"] for lv in vt["levels"]][-1] == "PTE"
    assert vt["physical"] == vtop_paddr(ok(kdumpkit, info,
                                           [f"vtop {start:x}"]))[1]


# kdump-format dumps: user pages excluded, drgn as the oracle ---------------

DRGN_SCRIPT = r"""
import json, sys, drgn
from drgn.helpers.linux.pid import find_task
from drgn.helpers.linux.mm import access_remote_vm
prog = drgn.Program()
prog.set_core_dump(sys.argv[1])
prog.load_debug_info([sys.argv[2]])
t = find_task(prog, int(sys.argv[3]))
mm = t.mm
out = {"mm": mm.value_(), "arg_start": int(mm.arg_start),
       "arg_end": int(mm.arg_end)}
try:
    out["bytes"] = list(access_remote_vm(mm, mm.arg_start, 16))
except drgn.FaultError as e:
    out["fault"] = str(e)
    out["fault_address"] = e.address
print(json.dumps(out))
"""


def drgn_user(info, pid):
    vm = vmlinux(info)

    def make():
        r = subprocess.run(["/usr/bin/python3", "-c", DRGN_SCRIPT,
                            str(info["path"]), str(vm), str(pid)],
                           capture_output=True, text=True, timeout=300)
        if r.returncode:
            pytest.skip(f"drgn failed: {r.stderr[-300:]}")
        return r.stdout
    return json.loads(labruns.cached_text(DERIVED, info, f"drgn-user-{pid}"
                                          ".json", make, extra=str(pid)))


@pytest.mark.parametrize("info", **params(KDUMP))
def test_rd_u_says_excluded_where_drgn_faults(kdumpkit, info):
    """Dump level 31 leaves user pages out: rd -u says so in one line and
    names the physical page drgn's access_remote_vm() fails on; the mm and
    arg_start are drgn's."""
    pid = facts(info)["panic_pid"]
    want = drgn_user(info, pid)
    mm, start, end = task_mm(kdumpkit, info, pid)
    assert (mm, start, end) == (want["mm"], want["arg_start"],
                                want["arg_end"])
    assert "fault" in want and "Excluded page" in want["fault"], want
    r = run(kdumpkit, info, [f"set {pid}", f"rd -u {start:x}",
                             f"vtop -u {start:x}"])
    assert r.returncode == 1
    assert r.stderr == (f"kdumpkit: rd: reading user address {start:#x}: "
                        f"physical address {want['fault_address']:#x}: "
                        "excluded from the dump (dump level 31)\n")
    # the page tables are kept: vtop -u walks to the page all the same
    vt = "VIRTUAL" + r.stdout.split("VIRTUAL", 1)[1]
    assert vtop_paddr(vt) == (start, want["fault_address"])


# crash's layouts --------------------------------------------------------------

CRASH_QUERIES = ["set", "set -p", "set -c 0", "set -c 1", "task",
                 "task -R pid,comm,mm", "task -R se.load,pid",
                 "task -x -R pid,prio,flags", "task -R thread_info.status",
                 "task -d -R se.load.weight 0", "set 999999"]


def batch(argv, queries):
    with tempfile.TemporaryDirectory() as d:
        script = "".join(f"{q} > {d}/{i}.txt\n" for i, q in enumerate(queries))
        r = subprocess.run(argv, input=script + "q\n", capture_output=True,
                           text=True, timeout=900)
        out = {}
        for i, q in enumerate(queries):
            p = Path(d) / f"{i}.txt"
            out[q] = p.read_text(errors="replace") if p.exists() else None
        return out, r


def crash_answers(info):
    vm = vmlinux(info)

    def make():
        out, r = batch(["crash", "-s", str(vm), str(info["path"])],
                       CRASH_QUERIES)
        if not out[CRASH_QUERIES[0]]:
            pytest.skip(f"crash gave nothing: {r.stderr[-300:]}")
        return json.dumps(out)
    return json.loads(labruns.cached_text(DERIVED, info, "crash-context.json",
                                          make,
                                          extra="\n".join(CRASH_QUERIES)))


def gdb_cut(want, got):
    """gdb stops a string at 200 elements ('"..."...'): our whole string
    must start the same."""
    w, g = want.splitlines(), got.splitlines()
    assert len(w) == len(g)
    for a, b in zip(w, g):
        if a.endswith('"...') and a != b:
            assert b.startswith(a[:-4].rstrip('"')), (a[:80], b[:80])
        else:
            assert a == b


@pytest.mark.parametrize("info", **params(X86_KDUMP))
def test_set_and_task_match_crash(kdumpkit_bin, info):
    want = crash_answers(info)
    argv = [str(kdumpkit_bin), str(info["path"]), "-i", "/dev/stdin"]
    got, r = batch(argv, CRASH_QUERIES)
    # crash writes its error where the output goes; kdumpkit to stderr
    assert r.stderr == "kdumpkit: " + want["set 999999"]
    assert got["set 999999"] == ""
    answered = 0
    for q in CRASH_QUERIES:
        if not want[q]:
            continue
        answered += 1
        if q == "set 999999":
            continue
        if q == "task":
            gdb_cut(want[q], got[q])
        else:
            assert got[q] == want[q], f"{q}:\n--- crash\n{want[q]}--- ours\n{got[q]}"
    assert answered >= len(CRASH_QUERIES) - 1


# task, bt, json ---------------------------------------------------------------

def x86_elf():
    for p in QEMU_ELF:
        if p[1]["arch"] == "x86_64" and p[1]["manifest"]["scenario"] == "sysrq":
            return p[1]
    pytest.skip("no x86_64 sysrq QEMU dump")


def test_task_follows_set_and_takes_pids_and_members(kdumpkit_bin):
    info = x86_elf()
    q = ["set 1", "task -R pid,comm", "task 1 pid comm", "task -R pid 0",
         "task -R flags"]
    out = ours(kdumpkit_bin, info, q)
    lines = out[q[1]].splitlines()
    assert re.match(r'PID: 1        TASK: [0-9a-f]{16}  CPU: \d    '
                    r'COMMAND: "init"$', lines[0])
    assert lines[1:] == ["  pid = 1,", '  comm = "init' + "\\000" * 11 + '",',
                         ""]
    assert out[q[2]] == out[q[1]]
    # pid 0: every idle task, as crash
    idle = re.findall(r'^PID: 0 .*COMMAND: "(swapper/\d+)"$', out[q[3]], re.M)
    assert idle == ["swapper/0", "swapper/1"]
    # a member of both task_struct and thread_info: both, as crash
    flags = re.findall(r"^  flags = (\d+),$", out[q[4]], re.M)
    assert len(flags) == 2


def test_task_json_has_the_text_values(kdumpkit):
    info = x86_elf()
    f = facts(info)
    js = json.loads(ok(kdumpkit, info, ["task -R pid,comm,se.load.weight"],
                       json_out=True))
    assert len(js) == 1
    t = js[0]
    assert (t["pid"], t["command"], t["cpu"], t["panic"]) == \
        (f["panic_pid"], f["panic_comm"], f["panic_cpu"], True)
    assert t["task_struct"]["pid"] == f["panic_pid"]
    assert t["task_struct"]["comm"] == f["panic_comm"]
    text = ok(kdumpkit, info, ["task -R se.load.weight"])
    assert f"se.load.weight = {t['task_struct']['se.load.weight']}," in text
    whole = json.loads(ok(kdumpkit, info, ["task"], json_out=True))[0]
    assert whole["task_struct"]["pid"] == f["panic_pid"]
    s = json.loads(ok(kdumpkit, info, ["set"], json_out=True))
    assert s == {k: t[k] for k in s}


def test_bt_follows_set(kdumpkit):
    info = x86_elf()
    plain = ok(kdumpkit, info, ["bt"])
    out = ok(kdumpkit, info, ["set 1", "bt", "set -p", "bt"])
    parts = out.split("    PID: ")
    assert re.search(r'^PID: 1 +TASK: [0-9a-f]+  CPU: \d+ +COMMAND: "init"$',
                     parts[1], re.M)
    assert "schedule" in parts[1]
    assert parts[2].split("\n", 5)[5] == plain


# bad input ---------------------------------------------------------------------

def test_bad_input_is_one_line_and_the_session_goes_on(kdumpkit):
    info = x86_elf()
    f = facts(info)
    _, start, _ = task_mm(kdumpkit, info, f["panic_pid"])
    bad = ["set 999999", "set -c 7", "set -c x", "set 1 2",
           "set 2", f"rd -u {start:x}", f"vtop -u {start:x}",
           f"set {f['panic_pid']}", "rd -u 10", "rd -u ffffffff81000000",
           "vtop -c 999999 1000", "vtop -u -k 1000", "rd -u -k 1000",
           "task 999999", "task -R nosuch", "task -x -d",
           "set ffffffff12345678"]
    r = run(kdumpkit, info, bad + ["set"])
    assert r.returncode == 1
    errs = r.stderr.splitlines()
    # "set 2" and "set PANIC" succeed, the rest fail in one line each
    assert len(errs) == len(bad) - 2, r.stderr
    assert all(e.startswith("kdumpkit: ") for e in errs)
    assert errs[0] == "kdumpkit: set: invalid task or pid value: 999999"
    assert errs[1] == ("kdumpkit: set: invalid cpu number: system has only "
                       "2 cpus")
    assert "is a kernel thread: it has no user memory" in errs[4]
    assert "is a kernel thread: it has no user memory" in errs[5]
    assert errs[6].startswith(f"kdumpkit: rd: reading user address 0x10: ")
    assert "entry not present" in errs[6]
    assert "is not a user virtual address" in errs[7]
    assert errs[8] == "kdumpkit: vtop: invalid task or pid value: 999999"
    assert errs[-1] == ("kdumpkit: set: invalid task or pid value: "
                        "ffffffff12345678")
    # the session went on: the last set shows the panic task
    assert blocks(r.stdout)[-1][0] == f["panic_pid"]


def test_help_pages(kdumpkit):
    info = x86_elf()
    out = ok(kdumpkit, info, ["help set", "help task", "help rd",
                              "help vtop"])
    for word in ("set -c", "-R member", "-u   the address is a user",
                 "-c pid | taskp"):
        assert word in out
