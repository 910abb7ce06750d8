"""Benchmarks: the population engine against the alternatives, measured in one process.

``atomlab bench`` runs them; ``benchmarks/README.md`` explains the method and
``docs/benchmarks.md`` holds the published numbers.
"""

from atomlab.bench.suite import WORKLOADS, run_suite

__all__ = ["WORKLOADS", "run_suite"]
