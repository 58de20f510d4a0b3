"""Boot a lab guest under QEMU, watch its serial console, talk QMP."""
import json
import os
import socket
import subprocess
import time
from pathlib import Path

from common import log

QEMU = {
    "x86_64": ["qemu-system-x86_64", "-machine", "pc"],
    "arm64": ["qemu-system-aarch64", "-machine", "virt", "-cpu", "cortex-a57"],
}
CONSOLE = {"x86_64": "ttyS0", "arm64": "ttyAMA0"}

_accel = {}


def accel_for(arch, kernel):
    """KVM when it really runs a guest, else TCG.

    /dev/kvm may open and QEMU may start, and the first guest instruction still
    ends in "KVM internal error" (seen on this workplace's machines): so boot
    the kernel for real and look for its banner. KDUMPKIT_LAB_ACCEL overrides.
    """
    if arch != "x86_64":
        # no KVM for a foreign architecture: TCG, one host thread per vCPU
        return "tcg,thread=multi"
    forced = os.environ.get("KDUMPKIT_LAB_ACCEL")
    if forced:
        return forced
    if arch not in _accel:
        ok = False
        if os.access("/dev/kvm", os.R_OK | os.W_OK):
            p = subprocess.Popen(QEMU[arch] + ["-accel", "kvm", "-m", "256M", "-nodefaults",
                                 "-display", "none", "-no-reboot", "-kernel", str(kernel),
                                 "-append", "console=ttyS0 panic=-1", "-serial", "stdio"],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL)
            try:
                out, _ = p.communicate(timeout=8)
            except subprocess.TimeoutExpired:
                p.kill()
                out, _ = p.communicate()
            ok = b"Linux version" in out
        _accel[arch] = "kvm" if ok else "tcg,thread=multi"
        log(f"accelerator: {_accel[arch]}")
    return _accel[arch]


class Qmp:
    def __init__(self, path, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(str(path))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.f = self.sock.makefile("rw")
        self._read()  # greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        line = self.f.readline()
        if not line:
            raise RuntimeError("QMP: connection closed")
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg) + "\n")
        self.f.flush()
        while True:
            r = self._read()
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise RuntimeError(f"QMP {name}: {r['error'].get('desc')}")

    def close(self):
        self.sock.close()


class Guest:
    """One QEMU process; the console goes to a file that we poll."""

    def __init__(self, arch, workdir, kernel, initrd, cmdline, disks=(), mem="1G", smp=2):
        self.arch = arch
        self.workdir = Path(workdir)
        self.console = self.workdir / "console.log"
        self.qmp_path = self.workdir / "qmp.sock"
        self.qmp_path.unlink(missing_ok=True)
        accel = ["-accel", accel_for(arch, kernel)]
        cmd = QEMU[arch] + accel + [
            "-smp", str(smp), "-m", mem, "-nodefaults", "-display", "none",
            "-no-reboot", "-kernel", str(kernel), "-initrd", str(initrd),
            "-append", f"console={CONSOLE[arch]} {cmdline}",
            "-chardev", f"file,id=con,path={self.console}", "-serial", "chardev:con",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
            "-device", "vmcoreinfo",
        ]
        for d in disks:
            cmd += ["-drive", f"file={d},if=virtio,format=raw"]
        self.started = time.monotonic()
        self.stderr = open(self.workdir / "qemu.stderr", "w")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self.stderr, stderr=self.stderr)

    def elapsed(self):
        return time.monotonic() - self.started

    def text(self):
        try:
            return self.console.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for(self, marker, timeout):
        """Wait until marker shows on the console; False on timeout or exit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker in self.text():
                return True
            if self.proc.poll() is not None:
                return marker in self.text()
            time.sleep(0.25)
        return False

    def wait_exit(self, timeout):
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def qmp(self):
        return Qmp(self.qmp_path)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()
