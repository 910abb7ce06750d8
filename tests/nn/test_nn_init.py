"""How an MLPSpec draws its initial weights and biases."""

from __future__ import annotations

import math

from atomlab.nn import MLPSpec


def test_same_bias_init_draws_biases_as_tensorflow_does():
    """000's tf.get_variable draws a Glorot bias of width n with fan_in = fan_out = n: limit sqrt(3 / n)."""
    n = 400
    (w, b), _ = MLPSpec(layers=(n,), activation="sigmoid", init="xavier", bias_init="same").init_params(1, 1, seed=3)
    assert w.abs().max() <= math.sqrt(6 / (1 + n))
    tf_limit = math.sqrt(3 / n)
    # 400 uniform draws reach within 2% of their limit; the layer's own fans would allow up to sqrt(6 / 401)
    assert 0.98 * tf_limit < b.abs().max() <= tf_limit < math.sqrt(6 / (1 + n))


def test_zero_biases_stay_zero_and_biases_follow_the_seed():
    spec = MLPSpec(layers=(5, 5), init="xavier", bias_init="zeros")
    assert all(b.abs().sum() == 0 for _, b in spec.init_params(2, 2, seed=0))
    same = MLPSpec(layers=(5, 5), init="xavier", bias_init="same")
    first, again, other = (same.init_params(2, 2, seed=s) for s in (0, 0, 1))
    assert all((b1 == b2).all() for (_, b1), (_, b2) in zip(first, again))
    assert any((b1 != b2).any() for (_, b1), (_, b2) in zip(first, other))
