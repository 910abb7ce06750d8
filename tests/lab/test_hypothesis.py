"""A hypothesis in words becomes one of the lab's claims, or one clear error."""

from __future__ import annotations

import pytest

from atomlab.errors import ConfigError
from atomlab.lab.claims import Compare, Equivalent, Trend
from atomlab.lab.hypothesis import parse_hypothesis

LEVELS = {"activation": ["relu", "tanh", "snake"], "lr": [0.1, 0.01], "layers": [[10], [10, 10]]}


@pytest.mark.parametrize("text, kind, fields", [
    ("snake > relu", Compare, {"a": {"activation": "snake"}, "b": {"activation": "relu"}, "direction": "greater"}),
    ("snake<relu", Compare, {"direction": "smaller"}),
    ("activation=snake > activation=relu", Compare, {"a": {"activation": "snake"}}),
    ("lr=1e-2 > lr=0.1", Compare, {"a": {"lr": 0.01}, "b": {"lr": 0.1}}),
    ("[10,10] > [10]", Compare, {"a": {"layers": [10, 10]}}),
    ("snake = relu within 0.01", Equivalent, {"margin": 0.01}),
    ("snake == relu within 0.02", Equivalent, {"margin": 0.02}),
    ("activation=snake ~ activation=relu within 0.05", Equivalent, {"b": {"activation": "relu"}}),
    ("increases with lr", Trend, {"factor": "lr", "direction": "increasing", "metric": "test_acc"}),
    ("test_loss decreases with activation", Trend, {"metric": "test_loss", "direction": "decreasing"}),
])
def test_each_form_reads_into_its_claim(text, kind, fields):
    claim = parse_hypothesis(text, LEVELS, "test_acc")
    assert type(claim) is kind and claim.text == text
    for name, value in fields.items():
        assert getattr(claim, name) == value
    named = {claim.factor} if kind is Trend else set(claim.a)
    assert claim.by == [f for f in LEVELS if f not in named]  # tested within each level of the other factors


@pytest.mark.parametrize("text, message", [
    ("snake >> relu", r"cannot read the hypothesis 'snake >> relu'; write one of 'A > B'"),
    ("snake >= relu", r"cannot read the hypothesis"),
    ("", r"non-empty string"),
    ("snak > relu", r"no arm 'snak'; did you mean 'snake'\?"),
    ("snake > 0.1", r"compares levels of different factors"),
    ("relu > relu", r"compares an arm with itself"),
    ("snake = relu within nothing", r"margin after 'within' must be a positive number"),
    ("increases with depth", r"no factor 'depth'.*known: activation, layers, lr"),
    ("test_mse increases with lr", r"no metric 'test_mse'"),
    ("activaton=snake > relu", r"no factor 'activaton'; did you mean 'activation'"),
])
def test_a_bad_hypothesis_is_one_clear_error(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_hypothesis(text, LEVELS, "test_acc", metrics=["test_acc", "test_loss"])


def test_a_level_shared_by_two_factors_must_be_named_with_its_factor():
    with pytest.raises(ConfigError, match="a level of several factors .*write factor=level"):
        parse_hypothesis("4 > 8", {"width": [4, 8], "depth": [4, 8]}, "test_acc")
    assert parse_hypothesis("width=4 > width=8", {"width": [4, 8], "depth": [4, 8]}, "test_acc").a == {"width": 4}
