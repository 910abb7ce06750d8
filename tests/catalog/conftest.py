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
