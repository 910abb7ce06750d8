"""The C allocator during training: keep freed blocks for the next step instead of handing them back.

glibc's ``malloc`` serves a request above its *mmap threshold* (128 KiB at start, rising to the size
of the largest such block freed) with a mapping of its own, and gives the top of its heap back to the
system (``brk``) whenever more than the *trim threshold* (twice the mmap threshold) lies free there.
A training step allocates and frees the same few arrays thousands of times; arrays of a few hundred
KiB, two of them alive at once, land on both rules, so every step the heap shrinks and grows again
and every page of those arrays faults in anew, zero-filled by the kernel. On the project's 2-core
virtual machine that cost more than the arithmetic: 2,000 evaluations of ``1.0 - a**2`` on a
10 x 200 x 20 float64 array (the shape of problem set 003's widest stack of networks) made 6,032
``brk`` calls and 248,049 page faults, 0.49 s of system time against 0.13 s of arithmetic; one
evaluation took 295 us, 19 us with the settings below, and ``a @ W + b`` 382 us (98 us).

:func:`keep_freed_memory` raises both thresholds once per process (``mallopt``; glibc only, a no-op
elsewhere), as mallopt(3) suggests for programs that allocate and free large blocks in a loop: arrays
up to :data:`MMAP_THRESHOLD` come from the heap, and up to :data:`TRIM_THRESHOLD` of freed heap stays
with the process for reuse. Numbers do not change (same arithmetic, other addresses);
peak memory can grow by up to the trim threshold. ``ATOMLAB_MALLOC=system`` leaves the allocator as
it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

from atomlab.errors import ConfigError

#: Arrays up to this size come from the heap (32 MiB: the largest value mallopt(3) documents for 64-bit systems).
MMAP_THRESHOLD = 32 * 2**20
#: Freed memory at the top of the heap kept for reuse before any is handed back to the system.
TRIM_THRESHOLD = 256 * 2**20
# mallopt's parameter numbers, from glibc's <malloc.h>
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3

#: The values ``ATOMLAB_MALLOC`` may take ("" is unset).
SETTINGS = ("", "tuned", "system")

_state: dict[str, str] = {}


def keep_freed_memory() -> str:
    """Raise glibc's mmap and trim thresholds for this process, once; say what the allocator does.

    Returns
    -------
    str
        ``"glibc, thresholds raised"`` after a successful call (now or before), ``"system (ATOMLAB_MALLOC=system)"``
        when the user turned it off, ``"system"`` where the C library is not glibc (macOS, Windows, musl).

    Raises
    ------
    atomlab.errors.ConfigError
        If ``ATOMLAB_MALLOC`` holds anything but ``tuned`` or ``system`` (or nothing); the message names the
        value and the allowed ones.

    Examples
    --------
    >>> keep_freed_memory() in ("glibc, thresholds raised", "system", "system (ATOMLAB_MALLOC=system)")
    True
    >>> keep_freed_memory() == keep_freed_memory()  # once per process
    True
    """
    if "allocator" not in _state:
        _state["allocator"] = _tune()
    return _state["allocator"]


def allocator_in_use() -> str:
    """What :func:`keep_freed_memory` did in this process, without doing it: ``"system"`` before any call.

    Examples
    --------
    >>> keep_freed_memory() == allocator_in_use()
    True
    """
    return _state.get("allocator", "system")


def _tune() -> str:
    setting = os.environ.get("ATOMLAB_MALLOC", "").strip().lower()
    if setting not in SETTINGS:
        raise ConfigError(f"ATOMLAB_MALLOC={os.environ['ATOMLAB_MALLOC']!r} is not a setting; allowed: "
                          f"{', '.join(repr(v) for v in SETTINGS)} (unset or 'tuned': raise glibc's thresholds; "
                          "'system': leave the allocator as it is)")
    if setting == "system":
        return "system (ATOMLAB_MALLOC=system)"
    if not sys.platform.startswith("linux"):
        return "system"
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt  # glibc's; musl has none
    except (OSError, AttributeError):
        return "system"
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # Setting either threshold turns off glibc's dynamic adjustment of both, so both are set.
    if mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD):
        return "glibc, thresholds raised"
    return "system"
