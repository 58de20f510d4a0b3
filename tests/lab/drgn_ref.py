#!/usr/bin/python3
"""drgn's view of one dump, as reference data for kdumpkit's tests.

    /usr/bin/python3 drgn_ref.py DUMP VMLINUX OUTDIR [--modules-dir DIR ...]

Writes into OUTDIR (each file only when its part worked):
  tasks.json   every task, idle tasks included: pid, tgid, ppid, cpu, state
               (task_state_to_char), comm, task address, kthread
  stacks.json  one entry per task, same order (a list: the idle tasks share
               pid 0): pid, comm, task, "frames" = function names of its stack
               trace innermost first, inlined frames included, "pcs"; "error"
               when unwinding failed
  dmesg.txt    the printk ring buffer (get_dmesg)
  sys.json     release, version, machine, nodename, uptime (jiffies, HZ), cpus,
               panic_cpu, panic_cpu_task (runqueues.curr of panic_cpu) and
               crashed_thread (drgn's own prog.crashed_thread(), with frames)
  status.json  {"errors": {part: message}, "error": first error or null,
                "part_seconds": {part: s}, "modules": what debug info was loaded}
Exit status 0 even when parts failed (status.json says which); 2 when the
dump cannot be opened at all.  Run by tests/lab/oracles.py with Debian's
/usr/bin/python3 (python3-drgn).
"""
import argparse
import json
import os
import sys
import time
import traceback

import drgn
from drgn.helpers.linux.cpumask import (for_each_online_cpu, for_each_possible_cpu,
                                        for_each_present_cpu)
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.percpu import per_cpu
from drgn.helpers.linux.pid import for_each_task
from drgn.helpers.linux.printk import get_dmesg
from drgn.helpers.linux.sched import idle_task, task_cpu, task_state_to_char

PF_KTHREAD = 0x00200000


class Run:
    def __init__(self, outdir):
        self.outdir = outdir
        self.errors = {}
        self.part_seconds = {}
        self.notes = {}

    def part(self, name, fn):
        """Run one part; an exception is that part's error, not the script's."""
        t0 = time.monotonic()
        try:
            return fn()
        except Exception as e:  # drgn raises FaultError, LookupError, ValueError ...
            self.errors[name] = f"{type(e).__name__}: {e}"
            sys.stderr.write(f"drgn_ref: {name}: ")
            traceback.print_exc()
            return None
        finally:
            self.part_seconds[name] = round(time.monotonic() - t0, 3)

    def write(self, name, data):
        path = os.path.join(self.outdir, name)
        with open(path, "w" if isinstance(data, str) else "wb") as f:
            f.write(data)

    def write_json(self, name, obj):
        self.write(name, json.dumps(obj, indent=1) + "\n")

    def finish(self):
        first = next(iter(self.errors.items()), None)
        self.write_json("status.json", {
            "drgn": drgn.__version__ if hasattr(drgn, "__version__") else None,
            "error": f"{first[0]}: {first[1]}" if first else None,
            "errors": self.errors, "part_seconds": self.part_seconds, **self.notes})


def s(obj):
    return obj.string_().decode(errors="replace")


def ko_index(dirs):
    """Module name (with _) -> .ko path, the first directory winning."""
    idx = {}
    for d in dirs:
        for root, _dirs, files in os.walk(d):
            for f in files:
                if f.endswith(".ko"):
                    idx.setdefault(f[:-3].replace("-", "_"), os.path.join(root, f))
    return idx


def load_debug_info(prog, vmlinux, module_dirs, run):
    try:
        prog.load_debug_info([vmlinux])
    except drgn.MissingDebugInfoError as e:
        run.notes["missing_debug_info"] = str(e)
    loaded = run.part("modules", lambda: [
        s(m.name) for m in list_for_each_entry("struct module", prog["modules"].address_of_(),
                                               "list")])
    if loaded is None:
        return
    idx = ko_index(module_dirs)
    files = [idx[m] for m in loaded if m in idx]
    run.notes["modules"] = {"loaded": loaded, "files": files}
    if files:
        try:
            prog.load_debug_info(files)
        except drgn.MissingDebugInfoError as e:
            run.notes["missing_module_debug_info"] = str(e)


def all_tasks(prog):
    """The idle task of each possible CPU, then every task in the PID namespace."""
    out = []
    for cpu in for_each_possible_cpu(prog):
        out.append(idle_task(prog, cpu))
    out.extend(for_each_task(prog))
    return out


