"""Shared fixtures: small data sets made here, so engine tests do not depend on generators."""

from __future__ import annotations

import numpy as np
import pytest

from atomlab.data.dataset import Dataset


def make_blobs_dataset(seed: int = 0, n: int = 120, d: int = 2, classes: int = 2) -> Dataset:
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=2.0, size=(classes, d))
    y = rng.integers(0, classes, size=2 * n)
    X = centers[y] + rng.normal(size=(2 * n, d))
    return Dataset(X[:n], y[:n], X[n:], y[n:], "classification", classes, "test-blobs",
                   params={"seed": seed}, domain=((-5, 5),) * d if d == 2 else None)


@pytest.fixture
def blobs() -> Dataset:
    return make_blobs_dataset()


@pytest.fixture
def make_blobs():
    """The factory itself, for tests that need several data sets."""
    return make_blobs_dataset


@pytest.fixture(scope="session", autouse=True)
def _isolated_trial_cache_for_the_session(tmp_path_factory):
    """Module- and session-scoped fixtures run before any function-scoped one: they too must never train into
    (or list runs in) the user's cache, so the whole session points at a temporary one from its start."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ATOMLAB_CACHE", str(tmp_path_factory.getbasetemp() / "trial-cache"))
        yield


@pytest.fixture(autouse=True)
def _isolated_trial_cache(tmp_path_factory, monkeypatch):
    """Every test writes its trial cache to a temporary directory, never to the user's cache."""
    monkeypatch.setenv("ATOMLAB_CACHE", str(tmp_path_factory.getbasetemp() / "trial-cache"))


@pytest.fixture
def clean_registries(monkeypatch):
    """Each test's plugins leave the registries and the list of loaded plugins as they were."""
    from atomlab.lab import plugins

    for reg in plugins.registries().values():
        monkeypatch.setattr(reg, "_entries", dict(reg._entries))
        monkeypatch.setattr(reg, "_aliases", dict(reg._aliases))
    monkeypatch.setattr(plugins, "_loaded", dict(plugins._loaded))
    monkeypatch.setattr(plugins, "_entry_points_loaded", False)
