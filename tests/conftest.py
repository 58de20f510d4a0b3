"""Shared fixtures: the kdumpkit binary under test and the lab's runs."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "lab"))
sys.path.insert(0, str(REPO / "tests"))  # sanitized.py

import lab  # noqa: E402

# "Without a vmlinux" means without one: kdumpkit would otherwise find the
# vmlinux by itself in /usr/lib/debug or on a debuginfod server (find.c),
# if this machine had the lab kernel's -dbg package. Tests of the finder
# set these for their own runs.
os.environ["KDUMPKIT_DEBUGINFO_DIRS"] = ""
os.environ.pop("DEBUGINFOD_URLS", None)


@pytest.fixture(scope="session")
def kdumpkit_bin():
    path = Path(os.environ.get("KDUMPKIT_BIN", REPO / "build" / "kdumpkit"))
    assert path.exists(), f"{path}: build kdumpkit first (make)"
    return path


@pytest.fixture
def kdumpkit(kdumpkit_bin):
    """Run kdumpkit; returns the CompletedProcess (text)."""
    def run(*args, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        kw.setdefault("timeout", 600)
        return subprocess.run([str(kdumpkit_bin), *map(str, args)], **kw)
    return run


def pytest_terminal_summary(terminalreporter):
    """Hand the counts to tests/run, which adds them up across suites."""
    path = os.environ.get("KDUMPKIT_COUNTS")
    if not path:
        return
    st = terminalreporter.stats
    counts = {k: len([r for r in st.get(k, []) if getattr(r, "when", "call") in
                      ("call", "setup")])
              for k in ("passed", "failed", "skipped", "error")}
    counts["failed"] += counts.pop("error")
    Path(path).write_text(json.dumps(counts))
