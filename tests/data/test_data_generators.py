"""Synthetic generators: shapes, dtypes, determinism, and that each draws what it says it draws."""

from __future__ import annotations

import json

import numpy as np
import pytest

from atomlab.data import (
    Dataset,
    class_separations,
    datasets,
    make_alternating_points,
    make_blobs,
    make_circles,
    make_dataset,
    make_function_1d,
    make_gaussian_mixture,
    make_moons,
    make_spirals,
    make_surface2d,
    make_xor,
    register_variant,
)
from atomlab.errors import ConfigError

# Small sizes so that the parametrised tests stay fast; mnist uses the shipped subset.
SMALL = {
    "function1d": {},
    "sin1d": {},
    "poly1d": {},
    "abs1d": {},
    "surface2d": {"n_train": 300, "n_test": 100},
    "linear2d": {"n_train": 300, "n_test": 100},
    "abs2d": {"n_train": 300, "n_test": 100},
    "ellipse2d": {"n_train": 300, "n_test": 100},
    "sine2d": {"n_train": 300, "n_test": 100},
    "gaussian_mixture": {},
    "moons": {},
    "circles": {},
    "blobs": {},
    "xor": {"n_train": 40, "n_test": 40, "noise": 0.1},
    "spirals": {},
    "alternating_points": {},
    "mnist": {"source": "subset", "subset": (200, 50)},
}
BUILTIN = sorted(SMALL)
RANDOM = [n for n in BUILTIN if n not in ("alternating_points", "function1d", "sin1d", "poly1d", "abs1d")]


def test_every_builtin_generator_is_registered():
    assert set(BUILTIN) <= set(datasets.names())


@pytest.mark.parametrize("name", BUILTIN)
def test_shapes_dtypes_and_metadata(name):
    ds = make_dataset(name, random_state=3, **SMALL[name])
    assert isinstance(ds, Dataset)
    assert ds.name == name
    assert len(ds.X_train) == len(ds.y_train) > 0 and len(ds.X_test) == len(ds.y_test) > 0
    assert ds.X_train.shape[1:] == ds.X_test.shape[1:]
    expected_float = np.float32 if name == "mnist" else np.float64
    assert ds.X_train.dtype == expected_float and ds.X_test.dtype == expected_float
    assert np.all(np.isfinite(ds.X_train)) and np.all(np.isfinite(ds.X_test))
    if ds.task == "classification":
        assert ds.y_train.dtype == np.int64 and ds.y_test.dtype == np.int64
        assert ds.y_train.ndim == 1
        assert set(np.unique(ds.y_train)) <= set(range(ds.n_classes))
    else:
        assert ds.y_train.dtype == np.float64 and ds.n_classes is None
    assert ds.params.get("random_state") == 3
    json.dumps(ds.params)  # plain data: enough to write down and make again
    assert ds.note
    if ds.target_fn is not None and ds.task == "classification":
        score = ds.target_fn(ds.X_test)
        assert score.shape[0] == ds.n_test


