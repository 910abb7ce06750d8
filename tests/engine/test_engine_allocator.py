"""The allocator setting: a step's freed arrays are reused from the heap, not mapped afresh every step."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from atomlab.engine import allocator
from atomlab.errors import ConfigError

# A training step's temporary: a 320 KB array made and freed; prints how many bytes of it glibc served from a
# mapping of its own (mallinfo2's hblkhd, the blocks it maps and unmaps one by one) and the setting's words.
STEP_TEMPORARY = """
import ctypes, numpy as np
from atomlab.engine.allocator import keep_freed_memory
class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena ordblks smblks hblks hblkhd usmblks fsmblks "
                                                     "uordblks fordblks keepcost").split()]
mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
mallinfo2.restype = MallInfo2
said = keep_freed_memory()
before = mallinfo2().hblkhd
a = np.ones((10, 200, 20))
print(mallinfo2().hblkhd - before, said)
"""


def has_mallinfo2() -> bool:
    import ctypes

    try:
        return hasattr(ctypes.CDLL("libc.so.6"), "mallinfo2")  # glibc 2.33 and later
    except OSError:
        return False


glibc = pytest.mark.skipif(not sys.platform.startswith("linux") or not has_mallinfo2(),
                           reason="glibc's mallopt and mallinfo2 only")


def mapped_bytes_of_a_temporary(setting: str) -> tuple[int, str]:
    env = {**os.environ, "ATOMLAB_MALLOC": setting}
    out = subprocess.run([sys.executable, "-c", STEP_TEMPORARY], env=env, capture_output=True, text=True,
                         check=True)
    mapped, said = out.stdout.strip().split(" ", 1)
    return int(mapped), said


@glibc
def test_a_steps_temporaries_come_from_the_heap_not_from_fresh_mappings():
    system, system_said = mapped_bytes_of_a_temporary("system")
    kept, kept_said = mapped_bytes_of_a_temporary("")
    assert system_said == "system (ATOMLAB_MALLOC=system)" and kept_said == "glibc, thresholds raised"
    assert system >= 10 * 200 * 20 * 8  # glibc's default: a block of its own, mapped and unmapped each time
    assert kept == 0  # raised thresholds: from the heap, where the next step finds it again


def test_the_setting_is_made_once():
    first = allocator.keep_freed_memory()
    assert allocator.keep_freed_memory() == first == allocator.allocator_in_use()


def test_an_unknown_setting_is_refused_naming_the_value_and_the_allowed_ones(monkeypatch):
    monkeypatch.setenv("ATOMLAB_MALLOC", "off")
    with pytest.raises(ConfigError, match=r"ATOMLAB_MALLOC='off' is not a setting; allowed: '', 'tuned', 'system'"):
        allocator._tune()
    monkeypatch.setenv("ATOMLAB_MALLOC", "System ")
    assert allocator._tune() == "system (ATOMLAB_MALLOC=system)"
