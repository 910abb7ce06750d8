"""Shared by the catalog tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Catalog networks are small: one intra-op thread is faster, and much faster on a busy machine
    (a second thread spins waiting for the first)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def smoke(tmp_path_factory):
    """``smoke(name)``: the catalog entry ``name`` run once per test session at smoke scale, report included.

    Every catalog test reads these runs, so the whole-catalog test and the family tests train each entry
    once between them.
    """
    import atomlab

    runs = {}

    def run(name: str):
        if name not in runs:
            before = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                runs[name] = atomlab.run(name, scale="smoke", out=tmp_path_factory.mktemp(name))
            finally:
                torch.set_num_threads(before)
        return runs[name]

    return run