@pytest.mark.parametrize("name", BUILTIN)
def test_same_seed_gives_identical_arrays(name):
    a = make_dataset(name, random_state=7, **SMALL[name])
    b = make_dataset(name, random_state=7, **SMALL[name])
    for field in ("X_train", "y_train", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


@pytest.mark.parametrize("name", RANDOM)
def test_different_seeds_give_different_arrays(name):
    a = make_dataset(name, random_state=1, **SMALL[name])
    b = make_dataset(name, random_state=2, **SMALL[name])
    assert not np.array_equal(a.X_train, b.X_train)


def test_a_generator_can_be_given_as_random_state():
    a = make_moons(random_state=np.random.default_rng(5))
    b = make_moons(random_state=np.random.default_rng(5))
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert a.params["random_state"] == "<numpy Generator>"


@pytest.mark.parametrize("bad", [None, -1, 1.5, "0", True])
def test_bad_random_state_is_refused(bad):
    with pytest.raises(ConfigError, match="random_state"):
        make_moons(random_state=bad)


def test_unknown_parameter_gets_a_did_you_mean():
    with pytest.raises(ConfigError, match=r"has no parameter 'n_trian'; did you mean 'n_train'"):
        make_dataset("moons", n_trian=10)


def test_unknown_dataset_gets_a_did_you_mean():
    with pytest.raises(ConfigError, match="did you mean 'moons'"):
        make_dataset("mons")


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: make_moons(n_train=0), "n_train must be >= 2"),
        (lambda: make_moons(noise=-0.1), "noise must be >= 0"),
        (lambda: make_function_1d(spacing="grid"), "unknown spacing 'grid'"),
        (lambda: make_function_1d(low=1, high=-1), "low < high"),
        (lambda: make_surface2d(function="sien"), "did you mean 'sin'"),
        (lambda: make_surface2d(domain=(1, 2, 3)), "domain must be"),
        (lambda: make_surface2d(flip_y=1.0), "flip_y must be < 1"),
        (lambda: make_gaussian_mixture(class_sep="1/j"), "class_sep rule '1/j'"),
        (lambda: make_gaussian_mixture(n_features=3, class_sep=[1, 2]), "needs 1 or n_features=3"),
        (lambda: make_gaussian_mixture(class_ratio=0.5), "class_ratio must be >= 1"),
        (lambda: make_gaussian_mixture(n=100, n_train=50), "not both"),
        (lambda: make_blobs(cluster_std=[1, 2]), "cluster_std"),
        (lambda: make_circles(factor=1.0), "factor must be < 1"),
        (lambda: make_spirals(n_classes=1), "n_classes must be >= 2"),
    ],
)
def test_bad_arguments_raise_config_errors_naming_them(call, fragment):
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        call()


# ------------------------------------------------------------------------------------------ 1-D


def test_function1d_defaults_mirror_000():
    ds = make_function_1d()
    x = ds.X_train[:, 0]
    np.testing.assert_allclose(x, np.linspace(-1, 1, 50))
    np.testing.assert_allclose(ds.y_train, np.sin(12 * x))
    assert ds.domain == ((-1.0, 1.0),) and ds.task == "regression"


def test_function1d_poly_and_abs_and_expression():
    x = np.linspace(-1, 1, 50)
    poly = make_function_1d(function="poly")
    np.testing.assert_allclose(poly.y_train, -2 * x**4 + x**3 + x**2 - 2 * x)
    assert "-2x^4 + x^3 + x^2 - 2x" in poly.note
    np.testing.assert_allclose(make_function_1d(function="abs").y_train, np.abs(x))
    np.testing.assert_allclose(make_function_1d(function="x**2 - 0.5").y_train, x**2 - 0.5)
    np.testing.assert_allclose(make_function_1d(function=np.cos).y_train, np.cos(x))


def test_function1d_noise_only_on_training_targets():
    ds = make_function_1d(noise=0.1, random_state=0)
    residual = ds.y_train - ds.target_fn(ds.X_train)
    assert 0.05 < residual.std() < 0.15
    np.testing.assert_allclose(ds.y_test, ds.target_fn(ds.X_test))


def test_function1d_uniform_spacing_is_sorted_and_in_range():
    ds = make_function_1d(spacing="uniform", n_train=200, low=-3, high=2, random_state=1)
    x = ds.X_train[:, 0]
    assert np.all(np.diff(x) >= 0) and x.min() >= -3 and x.max() < 2


# ------------------------------------------------------------------------------------------ 2-D


@pytest.mark.parametrize(
    "name, f",
    [
        ("linear", lambda x, y: y - x),
        ("abs", lambda x, y: y - np.abs(x)),
        ("ellipse", lambda x, y: 1 - x**2 / 4 - y**2),
        ("sine", lambda x, y: y - np.sin(np.pi * x)),
    ],
)
def test_surfaces_label_by_the_sign_of_002s_functions(name, f):
    ds = make_surface2d(function=name, n_train=2000, n_test=500, random_state=0)
    for X, y in ((ds.X_train, ds.y_train), (ds.X_test, ds.y_test)):
        assert X.min() >= -2 and X.max() < 2
        np.testing.assert_array_equal(y, (f(X[:, 0], X[:, 1]) > 0).astype(np.int64))
    np.testing.assert_allclose(ds.target_fn(ds.X_test), f(ds.X_test[:, 0], ds.X_test[:, 1]))
    # both classes are well represented for the four functions on [-2, 2]^2
    assert 0.2 < ds.y_train.mean() < 0.8


