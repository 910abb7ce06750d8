"""The timing gate: a benchmark of a workload the compiled kernel tier covers must have been trained by it.

A module of its own so that the contenders and the worker processes both use it without importing each other.
"""

from __future__ import annotations

from atomlab.errors import ConfigError


class KernelTierNotUsed(ConfigError):
    """The compiled kernel tier did not train a population it covers (numba missing, or a dispatch bug)."""


def check_kernel_tier(workload: str, infos) -> None:
    """Raise :class:`KernelTierNotUsed` unless every population the kernels cover was trained by them.

    ``infos`` are the outcomes' ``info`` dicts. A population the kernels do not cover says why in
    ``info["kernel_unsupported"]`` (dropout, a wide layer, ...): that is the fallback working. One that
    they cover but did not train, because numba is missing or a path was forced, fails the benchmark:
    its numbers would not be the compiled tier's.

    Examples
    --------
    >>> check_kernel_tier("W", [{"backend": "kernel"}, {"backend": "torch-fastpath",
    ...                                                  "kernel_unsupported": "a 784 x 100 weight matrix"}])
    >>> try:
    ...     check_kernel_tier("W", [{"backend": "numpy", "kernel_unsupported": "numba is not installed"}])
    ... except KernelTierNotUsed as exc:
    ...     print(str(exc)[:75])
    W: the compiled kernel tier did not train 1 of 1 population trials it cover
    """
    infos = list(infos)
    missed = [i.get("kernel_unsupported", f"backend {i.get('backend')!r} chosen") for i in infos
              if i.get("backend") != "kernel"
              and i.get("kernel_unsupported", "numba is not installed") == "numba is not installed"]
    if missed:
        raise KernelTierNotUsed(f"{workload}: the compiled kernel tier did not train {len(missed)} of {len(infos)} "
                                f"population trials it covers ({'; '.join(sorted(set(missed)))}); these timings "
                                "would not be the kernel tier's")