def task_info(t):
    return {
        "pid": t.pid.value_(), "tgid": t.tgid.value_(),
        "ppid": t.real_parent.pid.value_(), "cpu": task_cpu(t),
        "state": task_state_to_char(t), "comm": s(t.comm),
        "task": f"{t.value_():x}", "kthread": bool(t.flags.value_() & PF_KTHREAD),
    }


def frame_name(prog, f):
    if f.name:
        return f.name
    try:
        return f.symbol().name
    except LookupError:
        return f"0x{f.pc:x}"


def stack_of(prog, t):
    e = {"pid": t.pid.value_(), "comm": s(t.comm), "task": f"{t.value_():x}"}
    try:
        trace = prog.stack_trace(t)
        e["frames"] = [frame_name(prog, f) for f in trace]
        e["pcs"] = [f"{f.pc:x}" for f in trace]
    except Exception as ex:
        e["frames"] = []
        e["error"] = f"{type(ex).__name__}: {ex}"
    return e


def uptime(prog):
    """Seconds since boot, as crash computes it: jiffies_64 less INITIAL_JIFFIES."""
    hz = round(1e9 / prog["tick_nsec"].value_())
    initial = (-300 * hz) & 0xffffffff
    j = prog["jiffies_64"].value_()
    return {"hz": hz, "jiffies_64": j, "uptime_s": round((j - initial) / hz, 3)}


def panic_cpu_task(prog):
    """The task current on the CPU that panicked (runqueues.curr), or None."""
    cpu = prog["panic_cpu"].counter.value_()
    if cpu < 0:
        return None
    t = per_cpu(prog["runqueues"], cpu).curr
    return {"pid": t.pid.value_(), "comm": s(t.comm), "task": f"{t.value_():x}", "cpu": cpu}


def sys_info(prog, run):
    uts = prog["init_uts_ns"].name
    info = {"release": s(uts.release), "version": s(uts.version),
            "machine": s(uts.machine), "nodename": s(uts.nodename)}
    for k, fn in (("uptime", lambda: uptime(prog)),
                  ("cpus", lambda: {
                      "possible": len(list(for_each_possible_cpu(prog))),
                      "present": len(list(for_each_present_cpu(prog))),
                      "online": len(list(for_each_online_cpu(prog)))}),
                  ("panic_cpu", lambda: prog["panic_cpu"].counter.value_()),
                  ("panic_cpu_task", lambda: panic_cpu_task(prog))):
        try:
            v = fn()
            info.update(v) if isinstance(v, dict) and k == "uptime" else info.__setitem__(k, v)
        except Exception as e:
            info[k + "_error"] = f"{type(e).__name__}: {e}"
    try:
        th = prog.crashed_thread()
        t = th.object
        info["crashed_thread"] = {"tid": th.tid, "comm": s(t.comm), "task": f"{t.value_():x}",
                                  "cpu": task_cpu(t)}
        try:
            info["crashed_thread"]["frames"] = [frame_name(prog, f) for f in th.stack_trace()]
        except Exception as e:
            info["crashed_thread"]["stack_error"] = f"{type(e).__name__}: {e}"
    except Exception as e:
        info["crashed_thread_error"] = f"{type(e).__name__}: {e}"
    return info


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dump")
    p.add_argument("vmlinux")
    p.add_argument("outdir")
    p.add_argument("--modules-dir", action="append", default=[])
    a = p.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    run = Run(a.outdir)
    prog = drgn.Program()
    if run.part("open", lambda: prog.set_core_dump(a.dump)) is None and "open" in run.errors:
        run.finish()
        return 2
    run.part("debuginfo", lambda: load_debug_info(prog, a.vmlinux, a.modules_dir, run))

    tasks = run.part("tasks", lambda: all_tasks(prog))
    if tasks is not None:
        infos = run.part("tasks", lambda: [task_info(t) for t in tasks])
        if infos is not None:
            run.write_json("tasks.json", infos)
        stacks = run.part("stacks", lambda: [stack_of(prog, t) for t in tasks])
        if stacks is not None:
            run.write_json("stacks.json", stacks)
            bad = [e for e in stacks if "error" in e]
            run.notes["stacks_failed"] = len(bad)
    dmesg = run.part("dmesg", lambda: get_dmesg(prog))
    if dmesg is not None:
        run.write("dmesg.txt", dmesg)
    info = run.part("sys", lambda: sys_info(prog, run))
    if info is not None:
        run.write_json("sys.json", info)
    run.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