def test_surface_expression_and_callable_and_variant_names_agree():
    a = make_surface2d(function="y - x**3", n_train=500, random_state=4)
    b = make_surface2d(function=lambda x, y: y - x**3, n_train=500, random_state=4)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    c = make_dataset("sine2d", random_state=4, n_train=500)
    d = make_surface2d(function="sine", random_state=4, n_train=500)
    np.testing.assert_array_equal(c.y_train, d.y_train)
    assert c.name == "sine2d"


def test_surface_domain_and_label_noise():
    ds = make_surface2d(function="linear", n_train=1000, domain=((0, 1), (5, 6)), flip_y=0.1, random_state=0)
    assert ds.domain == ((0.0, 1.0), (5.0, 6.0))
    assert ds.X_train[:, 0].max() < 1 and ds.X_train[:, 1].min() >= 5
    clean = (ds.target_fn(ds.X_train) > 0).astype(np.int64)
    assert int((clean != ds.y_train).sum()) == 100
    np.testing.assert_array_equal(ds.y_test, (ds.target_fn(ds.X_test) > 0).astype(np.int64))


def test_surface_test_set_does_not_depend_on_n_train():
    a = make_surface2d(n_train=100, n_test=50, random_state=9)
    b = make_surface2d(n_train=300, n_test=50, random_state=9)
    np.testing.assert_array_equal(a.X_test, b.X_test)


def test_variant_refuses_to_change_its_fixed_parameter():
    with pytest.raises(ConfigError, match="no parameter 'function'"):
        make_dataset("sine2d", function="linear")


def test_register_variant_makes_a_new_name():
    register_variant("test-cubic2d", make_surface2d, function="y - x**3", overwrite=True)
    ds = make_dataset("test-cubic2d", n_train=20, random_state=0)
    assert ds.name == "test-cubic2d" and ds.params["function"] == "y - x**3"


# -------------------------------------------------------------------------------------- mixture


def test_class_separations():
    np.testing.assert_allclose(class_separations("1/i", 12), [1 / (i + 1) for i in range(12)])
    np.testing.assert_allclose(class_separations(1, 3), [1, 1, 1])
    np.testing.assert_allclose(class_separations([0.5], 2), [0.5, 0.5])


def test_mixture_sizes_and_000s_n_plus_test_size():
    ds = make_gaussian_mixture()
    assert (ds.n_train, ds.n_test, ds.input_dim) == (400, 100, 12)
    assert np.bincount(ds.y_train).tolist() == [200, 200]
    ds = make_gaussian_mixture(n=500, test_size=0.2, n_features=3)
    assert (ds.n_train, ds.n_test) == (400, 100)
    ds = make_gaussian_mixture(n=101, test_size=0.2, n_features=3)
    assert (ds.n_train, ds.n_test) == (80, 21)


def test_mixture_draws_the_described_distribution():
    d = 4
    ds = make_gaussian_mixture(n_features=d, class_sep="1/i", n_train=40_000, n_test=10, random_state=0)
    rng = np.random.default_rng(0)  # the covariance factor is the first draw of the seed
    c = rng.random((d, d))
    cov = c.T @ c
    X, y = ds.X_train, ds.y_train
    np.testing.assert_allclose(X[y == 0].mean(axis=0), 0, atol=0.05 * np.sqrt(cov.max()))
    np.testing.assert_allclose(X[y == 1].mean(axis=0) - X[y == 0].mean(axis=0), 1 / np.arange(1, d + 1),
                               atol=0.08)
    np.testing.assert_allclose(np.cov(X[y == 0].T), cov, rtol=0.05, atol=0.03)
    np.testing.assert_allclose(np.cov(X[y == 1].T), cov, rtol=0.05, atol=0.03)


def test_mixture_covariance_scale_and_given_cov():
    small = make_gaussian_mixture(n_features=3, covariance_scale=0.1, n_train=5000, random_state=0)
    big = make_gaussian_mixture(n_features=3, covariance_scale=1.0, n_train=5000, random_state=0)
    spread_small = np.var(small.X_train[small.y_train == 0], axis=0)
    assert np.all(spread_small < np.var(big.X_train[big.y_train == 0], axis=0))
    given = make_gaussian_mixture(n_features=2, cov=np.eye(2) * 4, n_train=20_000, random_state=0)
    np.testing.assert_allclose(np.cov(given.X_train[given.y_train == 0].T), np.eye(2) * 4, atol=0.2)


