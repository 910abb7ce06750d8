"""Every catalog entry says where each of its settings comes from, and declares the numbers its source reports.

Issue 13, item 1: a setting is the source's text, the source's code, assumed, or changed (and why); every
number a source reports is a :class:`~atomlab.lab.SourceNumber` whose metric is a column of the entry's final
table and whose arm is one the paper scale runs.
"""

from __future__ import annotations

import math

import pytest

import atomlab
from atomlab.lab.experiment import PROVENANCE

NAMES = atomlab.experiments()
#: Entries whose source reports no number that a column of ours measures (002 computes no metric at all;
#: 003's scratch studies and 004's XOR and principles questions are judged by eye or argued in words).
NO_NUMBERS = {"activation-surfaces", "depth-surfaces", "width-surfaces", "dropout-surfaces", "batchnorm-surfaces",
              "residual-surfaces", "scratch-moons-activation", "scratch-moons-hidden-units", "scratch-moons-depth",
              "scratch-moons-width", "scratch-blobs", "scratch-engines", "xor-depth", "zero-initialization",
              "relu-vs-sigmoid-speed", "example-ordering", "layer-convergence"}


@pytest.mark.parametrize("name", NAMES)
def test_every_setting_has_a_provenance(name):
    exp = atomlab.get_experiment(name)
    missing = set(exp.settings) - {"seed"} - set(exp.provenance)
    assert not missing, f"{name}: no provenance for {sorted(missing)}"
    for key, origin in exp.provenance.items():
        kind, _, why = origin.partition(":")
        assert kind.strip() in PROVENANCE
        if kind.strip() == "changed":
            assert why.strip(), f"{name}: {key} is 'changed' without saying why"


@pytest.mark.parametrize("name", NAMES)
def test_source_numbers_name_arms_the_paper_scale_runs(name):
    exp = atomlab.get_experiment(name)
    if name in NO_NUMBERS:
        assert not exp.source_numbers
        return
    assert exp.source_numbers, f"{name}: declare the numbers its source reports"
    paper = exp.config("paper")
    for number in exp.source_numbers:
        assert isinstance(number.metric, str) and math.isfinite(number.value) and number.what.strip()
        for key, value in number.where.items():
            if key not in exp.factors:
                continue  # a level the entry adds itself (memorization's training budget)
            wanted = value if isinstance(value, list) and not isinstance(paper[key][0], list) else [value]
            levels = [str(v) for v in paper[key]]
            assert all(str(v) in levels for v in wanted), f"{name}: {key}={value!r} is not a paper level {levels}"


@pytest.mark.parametrize("name", sorted(set(NAMES) - NO_NUMBERS))
def test_source_numbers_read_columns_of_the_final_table(smoke, name):
    """At smoke scale: the metric is a column, and every key of ``where`` is one too."""
    result = smoke(name)
    for number in result.experiment.source_numbers:
        assert number.metric in result.final.columns, f"{name}: no column {number.metric!r}"
        assert set(number.where) <= set(result.final.columns), f"{name}: {set(number.where)}"
