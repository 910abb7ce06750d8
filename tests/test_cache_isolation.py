"""The test session never reads or writes the user's trial cache, from fixtures of any scope."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def cache_seen_by_a_module_fixture() -> str:
    return os.environ.get("ATOMLAB_CACHE", "")


def test_module_fixtures_see_the_temporary_cache(cache_seen_by_a_module_fixture, tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    assert cache_seen_by_a_module_fixture, "ATOMLAB_CACHE was not set for module-scoped fixtures"
    assert Path(cache_seen_by_a_module_fixture).is_relative_to(base)
    assert not Path(cache_seen_by_a_module_fixture).is_relative_to(Path.home() / ".cache")