def test_mixture_class_ratio_and_bayes_target():
    ds = make_gaussian_mixture(n_features=2, n_train=1100, n_test=1100, class_ratio=10)
    assert np.bincount(ds.y_train).tolist() == [100, 1000]
    # the Bayes log-odds beat any other linear rule: at least as good as the majority vote
    acc = np.mean((ds.target_fn(ds.X_test) > 0) == ds.y_test)
    assert acc >= np.mean(ds.y_test == 1) - 0.02


def test_mixture_test_set_does_not_depend_on_n_train():
    a = make_gaussian_mixture(n_train=100, n_test=60, random_state=3)
    b = make_gaussian_mixture(n_train=1000, n_test=60, random_state=3)
    np.testing.assert_array_equal(a.X_test, b.X_test)


# ----------------------------------------------------------------------------------------- toys


def test_moons_and_circles_are_balanced_and_independent_between_sets():
    ds = make_moons(n_train=300, n_test=100, random_state=0)
    assert np.bincount(ds.y_train).tolist() == [150, 150]
    assert not np.array_equal(ds.X_train[:100], ds.X_test)
    circles = make_circles(n_train=200, noise=0.0)
    radius = np.linalg.norm(circles.X_train, axis=1)
    np.testing.assert_allclose(radius[circles.y_train == 0], 1.0)
    np.testing.assert_allclose(radius[circles.y_train == 1], 0.5)


def test_blobs_share_centres_between_train_and_test():
    ds = make_blobs(n_train=4000, n_test=4000, centers=3, cluster_std=0.5, random_state=2)
    centres = np.array(ds.params["centers"])
    for c in range(3):
        np.testing.assert_allclose(ds.X_train[ds.y_train == c].mean(axis=0), centres[c], atol=0.05)
        np.testing.assert_allclose(ds.X_test[ds.y_test == c].mean(axis=0), centres[c], atol=0.05)
    assert np.mean(ds.target_fn(ds.X_test).argmax(axis=1) == ds.y_test) > 0.95


def test_xor_corners_and_clouds():
    ds = make_xor()
    assert ds.X_train.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert ds.y_train.tolist() == [0, 1, 1, 0]
    assert np.all((ds.target_fn(ds.X_train) > 0) == ds.y_train)
    signed = make_xor(signed=True)
    assert signed.X_train.tolist() == [[-1, -1], [-1, 1], [1, -1], [1, 1]]
    assert np.all((signed.target_fn(signed.X_train) > 0) == signed.y_train)
    noisy = make_xor(n_train=400, n_test=400, noise=0.1, random_state=0)
    assert np.bincount(noisy.y_train).tolist() == [200, 200]
    assert np.mean((noisy.target_fn(noisy.X_test) > 0) == noisy.y_test) > 0.95


def test_spirals_target_fn_is_exact_without_noise():
    ds = make_spirals(n_train=500, n_classes=2, noise=0.0, random_state=0)
    assert np.all((ds.target_fn(ds.X_train) > 0) == ds.y_train)
    assert np.linalg.norm(ds.X_train, axis=1).max() <= 1.0


def test_alternating_points_of_000():
    ds = make_alternating_points()
    np.testing.assert_allclose(ds.X_train[:, 0], np.linspace(0, 1 - 1 / 16, 16))
    assert ds.y_train.tolist() == [0, 1] * 8
    np.testing.assert_array_equal(ds.X_train, ds.X_test)
    np.testing.assert_array_equal(ds.y_train, ds.y_test)
    assert np.all((ds.target_fn(ds.X_train) > 0) == ds.y_train)


def test_playground_circle_is_a_disc_inside_a_ring():
    ds = make_dataset("playground_circle", random_state=1, n_train=200, n_test=100, noise=0.0)
    assert np.bincount(ds.y_train).tolist() == [100, 100]
    assert np.all((ds.target_fn(ds.X_train) > 0) == ds.y_train)
    r = np.hypot(ds.X_train[:, 0], ds.X_train[:, 1])
    assert r[ds.y_train == 1].max() <= 2.5 and r[ds.y_train == 0].min() >= 3.5 and r.max() <= 5.0
    assert ds.domain == ((-6.0, 6.0), (-6.0, 6.0))
    noisy = make_dataset("playground_circle", random_state=1, n_train=200, n_test=100, noise=0.5)
    assert np.any((noisy.target_fn(noisy.X_train) > 0) != noisy.y_train)  # noise flips labels near the gap
