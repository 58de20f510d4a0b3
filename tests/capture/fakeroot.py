"""A fake machine's /proc, /sys and /etc for status, estimate and load
(KDUMPKIT_ROOT / --root points kdumpkit at it)."""
from pathlib import Path

IOMEM = """00000000-00000fff : Reserved
00001000-0009fbff : System RAM
00100000-3ffdffff : System RAM
  12000000-12e01fff : Kernel code
  13000000-1372cfff : Kernel rodata
  13800000-13b5a5ff : Kernel data
  13fd0000-143fffff : Kernel bss
  2e000000-3dffffff : Crash kernel
"""
MEMINFO = """MemTotal:        1012500 kB
MemFree:          800000 kB
Percpu:              512 kB
"""
MODULES = """virtio_blk 20480 0 - Live 0x0000000000000000
virtio_pci 24576 0 - Live 0x0000000000000000
ext4 1011712 1 - Live 0x0000000000000000
"""
GOOD = {
    "proc/iomem": IOMEM,
    "proc/meminfo": MEMINFO,
    "proc/modules": MODULES,
    "proc/cmdline": "BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1 ro crashkernel=256M "
                    "rdinit=/sbin/x quiet irqpoll -- single\n",
    "proc/sys/kernel/panic_on_oops": "1\n",
    "proc/sys/kernel/hung_task_panic": "1\n",
    "proc/sys/kernel/hung_task_timeout_secs": "120\n",
    "proc/sys/kernel/softlockup_panic": "1\n",
    "proc/sys/vm/panic_on_oom": "1\n",
    "sys/kernel/kexec_crash_size": "268435456\n",
    "sys/kernel/kexec_crash_loaded": "1\n",
    "sys/devices/system/cpu/online": "0-3\n",
    "etc/kdumpkit.conf": "path = /var/crash\ndump_level = 31\nkeep = 3\n",
}


def make(root, changes=None):
    """GOOD with changes ({path: text}, None to leave a file out)."""
    files = dict(GOOD)
    files.update(changes or {})
    for rel, text in files.items():
        if text is None:
            continue
        p = Path(root) / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (Path(root) / "var" / "crash").mkdir(parents=True, exist_ok=True)
    return Path(root)
