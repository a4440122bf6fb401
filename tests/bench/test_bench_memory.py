"""Peak memory per process image: the bench must not report a parent's peak as a child's."""

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # `bench` lives at the repository root

from bench.memory import ChildSampler, descendants, vm_hwm_mb  # noqa: E402

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")

# Touch every page, so the allocation is resident, not just reserved.
ALLOCATE = "import time; block = bytearray({mb} * 2**20); block[::4096] = b'x' * len(block[::4096]); time.sleep({s})"


def test_descendants_include_grandchildren():
    outer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import time; time.sleep(3)'])",
        ]
    )
    try:
        import os
        import time

        deadline = time.monotonic() + 10
        while len(found := descendants(os.getpid())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert outer.pid in found and len(found) >= 2
    finally:
        outer.kill()
        outer.wait()


def test_sampler_sees_a_childs_own_peak_not_the_parents():
    with ChildSampler(interval=0.05) as small:
        subprocess.run([sys.executable, "-c", ALLOCATE.format(mb=1, s=0.4)], check=True)
    with ChildSampler(interval=0.05) as large:
        subprocess.run([sys.executable, "-c", ALLOCATE.format(mb=200, s=0.4)], check=True)
    assert large.peak_mb >= 200 > small.peak_mb
    assert vm_hwm_mb() is not None and vm_hwm_mb(999_999_999) is None
