"""Every entry of the catalog, whatever its family: it imports, runs at smoke scale and writes its outputs.

Parametrised over :func:`atomlab.experiments`, so a new entry is tested without editing a list; an entry
that fails to import fails the collection of this module.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import atomlab
from atomlab import stats
from atomlab.lab.claims import combine

NAMES = atomlab.experiments()


def test_the_catalog_has_every_family():
    sources = {atomlab.get_experiment(n).source for n in NAMES}
    assert {"000", "002", "003", "004"} <= sources
    assert len(NAMES) >= 32


@pytest.mark.parametrize("name", NAMES)
def test_entry_runs_and_writes_its_outputs(smoke, name):
    result = smoke(name)
    out = result.out_dir
    for f in ("report.html", "results.csv", "final.csv", "verdict.json", "config.json"):
        assert (out / f).is_file(), f
    # final.csv is the table the claims read, derived columns included
    on_disk = pd.read_csv(out / "final.csv")
    assert list(on_disk.columns) == list(result.final.columns)
    assert set(result.final.attrs.get("derived", [])) <= set(on_disk.columns)
    assert len(on_disk) == len(result.trials)
    # every arm has its seeds (an entry may drop arms by design, never seeds within one)
    seeds = result.final.groupby("arm")["seed"].nunique()
    assert seeds.max() <= result.config["seeds"] and seeds.min() >= 1
    # the verdict file says what the result says
    verdict = json.loads((out / "verdict.json").read_text())
    assert verdict["verdict"] == result.verdict == combine([c.verdict for c in result.claims])
    assert verdict["verdict_line"] == result.verdict_line() and name in verdict["verdict_line"]
    assert len(verdict["claims"]) == len(result.claims) >= 1
    # figures: at least one, exactly one main, each with a caption and a file
    assert result.figures and sum(f.main for f in result.figures) == 1
    assert all(f.path.is_file() and f.caption.strip() for f in result.figures)


@pytest.mark.parametrize("name", NAMES)
def test_few_seeds_are_never_decisive(smoke, name):
    """Below the minimum number of seeds no statistical claim decides, in any entry (checks may)."""
    result = smoke(name)
    for claim in result.claims:
        assert claim.tests, claim.text
        for test in claim.tests:
            if not claim.check and test.n_seeds < stats.MIN_SEEDS:
                assert test.verdict == "inconclusive", (claim.text, test.group)
            low, high = test.ci
            if np.isfinite(low) and np.isfinite(high):
                assert low <= high, (claim.text, test.group)
